//! `/org/hosting`: a company's PR manager proposes to host a session of a
//! published course — its dates, its venue, its capacity, an instructor from
//! its own people — and follows its proposals until the admins decide.

use crate::web::Query;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hamafza_kit::ApiError;
use hamafza_proto::courses as cpb;
use maud::{Markup, html};
use serde::Deserialize;

use super::{state_badge, when_and_where};
use crate::AppState;
use crate::i18n::Lang;
use crate::pages::admin::sessions::{Lists, SessionForm, form_at};
use crate::pages::admin::{EditForm, Problems, field_key, jalali_parts, list_table, see_other};
use crate::pages::layout::page;
use crate::pages::lookup::{courses_listed, people_listed};
use crate::pages::org::{course_title, first, form_values, heading, manager};
use crate::sessions::WebSession;
use crate::web::{PageError, Viewer, check_csrf};

/// What the last action did, shown once.
#[derive(Debug, Default, Deserialize)]
pub struct Done {
    /// `proposed` after a proposal.
    #[serde(default)]
    pub done: String,
}

fn title(lang: Lang) -> &'static str {
    lang.pick("میزبانی دوره", "Hosting a session")
}

/// What the manager may pick from: published courses and the company's own
/// people (no quotas: a hosted session is open to every company), read side
/// by side. Either unreadable is a page saying so: a form with an empty
/// picker would send a proposal without its instructor.
async fn lists(state: &AppState, web: &WebSession, lang: Lang) -> Result<Lists, PageError> {
    let caller = state.backends.as_caller(&web.token);
    let published = [cpb::CatalogStatus::Published];
    let (courses, people) = tokio::try_join!(
        courses_listed(&caller, &published),
        people_listed(&caller, &web.caller.organization_id),
    )
    .map_err(|status| PageError::status(lang, status))?;
    Ok(Lists {
        courses,
        organizations: Vec::new(),
        people,
    })
}

fn proposal_form(
    lang: Lang,
    web: &WebSession,
    values: &SessionForm,
    problems: &Problems,
    lists: &Lists,
) -> Markup {
    html! {
        h2 id="propose" { (lang.pick("پیشنهاد میزبانی دوره", "Propose a hosted session")) }
        p.muted { (lang.pick(
            "شرکت شما دوره‌ای از درس‌های منتشرشده را در محل خود و با مدرسی از کارکنان خود برگزار می‌کند؛ پس از پذیرش دفتر روابط عمومی هلدینگ، دوره برای همهٔ شرکت‌ها باز می‌شود.",
            "Your company holds a session of a published course at its venue, taught by one of its own people; once the holding's PR office accepts it, the session opens to every company."
        )) }
        (form_at(
            lang,
            &web.csrf,
            "/org/hosting",
            ("ارسال پیشنهاد", "Send the proposal"),
            None,
            values,
            problems,
            html! {},
            lists,
        ))
    }
}

async fn proposals(
    state: &AppState,
    web: &WebSession,
    lang: Lang,
) -> Result<Vec<cpb::Session>, PageError> {
    let caller = state.backends.as_caller(&web.token);
    let caller = &caller;
    crate::pages::lookup::every_page(|page_token| {
        let request = cpb::ListHostedSessionsRequest {
            page_size: 200,
            page_token,
            ..Default::default()
        };
        async move {
            let reply = caller.sessions().list_hosted_sessions(request).await?;
            let reply = reply.into_inner();
            Ok((reply.sessions, reply.next_page_token))
        }
    })
    .await
    .map_err(|s| PageError::status(lang, s))
}

fn proposals_list(lang: Lang, sessions: &[cpb::Session], lists: &Lists) -> Markup {
    let courses = lists
        .courses
        .iter()
        .map(|c| (c.id.clone(), c.clone()))
        .collect();
    html! {
        h2 { (lang.pick("پیشنهادهای شرکت", "The company's proposals")) }
        @if sessions.is_empty() {
            p.muted { (lang.pick("هنوز پیشنهادی نداده‌اید.", "No proposals yet.")) }
        } @else {
            (list_table(lang, &[("درس", "Course"), ("زمان و مکان", "When and where"),
                ("وضعیت", "State"), ("توضیح", "Note")], html! {
                @for session in sessions {
                    tr {
                        td { (course_title(lang, &courses, &session.course_id)) }
                        td { (when_and_where(lang, session)) }
                        td { (state_badge(lang, session)) }
                        td {
                            @let reason = session.hosting.as_ref().map_or("", |h| h.decline_reason.as_str());
                            @if !reason.is_empty() {
                                // The admin's own words, as written.
                                (lang.pick("دلیل: ", "Reason: ")) (reason)
                            } @else if session.status() == cpb::SessionStatus::Open {
                                a href={ "/sessions/" (session.id) } { (lang.pick("ثبت‌نام باز است", "Enrolment open")) }
                            }
                        }
                    }
                }
            }))
        }
    }
}

/// `GET /org/hosting`.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(done): Query<Done>,
) -> Result<Markup, PageError> {
    let lang = viewer.lang;
    let web = manager(&viewer)?;
    let lists = lists(&state, web, lang).await?;
    let sessions = proposals(&state, web, lang).await?;
    let values = SessionForm {
        capacity: lang.num(20),
        window_start: (
            jalali_parts(lang, hamafza_kit::time::now()).0,
            lang.num("08:00"),
        ),
        request_id: crate::pages::admin::new_request_id(),
        ..SessionForm::default()
    };
    Ok(page(
        &viewer,
        title(lang),
        html! {
            (heading(&state, web, lang, "/org/hosting").await)
            h1 { (title(lang)) }
            @if done.done == "proposed" {
                p.flash role="status" { (lang.pick(
                    "پیشنهاد فرستاده شد و در انتظار بررسی است.",
                    "The proposal is sent and awaits review."
                )) }
            }
            (proposals_list(lang, &sessions, &lists))
            (proposal_form(lang, web, &values, &Problems::default(), &lists))
        },
    ))
}

/// `POST /org/hosting`: sends the proposal.
pub async fn submit(
    State(state): State<AppState>,
    viewer: Viewer,
    body: Bytes,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let web = manager(&viewer)?;
    let values = form_values(&body);
    check_csrf(&viewer, first(&values, "csrf"))?;
    let form = SessionForm::posted(&values);
    let lists = lists(&state, web, lang).await?;
    let problems = match form.details(lang, &lists.people) {
        Ok(details) => match state
            .backends
            .as_caller(&web.token)
            .sessions()
            .propose_hosted_session(cpb::ProposeHostedSessionRequest {
                course_id: form.course_id.clone(),
                host_organization_id: web.caller.organization_id.clone(),
                details: Some(details),
                request_id: form.request_id.clone(),
            })
            .await
        {
            Ok(_) => return Ok(see_other("/org/hosting?done=proposed")),
            Err(status) => {
                let error = ApiError::from_status(&status);
                if error.violations().is_empty()
                    && error.code() != hamafza_kit::ErrorCode::FailedPrecondition
                {
                    return Err(PageError::api(lang, error));
                }
                Problems::from_error(lang, &error, |path| {
                    if field_key(path) == "course_id" {
                        Some("course_id".to_owned())
                    } else {
                        form.input_of(path)
                    }
                })
            }
        },
        Err(problems) => problems,
    };
    let sessions = proposals(&state, web, lang).await?;
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        page(
            &viewer,
            title(lang),
            html! {
                (heading(&state, web, lang, "/org/hosting").await)
                h1 { (title(lang)) }
                (proposals_list(lang, &sessions, &lists))
                (proposal_form(lang, web, &form, &problems, &lists))
            },
        ),
    )
        .into_response())
}
