//! `/teach/sessions/{id}/complete`: scores and no-shows for the whole
//! session, one CompleteEnrolment per filled row.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use hamafza_kit::{ApiError, ErrorCode};
use hamafza_proto::enrolments as epb;

use super::roster::{Done, roster_page};
use super::{CompletionProblems, load, not_your_session};
use crate::AppState;
use crate::web::{PageError, Viewer, check_csrf};

/// `POST /teach/sessions/{id}/complete`: a score or no-show per row, one
/// CompleteEnrolment per filled row.
pub async fn complete(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let web = viewer.require()?;
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    check_csrf(&viewer, &field("csrf"))?;
    let class = load(&state, web, lang, &id).await?;
    let mut problems = CompletionProblems::default();
    // Every row is checked before any is recorded.
    let mut rows: Vec<(String, Option<u32>, bool)> = Vec::new();
    for enrolment in class.confirmed() {
        let score = field(&format!("score_{}", enrolment.id));
        let no_show = field(&format!("no_show_{}", enrolment.id)) == "1";
        if no_show {
            problems.no_shows.insert(enrolment.id.clone());
        }
        if !score.is_empty() {
            problems.scores.insert(enrolment.id.clone(), score.clone());
        }
        let parsed = hamafza_kit::jalali::latin_digits(&score)
            .parse::<u32>()
            .ok()
            .filter(|s| *s <= 100);
        match (score.is_empty(), no_show, parsed) {
            (true, false, _) => {}
            (true, true, _) => rows.push((enrolment.id.clone(), None, true)),
            (false, true, _) => {
                problems.rows.insert(
                    enrolment.id.clone(),
                    lang.pick(
                        "یا نمره بدهید یا «غایب» را بزنید، نه هر دو.",
                        "Give a score or tick no-show, not both.",
                    )
                    .to_owned(),
                );
            }
            (false, false, Some(score)) => rows.push((enrolment.id.clone(), Some(score), false)),
            (false, false, None) => {
                problems.rows.insert(
                    enrolment.id.clone(),
                    lang.pick(
                        "نمره باید عددی درست از ۰ تا ۱۰۰ باشد.",
                        "The score must be a whole number from 0 to 100.",
                    )
                    .to_owned(),
                );
            }
        }
    }
    if rows.is_empty() && problems.rows.is_empty() {
        problems.form = Some(
            lang.pick(
                "هیچ نمره‌ای وارد نشده است؛ برای هر نفر نمره یا «غایب» را وارد کنید.",
                "No score was given; enter a score or no-show for each person.",
            )
            .to_owned(),
        );
    }
    if !problems.rows.is_empty() || problems.form.is_some() {
        let done = Done::default();
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            roster_page(&viewer, web, &class, &done, &problems),
        )
            .into_response());
    }
    // Each row under its own idempotency key derived from the form's: a
    // resubmitted form records nothing twice.
    let form_key: String = field("request_id").chars().take(24).collect();
    let mut done = Done {
        done: "completed".to_owned(),
        ..Done::default()
    };
    let mut client = state.backends.as_caller(&web.token).enrolments();
    for (enrolment_id, score, no_show) in rows {
        let suffix = enrolment_id.replace('-', "");
        let outcome = client
            .complete_enrolment(epb::CompleteEnrolmentRequest {
                request_id: format!("{form_key}-{suffix}"),
                enrolment_id: enrolment_id.clone(),
                score,
                no_show,
                override_reason: String::new(),
            })
            .await;
        match outcome {
            Ok(reply) => match reply.into_inner().enrolment.map(|e| e.status()) {
                Some(epb::EnrolmentStatus::Completed) => done.passed += 1,
                Some(epb::EnrolmentStatus::NoShow) => done.no_show += 1,
                _ => done.failed += 1,
            },
            Err(status) if status.code() == tonic::Code::PermissionDenied => {
                return Err(not_your_session(lang, status));
            }
            Err(status) => {
                let error = ApiError::from_status(&status);
                let problem = if no_show && error.code() == ErrorCode::FailedPrecondition {
                    lang.pick(
                        "این فرد در جلسه‌ای حاضر بوده است؛ به جای «غایب» نمره بدهید.",
                        "This person attended a meeting; give a score instead of no-show.",
                    )
                } else {
                    crate::i18n::refusal(lang, &error)
                };
                problems.rows.insert(enrolment_id, problem.to_owned());
            }
        }
    }
    if problems.rows.is_empty() {
        return Ok(Redirect::to(&format!(
            "/teach/sessions/{id}?done=completed&passed={}&failed={}&no_show={}#results",
            done.passed, done.failed, done.no_show
        ))
        .into_response());
    }
    // Some rows were refused: show them with their problems, and what was
    // recorded.
    problems.done = done.passed + done.failed + done.no_show;
    let class = load(&state, web, lang, &id).await?;
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        roster_page(&viewer, web, &class, &Done::default(), &problems),
    )
        .into_response())
}
