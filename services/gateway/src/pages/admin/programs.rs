//! Programs in the back office: the year's programs, each a set of courses
//! picked from the catalog (required or elective); create, edit (conditional
//! on the etag read), submit, publish, retire.

use crate::web::Query;
use axum::extract::State;
use hamafza_kit::ApiError;
use maud::{Markup, html};
use tonic::Status;

use super::courses::{CatalogStep, catalog_actions, catalog_badge};
use super::editor::{CatalogEntry, Creator, Editor, NoQuery, Refused, Values, mask};
use super::{
    Done, EditForm, Problems, Showing, admin, bilingual, field, field_key, frame, latin_input,
    list_page,
};
use crate::AppState;
use crate::backends::AsCaller;
use crate::i18n::Lang;
use crate::pages::forms::first;
use crate::pages::lookup::{live_courses_and, programs_listed};
use crate::sessions::WebSession;
use crate::web::{PageError, PageReply, Viewer};
use hamafza_proto::common::LocalizedText;
use hamafza_proto::courses as cpb;

/// A program as the form holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProgramForm {
    code: String,
    title_fa: String,
    title_en: String,
    description_fa: String,
    description_en: String,
    /// Course ids included, each with whether it is required.
    courses: Vec<(String, bool)>,
    /// A new program's request id: a double click or a repeat makes one.
    request_id: String,
}

impl ProgramForm {
    fn details(&self) -> cpb::ProgramDetails {
        cpb::ProgramDetails {
            code: self.code.clone(),
            title: Some(LocalizedText {
                fa: self.title_fa.clone(),
                en: self.title_en.clone(),
            }),
            description: Some(LocalizedText {
                fa: self.description_fa.clone(),
                en: self.description_en.clone(),
            }),
            courses: self
                .courses
                .iter()
                .map(|(id, required)| cpb::ProgramCourse {
                    course_id: id.clone(),
                    required: *required,
                })
                .collect(),
        }
    }
}

impl EditForm for ProgramForm {
    type Item = cpb::Program;

    fn stored(_: Lang, program: &cpb::Program) -> Self {
        let d = program.details.clone().unwrap_or_default();
        let title = d.title.clone().unwrap_or_default();
        let description = d.description.clone().unwrap_or_default();
        Self {
            code: d.code.clone(),
            title_fa: title.fa,
            title_en: title.en,
            description_fa: description.fa,
            description_en: description.en,
            courses: d
                .courses
                .iter()
                .map(|c| (c.course_id.clone(), c.required))
                .collect(),
            request_id: String::new(),
        }
    }

    fn posted(values: &Values) -> Self {
        let get = |k: &str| first(values, k).trim().to_owned();
        let required = values.get("required").cloned().unwrap_or_default();
        let courses = values
            .get("course")
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .map(|id| {
                let is_required = required.contains(&id);
                (id, is_required)
            })
            .collect();
        Self {
            code: get("details.code"),
            title_fa: get("details.title.fa"),
            title_en: get("details.title.en"),
            description_fa: first(values, "details.description.fa").replace('\r', ""),
            description_en: first(values, "details.description.en").replace('\r', ""),
            courses,
            request_id: get("request_id"),
        }
    }

    fn differing(&self, other: &Self, lang: Lang) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.code != other.code {
            out.push(lang.pick("کد", "Code"));
        }
        if (&self.title_fa, &self.title_en) != (&other.title_fa, &other.title_en) {
            out.push(lang.pick("عنوان", "Title"));
        }
        if (&self.description_fa, &self.description_en)
            != (&other.description_fa, &other.description_en)
        {
            out.push(lang.pick("توضیح", "Description"));
        }
        let sorted = |c: &[(String, bool)]| {
            let mut c = c.to_vec();
            c.sort();
            c
        };
        if sorted(&self.courses) != sorted(&other.courses) {
            out.push(lang.pick("درس‌ها", "Courses"));
        }
        out
    }
}

fn input_of(path: &str) -> Option<String> {
    let key = field_key(path);
    Some(match key.as_str() {
        "code" => "details.code".to_owned(),
        "title" | "title.fa" => "details.title.fa".to_owned(),
        "title.en" => "details.title.en".to_owned(),
        "description.fa" => "details.description.fa".to_owned(),
        "description.en" => "details.description.en".to_owned(),
        k if k.starts_with("courses") => "courses".to_owned(),
        _ => return None,
    })
}

fn form_body(
    lang: Lang,
    csrf: &str,
    program: Option<&cpb::Program>,
    values: &ProgramForm,
    problems: &Problems,
    courses: &[cpb::Course],
) -> Markup {
    let action = match program {
        Some(p) => format!("/admin/programs/{}", p.id),
        None => "/admin/programs/new".to_owned(),
    };
    // The service edits drafts only.
    let locked = program.is_some_and(|p| p.status() != cpb::CatalogStatus::Draft);
    html! {
        (problems.summary(lang))
        form.admin method="post" action=(action) novalidate {
            input type="hidden" name="csrf" value=(csrf);
            @if let Some(program) = program {
                input type="hidden" name="etag" value=(program.etag);
            } @else {
                input type="hidden" name="request_id" value=(values.request_id);
            }
            fieldset.plain disabled[locked] {
            (field(lang, "details.code", ("کد", "Code"), problems,
                latin_input("details.code", &values.code, problems)))
            (bilingual(lang, "details.title", ("عنوان", "Title"),
                (&values.title_fa, &values.title_en), problems, false))
            (bilingual(lang, "details.description", ("توضیح", "Description"),
                (&values.description_fa, &values.description_en), problems, true))
            fieldset.invalid[problems.get("courses").is_some()] {
                legend { (lang.pick("درس‌های برنامه", "The program's courses")) }
                div.scroll tabindex="0" { table.fit {
                    thead { tr {
                        th { (lang.pick("در برنامه", "Included")) }
                        th { (lang.pick("درس", "Course")) }
                        th { (lang.pick("الزامی", "Required")) }
                    } }
                    tbody {
                        @for course in courses {
                            @let d = course.details.clone().unwrap_or_default();
                            @let picked = values.courses.iter().find(|(id, _)| *id == course.id);
                            tr {
                                td { input type="checkbox" name="course" value=(course.id)
                                    id={ "course-" (course.id) } checked[picked.is_some()]; }
                                td { label for={ "course-" (course.id) } {
                                    bdi.ltr { (d.code) } " — " (lang.text(d.title.as_ref())) } }
                                td { input type="checkbox" name="required" value=(course.id)
                                    aria-label=(lang.pick("الزامی", "Required"))
                                    checked[picked.is_some_and(|(_, r)| *r)]; }
                            }
                        }
                    }
                } }
                @if let Some(problem) = problems.get("courses") {
                    p.field-error { (problem) }
                }
            }
            @if locked {
                p.muted { (lang.pick("فقط پیش‌نویس را می‌توان ویرایش کرد.", "Only a draft can be edited.")) }
            } @else {
                button type="submit" {
                    @if program.is_some() { (lang.pick("ذخیره", "Save")) }
                    @else { (lang.pick("ایجاد برنامه", "Create the program")) }
                }
            }
            }
        }
    }
}

/// `GET /admin/programs`.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(done): Query<Done>,
) -> Result<Markup, PageError> {
    let lang = viewer.lang;
    let web = admin(&viewer)?;
    let programs = programs_listed(&state.backends.as_caller(&web.token))
        .await
        .map_err(|s| PageError::status(lang, s))?;
    Ok(list_page(
        &viewer,
        lang.pick("برنامه‌ها", "Programs"),
        "/admin/programs",
        &done.done,
        lang.pick("برنامهٔ تازه", "New program"),
        &[
            ("کد", "Code"),
            ("عنوان", "Title"),
            ("درس‌ها", "Courses"),
            ("وضعیت", "Status"),
            ("گام بعد", "Next step"),
        ],
        html! {
            @for program in &programs {
                @let d = program.details.clone().unwrap_or_default();
                tr {
                    td { bdi.ltr { (d.code) } }
                    td { a href={ "/admin/programs/" (program.id) } { (lang.text(d.title.as_ref())) } }
                    td { (lang.num(d.courses.len())) }
                    td { (catalog_badge(lang, program.status())) }
                    td { (catalog_actions(lang, &web.csrf, "programs", &program.id, program.status())) }
                }
            }
        },
    ))
}

/// Programs, made at `/admin/programs/new` and edited at `/admin/programs/{id}`.
pub struct Programs;

impl Editor for Programs {
    type Item = cpb::Program;
    type Form = ProgramForm;
    type Choices = Vec<cpb::Course>;

    const BASE: &'static str = "/admin/programs";

    async fn get(caller: &AsCaller, lang: Lang, id: &str) -> Result<cpb::Program, PageError> {
        caller
            .courses()
            .get_program(cpb::GetProgramRequest {
                program_id: id.to_owned(),
            })
            .await
            .page(lang)
            .map(|r| r.program.unwrap_or_default())
    }

    /// The courses not retired, and those the program already includes.
    async fn choices(
        caller: &AsCaller,
        editing: Option<&cpb::Program>,
    ) -> Result<Vec<cpb::Course>, Status> {
        let held: Vec<String> = editing
            .and_then(|p| p.details.as_ref())
            .map(|d| d.courses.iter().map(|c| c.course_id.clone()).collect())
            .unwrap_or_default();
        live_courses_and(caller, &held).await
    }

    async fn update(
        caller: &AsCaller,
        _: Lang,
        id: &str,
        etag: String,
        form: &ProgramForm,
    ) -> Result<(), Refused> {
        caller
            .courses()
            .update_program(cpb::UpdateProgramRequest {
                program_id: id.to_owned(),
                details: Some(form.details()),
                etag,
                update_mask: mask(["code", "title", "description", "courses"]),
            })
            .await?;
        Ok(())
    }

    fn problems(lang: Lang, error: &ApiError, _: &ProgramForm) -> Problems {
        Problems::from_error(lang, error, input_of).taken(lang, error, "details.code")
    }

    async fn edit_page(
        _: &AppState,
        viewer: &Viewer,
        web: &WebSession,
        program: &cpb::Program,
        shown: Showing<'_, ProgramForm>,
        courses: &Vec<cpb::Course>,
    ) -> Markup {
        let lang = viewer.lang;
        let d = program.details.clone().unwrap_or_default();
        frame(
            viewer,
            &format!("{} — {}", d.code, lang.text(d.title.as_ref())),
            Self::BASE,
            html! {
                p { (catalog_badge(lang, program.status())) " "
                    (catalog_actions(lang, &web.csrf, "programs", &program.id, program.status())) }
                (shown.notice)
                (form_body(lang, &web.csrf, Some(program), shown.values, &shown.problems, courses))
            },
        )
    }
}

impl Creator for Programs {
    type NewQuery = NoQuery;

    fn blank(_: Lang, _: NoQuery) -> ProgramForm {
        ProgramForm {
            request_id: super::new_request_id(),
            ..ProgramForm::default()
        }
    }

    async fn create(caller: &AsCaller, _: Lang, form: &ProgramForm) -> Result<String, Refused> {
        let created = caller
            .courses()
            .create_program(cpb::CreateProgramRequest {
                details: Some(form.details()),
                request_id: form.request_id.clone(),
            })
            .await?;
        Ok(created.into_inner().program.unwrap_or_default().id)
    }

    fn new_page(
        viewer: &Viewer,
        csrf: &str,
        shown: Showing<'_, ProgramForm>,
        courses: &Vec<cpb::Course>,
    ) -> Markup {
        let lang = viewer.lang;
        frame(
            viewer,
            lang.pick("برنامهٔ تازه", "New program"),
            Self::BASE,
            form_body(lang, csrf, None, shown.values, &shown.problems, courses),
        )
    }
}

impl CatalogEntry for Programs {
    async fn step(caller: &AsCaller, step: CatalogStep, program_id: String) -> Result<(), Status> {
        let mut client = caller.courses();
        match step {
            CatalogStep::Submit => client
                .submit_program(cpb::SubmitProgramRequest { program_id })
                .await
                .map(drop),
            CatalogStep::Publish => client
                .publish_program(cpb::PublishProgramRequest { program_id })
                .await
                .map(drop),
            CatalogStep::Retire => client
                .retire_program(cpb::RetireProgramRequest { program_id })
                .await
                .map(drop),
        }
    }
}
