//! The instructor's pages «کلاس‌های من»: the sessions they teach, each
//! session's roster with companies, attendance per meeting, the printable
//! sign-in sheet, score entry and completion for the whole session with the
//! results, and the roster as CSV or Excel. Who may read a roster or record
//! attendance is the enrolments service's rule (the session's instructor);
//! these pages only show what it answers.

mod attendance;
mod completion;
mod list;
mod roster;
mod sheet;

use std::collections::{HashMap, HashSet};

use hamafza_kit::auth::Role;
use hamafza_kit::{ApiError, ErrorCode};
use hamafza_proto::courses as cpb;
use hamafza_proto::enrolments as epb;
use maud::Markup;

use crate::AppState;
use crate::i18n::Lang;
use crate::pages::layout::badge;
use crate::sessions::WebSession;
use crate::web::{PageError, PageReply};

pub use attendance::{attendance, record};
pub use completion::complete;
pub use list::{ListQuery, list};
pub use roster::{Done, show};
pub use sheet::{Download, roster, sheet};

/// The refusal shown to someone who teaches nothing.
fn instructors_only(lang: Lang) -> PageError {
    PageError::api(
        lang,
        ApiError::new(
            ErrorCode::PermissionDenied,
            "INSTRUCTORS_ONLY",
            "this page is for instructors",
        ),
    )
}

/// The refusal shown for a session someone does not teach.
fn not_your_session(lang: Lang, status: tonic::Status) -> PageError {
    if status.code() == tonic::Code::PermissionDenied {
        PageError::api(
            lang,
            ApiError::new(
                ErrorCode::PermissionDenied,
                "NOT_YOUR_SESSION",
                "only the session's instructor sees its roster",
            ),
        )
    } else {
        PageError::status(lang, status)
    }
}

fn session_badge(lang: Lang, status: cpb::SessionStatus) -> Markup {
    let words = match status {
        cpb::SessionStatus::Planned => ("در دست برنامه‌ریزی", "Planned", ""),
        cpb::SessionStatus::Open => ("ثبت‌نام باز", "Open", "ok"),
        cpb::SessionStatus::Closed => ("در حال برگزاری", "Being held", "warn"),
        cpb::SessionStatus::Completed => ("پایان‌یافته", "Completed", ""),
        cpb::SessionStatus::Cancelled => ("لغو شده", "Cancelled", "bad"),
        cpb::SessionStatus::Unspecified => ("—", "—", ""),
    };
    badge(lang, words)
}

/// A session with everything its pages show.
struct Class {
    session: cpb::Session,
    course: cpb::Course,
    enrolments: Vec<epb::Enrolment>,
    companies: HashMap<String, hamafza_proto::common::LocalizedText>,
}

impl Class {
    fn details(&self) -> cpb::CourseDetails {
        self.course.details.clone().unwrap_or_default()
    }

    fn meetings(&self) -> &[cpb::Meeting] {
        self.session
            .details
            .as_ref()
            .map(|d| d.meetings.as_slice())
            .unwrap_or_default()
    }

    fn company(&self, lang: Lang, enrolment: &epb::Enrolment) -> String {
        let id = enrolment
            .trainee
            .as_ref()
            .map(|t| t.organization_id.as_str())
            .unwrap_or_default();
        match self.companies.get(id) {
            Some(name) => lang.text(Some(name)).to_owned(),
            None => id.to_owned(),
        }
    }

    fn confirmed(&self) -> impl Iterator<Item = &epb::Enrolment> {
        self.enrolments
            .iter()
            .filter(|e| e.status() == epb::EnrolmentStatus::Confirmed)
    }

    /// Who holds or held a seat: on the sign-in sheet and in the results.
    fn seated(&self) -> impl Iterator<Item = &epb::Enrolment> {
        self.enrolments.iter().filter(|e| {
            matches!(
                e.status(),
                epb::EnrolmentStatus::Confirmed
                    | epb::EnrolmentStatus::Completed
                    | epb::EnrolmentStatus::Failed
                    | epb::EnrolmentStatus::NoShow
            )
        })
    }

    fn title(&self, lang: Lang) -> String {
        lang.text(self.details().title.as_ref()).to_owned()
    }
}

fn name(enrolment: &epb::Enrolment) -> &str {
    enrolment
        .trainee
        .as_ref()
        .map(|t| {
            if t.name.is_empty() {
                t.subject.as_str()
            } else {
                t.name.as_str()
            }
        })
        .unwrap_or_default()
}

/// Loads a session the caller teaches, with its roster (every page) and the
/// companies' names.
async fn load(
    state: &AppState,
    web: &WebSession,
    lang: Lang,
    id: &str,
) -> Result<Class, PageError> {
    // These are the instructor's pages (a platform admin may use them too);
    // the enrolments service still decides whose roster each may read.
    if !web.caller.has_any(&[Role::Instructor, Role::PlatformAdmin]) {
        return Err(instructors_only(lang));
    }
    let caller = state.backends.as_caller(&web.token);
    let not_found = || PageError::api(lang, ApiError::not_found("session", id));
    let session = caller
        .sessions()
        .get_session(cpb::GetSessionRequest {
            session_id: id.to_owned(),
        })
        .await
        .map_err(|s| match s.code() {
            tonic::Code::InvalidArgument => not_found(),
            _ => PageError::status(lang, s),
        })?
        .into_inner()
        .session
        .ok_or_else(not_found)?;
    let mut enrolments = Vec::new();
    let mut page_token = String::new();
    loop {
        let reply = caller
            .enrolments()
            .list_enrolments(epb::ListEnrolmentsRequest {
                page_size: 200,
                page_token,
                session_id: id.to_owned(),
                ..Default::default()
            })
            .await
            .map_err(|s| not_your_session(lang, s))?
            .into_inner();
        enrolments.extend(reply.enrolments);
        if reply.next_page_token.is_empty() {
            break;
        }
        page_token = reply.next_page_token;
    }
    enrolments.sort_by_cached_key(|e| hamafza_kit::text::persian_order(name(e)));
    let course = caller
        .courses()
        .get_course(cpb::GetCourseRequest {
            course_id: session.course_id.clone(),
        })
        .await
        .page(lang)?
        .course
        .ok_or_else(not_found)?;
    let companies = crate::pages::lookup::organizations(state, &web.token)
        .await
        .into_iter()
        .filter_map(|o| o.name.map(|name| (o.id, name)))
        .collect();
    Ok(Class {
        session,
        course,
        enrolments,
        companies,
    })
}

/// Problems with the completion form: per enrolment, and for the form.
#[derive(Debug, Default)]
struct CompletionProblems {
    rows: HashMap<String, String>,
    scores: HashMap<String, String>,
    no_shows: HashSet<String>,
    form: Option<String>,
    done: u32,
}

/// Why a result is what it is: score against the passing score, attendance
/// against the minimum.
pub(crate) fn verdict(lang: Lang, enrolment: &epb::Enrolment) -> String {
    let Some(completion) = &enrolment.completion else {
        return String::new();
    };
    let mut reasons = Vec::new();
    if enrolment.status() == epb::EnrolmentStatus::NoShow {
        return lang
            .pick("در هیچ جلسه‌ای حاضر نشد", "Did not attend")
            .to_owned();
    }
    if let Some(score) = completion.score
        && score < completion.passing_score
    {
        reasons.push(match lang {
            Lang::Fa => format!(
                "نمرهٔ {} کمتر از نمرهٔ قبولی {}",
                lang.num(score),
                lang.num(completion.passing_score)
            ),
            Lang::En => format!(
                "score {score} below the passing score {}",
                completion.passing_score
            ),
        });
    }
    if completion.attendance_percent < completion.min_attendance_percent {
        reasons.push(match lang {
            Lang::Fa => format!(
                "حضور {}٪ کمتر از حداقل {}٪",
                lang.num(completion.attendance_percent),
                lang.num(completion.min_attendance_percent)
            ),
            Lang::En => format!(
                "attendance {}% below the minimum {}%",
                completion.attendance_percent, completion.min_attendance_percent
            ),
        });
    }
    if reasons.is_empty() {
        return match lang {
            Lang::Fa => format!(
                "نمره و حضور ({}٪) کافی است",
                lang.num(completion.attendance_percent)
            ),
            Lang::En => format!(
                "score and attendance ({}%) suffice",
                completion.attendance_percent
            ),
        };
    }
    reasons.join(lang.pick("؛ ", "; "))
}

fn mark_of(enrolment: &epb::Enrolment, meeting_index: u32) -> Option<epb::AttendanceStatus> {
    enrolment
        .attendance
        .iter()
        .find(|a| a.meeting_index == meeting_index)
        .map(|a| a.status())
}

fn request_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// A meeting's number in the path (1-based) as an index, if the session
/// has it.
fn meeting_index(lang: Lang, class: &Class, n: u32) -> Result<u32, PageError> {
    let count = class.meetings().len();
    if n == 0 || usize::try_from(n).map_or(true, |n| n > count) {
        return Err(PageError::api(lang, ApiError::not_found("meeting", n)));
    }
    Ok(n - 1)
}
