//! Member organizations in the back office: the list, registering one, and
//! renaming or reclassifying one (conditional on the etag read).

use crate::web::Query;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hamafza_kit::ApiError;
use maud::{Markup, html};

use super::editor::{Editor, Refused, Values, is_fatal, mask};
use super::{
    Done, EditForm, Problems, Showing, admin, bilingual, field, field_key, flash, frame,
    latin_input, list_table, posted, see_other,
};
use crate::AppState;
use crate::backends::AsCaller;
use crate::i18n::Lang;
use crate::pages::forms::first;
use crate::pages::lookup::organizations_listed;
use crate::sessions::WebSession;
use crate::web::{PageError, PageReply, Viewer};
use hamafza_proto::common::LocalizedText;
use hamafza_proto::courses as cpb;
use tonic::Status;

const KINDS: [(cpb::OrganizationKind, &str, &str, &str); 6] = [
    (
        cpb::OrganizationKind::Holding,
        "holding",
        "هلدینگ",
        "Holding",
    ),
    (cpb::OrganizationKind::Steel, "steel", "فولاد", "Steel"),
    (cpb::OrganizationKind::Mining, "mining", "معدن", "Mining"),
    (
        cpb::OrganizationKind::Aluminium,
        "aluminium",
        "آلومینیوم",
        "Aluminium",
    ),
    (
        cpb::OrganizationKind::IndustrialZone,
        "industrial-zone",
        "منطقهٔ صنعتی",
        "Industrial zone",
    ),
    (cpb::OrganizationKind::Other, "other", "دیگر", "Other"),
];

/// An organization as the form holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrgForm {
    id: String,
    name_fa: String,
    name_en: String,
    kind: String,
    parent: String,
}

impl OrgForm {
    fn kind(&self) -> i32 {
        KINDS
            .iter()
            .find(|k| k.1 == self.kind)
            .map_or(cpb::OrganizationKind::Unspecified, |k| k.0)
            .into()
    }

    fn name(&self) -> Option<LocalizedText> {
        Some(LocalizedText {
            fa: self.name_fa.clone(),
            en: self.name_en.clone(),
        })
    }
}

impl EditForm for OrgForm {
    type Item = cpb::Organization;

    fn stored(_: Lang, org: &cpb::Organization) -> Self {
        let name = org.name.clone().unwrap_or_default();
        Self {
            id: org.id.clone(),
            name_fa: name.fa,
            name_en: name.en,
            kind: KINDS
                .iter()
                .find(|k| k.0 == org.kind())
                .map_or("", |k| k.1)
                .to_owned(),
            parent: org.parent_organization_id.clone(),
        }
    }

    fn posted(values: &Values) -> Self {
        let get = |k: &str| first(values, k).trim().to_owned();
        Self {
            id: get("organization_id"),
            name_fa: get("name.fa"),
            name_en: get("name.en"),
            kind: get("kind"),
            parent: get("parent_organization_id"),
        }
    }

    fn differing(&self, posted: &Self, lang: Lang) -> Vec<&'static str> {
        let mut out = Vec::new();
        if (&self.name_fa, &self.name_en) != (&posted.name_fa, &posted.name_en) {
            out.push(lang.pick("نام", "Name"));
        }
        if self.kind != posted.kind {
            out.push(lang.pick("نوع", "Kind"));
        }
        if self.parent != posted.parent {
            out.push(lang.pick("زیرمجموعهٔ", "Part of"));
        }
        out
    }
}

fn input_of(path: &str) -> Option<String> {
    let key = field_key(path);
    Some(match key.as_str() {
        "name" | "name.fa" => "name.fa".to_owned(),
        "name.en" => "name.en".to_owned(),
        "kind" => "kind".to_owned(),
        "parent_organization_id" => "parent_organization_id".to_owned(),
        "organization_id" => "organization_id".to_owned(),
        _ => return None,
    })
}

fn form_body(
    lang: Lang,
    csrf: &str,
    editing: Option<&cpb::Organization>,
    values: &OrgForm,
    problems: &Problems,
    organizations: &[cpb::Organization],
) -> Markup {
    let action = match editing {
        Some(org) => format!("/admin/orgs/{}", org.id),
        None => "/admin/orgs".to_owned(),
    };
    html! {
        (problems.summary(lang))
        form.admin method="post" action=(action) novalidate {
            input type="hidden" name="csrf" value=(csrf);
            @if let Some(org) = editing {
                input type="hidden" name="etag" value=(org.etag);
            } @else {
                (field(lang, "organization_id", ("شناسه (لاتین، مانند msc)", "Id (Latin, like msc)"),
                    problems, latin_input("organization_id", &values.id, problems)))
            }
            (bilingual(lang, "name", ("نام", "Name"), (&values.name_fa, &values.name_en), problems, false))
            div.grid {
                (field(lang, "kind", ("نوع", "Kind"), problems, html! {
                    select id="kind" name="kind" {
                        option value="" { "—" }
                        @for (_, value, fa, en) in KINDS {
                            option value=(value) selected[values.kind == value] { (lang.pick(fa, en)) }
                        }
                    }
                }))
                (field(lang, "parent_organization_id", ("زیرمجموعهٔ", "Part of"), problems, html! {
                    select id="parent_organization_id" name="parent_organization_id" {
                        option value="" { "—" }
                        @for org in organizations {
                            @if editing.is_none_or(|e| e.id != org.id) {
                                option value=(org.id) selected[values.parent == org.id] {
                                    (lang.text(org.name.as_ref()))
                                }
                            }
                        }
                    }
                }))
            }
            button type="submit" {
                @if editing.is_some() { (lang.pick("ذخیره", "Save")) }
                @else { (lang.pick("ثبت شرکت", "Register the organization")) }
            }
        }
    }
}

fn list_page(
    viewer: &Viewer,
    csrf: &str,
    organizations: &[cpb::Organization],
    values: &OrgForm,
    problems: &Problems,
    notice: Markup,
) -> Markup {
    let lang = viewer.lang;
    frame(
        viewer,
        lang.pick("شرکت‌ها", "Organizations"),
        "/admin/orgs",
        html! {
            (notice)
            (list_table(lang, &[
                ("شناسه", "Id"), ("نام", "Name"), ("نوع", "Kind"),
            ], html! {
                @for org in organizations {
                    tr {
                        td { bdi.ltr { (org.id) } }
                        td { a href={ "/admin/orgs/" (org.id) } { (lang.text(org.name.as_ref())) } }
                        td { (KINDS.iter().find(|k| k.0 == org.kind()).map_or("—", |k| lang.pick(k.2, k.3))) }
                    }
                }
            }))
            h2 { (lang.pick("ثبت شرکت تازه", "Register an organization")) }
            (form_body(lang, csrf, None, values, problems, organizations))
        },
    )
}

/// `GET /admin/orgs`.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(done): Query<Done>,
) -> Result<Markup, PageError> {
    let web = admin(&viewer)?;
    let organizations = organizations_listed(&state.backends.as_caller(&web.token))
        .await
        .map_err(|status| PageError::status(viewer.lang, status))?;
    Ok(list_page(
        &viewer,
        &web.csrf,
        &organizations,
        &OrgForm::default(),
        &Problems::default(),
        flash(viewer.lang, &done.done),
    ))
}

/// `POST /admin/orgs`.
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    body: Bytes,
) -> Result<Response, PageError> {
    let lang = viewer.lang;
    let (web, values) = posted(&viewer, &body)?;
    let form = OrgForm::posted(&values);
    let result = state
        .backends
        .as_caller(&web.token)
        .organizations()
        .create_organization(cpb::CreateOrganizationRequest {
            organization_id: form.id.clone(),
            name: form.name(),
            kind: form.kind(),
            parent_organization_id: form.parent.clone(),
        })
        .await;
    let error = match result {
        Ok(_) => return Ok(see_other("/admin/orgs?done=created")),
        Err(status) => ApiError::from_status(&status),
    };
    if is_fatal(&error) {
        return Err(PageError::api(lang, error));
    }
    let mut problems = Orgs::problems(lang, &error, &form);
    if error.code() == hamafza_kit::ErrorCode::AlreadyExists {
        // A taken id, beside the id's input.
        problems = Problems::default();
        problems.add(
            "organization_id",
            lang.pick("این شناسه پیش‌تر ثبت شده است.", "This id is taken."),
        );
    }
    let organizations = organizations_listed(&state.backends.as_caller(&web.token))
        .await
        .map_err(|status| PageError::status(viewer.lang, status))?;
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        list_page(
            &viewer,
            &web.csrf,
            &organizations,
            &form,
            &problems,
            html! {},
        ),
    )
        .into_response())
}

/// Organizations, edited at `/admin/orgs/{id}` (registered from the list).
pub struct Orgs;

impl Editor for Orgs {
    type Item = cpb::Organization;
    type Form = OrgForm;
    type Choices = Vec<cpb::Organization>;

    const BASE: &'static str = "/admin/orgs";

    async fn get(caller: &AsCaller, lang: Lang, id: &str) -> Result<cpb::Organization, PageError> {
        caller
            .organizations()
            .get_organization(cpb::GetOrganizationRequest {
                organization_id: id.to_owned(),
            })
            .await
            .page(lang)
            .map(|r| r.organization.unwrap_or_default())
    }

    async fn choices(
        caller: &AsCaller,
        _: Option<&cpb::Organization>,
    ) -> Result<Vec<cpb::Organization>, Status> {
        organizations_listed(caller).await
    }

    async fn update(
        caller: &AsCaller,
        _: Lang,
        id: &str,
        etag: String,
        form: &OrgForm,
    ) -> Result<(), Refused> {
        caller
            .organizations()
            .update_organization(cpb::UpdateOrganizationRequest {
                organization_id: id.to_owned(),
                name: form.name(),
                kind: form.kind(),
                parent_organization_id: form.parent.clone(),
                etag,
                update_mask: mask(["name", "kind", "parent_organization_id"]),
            })
            .await?;
        Ok(())
    }

    fn problems(lang: Lang, error: &ApiError, _: &OrgForm) -> Problems {
        Problems::from_error(lang, error, input_of)
    }

    async fn edit_page(
        _: &AppState,
        viewer: &Viewer,
        web: &WebSession,
        org: &cpb::Organization,
        shown: Showing<'_, OrgForm>,
        organizations: &Vec<cpb::Organization>,
    ) -> Markup {
        let lang = viewer.lang;
        frame(
            viewer,
            lang.text(org.name.as_ref()),
            "",
            html! {
                (shown.notice)
                (form_body(lang, &web.csrf, Some(org), shown.values, &shown.problems, organizations))
            },
        )
    }
}
