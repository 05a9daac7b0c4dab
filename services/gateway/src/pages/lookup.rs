//! Naming what pages refer to: the courses and sessions of enrolments, read
//! in one call each; and what forms offer and back-office lists show (the
//! courses, programs, organizations and people), read page by page up to
//! [`PICKER_PAGES`] pages of 200.

use std::collections::HashMap;
use std::future::Future;

use crate::AppState;
use crate::backends::AsCaller;
use crate::i18n::Lang;
use hamafza_proto::certification as certpb;
use hamafza_proto::courses as cpb;
use hamafza_proto::enrolments as epb;

/// Most ids the courses service takes in one id filter.
const IDS_A_CALL: usize = 200;

/// The courses `ids` names (each once), read as `caller` in one call per
/// 200; none asked for, no call made.
pub async fn courses_named(
    caller: &AsCaller,
    mut ids: Vec<String>,
) -> Result<Vec<cpb::Course>, tonic::Status> {
    ids.sort();
    ids.dedup();
    let mut courses = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(IDS_A_CALL) {
        let request = cpb::ListCoursesRequest {
            page_size: 200,
            course_ids: chunk.to_vec(),
            ..Default::default()
        };
        let reply = caller.courses().list_courses(request).await?;
        courses.extend(reply.into_inner().courses);
    }
    Ok(courses)
}

/// Courses and sessions by id, read as the person whose `token` this is
/// (in one call per 200 of each; none asked for, no call made).
pub async fn catalog_of(
    state: &AppState,
    token: &str,
    course_ids: Vec<String>,
    session_ids: Vec<String>,
) -> Result<(HashMap<String, cpb::Course>, HashMap<String, cpb::Session>), tonic::Status> {
    let backends = state.backends.as_caller(token);
    let courses = courses_named(&backends, course_ids)
        .await?
        .into_iter()
        .map(|c| (c.id.clone(), c))
        .collect();
    let sessions = sessions_named(&backends, session_ids)
        .await?
        .into_iter()
        .map(|s| (s.id.clone(), s))
        .collect();
    Ok((courses, sessions))
}

/// The sessions `ids` names (each once), read as `caller` in one call per
/// 200; none asked for, no call made.
pub async fn sessions_named(
    caller: &AsCaller,
    mut ids: Vec<String>,
) -> Result<Vec<cpb::Session>, tonic::Status> {
    ids.sort();
    ids.dedup();
    let mut sessions = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(IDS_A_CALL) {
        let request = cpb::ListSessionsRequest {
            page_size: 200,
            session_ids: chunk.to_vec(),
            ..Default::default()
        };
        let reply = caller.sessions().list_sessions(request).await?;
        sessions.extend(reply.into_inner().sessions);
    }
    Ok(sessions)
}

/// The holding's organizations, read as `caller`: every page up to
/// [`PICKER_PAGES`] of 200.
pub async fn organizations_listed(
    caller: &AsCaller,
) -> Result<Vec<cpb::Organization>, tonic::Status> {
    every_page(|page_token| {
        let request = cpb::ListOrganizationsRequest {
            page_size: 200,
            page_token,
            ..Default::default()
        };
        async move {
            let reply = caller
                .organizations()
                .list_organizations(request)
                .await?
                .into_inner();
            Ok((reply.organizations, reply.next_page_token))
        }
    })
    .await
}

/// The holding's organizations as the person whose `token` this is sees
/// them ([`organizations_listed`]); none when a call fails, so the page still
/// shows.
pub async fn organizations(state: &AppState, token: &str) -> Vec<cpb::Organization> {
    organizations_listed(&state.backends.as_caller(token))
        .await
        .unwrap_or_default()
}

/// `person` as the actor a record names: with their Persian name, or their
/// English one when they have none.
pub fn actor_of(person: &cpb::Person) -> hamafza_proto::common::Actor {
    let name = person.name.as_ref().map_or_else(String::new, |n| {
        if n.fa.is_empty() { &n.en } else { &n.fa }.clone()
    });
    hamafza_proto::common::Actor {
        subject: person.subject.clone(),
        name,
        organization_id: person.organization_id.clone(),
    }
}

/// The seat counts of `sessions`, by session id, read as `caller` in one
/// call per 200 (what enrolments takes); none asked for, no call made. A
/// page shows sessions without their counts (rather than failing) when
/// enrolments cannot answer.
pub async fn seats_of<'a>(
    caller: &AsCaller,
    sessions: impl IntoIterator<Item = &'a cpb::Session>,
) -> HashMap<String, epb::SessionSeats> {
    let mut session_ids: Vec<String> = sessions.into_iter().map(|s| s.id.clone()).collect();
    session_ids.sort();
    session_ids.dedup();
    let mut seats = HashMap::with_capacity(session_ids.len());
    for chunk in session_ids.chunks(IDS_A_CALL) {
        let request = epb::BatchGetSessionSeatsRequest {
            session_ids: chunk.to_vec(),
        };
        match caller.enrolments().batch_get_session_seats(request).await {
            Ok(reply) => seats.extend(
                reply
                    .into_inner()
                    .sessions
                    .into_iter()
                    .map(|s| (s.session_id.clone(), s)),
            ),
            Err(status) => {
                tracing::warn!(code = ?status.code(), "seat counts unavailable");
                return HashMap::new();
            }
        }
    }
    seats
}

/// The courses in `statuses` (in any when empty), read as `caller`: every
/// page up to [`PICKER_PAGES`] of 200.
pub async fn courses_listed(
    caller: &AsCaller,
    statuses: &[cpb::CatalogStatus],
) -> Result<Vec<cpb::Course>, tonic::Status> {
    let statuses: Vec<i32> = statuses.iter().map(|s| (*s).into()).collect();
    every_page(|page_token| {
        let request = cpb::ListCoursesRequest {
            page_size: 200,
            page_token,
            statuses: statuses.clone(),
            ..Default::default()
        };
        async move {
            let reply = caller.courses().list_courses(request).await?.into_inner();
            Ok((reply.courses, reply.next_page_token))
        }
    })
    .await
}

/// The programs, read as `caller`: every page up to [`PICKER_PAGES`] of 200.
pub async fn programs_listed(caller: &AsCaller) -> Result<Vec<cpb::Program>, tonic::Status> {
    every_page(|page_token| {
        let request = cpb::ListProgramsRequest {
            page_size: 200,
            page_token,
            ..Default::default()
        };
        async move {
            let reply = caller.courses().list_programs(request).await?.into_inner();
            Ok((reply.programs, reply.next_page_token))
        }
    })
    .await
}

/// The catalog's statuses but retired.
pub const LIVE: [cpb::CatalogStatus; 4] = [
    cpb::CatalogStatus::Draft,
    cpb::CatalogStatus::Submitted,
    cpb::CatalogStatus::Approved,
    cpb::CatalogStatus::Published,
];

/// The courses that are not retired, and besides them those of `held` (ids
/// a form holds: a retired prerequisite, a program's retired course), read as
/// `caller`; so that a form offers everything it holds and saving it drops
/// nothing.
pub async fn live_courses_and(
    caller: &AsCaller,
    held: &[String],
) -> Result<Vec<cpb::Course>, tonic::Status> {
    let mut courses = courses_listed(caller, &LIVE).await?;
    let missing: Vec<String> = held
        .iter()
        .filter(|id| !courses.iter().any(|c| c.id == **id))
        .cloned()
        .collect();
    courses.extend(courses_named(caller, missing).await?);
    Ok(courses)
}

/// How many pages of 200 a picker or a back-office list reads at most.
pub const PICKER_PAGES: usize = 10;

/// Every page of a listing, up to [`PICKER_PAGES`]: `page` is asked with each
/// page token in turn (empty first) and answers the page's items and the next
/// token (empty after the last). A listing longer than that is cut there,
/// with a warning in the log.
pub async fn every_page<T, F, Fut>(page: F) -> Result<Vec<T>, tonic::Status>
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, String), tonic::Status>>,
{
    Ok(every_page_or_cut(page).await?.0)
}

/// [`every_page`], saying whether the listing was cut (for a download to
/// say so in its last row).
pub async fn every_page_or_cut<T, F, Fut>(mut page: F) -> Result<(Vec<T>, bool), tonic::Status>
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, String), tonic::Status>>,
{
    let mut items = Vec::new();
    let mut page_token = String::new();
    for _ in 0..PICKER_PAGES {
        let (read, next) = page(page_token).await?;
        items.extend(read);
        if next.is_empty() {
            return Ok((items, false));
        }
        page_token = next;
    }
    // More remain: what reads this shows the first pages only. Said in the
    // log so that an operator learns a list outgrew what a page reads.
    tracing::warn!(
        items = items.len(),
        pages = PICKER_PAGES,
        "a listing is longer than the pages read at most; only those are shown"
    );
    Ok((items, true))
}

/// One page of a listing: `read` is asked for `page_token`'s page, and
/// when the service refuses that token (INVALID_ARGUMENT: a stale or
/// mistyped page link) for the first page instead. The token of the page
/// read (empty for the first), and the reply.
pub async fn page_or_first<T, F, Fut>(
    page_token: &str,
    mut read: F,
) -> Result<(&str, T), tonic::Status>
where
    F: FnMut(String) -> Fut,
    Fut: Future<Output = Result<T, tonic::Status>>,
{
    match read(page_token.to_owned()).await {
        Err(status) if status.code() == tonic::Code::InvalidArgument && !page_token.is_empty() => {
            Ok(("", read(String::new()).await?))
        }
        reply => Ok((page_token, reply?)),
    }
}

/// Every session `request` lists (its page size and token are set here),
/// read as `caller`: every page up to [`PICKER_PAGES`] of 200.
pub async fn every_session(
    caller: &AsCaller,
    request: cpb::ListSessionsRequest,
) -> Result<Vec<cpb::Session>, tonic::Status> {
    every_page(|page_token| {
        let request = cpb::ListSessionsRequest {
            page_size: 200,
            page_token,
            ..request.clone()
        };
        async move {
            let reply = caller.sessions().list_sessions(request).await?.into_inner();
            Ok((reply.sessions, reply.next_page_token))
        }
    })
    .await
}

/// Every enrolment `request` lists (its page size and token are set here),
/// read as `caller`: every page up to [`PICKER_PAGES`] of 200.
pub async fn every_enrolment(
    caller: &AsCaller,
    request: epb::ListEnrolmentsRequest,
) -> Result<Vec<epb::Enrolment>, tonic::Status> {
    every_page(|page_token| {
        let request = epb::ListEnrolmentsRequest {
            page_size: 200,
            page_token,
            ..request.clone()
        };
        async move {
            let reply = caller.enrolments().list_enrolments(request).await?;
            let reply = reply.into_inner();
            Ok((reply.enrolments, reply.next_page_token))
        }
    })
    .await
}

/// Every certificate `request` lists (its page size and token are set
/// here), read as `caller`: every page up to [`PICKER_PAGES`] of 200.
pub async fn every_certificate(
    caller: &AsCaller,
    request: certpb::ListCertificatesRequest,
) -> Result<Vec<certpb::Certificate>, tonic::Status> {
    every_page(|page_token| {
        let request = certpb::ListCertificatesRequest {
            page_size: 200,
            page_token,
            ..request.clone()
        };
        async move {
            let reply = caller.certification().list_certificates(request).await?;
            let reply = reply.into_inner();
            Ok((reply.certificates, reply.next_page_token))
        }
    })
    .await
}

/// The active people of `organization_id`, or of every company when it is
/// empty, read as `caller`: every page of the directory up to
/// [`PICKER_PAGES`] of 200.
pub async fn people_listed(
    caller: &AsCaller,
    organization_id: &str,
) -> Result<Vec<cpb::Person>, tonic::Status> {
    every_page(|page_token| {
        let request = cpb::ListPeopleRequest {
            page_size: 200,
            page_token,
            organization_id: organization_id.to_owned(),
            ..Default::default()
        };
        async move {
            let reply = caller.people().list_people(request).await?.into_inner();
            Ok((reply.people, reply.next_page_token))
        }
    })
    .await
}

/// The person `subject` names in the directory (still active or not: a
/// session keeps its instructor after they leave), read as `caller`; `None`
/// when there is none.
pub async fn person_named(
    caller: &AsCaller,
    subject: &str,
) -> Result<Option<cpb::Person>, tonic::Status> {
    let request = cpb::ListPeopleRequest {
        page_size: 1,
        subjects: vec![subject.to_owned()],
        include_inactive: true,
        ..Default::default()
    };
    let reply = caller.people().list_people(request).await?.into_inner();
    Ok(reply.people.into_iter().next())
}

/// The title of a course, by id.
pub fn course_title<'a>(
    lang: Lang,
    courses: &'a HashMap<String, cpb::Course>,
    id: &str,
) -> &'a str {
    courses
        .get(id)
        .and_then(|c| c.details.as_ref())
        .map_or("—", |d| lang.text(d.title.as_ref()))
}

/// Whether `session` takes enrolments now: open, and now within its
/// enrolment window (the services decide; this only spares people a button
/// that would be refused).
pub fn takes_enrolments(session: &hamafza_proto::courses::Session) -> bool {
    let now = chrono::Utc::now();
    let window = session
        .details
        .as_ref()
        .and_then(|d| d.enrolment_window.as_ref());
    session.status() == hamafza_proto::courses::SessionStatus::Open
        && window.is_none_or(|w| {
            crate::i18n::instant(w.start_time.as_ref()).is_none_or(|from| from <= now)
                && crate::i18n::instant(w.end_time.as_ref()).is_none_or(|until| now < until)
        })
}

/// «به میزبانی فولاد مبارکه» / "Hosted by Mobarakeh Steel" for a session a
/// member company hosts; `None` when the holding runs it.
pub fn hosted_by(lang: Lang, session: &cpb::Session) -> Option<String> {
    if session.host_organization_id.is_empty() {
        return None;
    }
    let name = session
        .hosting
        .as_ref()
        .map(|h| lang.text(h.host_organization_name.as_ref()))
        .filter(|name| !name.is_empty())
        .unwrap_or(&session.host_organization_id);
    Some(format!("{}{name}", lang.pick("به میزبانی ", "Hosted by ")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    /// A listing of `len` numbers, 200 a page; the token is the next offset.
    fn listing(len: usize, asked: &std::cell::Cell<usize>, token: String) -> (Vec<usize>, String) {
        asked.set(asked.get() + 1);
        let from: usize = if token.is_empty() {
            0
        } else {
            token.parse().unwrap()
        };
        let to = (from + 200).min(len);
        let next = if to < len {
            to.to_string()
        } else {
            String::new()
        };
        ((from..to).collect(), next)
    }

    #[tokio::test]
    async fn every_page_reads_to_the_last_page_and_stops_at_the_most_it_reads() {
        for (len, pages, read) in [
            (0, 1, 0),
            (200, 1, 200),
            (201, 2, 201),
            (PICKER_PAGES * 200, PICKER_PAGES, PICKER_PAGES * 200),
            (PICKER_PAGES * 200 + 1, PICKER_PAGES, PICKER_PAGES * 200),
            (1_000_000, PICKER_PAGES, PICKER_PAGES * 200),
        ] {
            let asked = std::cell::Cell::new(0);
            let items = every_page(|token| {
                let page = listing(len, &asked, token);
                async move { Ok::<_, tonic::Status>(page) }
            })
            .await
            .unwrap();
            assert_eq!(
                (asked.get(), items.len()),
                (pages, read),
                "a listing of {len}"
            );
            assert!(items.iter().copied().eq(0..read), "in order, none twice");
        }
        let refused = every_page(|_| async {
            Err::<(Vec<u8>, String), _>(tonic::Status::unavailable("down"))
        })
        .await;
        assert_eq!(refused.unwrap_err().code(), tonic::Code::Unavailable);
    }
}
