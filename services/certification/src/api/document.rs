//! `GetCertificateDocument`: the certificate as a PDF, typeset once and kept
//! until what it shows changes.

use std::sync::Arc;

use hamafza_kit::auth::Caller;
use hamafza_kit::config::Signatory;
use hamafza_kit::{ApiError, ErrorCode, jalali};
use hamafza_proto::certification as pb;

use super::CertificationApi;
use super::certification::qr_code;
use super::convert::presented;
use crate::document::{CertificateData, Renderer, SignatureLine};
use crate::domain::status::Kind;
use crate::store::entities::certificate;

/// Persian digits for a number.
fn fa_number(value: i64) -> String {
    jalali::persian_digits(&value.to_string())
}

impl CertificationApi {
    /// The PDF of a certificate the caller may see.
    pub(super) async fn document(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<pb::GetCertificateDocumentResponse, ApiError> {
        let record = self.visible(caller, id).await?;
        let row = &record.certificate;
        if row.revoked_at.is_some() {
            return Err(ApiError::new(
                ErrorCode::FailedPrecondition,
                "CERTIFICATE_REVOKED",
                "a revoked certificate is not handed out as a document",
            ));
        }
        let url = self.verification_url(&row.serial);
        let qr = qr_code(&url)?;
        let name_en = self
            .courses
            .english_name(&row.trainee_subject)
            .await
            .unwrap_or_else(|| row.trainee_name.clone());
        let mut data = self.shown(row, name_en, url);
        if let Some(session) = row.session_id
            && let Some((_, hosting)) = self.courses.session_host(session).await?
        {
            let name = hosting.host_organization_name.unwrap_or_default();
            data.host_fa = name.fa;
            data.host_en = name.en;
        }
        let digest = Renderer::digest(&data, &qr);
        let file_name = format!("{}.pdf", row.serial);
        if let Some(pdf) = self.store.document(row.id, &digest).await? {
            return Ok(pb::GetCertificateDocumentResponse {
                pdf,
                file_name,
                digest,
            });
        }
        let renderer = Arc::clone(&self.renderer);
        let pdf = tokio::task::spawn_blocking(move || renderer.render(&data, &qr))
            .await
            .map_err(ApiError::internal)?
            .map_err(ApiError::internal)?;
        self.store
            .keep_document(row.id, &digest, pdf.clone())
            .await?;
        Ok(pb::GetCertificateDocumentResponse {
            pdf,
            file_name,
            digest,
        })
    }

    /// What the document of `row` shows.
    fn shown(&self, row: &certificate::Model, name_en: String, url: String) -> CertificateData {
        let issued = presented(row.issue_time);
        let until = row.valid_until.map(presented).unwrap_or_default();
        let (heading_fa, heading_en, kind_fa, kind_en) = match row.kind {
            Kind::Course => (
                "گواهی پایان دوره",
                "Certificate of Completion",
                "دورهٔ",
                "the course",
            ),
            Kind::Program => (
                "گواهی پایان برنامهٔ آموزشی",
                "Program Certificate",
                "برنامهٔ آموزشی",
                "the program",
            ),
        };
        let course = row
            .course_id
            .or(row.program_id)
            .map(|id| id.to_string())
            .unwrap_or_default();
        let signatories = self
            .credentials
            .signatories_by_course
            .get(&course)
            .unwrap_or(&self.credentials.signatories)
            .iter()
            .take(4)
            .map(|s| signature(s, row))
            .collect();
        CertificateData {
            issuer_fa: "ایمیدرو — برنامهٔ آموزش روابط عمومی".to_owned(),
            issuer_en: "IMIDRO — PR training program".to_owned(),
            heading_fa: heading_fa.to_owned(),
            heading_en: heading_en.to_owned(),
            kind_fa: kind_fa.to_owned(),
            kind_en: kind_en.to_owned(),
            name_fa: row.trainee_name.clone(),
            name_en,
            org_fa: row.organization_name_fa.clone(),
            org_en: row.organization_name_en.clone(),
            title_fa: row.title_fa.clone(),
            title_en: row.title_en.clone(),
            hours_fa: fa_number(row.hours.into()),
            hours_en: row.hours.to_string(),
            score_fa: row.score.map(|s| fa_number(s.into())).unwrap_or_default(),
            score_en: row.score.map(|s| s.to_string()).unwrap_or_default(),
            issued_fa: issued.jalali_long,
            issued_en: issued.gregorian_long,
            until_fa: until.jalali_long,
            until_en: until.gregorian_long,
            serial: row.serial.clone(),
            url,
            host_fa: String::new(),
            host_en: String::new(),
            signatories,
        }
    }
}

/// A configured signatory as printed on `row`'s document.
fn signature(signatory: &Signatory, row: &certificate::Model) -> SignatureLine {
    let (org_fa, org_en) = if signatory.trainee_organization {
        (
            row.organization_name_fa.clone(),
            row.organization_name_en.clone(),
        )
    } else {
        (
            signatory.organization.fa.clone(),
            signatory.organization.en.clone(),
        )
    };
    SignatureLine {
        name_fa: signatory.name.fa.clone(),
        name_en: signatory.name.en.clone(),
        title_fa: signatory.title.fa.clone(),
        title_en: signatory.title.en.clone(),
        org_fa,
        org_en,
    }
}
