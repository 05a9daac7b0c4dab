//! The council's settings: how many approvals decide a review round.

use hamafza_kit::auth::{Caller, Role};
use hamafza_kit::ids::Person;
use hamafza_kit::{ApiError, Violations, time};
use hamafza_proto::common::Actor;
use hamafza_proto::courses as pb;

use crate::api::{ADMIN, CoursesApi};
use crate::store::entities::council_settings;

/// The most approvals a round may need.
pub const MAX_REQUIRED_APPROVALS: u32 = 20;

impl CoursesApi {
    /// The settings as the council works by now.
    pub(super) async fn get_council_settings(
        &self,
        caller: &Caller,
    ) -> Result<pb::GetCouncilSettingsResponse, ApiError> {
        caller.require_any(&[Role::PlatformAdmin, Role::Council, Role::Service])?;
        let stored = self.store.council_settings().await?;
        Ok(pb::GetCouncilSettingsResponse {
            settings: Some(self.settings_to_wire(stored)),
        })
    }

    /// Sets the approvals a round needs.
    pub(super) async fn update_council_settings(
        &self,
        caller: &Caller,
        request: pb::UpdateCouncilSettingsRequest,
    ) -> Result<pb::UpdateCouncilSettingsResponse, ApiError> {
        caller.require_any(ADMIN)?;
        let mut v = Violations::new();
        if !(1..=MAX_REQUIRED_APPROVALS).contains(&request.required_approvals) {
            v.add(
                "required_approvals",
                format!("must be between 1 and {MAX_REQUIRED_APPROVALS}"),
            );
        }
        let revision = if request.etag.is_empty() {
            None
        } else {
            hamafza_kit::update::parse_etag(&mut v, "etag", &request.etag)
        };
        v.finish()?;
        let by = Person {
            subject: caller.subject.clone(),
            name: caller.name.clone(),
            organization_id: caller.organization_id.clone(),
        };
        let row = self
            .store
            .set_required_approvals(request.required_approvals, revision, &by, time::now())
            .await?;
        self.council.forget(&());
        tracing::info!(
            required_approvals = request.required_approvals,
            "council settings changed"
        );
        Ok(pb::UpdateCouncilSettingsResponse {
            settings: Some(self.settings_to_wire(Some(row))),
        })
    }

    fn settings_to_wire(&self, stored: Option<council_settings::Model>) -> pb::CouncilSettings {
        match stored {
            Some(row) => pb::CouncilSettings {
                required_approvals: u32::try_from(row.required_approvals).unwrap_or(1),
                update_time: Some(time::to_timestamp(row.updated_at)),
                updated_by: Some(Actor {
                    subject: row.updated_by_subject,
                    name: row.updated_by_name,
                    organization_id: row.updated_by_organization_id,
                }),
                etag: hamafza_kit::update::etag(row.revision),
            },
            None => pb::CouncilSettings {
                required_approvals: self.default_approvals,
                update_time: None,
                updated_by: None,
                etag: hamafza_kit::update::etag(0),
            },
        }
    }
}
