//! Fixtures as steps a test takes through the services' own contracts.

use hamafza_proto::courses as pb;
use hamafza_proto::courses::organization_service_client::OrganizationServiceClient;

use crate::people::ADMIN;
use crate::{Svc, TestStack, text};

/// The holding and three member companies, as the tests know them.
pub const ORGANIZATIONS: [(&str, &str, &str, pb::OrganizationKind, &str); 4] = [
    (
        "imidro",
        "ایمیدرو",
        "IMIDRO",
        pb::OrganizationKind::Holding,
        "",
    ),
    (
        "msc",
        "فولاد مبارکه",
        "Mobarakeh Steel",
        pb::OrganizationKind::Steel,
        "imidro",
    ),
    (
        "ksc",
        "فولاد خوزستان",
        "Khuzestan Steel",
        pb::OrganizationKind::Steel,
        "imidro",
    ),
    (
        "gegh",
        "گل گهر",
        "Gol-E-Gohar",
        pb::OrganizationKind::Mining,
        "imidro",
    ),
];

/// Registers [`ORGANIZATIONS`] with courses, as the admin.
pub async fn register_organizations(stack: &TestStack) {
    let mut organizations = OrganizationServiceClient::new(stack.channel(Svc::Courses));
    for (id, fa, en, kind, parent) in ORGANIZATIONS {
        organizations
            .create_organization(stack.request(
                ADMIN,
                pb::CreateOrganizationRequest {
                    organization_id: id.to_owned(),
                    name: Some(text(fa, en)),
                    kind: kind.into(),
                    parent_organization_id: parent.to_owned(),
                },
            ))
            .await
            .expect("register an organization");
    }
}
