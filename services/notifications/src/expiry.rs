//! Certificate expiry notices: a scheduled job (run with the reminders)
//! that asks certification for the active certificates expiring within 60
//! days and tells each trainee and the PR managers of their company, once
//! at 60 days and again at 14, with the course's sessions open for
//! enrolment (recertification). With several replicas each notice is
//! claimed by exactly one: a unique row (`expiry_notices`, certificate and
//! threshold) written in the transaction that records the notifications.

use chrono::{DateTime, Utc};
use hamafza_kit::auth::Role;
use hamafza_kit::peers::PeerError;
use hamafza_kit::{ApiError, time};
use hamafza_proto::certification as cert;
use hamafza_proto::courses as cpb;
use hamafza_proto::notifications::NotificationKind;
use uuid::Uuid;

use crate::api::NotificationsApi;
use crate::kind::Audience;
use crate::publish::{Occasion, People, Recipient};
use crate::store::queries::Claim;
use crate::wording::Facts;

/// How many days before expiry people are told, nearest last: a
/// certificate is told of at the nearest threshold it has crossed.
pub const THRESHOLDS_DAYS: [u32; 2] = [60, 14];
/// Most pages (of 200) of expiring certificates read in one round.
const MAX_PAGES: usize = 50;
/// Most open sessions a notice lists.
const OPEN_SESSIONS: usize = 3;

/// The threshold a certificate expiring in `left` has crossed: the nearest
/// one at or above it, `None` when it is further off than every threshold.
pub fn threshold(left: chrono::Duration) -> Option<u32> {
    THRESHOLDS_DAYS
        .iter()
        .rev()
        .copied()
        .find(|days| left <= chrono::Duration::days(i64::from(*days)))
}

/// Whole days in `left`, rounded up.
fn days_left(left: chrono::Duration) -> i64 {
    let seconds = left.num_seconds().max(0);
    (seconds + 86_399) / 86_400
}

impl NotificationsApi {
    /// One round: every active certificate expiring within the furthest
    /// threshold and not yet told of at the threshold it has crossed.
    /// Returns how many certificates this replica told of.
    pub async fn warn_expiring(&self) -> Result<u64, ApiError> {
        let now = time::now();
        let mut warned = 0;
        for certificate in self.expiring().await? {
            let Ok(id) = Uuid::parse_str(&certificate.id) else {
                continue;
            };
            let Some(expires) = certificate
                .valid_until
                .as_ref()
                .and_then(time::from_timestamp)
            else {
                continue;
            };
            let Some(threshold) = threshold(expires - now) else {
                continue;
            };
            if self
                .store
                .expiry_noticed(id, threshold)
                .await
                .map_err(hamafza_kit::db::api_error)?
            {
                continue;
            }
            if self.warn(id, threshold, certificate, expires, now).await? {
                warned += 1;
            }
        }
        Ok(warned)
    }

    /// Every active certificate expiring within the furthest threshold.
    async fn expiring(&self) -> Result<Vec<cert::Certificate>, ApiError> {
        let mut request = cert::ListExpiringCertificatesRequest {
            page_size: 200,
            within_days: THRESHOLDS_DAYS[0],
            ..Default::default()
        };
        let mut certificates = Vec::new();
        for _ in 0..MAX_PAGES {
            let page = self
                .certification
                .clone()
                .list_expiring_certificates(request.clone())
                .await
                .map_err(|status| ApiError::from(PeerError::Status(status)))?
                .into_inner();
            certificates.extend(page.certificates);
            if page.next_page_token.is_empty() {
                break;
            }
            request.page_token = page.next_page_token;
        }
        Ok(certificates)
    }

    /// Records one certificate's notice at `threshold`: `false` when
    /// another replica claimed it first.
    async fn warn(
        &self,
        certificate_id: Uuid,
        threshold: u32,
        certificate: cert::Certificate,
        expires: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, ApiError> {
        let occasion = Occasion {
            event_id: Uuid::now_v7(),
            kind: NotificationKind::CertificateExpiring,
            occurred: now,
            // No session: no invitation goes with it.
            session_id: Uuid::nil(),
        };
        let trainee = certificate.trainee.unwrap_or_default();
        let title = certificate.title.unwrap_or_default();
        let mut facts = Facts {
            course_fa: title.fa,
            course_en: title.en,
            trainee_fa: trainee.name.clone(),
            expires: Some(expires),
            days_left: days_left(expires - now),
            ..Facts::default()
        };
        let mut people = People::default();
        if let Some(name) = people
            .get(&self.courses, &trainee.subject)
            .await?
            .and_then(|person| person.name)
        {
            if !name.fa.is_empty() {
                facts.trainee_fa = name.fa;
            }
            facts.trainee_en = name.en;
        }
        // A course certificate is renewed in a session of its course: the
        // course page lists them; a program's on the certificates page.
        if !certificate.course_id.is_empty() {
            facts.link = format!("/courses/{}", certificate.course_id);
            facts.open_sessions = self.open_sessions(&certificate.course_id, now).await?;
        }
        let key = |subject: &str| format!("expiring:{certificate_id}:{threshold}:{subject}");
        let mut recipients = Vec::new();
        if !trainee.subject.trim().is_empty() {
            recipients.push(Recipient {
                dedupe_key: key(&trainee.subject),
                subject: trainee.subject.clone(),
                audience: Audience::Trainee,
            });
        }
        let organization = trainee.organization_id.trim();
        if !organization.is_empty() {
            for manager in self
                .courses
                .people_with_role(organization, Role::OrgManager)
                .await?
            {
                if recipients.iter().all(|r| r.subject != manager.subject) {
                    recipients.push(Recipient {
                        dedupe_key: key(&manager.subject),
                        subject: manager.subject.clone(),
                        audience: Audience::Manager,
                    });
                    people.learn(manager);
                }
            }
        }
        let claim = Claim::Expiry {
            certificate_id,
            threshold_days: threshold,
            at: now,
        };
        self.record_once(claim, &occasion, recipients, &facts, &mut people)
            .await
    }

    /// The first meetings of the course's sessions open for enrolment that
    /// are still ahead, soonest first.
    async fn open_sessions(
        &self,
        course_id: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<DateTime<Utc>>, ApiError> {
        let request = cpb::ListSessionsRequest {
            course_id: course_id.to_owned(),
            statuses: vec![cpb::SessionStatus::Open as i32],
            ..Default::default()
        };
        let mut starts: Vec<DateTime<Utc>> = self
            .courses
            .sessions(request, 1)
            .await?
            .into_iter()
            .filter_map(|session| {
                session
                    .details?
                    .meetings
                    .iter()
                    .filter_map(|m| time::from_timestamp(m.start_time.as_ref()?))
                    .min()
            })
            .filter(|start| *start > now)
            .collect();
        starts.sort_unstable();
        starts.truncate(OPEN_SESSIONS);
        Ok(starts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_crossed_threshold_is_told() {
        let days = chrono::Duration::days;
        assert_eq!(threshold(days(61)), None);
        assert_eq!(threshold(days(60)), Some(60));
        assert_eq!(threshold(days(15)), Some(60));
        assert_eq!(threshold(days(14)), Some(14));
        assert_eq!(threshold(days(1)), Some(14));
    }

    #[test]
    fn days_left_round_up() {
        assert_eq!(days_left(chrono::Duration::hours(1)), 1);
        assert_eq!(days_left(chrono::Duration::days(40)), 40);
        assert_eq!(
            days_left(chrono::Duration::days(40) + chrono::Duration::seconds(1)),
            41
        );
    }
}
