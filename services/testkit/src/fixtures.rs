//! Fixtures as steps a test takes through the services' own contracts: each
//! goes over gRPC to a service of the [`TestStack`] as one of the
//! [`people`](crate::people), held to the same rules as any caller.
//!
//! Two kinds: a step named for what it makes (`published_course`,
//! `open_session`, `pass`) is taken by whoever does it in the organization
//! and fails the test if refused; a call named for its RPC (`submit_course`,
//! `enrol_self`) is made as the `who` given and returns the service's answer,
//! for tests that expect a refusal.

mod catalog;
mod learning;

pub use catalog::*;
pub use learning::*;

use hamafza_proto::courses as pb;
use hamafza_proto::courses::organization_service_client::OrganizationServiceClient;

use crate::people::ADMIN;
use crate::{Svc, TestStack, Who, text};

/// A service's answer to a call: what it returned, or its refusal.
pub type Answer<T> = Result<T, tonic::Status>;

/// The resource `pick` takes out of a reply, or the refusal.
fn answer<R, T>(
    reply: Result<tonic::Response<R>, tonic::Status>,
    pick: impl FnOnce(R) -> Option<T>,
) -> Answer<T> {
    reply.map(|reply| pick(reply.into_inner()).expect("the reply carries what it answers"))
}

/// An organization as a row: id, Persian and English name, kind, parent id
/// (empty for none).
pub type OrganizationRow = (
    &'static str,
    &'static str,
    &'static str,
    pb::OrganizationKind,
    &'static str,
);

/// The holding and three member companies, as the tests know them.
#[rustfmt::skip]
pub const ORGANIZATIONS: [OrganizationRow; 4] = [
    ("imidro", "ایمیدرو", "IMIDRO", pb::OrganizationKind::Holding, ""),
    ("msc", "فولاد مبارکه", "Mobarakeh Steel", pb::OrganizationKind::Steel, "imidro"),
    ("ksc", "فولاد خوزستان", "Khuzestan Steel", pb::OrganizationKind::Steel, "imidro"),
    ("gegh", "گل گهر", "Gol-E-Gohar", pb::OrganizationKind::Mining, "imidro"),
];

/// `who` registers an organization with courses.
pub async fn create_organization(
    stack: &TestStack,
    who: Who,
    (id, fa, en, kind, parent): OrganizationRow,
) -> Answer<pb::Organization> {
    let request = pb::CreateOrganizationRequest {
        organization_id: id.to_owned(),
        name: Some(text(fa, en)),
        kind: kind.into(),
        parent_organization_id: parent.to_owned(),
    };
    let mut client = OrganizationServiceClient::new(stack.channel(Svc::Courses));
    let reply = client
        .create_organization(stack.request(who, request))
        .await;
    answer(reply, |r| r.organization)
}

/// Registers [`ORGANIZATIONS`] with courses, as the admin.
pub async fn register_organizations(stack: &TestStack) {
    for organization in ORGANIZATIONS {
        create_organization(stack, ADMIN, organization)
            .await
            .expect("register an organization");
    }
}
