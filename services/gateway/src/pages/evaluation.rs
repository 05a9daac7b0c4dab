//! The course evaluation form: after a completed (or failed) course its
//! trainee rates the course and the instructor on five questions (1 to 5)
//! with a free comment, and may edit the answer for 14 days. The rules (who,
//! when, the window) are the enrolments service's; this page shows its form.

use std::collections::HashMap;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use hamafza_kit::{ApiError, ErrorCode};
use maud::{Markup, html};
use serde::Deserialize;

use super::changes::own_change;
use super::layout::page;
use crate::AppState;
use crate::i18n::{Lang, instant};
use crate::sessions::WebSession;
use crate::web::{PageError, PageReply, Viewer};
use hamafza_proto::enrolments as epb;

/// The longest comment, in characters (the service's limit).
pub const COMMENT_CHARS: usize = 2000;

/// The form's questions: field name, Persian and English wording.
pub const QUESTIONS: [(&str, &str, &str); 5] = [
    ("content", "محتوای دوره", "The course's content"),
    ("instructor", "مدرس", "The instructor"),
    (
        "relevance",
        "ارتباط با کار روابط‌عمومی شما",
        "Relevance to your public-relations work",
    ),
    (
        "organization",
        "برگزاری و نظم دوره",
        "How the session was organized",
    ),
    ("overall", "ارزیابی کلی", "Overall"),
];

/// The five points of the scale.
pub fn scale(lang: Lang, value: u32) -> &'static str {
    match value {
        1 => lang.pick("خیلی ضعیف", "Very poor"),
        2 => lang.pick("ضعیف", "Poor"),
        3 => lang.pick("متوسط", "Fair"),
        4 => lang.pick("خوب", "Good"),
        _ => lang.pick("عالی", "Excellent"),
    }
}

/// The submitted form.
#[derive(Debug, Default, Deserialize)]
pub struct EvaluationForm {
    /// The session's CSRF token.
    #[serde(default)]
    pub csrf: String,
    /// Score of the content.
    #[serde(default)]
    pub content: String,
    /// Score of the instructor.
    #[serde(default)]
    pub instructor: String,
    /// Score of relevance.
    #[serde(default)]
    pub relevance: String,
    /// Score of organization.
    #[serde(default)]
    pub organization: String,
    /// Overall score.
    #[serde(default)]
    pub overall: String,
    /// The free comment.
    #[serde(default)]
    pub comment: String,
}

impl EvaluationForm {
    fn value(&self, question: &str) -> &str {
        match question {
            "content" => &self.content,
            "instructor" => &self.instructor,
            "relevance" => &self.relevance,
            "organization" => &self.organization,
            _ => &self.overall,
        }
    }

    fn score(&self, question: &str) -> Option<u32> {
        hamafza_kit::jalali::latin_digits(self.value(question).trim())
            .parse()
            .ok()
            .filter(|v| (1..=5).contains(v))
    }

    fn from_evaluation(evaluation: &epb::Evaluation) -> Self {
        let s = evaluation.scores.unwrap_or_default();
        Self {
            content: s.content.to_string(),
            instructor: s.instructor.to_string(),
            relevance: s.relevance.to_string(),
            organization: s.organization.to_string(),
            overall: s.overall.to_string(),
            comment: evaluation.comment.clone(),
            ..Self::default()
        }
    }
}

/// What the form page needs: the course's title and the trainee's answer.
struct Loaded {
    title: String,
    mine: epb::GetMyEvaluationResponse,
}

async fn load(
    state: &AppState,
    web: &WebSession,
    lang: Lang,
    id: &str,
) -> Result<Loaded, PageError> {
    let backends = state.backends.as_caller(&web.token);
    let mine = backends
        .evaluations()
        .get_my_evaluation(epb::GetMyEvaluationRequest {
            enrolment_id: id.to_owned(),
        })
        .await
        .page(lang)?;
    let enrolment = backends
        .enrolments()
        .get_enrolment(epb::GetEnrolmentRequest {
            enrolment_id: id.to_owned(),
        })
        .await
        .page(lang)?
        .enrolment
        .unwrap_or_default();
    let (courses, _) =
        super::lookup::catalog_of(state, &web.token, vec![enrolment.course_id.clone()], vec![])
            .await
            .map_err(|s| PageError::status(lang, s))?;
    let title = courses
        .get(&enrolment.course_id)
        .and_then(|c| c.details.as_ref())
        .map(|d| lang.text(d.title.as_ref()).to_owned())
        .unwrap_or_default();
    Ok(Loaded { title, mine })
}

/// A problem of one question (or of the whole form, under "").
type Problems = Vec<(&'static str, &'static str)>;

fn form_page(
    viewer: &Viewer,
    web: &WebSession,
    id: &str,
    loaded: &Loaded,
    form: &EvaluationForm,
    problems: &Problems,
) -> Markup {
    let lang = viewer.lang;
    let title = lang.pick("ارزشیابی دوره", "Rate this course");
    let problem = |name: &str| {
        problems
            .iter()
            .find(|(field, _)| *field == name)
            .map(|(_, text)| *text)
    };
    let until = loaded
        .mine
        .evaluation
        .as_ref()
        .and_then(|e| instant(e.editable_until_time.as_ref()));
    page(
        viewer,
        title,
        html! {
            p { a href="/me/learning" { (lang.pick("→ یادگیری من", "← My learning")) } }
            h1 { (title) }
            p.lead { (loaded.title) }
            p.muted {
                (lang.pick(
                    "پاسخ شما بی‌نام است: مدرس و دیگران فقط میانگین پاسخ‌ها را می‌بینند، آن هم وقتی دست‌کم چند نفر پاسخ داده باشند.",
                    "Your answer is anonymous: the instructor and others see only averages, and only once several people have answered."
                ))
            }
            @if let Some(until) = until {
                p.muted {
                    (lang.pick("تا این تاریخ می‌توانید پاسخ خود را تغییر دهید: ", "You can change your answer until "))
                    (lang.date(until))
                }
            }
            @if let Some(problem) = problem("") { p.error role="alert" { (problem) } }
            @if !loaded.mine.can_submit {
                p.error role="alert" {
                    (lang.pick(
                        "مهلت پاسخ یا ویرایش این ارزشیابی گذشته است.",
                        "This evaluation can no longer be answered or changed."
                    ))
                }
            } @else {
                form.evaluation method="post" action={ "/me/learning/" (id) "/evaluation" } {
                    input type="hidden" name="csrf" value=(web.csrf);
                    @for (name, fa, en) in QUESTIONS {
                        @let chosen = form.score(name);
                        @let error_id = format!("{name}-error");
                        fieldset.likert aria-describedby=[problem(name).map(|_| error_id.clone())] {
                            legend { (lang.pick(fa, en)) }
                            @if let Some(problem) = problem(name) {
                                p.error id=(error_id) { (problem) }
                            }
                            div.scale {
                                @for value in 1..=5u32 {
                                    @let input_id = format!("{name}-{value}");
                                    span.choice {
                                        input type="radio" id=(input_id) name=(name)
                                            value=(value) required checked[chosen == Some(value)];
                                        label for=(input_id) {
                                            (lang.num(value)) " · " (scale(lang, value))
                                        }
                                    }
                                }
                            }
                        }
                    }
                    label for="comment" { (lang.pick("نظر شما (اختیاری)", "Your comment (optional)")) }
                    @if let Some(problem) = problem("comment") {
                        p.error id="comment-error" { (problem) }
                    }
                    textarea id="comment" name="comment" rows="5"
                        maxlength=(COMMENT_CHARS)
                        aria-describedby=[problem("comment").map(|_| "comment-error")] {
                        (form.comment)
                    }
                    button type="submit" {
                        @if loaded.mine.evaluation.is_some() {
                            (lang.pick("ذخیرهٔ تغییرات", "Save changes"))
                        } @else {
                            (lang.pick("ثبت ارزشیابی", "Submit"))
                        }
                    }
                }
            }
        },
    )
}

/// `GET /me/learning/{id}/evaluation`.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Markup, PageError> {
    let lang = viewer.lang;
    let web = viewer.require()?;
    let loaded = load(&state, web, lang, &id).await?;
    let form = loaded
        .mine
        .evaluation
        .as_ref()
        .map(EvaluationForm::from_evaluation)
        .unwrap_or_default();
    Ok(form_page(&viewer, web, &id, &loaded, &form, &Vec::new()))
}

/// `POST /me/learning/{id}/evaluation`.
pub async fn submit(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Form(form): Form<EvaluationForm>,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let web = own_change(&state, &viewer, &form.csrf)?;
    let mut problems: Problems = Vec::new();
    for (name, _, _) in QUESTIONS {
        if form.score(name).is_none() {
            problems.push((
                name,
                lang.pick(
                    "یکی از گزینه‌های ۱ تا ۵ را انتخاب کنید.",
                    "Choose one of 1 to 5.",
                ),
            ));
        }
    }
    if form.comment.trim().chars().count() > COMMENT_CHARS {
        problems.push((
            "comment",
            lang.pick(
                "نظر حداکثر ۲۰۰۰ نویسه باشد.",
                "The comment may be at most 2000 characters.",
            ),
        ));
    }
    if problems.is_empty() {
        let score = |name: &str| form.score(name).unwrap_or_default();
        let outcome = state
            .backends
            .as_caller(&web.token)
            .evaluations()
            .submit_evaluation(epb::SubmitEvaluationRequest {
                enrolment_id: id.clone(),
                scores: Some(epb::EvaluationScores {
                    content: score("content"),
                    instructor: score("instructor"),
                    relevance: score("relevance"),
                    organization: score("organization"),
                    overall: score("overall"),
                }),
                comment: form.comment.clone(),
            })
            .await;
        match outcome {
            Ok(_) => return Ok(Redirect::to("/me/learning?done=rated").into_response()),
            Err(status) if status.code() == tonic::Code::InvalidArgument => {
                let error = ApiError::from_status(&status);
                if error.violations().iter().any(|v| v.field == "comment") {
                    problems.push((
                        "comment",
                        lang.pick(
                            "نظر نویسه‌های نامجاز (نویسه‌های کنترلی یا نامرئی) دارد.",
                            "The comment contains characters that are not allowed (control or invisible ones).",
                        ),
                    ));
                } else {
                    problems.push(("", crate::i18n::refusal(lang, &error)));
                }
            }
            Err(status)
                if ApiError::from_status(&status).code() == ErrorCode::FailedPrecondition =>
            {
                problems.push((
                    "",
                    crate::i18n::refusal(lang, &ApiError::from_status(&status)),
                ));
            }
            Err(status) => return Err(PageError::status(lang, status)),
        }
    }
    let loaded = load(&state, web, lang, &id).await?;
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        form_page(&viewer, web, &id, &loaded, &form, &problems),
    )
        .into_response())
}

/// The trainee's evaluations of their assessed enrolments (completed or
/// failed), by enrolment id; an enrolment whose answer cannot be read is left
/// out (the page then offers no link rather than failing).
pub async fn mine(
    state: &AppState,
    token: &str,
    enrolments: &[epb::Enrolment],
) -> HashMap<String, epb::GetMyEvaluationResponse> {
    let mut client = state.backends.as_caller(token).evaluations();
    let mut found = HashMap::new();
    for enrolment in enrolments.iter().filter(|e| {
        matches!(
            e.status(),
            epb::EnrolmentStatus::Completed | epb::EnrolmentStatus::Failed
        )
    }) {
        if let Ok(reply) = client
            .get_my_evaluation(epb::GetMyEvaluationRequest {
                enrolment_id: enrolment.id.clone(),
            })
            .await
        {
            found.insert(enrolment.id.clone(), reply.into_inner());
        }
    }
    found
}

/// "Rate this course" / "edit your rating (until …)" / "you rated it", for
/// "my learning".
pub fn rating_link(lang: Lang, enrolment_id: &str, mine: &epb::GetMyEvaluationResponse) -> Markup {
    let href = format!("/me/learning/{enrolment_id}/evaluation");
    let until = mine
        .evaluation
        .as_ref()
        .and_then(|e| instant(e.editable_until_time.as_ref()));
    html! {
        p.rating {
            @match (&mine.evaluation, mine.can_submit) {
                (None, true) => {
                    a.button href=(href) { (lang.pick("ارزشیابی این دوره", "Rate this course")) }
                }
                (Some(_), true) => {
                    a href=(href) {
                        (lang.pick("ویرایش ارزشیابی شما", "Edit your rating"))
                        @if let Some(until) = until {
                            " (" (lang.pick("تا ", "until ")) (lang.date(until)) ")"
                        }
                    }
                }
                (Some(_), false) => {
                    span.muted { (lang.pick("این دوره را ارزشیابی کرده‌اید.", "You rated this course.")) }
                }
                (None, false) => {}
            }
        }
    }
}
