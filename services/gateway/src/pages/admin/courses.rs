//! Courses in the back office: create, edit (conditional on the etag read,
//! with the mask of the fields the form holds), and move them along the
//! council's road — submit, publish, retire.

use hamafza_kit::ApiError;
use maud::{Markup, html};
use tonic::Status;

use super::editor::{CatalogEntry, Creator, Editor, NoQuery, Refused, Values, mask};
use super::{
    EditForm, Problems, Showing, bilingual, field, frame, latin_input, number_input, parse_number,
};
use crate::AppState;
use crate::backends::AsCaller;
use crate::i18n::Lang;
use crate::pages::forms::first;
use crate::pages::layout::badge;
use crate::pages::lookup::live_courses_and;
use crate::sessions::WebSession;
use crate::web::{PageError, PageReply, Viewer};
use hamafza_proto::common::LocalizedText;
use hamafza_proto::courses as cpb;

/// A course's fields as the form holds them (text, as typed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CourseForm {
    code: String,
    title_fa: String,
    title_en: String,
    description_fa: String,
    description_en: String,
    audience_fa: String,
    audience_en: String,
    category: String,
    hours: String,
    delivery_mode: String,
    passing_score: String,
    min_attendance_percent: String,
    certificate_validity_months: String,
    requires_manager_approval: bool,
    prerequisites: Vec<String>,
    /// A new course's request id: a double click or a repeat makes one.
    request_id: String,
}

/// The fields of the form: update-mask path, input name, label.
const FIELDS: [(&str, &str, (&str, &str)); 15] = [
    ("code", "details.code", ("کد", "Code")),
    (
        "title.fa",
        "details.title.fa",
        ("عنوان فارسی", "Persian title"),
    ),
    (
        "title.en",
        "details.title.en",
        ("عنوان انگلیسی", "English title"),
    ),
    (
        "description.fa",
        "details.description.fa",
        ("توضیح فارسی", "Persian description"),
    ),
    (
        "description.en",
        "details.description.en",
        ("توضیح انگلیسی", "English description"),
    ),
    (
        "audience.fa",
        "details.audience.fa",
        ("مخاطبان به فارسی", "Who it is for, in Persian"),
    ),
    (
        "audience.en",
        "details.audience.en",
        ("مخاطبان به انگلیسی", "Who it is for, in English"),
    ),
    ("category", "details.category", ("دسته", "Category")),
    ("hours", "details.hours", ("ساعت", "Hours")),
    (
        "delivery_mode",
        "details.delivery_mode",
        ("شیوهٔ برگزاری", "Delivery mode"),
    ),
    (
        "passing_score",
        "details.passing_score",
        ("نمرهٔ قبولی", "Passing score"),
    ),
    (
        "min_attendance_percent",
        "details.min_attendance_percent",
        ("حداقل حضور (درصد)", "Minimum attendance (%)"),
    ),
    (
        "certificate_validity_months",
        "details.certificate_validity_months",
        ("اعتبار گواهی (ماه)", "Certificate validity (months)"),
    ),
    (
        "requires_manager_approval",
        "details.requires_manager_approval",
        ("تأیید مدیر لازم است", "Manager approval required"),
    ),
    (
        "prerequisite_course_ids",
        "details.prerequisite_course_ids",
        ("پیش‌نیازها", "Prerequisites"),
    ),
];

/// The categories the holding uses, offered for the category field (a new
/// one may still be typed).
const CATEGORIES: [&str; 9] = [
    "pr-foundations",
    "media-relations",
    "crisis-communication",
    "digital-media",
    "social-responsibility",
    "events",
    "research",
    "writing",
    "general",
];

const MODES: [(&str, &str, &str); 3] = [
    ("in-person", "حضوری", "In person"),
    ("online", "برخط", "Online"),
    ("blended", "ترکیبی", "Blended"),
];

impl CourseForm {
    /// The value of one field, for comparing what was sent with what is
    /// stored.
    fn value(&self, path: &str) -> String {
        let digits = |s: &str| hamafza_kit::jalali::latin_digits(s);
        match path {
            "code" => self.code.clone(),
            "title.fa" => self.title_fa.clone(),
            "title.en" => self.title_en.clone(),
            "description.fa" => self.description_fa.replace('\r', ""),
            "description.en" => self.description_en.replace('\r', ""),
            "audience.fa" => self.audience_fa.replace('\r', ""),
            "audience.en" => self.audience_en.replace('\r', ""),
            "category" => self.category.clone(),
            "hours" => digits(&self.hours),
            "delivery_mode" => self.delivery_mode.clone(),
            "passing_score" => digits(&self.passing_score),
            "min_attendance_percent" => digits(&self.min_attendance_percent),
            "certificate_validity_months" => digits(&self.certificate_validity_months),
            "requires_manager_approval" => self.requires_manager_approval.to_string(),
            "prerequisite_course_ids" => {
                let mut ids = self.prerequisites.clone();
                ids.sort();
                ids.join(",")
            }
            _ => String::new(),
        }
    }

    /// The details to send, or the problems the gateway itself sees (a
    /// number that is not one).
    fn details(&self, lang: Lang) -> Result<cpb::CourseDetails, Problems> {
        let mut problems = Problems::default();
        let mut number =
            |name: &str, value: &str| parse_number(lang, &mut problems, name, value).unwrap_or(0);
        let hours = number("details.hours", &self.hours);
        let passing_score = number("details.passing_score", &self.passing_score);
        let min_attendance = number(
            "details.min_attendance_percent",
            &self.min_attendance_percent,
        );
        let validity = parse_number(
            lang,
            &mut problems,
            "details.certificate_validity_months",
            &self.certificate_validity_months,
        );
        let mode = match self.delivery_mode.as_str() {
            "in-person" => cpb::DeliveryMode::InPerson,
            "online" => cpb::DeliveryMode::Online,
            "blended" => cpb::DeliveryMode::Blended,
            _ => cpb::DeliveryMode::Unspecified,
        };
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(cpb::CourseDetails {
            code: self.code.clone(),
            title: Some(LocalizedText {
                fa: self.title_fa.clone(),
                en: self.title_en.clone(),
            }),
            description: Some(LocalizedText {
                fa: self.description_fa.replace('\r', ""),
                en: self.description_en.replace('\r', ""),
            }),
            category: self.category.clone(),
            hours,
            delivery_mode: mode.into(),
            passing_score,
            min_attendance_percent: min_attendance,
            certificate_validity_months: validity,
            prerequisite_course_ids: self.prerequisites.clone(),
            requires_manager_approval: self.requires_manager_approval,
            audience: Some(LocalizedText {
                fa: self.audience_fa.replace('\r', ""),
                en: self.audience_en.replace('\r', ""),
            }),
        })
    }
}

impl EditForm for CourseForm {
    type Item = cpb::Course;

    fn stored(lang: Lang, course: &cpb::Course) -> Self {
        let d = course.details.clone().unwrap_or_default();
        let text = |t: &Option<LocalizedText>| t.clone().unwrap_or_default();
        let (title, description, audience) =
            (text(&d.title), text(&d.description), text(&d.audience));
        let mode = match d.delivery_mode() {
            cpb::DeliveryMode::InPerson => "in-person",
            cpb::DeliveryMode::Online => "online",
            cpb::DeliveryMode::Blended => "blended",
            cpb::DeliveryMode::Unspecified => "",
        };
        Self {
            code: d.code.clone(),
            title_fa: title.fa,
            title_en: title.en,
            description_fa: description.fa,
            description_en: description.en,
            audience_fa: audience.fa,
            audience_en: audience.en,
            category: d.category.clone(),
            hours: lang.num(d.hours),
            delivery_mode: mode.to_owned(),
            passing_score: lang.num(d.passing_score),
            min_attendance_percent: lang.num(d.min_attendance_percent),
            certificate_validity_months: d
                .certificate_validity_months
                .map(|m| lang.num(m))
                .unwrap_or_default(),
            requires_manager_approval: d.requires_manager_approval,
            prerequisites: d.prerequisite_course_ids.clone(),
            request_id: String::new(),
        }
    }

    fn posted(values: &Values) -> Self {
        let get = |k: &str| first(values, k).trim().to_owned();
        let mut prerequisites = values
            .get("details.prerequisite_course_ids")
            .cloned()
            .unwrap_or_default();
        prerequisites.retain(|p| !p.is_empty());
        Self {
            code: get("details.code"),
            title_fa: get("details.title.fa"),
            title_en: get("details.title.en"),
            description_fa: first(values, "details.description.fa").to_owned(),
            description_en: first(values, "details.description.en").to_owned(),
            audience_fa: first(values, "details.audience.fa").to_owned(),
            audience_en: first(values, "details.audience.en").to_owned(),
            category: get("details.category"),
            hours: get("details.hours"),
            delivery_mode: get("details.delivery_mode"),
            passing_score: get("details.passing_score"),
            min_attendance_percent: get("details.min_attendance_percent"),
            certificate_validity_months: get("details.certificate_validity_months"),
            requires_manager_approval: !first(values, "details.requires_manager_approval")
                .is_empty(),
            prerequisites,
            request_id: get("request_id"),
        }
    }

    fn differing(&self, posted: &Self, lang: Lang) -> Vec<&'static str> {
        FIELDS
            .iter()
            .filter(|(mask, _, _)| self.value(mask) != posted.value(mask))
            .map(|(_, _, label)| lang.pick(label.0, label.1))
            .collect()
    }
}

/// The input a course violation's path names.
fn input_of(path: &str) -> Option<String> {
    let key = super::field_key(path);
    FIELDS
        .iter()
        .find(|(mask, _, _)| {
            *mask == key || key.starts_with(&format!("{mask}.")) || key == mask.replace(".fa", "")
        })
        .map(|(_, input, _)| (*input).to_owned())
        .or_else(|| match key.as_str() {
            "title" => Some("details.title.fa".to_owned()),
            "description" => Some("details.description.fa".to_owned()),
            "audience" => Some("details.audience.fa".to_owned()),
            _ => None,
        })
}

/// Where the form is: a new course, or an existing one at an etag.
struct Target<'a> {
    course: Option<&'a cpb::Course>,
    etag: &'a str,
}

impl Target<'_> {
    /// Whether the course is past its draft (the service edits drafts only).
    fn locked(&self) -> bool {
        self.course
            .is_some_and(|c| c.status() != cpb::CatalogStatus::Draft)
    }
}

fn form_body(
    lang: Lang,
    csrf: &str,
    target: &Target<'_>,
    values: &CourseForm,
    problems: &Problems,
    notice: Markup,
    courses: &[cpb::Course],
) -> Markup {
    let action = match target.course {
        Some(course) => format!("/admin/courses/{}", course.id),
        None => "/admin/courses/new".to_owned(),
    };
    let label = |mask: &str| {
        FIELDS
            .iter()
            .find(|(m, _, _)| *m == mask)
            .map_or(("", ""), |(_, _, label)| *label)
    };
    html! {
        (notice)
        (problems.summary(lang))
        form.admin method="post" action=(action) novalidate {
            input type="hidden" name="csrf" value=(csrf);
            @if target.course.is_some() {
                input type="hidden" name="etag" value=(target.etag);
            } @else {
                input type="hidden" name="request_id" value=(values.request_id);
            }
            fieldset.plain disabled[target.locked()] {
            div.grid {
                (field(lang, "details.code", label("code"), problems,
                    html! { (latin_input("details.code", &values.code, problems)) }))
                (field(lang, "details.category", label("category"), problems, html! {
                    input type="text" dir="ltr" id="details.category" name="details.category"
                        value=(values.category) list="categories"
                        aria-invalid=[problems.get("details.category").is_some().then_some("true")];
                    datalist id="categories" {
                        @for slug in CATEGORIES {
                            option value=(slug) { (crate::i18n::category_name(lang, slug)) }
                        }
                    }
                }))
            }
            (bilingual(lang, "details.title", ("عنوان", "Title"),
                (&values.title_fa, &values.title_en), problems, false))
            (bilingual(lang, "details.description", ("توضیح", "Description"),
                (&values.description_fa, &values.description_en), problems, true))
            (bilingual(lang, "details.audience", ("مخاطبان دوره", "Who it is for"),
                (&values.audience_fa, &values.audience_en), problems, true))
            div.grid {
                (field(lang, "details.hours", label("hours"), problems,
                    number_input("details.hours", &values.hours, problems)))
                (field(lang, "details.delivery_mode", label("delivery_mode"), problems, html! {
                    select id="details.delivery_mode" name="details.delivery_mode" {
                        option value="" { "—" }
                        @for (value, fa, en) in MODES {
                            option value=(value) selected[values.delivery_mode == value] {
                                (lang.pick(fa, en))
                            }
                        }
                    }
                }))
                (field(lang, "details.passing_score", label("passing_score"), problems,
                    number_input("details.passing_score", &values.passing_score, problems)))
                (field(lang, "details.min_attendance_percent", label("min_attendance_percent"),
                    problems, number_input("details.min_attendance_percent",
                        &values.min_attendance_percent, problems)))
                (field(lang, "details.certificate_validity_months",
                    label("certificate_validity_months"), problems,
                    number_input("details.certificate_validity_months",
                        &values.certificate_validity_months, problems)))
            }
            p { label.choice {
                input type="checkbox" name="details.requires_manager_approval" value="true"
                    checked[values.requires_manager_approval];
                " " (lang.pick("ثبت‌نام به تأیید مدیر شرکت نیاز دارد", "Enrolment needs the company manager's approval"))
            } }
            fieldset.choices.invalid[problems.get("details.prerequisite_course_ids").is_some()] {
                legend { (lang.pick("پیش‌نیازها", "Prerequisites")) }
                @if courses.is_empty() {
                    p.muted { (lang.pick("درس دیگری نیست.", "No other course.")) }
                }
                @for course in courses {
                    @let d = course.details.clone().unwrap_or_default();
                    label.choice {
                        input type="checkbox" name="details.prerequisite_course_ids"
                            value=(course.id) checked[values.prerequisites.contains(&course.id)];
                        " " bdi.ltr { (d.code) } " — " (lang.text(d.title.as_ref()))
                    }
                }
                @if let Some(problem) = problems.get("details.prerequisite_course_ids") {
                    p.field-error { (problem) }
                }
            }
            @if !target.locked() {
                button type="submit" {
                    @if target.course.is_some() { (lang.pick("ذخیره", "Save")) }
                    @else { (lang.pick("ایجاد درس", "Create the course")) }
                }
            }
            }
        }
    }
}

/// The course's heading: status and the next step.
fn course_heading(lang: Lang, csrf: &str, course: &cpb::Course) -> Markup {
    let review = course.review.clone().unwrap_or_default();
    html! {
        p {
            (catalog_badge(lang, course.status()))
            @if course.status() == cpb::CatalogStatus::Submitted {
                " " span.muted {
                    (lang.pick("رأی موافق: ", "Approvals: "))
                    (lang.num(review.approvals)) " / " (lang.num(review.required_approvals))
                }
            }
        }
        (catalog_actions(lang, csrf, "courses", &course.id, course.status()))
    }
}

/// A catalog status as a badge.
pub fn catalog_badge(lang: Lang, status: cpb::CatalogStatus) -> Markup {
    let words = match status {
        cpb::CatalogStatus::Draft => ("پیش‌نویس", "Draft", ""),
        cpb::CatalogStatus::Submitted => ("در انتظار شورا", "With the council", "warn"),
        cpb::CatalogStatus::Approved => ("تأییدشده", "Approved", "ok"),
        cpb::CatalogStatus::Published => ("منتشرشده", "Published", "ok"),
        cpb::CatalogStatus::Retired => ("بایگانی", "Retired", "bad"),
        cpb::CatalogStatus::Unspecified => ("—", "—", ""),
    };
    badge(lang, words)
}

/// The next step of a course or program in `status`, as a button.
pub fn catalog_actions(
    lang: Lang,
    csrf: &str,
    kind: &str,
    id: &str,
    status: cpb::CatalogStatus,
) -> Markup {
    let actions: &[(&str, &str, &str)] = match status {
        cpb::CatalogStatus::Draft => &[("submit", "فرستادن برای شورا", "Submit to the council")],
        cpb::CatalogStatus::Approved => &[("publish", "انتشار", "Publish")],
        cpb::CatalogStatus::Published => &[("retire", "بایگانی", "Retire")],
        _ => &[],
    };
    html! {
        @for (action, fa, en) in actions {
            form.inline method="post" action={ "/admin/" (kind) "/" (id) "/" (action) } {
                input type="hidden" name="csrf" value=(csrf);
                button.secondary[*action == "retire"] type="submit" { (lang.pick(fa, en)) }
            }
            " "
        }
    }
}

/// A next step of a course or program in the catalog, as its form posts it
/// to `/admin/{kind}/{id}/{step}`.
#[derive(Clone, Copy)]
pub enum CatalogStep {
    Submit,
    Publish,
    Retire,
}

impl CatalogStep {
    /// The step `action` names, or a page saying there is no such action.
    pub fn parse(lang: Lang, action: &str) -> Result<Self, PageError> {
        match action {
            "submit" => Ok(Self::Submit),
            "publish" => Ok(Self::Publish),
            "retire" => Ok(Self::Retire),
            _ => Err(PageError::api(
                lang,
                hamafza_kit::ApiError::not_found("action", action),
            )),
        }
    }

    /// The `done` word of the redirect after it, for its flash.
    pub fn done(self) -> &'static str {
        match self {
            Self::Submit => "submitted",
            Self::Publish => "published",
            Self::Retire => "retired",
        }
    }
}

/// Courses, made at `/admin/courses/new` and edited at `/admin/courses/{id}`.
pub struct Courses;

impl Editor for Courses {
    type Item = cpb::Course;
    type Form = CourseForm;
    type Choices = Vec<cpb::Course>;

    const BASE: &'static str = "/admin/courses";

    async fn get(caller: &AsCaller, lang: Lang, id: &str) -> Result<cpb::Course, PageError> {
        caller
            .courses()
            .get_course(cpb::GetCourseRequest {
                course_id: id.to_owned(),
            })
            .await
            .page(lang)
            .map(|r| r.course.unwrap_or_default())
    }

    /// The courses not retired other than the one edited, for prerequisites.
    /// The other courses, for prerequisites: those not retired and those
    /// the course already requires.
    async fn choices(
        caller: &AsCaller,
        editing: Option<&cpb::Course>,
    ) -> Result<Vec<cpb::Course>, Status> {
        let held = editing
            .and_then(|c| c.details.as_ref())
            .map(|d| d.prerequisite_course_ids.clone())
            .unwrap_or_default();
        let mut courses = live_courses_and(caller, &held).await?;
        courses.retain(|c| Some(&c.id) != editing.map(|e| &e.id));
        Ok(courses)
    }

    /// Masked to the fields the form holds.
    async fn update(
        caller: &AsCaller,
        lang: Lang,
        id: &str,
        etag: String,
        form: &CourseForm,
    ) -> Result<(), Refused> {
        let details = form.details(lang).map_err(Refused::Form)?;
        caller
            .courses()
            .update_course(cpb::UpdateCourseRequest {
                course_id: id.to_owned(),
                details: Some(details),
                etag,
                update_mask: mask(FIELDS.map(|(path, _, _)| path)),
            })
            .await?;
        Ok(())
    }

    fn problems(lang: Lang, error: &ApiError, _: &CourseForm) -> Problems {
        Problems::from_error(lang, error, input_of).taken(lang, error, "details.code")
    }

    async fn edit_page(
        _: &AppState,
        viewer: &Viewer,
        web: &WebSession,
        course: &cpb::Course,
        shown: Showing<'_, CourseForm>,
        courses: &Vec<cpb::Course>,
    ) -> Markup {
        let lang = viewer.lang;
        let d = course.details.clone().unwrap_or_default();
        let title = format!("{} — {}", d.code, lang.text(d.title.as_ref()));
        let target = Target {
            course: Some(course),
            etag: &course.etag,
        };
        frame(
            viewer,
            &title,
            "",
            html! {
                (course_heading(lang, &web.csrf, course))
                @if course.status() != cpb::CatalogStatus::Draft {
                    p.muted { (lang.pick(
                        "فقط پیش‌نویس را می‌توان ویرایش کرد.",
                        "Only a draft can be edited."
                    )) }
                }
                (form_body(lang, &web.csrf, &target, shown.values, &shown.problems, shown.notice, courses))
                p { a href={ "/admin/sessions/new?course=" (course.id) } {
                    (lang.pick("دورهٔ تازه از این درس", "A new session of this course"))
                } }
            },
        )
    }
}

impl Creator for Courses {
    type NewQuery = NoQuery;

    fn blank(lang: Lang, _: NoQuery) -> CourseForm {
        CourseForm {
            passing_score: lang.num(60),
            min_attendance_percent: lang.num(80),
            request_id: super::new_request_id(),
            ..CourseForm::default()
        }
    }

    async fn create(caller: &AsCaller, lang: Lang, form: &CourseForm) -> Result<String, Refused> {
        let details = form.details(lang).map_err(Refused::Form)?;
        let created = caller
            .courses()
            .create_course(cpb::CreateCourseRequest {
                details: Some(details),
                request_id: form.request_id.clone(),
            })
            .await?;
        Ok(created.into_inner().course.unwrap_or_default().id)
    }

    fn new_page(
        viewer: &Viewer,
        csrf: &str,
        shown: Showing<'_, CourseForm>,
        courses: &Vec<cpb::Course>,
    ) -> Markup {
        let lang = viewer.lang;
        let target = Target {
            course: None,
            etag: "",
        };
        frame(
            viewer,
            lang.pick("درس تازه", "New course"),
            "/admin/courses/new",
            form_body(
                lang,
                csrf,
                &target,
                shown.values,
                &shown.problems,
                shown.notice,
                courses,
            ),
        )
    }
}

impl CatalogEntry for Courses {
    async fn step(caller: &AsCaller, step: CatalogStep, course_id: String) -> Result<(), Status> {
        let mut client = caller.courses();
        match step {
            CatalogStep::Submit => client
                .submit_course(cpb::SubmitCourseRequest { course_id })
                .await
                .map(drop),
            CatalogStep::Publish => client
                .publish_course(cpb::PublishCourseRequest { course_id })
                .await
                .map(drop),
            CatalogStep::Retire => client
                .retire_course(cpb::RetireCourseRequest { course_id })
                .await
                .map(drop),
        }
    }
}
