//! «مدیریت»: the holding's back office for platform admins — the catalog at
//! a glance and the forms for courses, sessions, programs, organizations,
//! events, the people directory and certificates. Every rule is the
//! services': these pages call them with the admin's own token and show
//! their refusals beside the fields they name, worded from the gateway's own
//! catalogue ([`field_words`]).

pub mod certificates;
pub mod council;
pub mod courses;
pub mod dashboard;
pub mod editor;
pub mod events;
pub mod orgs;
pub mod people;
pub mod programs;
pub mod sessions;

use std::collections::{BTreeMap, HashMap};

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use hamafza_kit::ApiError;
use hamafza_kit::auth::Role;
use maud::{Markup, html};

use crate::i18n::{Lang, refusal};
use crate::pages::forms::{first, form_values};
use crate::pages::layout::page;
use crate::sessions::WebSession;
use crate::web::{PageError, Viewer, check_csrf};

/// The signed-in platform admin, or a page saying this is for them.
pub fn admin(viewer: &Viewer) -> Result<&WebSession, PageError> {
    let web = viewer.require()?;
    if web.caller.has(Role::PlatformAdmin) {
        Ok(web)
    } else {
        Err(PageError::api(
            viewer.lang,
            ApiError::permission_denied("for the holding's platform admins"),
        ))
    }
}

/// The tabs of the back office, `current` marked.
pub fn tabs(lang: Lang, current: &str) -> Markup {
    let items = [
        ("/admin", "نمای کلی", "Overview"),
        ("/admin/courses/new", "درس تازه", "New course"),
        ("/admin/sessions/new", "دورهٔ تازه", "New session"),
        ("/admin/hosting", "پیشنهادهای میزبانی", "Hosting proposals"),
        ("/admin/programs", "برنامه‌ها", "Programs"),
        ("/admin/orgs", "شرکت‌ها", "Organizations"),
        ("/admin/events", "رویدادها", "Events"),
        ("/admin/people", "فهرست کارکنان", "People directory"),
        ("/admin/certificates", "گواهی‌ها", "Certificates"),
        ("/admin/council", "تنظیمات شورا", "Council settings"),
        (
            "/admin/evaluations",
            "ارزشیابی دوره‌ها",
            "Course evaluations",
        ),
    ];
    html! {
        nav.tabs aria-label=(lang.pick("بخش‌های مدیریت", "Back office sections")) {
            @for (href, fa, en) in items {
                @if href == current {
                    a.current href=(href) aria-current="page" { (lang.pick(fa, en)) }
                } @else {
                    a href=(href) { (lang.pick(fa, en)) }
                }
            }
        }
    }
}

/// A back-office page: the section's name, its tabs, the title and `body`.
pub fn frame(viewer: &Viewer, title: &str, current: &str, body: Markup) -> Markup {
    let lang = viewer.lang;
    page(
        viewer,
        title,
        html! {
            p.muted { (lang.pick("مدیریت هم‌افزا", "Hamafza back office")) }
            (tabs(lang, current))
            h1 { (title) }
            (body)
        },
    )
}

/// A list of the back office: a table that scrolls sideways on a phone,
/// headed by `headers` (Persian, English), with `rows`.
pub fn list_table(lang: Lang, headers: &[(&str, &str)], rows: Markup) -> Markup {
    html! {
        div.scroll tabindex="0" { table.admin-list {
            thead { tr { @for (fa, en) in headers { th { (lang.pick(fa, en)) } } } }
            tbody { (rows) }
        } }
    }
}

/// A list of the back office as a page: the flash after a redirect, a
/// button to make a new one (`new`, at `{current}/new`) and the table.
pub fn list_page(
    viewer: &Viewer,
    title: &str,
    current: &str,
    done: &str,
    new: &str,
    headers: &[(&str, &str)],
    rows: Markup,
) -> Markup {
    let lang = viewer.lang;
    frame(
        viewer,
        title,
        current,
        html! {
            (flash(lang, done))
            p { a.button href={ (current) "/new" } { (new) } }
            (list_table(lang, headers, rows))
        },
    )
}

/// A form posted to the back office: the signed-in platform admin and the
/// posted values, once the form's CSRF token is checked.
pub fn posted<'v>(
    viewer: &'v Viewer,
    body: &[u8],
) -> Result<(&'v WebSession, HashMap<String, Vec<String>>), PageError> {
    let web = admin(viewer)?;
    let values = form_values(body);
    check_csrf(viewer, first(&values, "csrf"))?;
    Ok((web, values))
}

/// A redirect after a change (303, so a reload does not repeat it).
pub fn see_other(location: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, location.to_owned())],
    )
        .into_response()
}

/// A fresh request id for a form that makes an idempotent call.
pub fn new_request_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}

/// What is wrong with a submitted form: words beside inputs (by input name)
/// and words for the whole form.
#[derive(Debug, Default)]
pub struct Problems {
    fields: BTreeMap<String, String>,
    general: Vec<String>,
}

impl Problems {
    /// Words beside the input `name` (the first problem of an input wins).
    pub fn add(&mut self, name: impl Into<String>, words: impl Into<String>) {
        self.fields
            .entry(name.into())
            .or_insert_with(|| words.into());
    }

    /// Words for the whole form.
    pub fn add_general(&mut self, words: impl Into<String>) {
        self.general.push(words.into());
    }

    /// Whether nothing is wrong.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.general.is_empty()
    }

    /// The words beside the input `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }

    /// A service's refusal: each field violation beside the input
    /// `input_of(path)` names (or for the whole form when none does), worded
    /// by its field; a refusal without violations by its reason.
    pub fn from_error(
        lang: Lang,
        error: &ApiError,
        input_of: impl Fn(&str) -> Option<String>,
    ) -> Self {
        let mut problems = Self::default();
        for violation in error.violations() {
            let words = field_words(lang, &violation.field);
            match input_of(&violation.field) {
                Some(input) => problems.add(input, words),
                None => problems.add_general(words),
            }
        }
        if error.violations().is_empty() {
            problems.add_general(refusal(lang, error));
        }
        problems
    }

    /// A refusal for a code another record holds (`ALREADY_EXISTS`), put
    /// beside the code's input `input` instead of on top of the form.
    #[must_use]
    pub fn taken(mut self, lang: Lang, error: &ApiError, input: &str) -> Self {
        if error.code() == hamafza_kit::ErrorCode::AlreadyExists {
            self.general.clear();
            self.add(
                input,
                lang.pick(
                    "این کد پیش‌تر ثبت شده است؛ کد دیگری بنویسید.",
                    "This code is taken; choose another.",
                ),
            );
        }
        self
    }

    /// The notice on top of a refused form.
    pub fn summary(&self, lang: Lang) -> Markup {
        html! {
            @if !self.is_empty() {
                div.error role="alert" {
                    @if !self.fields.is_empty() {
                        p { (lang.pick(
                            "فرم ذخیره نشد؛ ایرادها کنار هر خانه نوشته شده است.",
                            "The form was not saved; each problem is shown beside its field."
                        )) }
                    }
                    @for words in &self.general { p { (words) } }
                }
            }
        }
    }
}

/// A field path with its indices and the `details.` prefix dropped
/// (`details.meetings[1].start_time` → `meetings.start_time`).
pub fn field_key(path: &str) -> String {
    let mut key = String::with_capacity(path.len());
    let mut skipping = false;
    for c in path.chars() {
        match c {
            '[' => skipping = true,
            ']' => skipping = false,
            _ if !skipping => key.push(c),
            _ => {}
        }
    }
    key.strip_prefix("details.").unwrap_or(&key).to_owned()
}

/// The index in a path such as `details.meetings[1].start_time`.
pub fn field_index(path: &str) -> Option<usize> {
    let start = path.find('[')? + 1;
    let end = start + path[start..].find(']')?;
    path[start..end].parse().ok()
}

/// The words beside a field a service named as wrong: the gateway's own
/// catalogue by the field's path, never the service's English description.
pub fn field_words(lang: Lang, path: &str) -> &'static str {
    let key = field_key(path);
    let (fa, en) = match key.as_str() {
        "code" => (
            "کد لازم است: حروف بزرگ لاتین، رقم و خط تیره، مانند PR-210.",
            "A code is required: capital Latin letters, digits and dashes, like PR-210.",
        ),
        "title.fa" | "name.fa" => (
            "عنوان فارسی لازم است (حداکثر ۲۰۰ نویسه، یک سطر).",
            "The Persian title is required (one line, at most 200 characters).",
        ),
        "title.en" | "name.en" => (
            "عنوان انگلیسی لازم است (حداکثر ۲۰۰ نویسه، یک سطر).",
            "The English title is required (one line, at most 200 characters).",
        ),
        "description.fa" | "description.en" => (
            "توضیح بیش از اندازه بلند است یا نویسهٔ نامجاز دارد.",
            "The description is too long or has characters that are not allowed.",
        ),
        "audience.fa" | "audience.en" => (
            "«مخاطبان دوره» حداکثر ۱۰۰۰ نویسه است و نویسهٔ نامجاز ندارد.",
            "“Who it is for” takes at most 1000 characters, none of them disallowed.",
        ),
        "category" => (
            "دسته لازم است: حروف کوچک لاتین و خط تیره، مانند media-relations.",
            "A category is required: lower-case Latin letters and dashes, like media-relations.",
        ),
        "hours" => (
            "ساعت‌ها باید عددی میان ۱ و ۱۰۰۰ باشد.",
            "Hours must be a number from 1 to 1000.",
        ),
        "delivery_mode" => ("شیوهٔ برگزاری را انتخاب کنید.", "Pick a delivery mode."),
        "passing_score" | "min_attendance_percent" => {
            ("عددی میان ۰ و ۱۰۰ بنویسید.", "Give a number from 0 to 100.")
        }
        "certificate_validity_months" => (
            "اعتبار گواهی باید میان ۱ و ۱۲۰ ماه باشد، یا خالی برای همیشگی.",
            "Validity must be 1 to 120 months, or empty for no expiry.",
        ),
        "prerequisite_course_ids" => (
            "پیش‌نیازها درست نیستند: درسی تکراری، ناموجود یا خود همین درس است.",
            "The prerequisites are not valid: a course is repeated, unknown, or this course itself.",
        ),
        "courses" | "courses.course_id" => (
            "درس‌های برنامه درست نیستند: دست‌کم یک درس موجود و بدون تکرار.",
            "The program's courses are not valid: at least one existing course, none twice.",
        ),
        "meetings" => (
            "دست‌کم یک جلسه و حداکثر ۱۰۰ جلسه لازم است و جلسه‌ها نباید هم‌پوشانی داشته باشند.",
            "At least one meeting is needed, at most 100, and meetings must not overlap.",
        ),
        "meetings.start_time" | "start_time" => (
            "تاریخ و ساعت شروع درست نیست.",
            "The start date and time are not valid.",
        ),
        "meetings.end_time" | "end_time" => (
            "پایان باید پس از شروع باشد.",
            "The end must come after the start.",
        ),
        "meetings.topic.fa" | "meetings.topic.en" => (
            "موضوع جلسه بیش از اندازه بلند است.",
            "The meeting's topic is too long.",
        ),
        "venue" | "venue.fa" | "venue.en" | "place" | "place.fa" | "place.en" => (
            "مکان لازم است (برای برگزاری حضوری) و باید یک سطر باشد.",
            "A venue is required (for in-person delivery) and must be one line.",
        ),
        "online_url" | "url" => (
            "نشانی باید با https:// آغاز شود (برای برگزاری برخط لازم است).",
            "The link must start with https:// (required for online delivery).",
        ),
        "instructor" | "instructor.subject" | "instructor.name" | "instructor.organization_id" => (
            "مدرس را از فهرست انتخاب کنید.",
            "Pick the instructor from the list.",
        ),
        "capacity" => (
            "ظرفیت باید عددی میان ۱ و ۱۰۰۰ باشد.",
            "Capacity must be a number from 1 to 1000.",
        ),
        "quotas" | "quotas.seats" | "quotas.organization_id" => (
            "سهمیه‌ها درست نیستند: هر شرکت یک بار، و جمع سهمیه‌ها بیش از ظرفیت نباشد.",
            "The quotas are not valid: each company once, and together no more than the capacity.",
        ),
        "enrolment_window" | "enrolment_window.start_time" => (
            "آغاز مهلت ثبت‌نام درست نیست؛ باید پیش از پایان آن باشد.",
            "The enrolment window's start is not valid: it must be before its end.",
        ),
        "enrolment_window.end_time" => (
            "پایان مهلت ثبت‌نام باید پس از آغاز آن و تا پایان آخرین جلسه باشد.",
            "The enrolment window must end after it starts and by the end of the last meeting.",
        ),
        "organization_id" => (
            "شناسهٔ شرکت: حروف کوچک لاتین، رقم و خط تیره، مانند msc.",
            "The organization id: lower-case Latin letters, digits and dashes, like msc.",
        ),
        "kind" => ("نوع را انتخاب کنید.", "Pick a kind."),
        "parent_organization_id" | "organizer_organization_id" => (
            "شرکتی ثبت‌شده انتخاب کنید (نه خود همین).",
            "Pick a registered organization (not this one).",
        ),
        "participating_organization_ids" => (
            "شرکت‌های شرکت‌کننده درست نیستند.",
            "The participating organizations are not valid.",
        ),
        "etag" => (
            "نسخهٔ فرم شناخته نشد؛ صفحه را دوباره باز کنید.",
            "The form's version was not recognized; reload the page.",
        ),
        "reason" => ("دلیل را بنویسید (یک سطر).", "Give a reason (one line)."),
        "serial" => ("شمارهٔ گواهی درست نیست.", "The serial is not valid."),
        "trainee.subject" | "trainee" | "trainee.name" | "trainee.organization_id" => (
            "فرد را از فهرست کارکنان انتخاب کنید.",
            "Pick the person from the directory.",
        ),
        "completion_time" => (
            "تاریخ پایان دوره درست نیست.",
            "The completion date is not valid.",
        ),
        "course_id" | "program_id" => ("درس را انتخاب کنید.", "Pick a course."),
        "score" | "validity_months" => ("عدد درست نیست.", "The number is not valid."),
        _ => ("این مقدار پذیرفته نشد.", "This value was not accepted."),
    };
    lang.pick(fa, en)
}

/// A labelled input with its problem beside it.
pub fn field(
    lang: Lang,
    name: &str,
    label: (&str, &str),
    problems: &Problems,
    input: Markup,
) -> Markup {
    let problem = problems.get(name);
    html! {
        div.field.invalid[problem.is_some()] {
            label for=(name) { (lang.pick(label.0, label.1)) }
            (input)
            @if let Some(problem) = problem {
                p.field-error id={ (name) "-error" } { (problem) }
            }
        }
    }
}

/// A one-line text input named `name`.
pub fn text_input(name: &str, value: &str, problems: &Problems) -> Markup {
    let invalid = problems.get(name).is_some();
    html! {
        input type="text" id=(name) name=(name) value=(value)
            aria-invalid=[invalid.then_some("true")]
            aria-describedby=[invalid.then(|| format!("{name}-error"))];
    }
}

/// A one-line input for Latin identifiers (codes, ids), left to right.
pub fn latin_input(name: &str, value: &str, problems: &Problems) -> Markup {
    let invalid = problems.get(name).is_some();
    html! {
        input type="text" dir="ltr" id=(name) name=(name) value=(value)
            aria-invalid=[invalid.then_some("true")]
            aria-describedby=[invalid.then(|| format!("{name}-error"))];
    }
}

/// A number input named `name`.
pub fn number_input(name: &str, value: &str, problems: &Problems) -> Markup {
    let invalid = problems.get(name).is_some();
    html! {
        input type="text" inputmode="numeric" id=(name) name=(name) value=(value) size="6"
            aria-invalid=[invalid.then_some("true")]
            aria-describedby=[invalid.then(|| format!("{name}-error"))];
    }
}

/// The Persian and English versions of one text side by side (`{base}.fa`,
/// `{base}.en`), as a line or, `multiline`, a paragraph.
pub fn bilingual(
    lang: Lang,
    base: &str,
    label: (&str, &str),
    values: (&str, &str),
    problems: &Problems,
    multiline: bool,
) -> Markup {
    let one = |suffix: &str, value: &str, dir: &str| {
        let name = format!("{base}.{suffix}");
        let invalid = problems.get(&name).is_some();
        let (fa, en) = if suffix == "fa" {
            ("فارسی", "Persian")
        } else {
            ("انگلیسی", "English")
        };
        let caption = (format!("{} ({fa})", label.0), format!("{} ({en})", label.1));
        html! {
            div.field.invalid[invalid] {
                label for=(name) { (lang.pick(&caption.0, &caption.1)) }
                @if multiline {
                    textarea id=(name) name=(name) dir=(dir) lang=(suffix)
                        aria-invalid=[invalid.then_some("true")] { (value) }
                } @else {
                    input type="text" id=(name) name=(name) value=(value) dir=(dir) lang=(suffix)
                        aria-invalid=[invalid.then_some("true")];
                }
                @if let Some(problem) = problems.get(&name) {
                    p.field-error id={ (name) "-error" } { (problem) }
                }
            }
        }
    };
    html! {
        div.pair {
            (one("fa", values.0, "rtl"))
            (one("en", values.1, "ltr"))
        }
    }
}

/// The notice that someone else changed a resource while this person edited
/// it: the form now holds the stored values, and `differing` names (in the
/// viewer's language) the fields whose stored value is not what they sent.
pub fn changed_meanwhile(lang: Lang, differing: &[&str]) -> Markup {
    html! {
        div.error.changed role="alert" {
            p { strong { (lang.pick(
                "کس دیگری در این فاصله آن را تغییر داد؛ تغییر شما ذخیره نشد.",
                "Someone else changed it meanwhile; your change was not saved."
            )) } }
            @if differing.is_empty() {
                p { (lang.pick(
                    "مقدارهای ذخیره‌شده همان‌هایی است که فرستادید.",
                    "The stored values are what you sent."
                )) }
            } @else {
                p { (lang.pick(
                    "این خانه‌ها اکنون با آنچه فرستادید فرق دارند:",
                    "These fields now differ from what you sent:"
                )) }
                ul.differing { @for name in differing { li { (name) } } }
            }
            p { (lang.pick(
                "فرم اکنون مقدارهای ذخیره‌شده را نشان می‌دهد؛ تغییر خود را دوباره اعمال کنید و ذخیره کنید.",
                "The form now shows the stored values; make your change again and save."
            )) }
        }
    }
}

/// A posted form's values by input name.
pub type Values = HashMap<String, Vec<String>>;

/// A back-office form: its values read from what is stored and from what was
/// posted, and what re-showing a refused update needs.
pub trait EditForm: Sized {
    /// What the form is of, as its service returns it.
    type Item;

    /// The form holding what is stored.
    fn stored(lang: Lang, item: &Self::Item) -> Self;

    /// The form as posted.
    fn posted(values: &Values) -> Self;

    /// The labels (in the viewer's language) of the fields where `self`,
    /// what is stored now, differs from `posted`.
    fn differing(&self, posted: &Self, lang: Lang) -> Vec<&'static str>;
}

/// What an edit page shows: the form's values, the problems beside them, a
/// notice on top, and the status the page goes out with.
pub struct Showing<'a, F> {
    /// 200 at first; after a refused update, 409 when someone changed the
    /// resource meanwhile, 422 otherwise.
    pub status: StatusCode,
    /// The values the form holds.
    pub values: &'a F,
    /// The problems beside the fields.
    pub problems: Problems,
    /// The notice on top of the form.
    pub notice: Markup,
}

impl<'a, F> Showing<'a, F> {
    /// The page as first shown: 200, `values` (blank, or the stored ones)
    /// and `notice` (the flash after a redirect) on top.
    pub fn first(values: &'a F, notice: Markup) -> Self {
        Self {
            status: StatusCode::OK,
            values,
            problems: Problems::default(),
            notice,
        }
    }

    /// Problems found before anything was sent: 422 and the values as posted.
    pub fn problems(posted: &'a F, problems: Problems) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            values: posted,
            problems,
            notice: html! {},
        }
    }
}

impl<'a, F: EditForm> Showing<'a, F> {
    /// After the service refused the update: with a stale etag, 409 and the
    /// values stored now, naming the fields someone changed meanwhile;
    /// otherwise 422 and the values as posted with `problems` beside them.
    pub fn refused(
        lang: Lang,
        error: &ApiError,
        stored: &'a F,
        posted: &'a F,
        problems: impl FnOnce() -> Problems,
    ) -> Self {
        if is_stale(error) {
            return Self {
                status: StatusCode::CONFLICT,
                values: stored,
                problems: Problems::default(),
                notice: changed_meanwhile(lang, &stored.differing(posted, lang)),
            };
        }
        Self::problems(posted, problems())
    }
}

/// Whether a refusal is a stale etag.
pub fn is_stale(error: &ApiError) -> bool {
    error.reason() == hamafza_kit::update::ETAG_MISMATCH
}

/// A flash line from a `done` parameter after a redirect.
pub fn flash(lang: Lang, done: &str) -> Markup {
    let words = match done {
        "created" => Some(("ایجاد شد.", "Created.")),
        "saved" => Some(("ذخیره شد.", "Saved.")),
        "submitted" => Some(("برای شورا فرستاده شد.", "Sent to the council.")),
        "published" => Some(("منتشر شد.", "Published.")),
        "retired" => Some(("بایگانی شد.", "Retired.")),
        "opened" => Some(("ثبت‌نام باز شد.", "Opened for enrolment.")),
        "closed" => Some(("ثبت‌نام بسته شد.", "Closed for enrolment.")),
        "cancelled" => Some((
            "لغو شد؛ ثبت‌نام‌شدگان باخبر می‌شوند.",
            "Cancelled; those enrolled are told.",
        )),
        "revoked" => Some(("ابطال شد.", "Revoked.")),
        "issued" => Some(("صادر شد.", "Issued.")),
        "deleted" => Some(("حذف شد.", "Deleted.")),
        _ => None,
    };
    html! {
        @if let Some((fa, en)) = words {
            p.flash role="status" { (lang.pick(fa, en)) }
        }
    }
}

/// The common query of back-office pages: a flash after a redirect.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Done {
    /// What was just done.
    #[serde(default)]
    pub done: String,
}

/// The value of a `u32` input, or a problem beside it in the viewer's words
/// (digits may be Persian); empty is `None`.
pub fn parse_number(lang: Lang, problems: &mut Problems, name: &str, value: &str) -> Option<u32> {
    let ascii = hamafza_kit::jalali::latin_digits(value.trim());
    if ascii.is_empty() {
        return None;
    }
    match ascii.parse() {
        Ok(n) => Some(n),
        Err(_) => {
            problems.add(
                name,
                lang.pick("یک عدد درست بنویسید (بدون ممیز).", "Give a whole number."),
            );
            None
        }
    }
}

/// An instant from a Jalali date (`۱۴۰۵/۰۹/۲۰` or `1405/09/20`) and a time
/// of day (`09:30`, Persian digits too) in Tehran; `None` when either is not
/// one.
pub fn parse_jalali(date: &str, time: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let date = hamafza_kit::jalali::latin_digits(date.trim());
    let mut parts = date.split(['/', '-']);
    let year: i32 = parts.next()?.trim().parse().ok()?;
    let month: u8 = parts.next()?.trim().parse().ok()?;
    let day: u8 = parts.next()?.trim().parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    let (gy, gm, gd) = hamafza_kit::jalali::from_jalali(year, month, day)?;
    let time = hamafza_kit::jalali::latin_digits(time.trim());
    let time = if time.is_empty() {
        "00:00".to_owned()
    } else {
        time
    };
    let (h, m) = time.split_once(':')?;
    let (h, m): (u32, u32) = (h.trim().parse().ok()?, m.trim().parse().ok()?);
    let local =
        chrono::NaiveDate::from_ymd_opt(gy, u32::from(gm), u32::from(gd))?.and_hms_opt(h, m, 0)?;
    Some(local.and_utc() - chrono::Duration::minutes(210))
}

/// The Jalali date (`1405/09/20`) and Tehran time (`09:30`) of an instant,
/// in the viewer's digits, as a form shows them.
pub fn jalali_parts(lang: Lang, instant: chrono::DateTime<chrono::Utc>) -> (String, String) {
    use chrono::Datelike;
    let tehran = instant + chrono::Duration::minutes(210);
    let date = tehran.date_naive();
    let jalali = hamafza_kit::jalali::to_jalali(
        date.year(),
        u8::try_from(date.month()).unwrap_or(1),
        u8::try_from(date.day()).unwrap_or(1),
    );
    let day = jalali.map_or_else(String::new, |j| {
        format!("{:04}/{:02}/{:02}", j.year, j.month, j.day)
    });
    (lang.num(day), lang.num(tehran.format("%H:%M").to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_keys_and_indices() {
        assert_eq!(
            field_key("details.meetings[1].start_time"),
            "meetings.start_time"
        );
        assert_eq!(field_key("details.title.fa"), "title.fa");
        assert_eq!(field_key("name.en"), "name.en");
        assert_eq!(field_index("details.meetings[12].end_time"), Some(12));
        assert_eq!(field_index("details.code"), None);
    }

    #[test]
    fn jalali_dates_in_either_digits_on_tehran_time() {
        let persian = parse_jalali("۱۴۰۵/۰۹/۲۰", "۰۹:۳۰");
        let ascii = parse_jalali("1405/09/20", "09:30");
        assert_eq!(persian, ascii);
        let instant = ascii.unwrap();
        assert_eq!(instant.to_rfc3339(), "2026-12-11T06:00:00+00:00");
        assert_eq!(
            jalali_parts(Lang::En, instant),
            ("1405/09/20".to_owned(), "09:30".to_owned())
        );
        assert_eq!(
            parse_jalali("1404/12/30", "10:00"),
            None,
            "1404 is not leap"
        );
        assert_eq!(parse_jalali("1405/09/20", "25:00"), None);
        assert_eq!(parse_jalali("tomorrow", "09:00"), None);
    }
}
