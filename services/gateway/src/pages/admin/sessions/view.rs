//! The session form as HTML, with the courses, organizations and people it
//! offers to pick from.

use hamafza_proto::courses as cpb;
use maud::{Markup, html};

use super::form::{MeetingRow, SPARE_ROWS, SessionForm};
use crate::backends::AsCaller;
use crate::i18n::Lang;
use crate::pages::admin::{Problems, bilingual, field, number_input};
use crate::pages::lookup::{live_courses_and, organizations_listed, people_listed};
use tonic::Status;

/// What the form needs around it: courses, organizations, people.
pub struct Lists {
    pub(crate) courses: Vec<cpb::Course>,
    pub(crate) organizations: Vec<cpb::Organization>,
    pub(crate) people: Vec<cpb::Person>,
}

/// What the form offers: the courses not retired and `course` (a session's
/// own, retired or not), the organizations and the people, read side by side.
pub(super) async fn lists(caller: &AsCaller, course: Option<&str>) -> Result<Lists, Status> {
    let held: Vec<String> = course.map(str::to_owned).into_iter().collect();
    let (courses, organizations, people) = tokio::try_join!(
        live_courses_and(caller, &held),
        organizations_listed(caller),
        people_listed(caller, ""),
    )?;
    Ok(Lists {
        courses,
        organizations,
        people,
    })
}

fn date_time_inputs(
    lang: Lang,
    prefix: &str,
    label: (&str, &str),
    value: &(String, String),
    problems: &Problems,
) -> Markup {
    let date = format!("{prefix}.date");
    let time = format!("{prefix}.time");
    field(
        lang,
        &date,
        label,
        problems,
        html! {
            span.datetime {
                input type="text" id=(date) name=(date) value=(value.0) size="11"
                    inputmode="numeric" placeholder=(lang.pick("۱۴۰۵/۰۹/۲۰", "1405/09/20"))
                    aria-invalid=[problems.get(&date).is_some().then_some("true")];
                " "
                input type="text" name=(time) value=(value.1) size="6" inputmode="numeric"
                    aria-label=(lang.pick("ساعت", "Time"))
                    placeholder=(lang.pick("۰۹:۰۰", "09:00"));
            }
        },
    )
}

/// The words for the instructor the form holds when the directory read for
/// the picker does not list them (left the company, beyond the pages read),
/// so that saving keeps them: their name as the session has it, or their
/// subject.
fn unlisted_instructor(
    session: Option<&cpb::Session>,
    values: &SessionForm,
    lists: &Lists,
) -> Option<String> {
    let subject = values.instructor.as_str();
    if subject.is_empty() || lists.people.iter().any(|p| p.subject == subject) {
        return None;
    }
    let stored = session
        .and_then(|s| s.details.as_ref())
        .and_then(|d| d.instructor.as_ref())
        .filter(|actor| actor.subject == subject && !actor.name.is_empty());
    Some(stored.map_or_else(|| subject.to_owned(), |actor| actor.name.clone()))
}

pub(crate) fn form_body(
    lang: Lang,
    csrf: &str,
    session: Option<&cpb::Session>,
    values: &SessionForm,
    problems: &Problems,
    notice: Markup,
    lists: &Lists,
) -> Markup {
    let (action, submit) = match session {
        Some(s) => (format!("/admin/sessions/{}", s.id), ("ذخیره", "Save")),
        None => (
            "/admin/sessions/new".to_owned(),
            ("ایجاد دوره", "Create the session"),
        ),
    };
    form_at(
        lang, csrf, &action, submit, session, values, problems, notice, lists,
    )
}

/// The session form posting to `action`, its button saying `submit`; the
/// quotas are offered when `lists` has organizations.
#[allow(clippy::too_many_lines, clippy::too_many_arguments)]
pub(crate) fn form_at(
    lang: Lang,
    csrf: &str,
    action: &str,
    submit: (&str, &str),
    session: Option<&cpb::Session>,
    values: &SessionForm,
    problems: &Problems,
    notice: Markup,
    lists: &Lists,
) -> Markup {
    let rows = values.meetings.len() + SPARE_ROWS;
    // The service changes planned and open sessions only.
    let locked = session.is_some_and(|s| {
        !matches!(
            s.status(),
            cpb::SessionStatus::Planned | cpb::SessionStatus::Open
        )
    });
    let empty = MeetingRow::default();
    let org_name = |id: &str| {
        lists
            .organizations
            .iter()
            .find(|o| o.id == id)
            .map_or_else(|| id.to_owned(), |o| lang.text(o.name.as_ref()).to_owned())
    };
    html! {
        (notice)
        (problems.summary(lang))
        form.admin method="post" action=(action) novalidate {
            input type="hidden" name="csrf" value=(csrf);
            fieldset.plain disabled[locked] {
            @if let Some(session) = session {
                input type="hidden" name="etag" value=(session.etag);
                input type="hidden" name="course_id" value=(session.course_id);
            } @else {
                input type="hidden" name="request_id" value=(values.request_id);
                (field(lang, "course_id", ("درس", "Course"), problems, html! {
                    select id="course_id" name="course_id" required {
                        @for course in &lists.courses {
                            @let d = course.details.clone().unwrap_or_default();
                            option value=(course.id) selected[course.id == values.course_id] {
                                (d.code) " — " (lang.text(d.title.as_ref()))
                            }
                        }
                    }
                }))
            }
            fieldset {
                legend { (lang.pick("جلسه‌ها (به وقت تهران)", "Meetings (Tehran time)")) }
                p.muted { (lang.pick(
                    "تاریخ خورشیدی مانند ۱۴۰۵/۰۹/۲۰ و ساعت مانند ۰۹:۰۰؛ ردیف‌های خالی نادیده گرفته می‌شوند.",
                    "Solar Hijri date like 1405/09/20 and time like 09:00; empty rows are left out."
                )) }
                div.scroll tabindex="0" { table.meetings.fit {
                    thead { tr {
                        th { "#" }
                        th { (lang.pick("تاریخ", "Date")) }
                        th { (lang.pick("شروع", "Start")) }
                        th { (lang.pick("پایان", "End")) }
                    } }
                    tbody {
                        @for i in 0..rows {
                            @let row = values.meetings.get(i).unwrap_or(&empty);
                            @let name = format!("meeting.{i}.date");
                            tr.invalid[problems.get(&name).is_some()] {
                                td { (lang.num(i + 1)) }
                                td {
                                    input type="text" name=(name) id=(name) value=(row.date)
                                        size="11" inputmode="numeric"
                                        aria-label={ (lang.pick("تاریخ جلسهٔ ", "Date of meeting ")) (lang.num(i + 1)) }
                                        placeholder=[(i == 0).then(|| lang.pick("۱۴۰۵/۰۹/۲۰", "1405/09/20"))]
                                        aria-invalid=[problems.get(&name).is_some().then_some("true")];
                                    @if let Some(problem) = problems.get(&name) {
                                        p.field-error id={ (name) "-error" } { (problem) }
                                    }
                                }
                                td { input type="text" name={ "meeting." (i) ".start" } value=(row.start)
                                    size="6" inputmode="numeric"
                                    aria-label={ (lang.pick("شروع جلسهٔ ", "Start of meeting ")) (lang.num(i + 1)) }
                                    placeholder=[(i == 0).then(|| lang.pick("۰۹:۰۰", "09:00"))]; }
                                td { input type="text" name={ "meeting." (i) ".end" } value=(row.end)
                                    size="6" inputmode="numeric"
                                    aria-label={ (lang.pick("پایان جلسهٔ ", "End of meeting ")) (lang.num(i + 1)) }
                                    placeholder=[(i == 0).then(|| lang.pick("۱۲:۰۰", "12:00"))]; }
                            }
                        }
                    }
                } }
            }
            (bilingual(lang, "details.venue", ("مکان", "Venue"),
                (&values.venue_fa, &values.venue_en), problems, false))
            div.grid {
                (field(lang, "details.online_url", ("پیوند برخط", "Online link"), problems,
                    html! { input type="url" dir="ltr" id="details.online_url"
                        name="details.online_url" value=(values.online_url)
                        aria-invalid=[problems.get("details.online_url").is_some().then_some("true")]; }))
                (field(lang, "details.instructor", ("مدرس", "Instructor"), problems, html! {
                    select id="details.instructor" name="details.instructor" {
                        option value="" { "—" }
                        @for person in &lists.people {
                            option value=(person.subject) selected[person.subject == values.instructor] {
                                (lang.text(person.name.as_ref())) " (" (org_name(&person.organization_id)) ")"
                            }
                        }
                        @if let Some(kept) = unlisted_instructor(session, values, lists) {
                            option value=(values.instructor) selected { (kept) }
                        }
                    }
                }))
                (field(lang, "details.capacity", ("ظرفیت", "Capacity"), problems,
                    number_input("details.capacity", &values.capacity, problems)))
            }
            @if !lists.organizations.is_empty() {
            fieldset.invalid[lists.organizations.iter().any(|o| problems.get(&format!("quota.{}", o.id)).is_some())] {
                legend { (lang.pick("سهمیهٔ هر شرکت (صندلی)", "Seats reserved per company")) }
                p.muted { (lang.pick(
                    "خالی یا صفر: بی‌سهمیه؛ جمع سهمیه‌ها از ظرفیت بیشتر نباشد.",
                    "Empty or zero: no quota; together no more than the capacity."
                )) }
                div.quotas {
                    @for org in &lists.organizations {
                        @let name = format!("quota.{}", org.id);
                        (field(lang, &name, (lang.text(org.name.as_ref()), lang.text(org.name.as_ref())),
                            problems, number_input(&name,
                                values.quotas.get(&org.id).map_or("", String::as_str), problems)))
                    }
                }
            }
            }
            div.grid {
                (date_time_inputs(lang, "window.start", ("آغاز ثبت‌نام", "Enrolment opens"),
                    &values.window_start, problems))
                (date_time_inputs(lang, "window.end", ("پایان ثبت‌نام", "Enrolment closes"),
                    &values.window_end, problems))
            }
            @if !locked {
                button type="submit" { (lang.pick(submit.0, submit.1)) }
            }
            }
        }
    }
}
