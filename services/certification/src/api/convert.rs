//! Certificates as protobuf messages.

use chrono::{DateTime, Utc};
use hamafza_kit::time::{self, to_timestamp};
use hamafza_proto::certification as pb;
use hamafza_proto::common::{Actor, LocalizedText};

use crate::domain::status::{Kind, Source, Standing};
use crate::store::queries::CertificateRecord;
use hamafza_kit::jalali;

/// The wire kind.
pub fn kind_to_wire(kind: Kind) -> pb::CertificateKind {
    match kind {
        Kind::Course => pb::CertificateKind::Course,
        Kind::Program => pb::CertificateKind::Program,
    }
}

fn source_to_wire(source: Source) -> pb::CertificateSource {
    match source {
        Source::Completion => pb::CertificateSource::Completion,
        Source::Manual => pb::CertificateSource::Manual,
        Source::Program => pb::CertificateSource::Program,
    }
}

/// The wire status of a standing.
pub fn standing_to_wire(standing: Standing) -> pb::CertificateStatus {
    match standing {
        Standing::Active => pb::CertificateStatus::Active,
        Standing::Revoked => pb::CertificateStatus::Revoked,
        Standing::Expired => pb::CertificateStatus::Expired,
        Standing::Superseded => pb::CertificateStatus::Superseded,
    }
}

fn actor(subject: String, name: String, organization_id: String) -> Option<Actor> {
    (!subject.is_empty()).then_some(Actor {
        subject,
        name,
        organization_id,
    })
}

/// A certificate on the wire, with its standing at `now`.
pub fn certificate_to_wire(record: CertificateRecord, now: DateTime<Utc>) -> pb::Certificate {
    let standing = record.standing(now);
    let row = record.certificate;
    pb::Certificate {
        id: row.id.to_string(),
        serial: row.serial,
        kind: kind_to_wire(row.kind).into(),
        source: source_to_wire(row.source).into(),
        trainee: actor(row.trainee_subject, row.trainee_name, row.organization_id),
        organization_name: Some(LocalizedText {
            fa: row.organization_name_fa,
            en: row.organization_name_en,
        }),
        course_id: row.course_id.map(|id| id.to_string()).unwrap_or_default(),
        program_id: row.program_id.map(|id| id.to_string()).unwrap_or_default(),
        title: Some(LocalizedText {
            fa: row.title_fa,
            en: row.title_en,
        }),
        hours: u32::try_from(row.hours).unwrap_or(0),
        score: row.score.and_then(|s| u32::try_from(s).ok()),
        completion_time: Some(to_timestamp(row.completion_time)),
        issue_time: Some(to_timestamp(row.issue_time)),
        valid_until: row.valid_until.map(to_timestamp),
        status: standing_to_wire(standing).into(),
        superseded_by: record
            .superseded_by
            .map(|(id, _)| id.to_string())
            .unwrap_or_default(),
        revoke_reason: row.revoke_reason,
        revoke_time: row.revoked_at.map(to_timestamp),
        revoked_by: actor(row.revoked_by_subject, row.revoked_by_name, String::new()),
        credential_jwt: row.credential_jwt,
        key_id: row.key_id,
        completion_id: row
            .completion_key
            .filter(|key| !key.starts_with("program:"))
            .unwrap_or_default(),
        session_id: row.session_id.map(|id| id.to_string()).unwrap_or_default(),
        manual_reason: row.manual_reason,
        issued_by: actor(
            row.issued_by_subject,
            row.issued_by_name,
            row.issued_by_organization_id,
        ),
        basis_certificate_ids: serde_json::from_value(row.basis).unwrap_or_default(),
    }
}

/// A date shown four ways.
pub fn presented(instant: DateTime<Utc>) -> pb::PresentedDate {
    let shown = jalali::show(instant);
    pb::PresentedDate {
        jalali_short: shown.jalali_short,
        jalali_long: shown.jalali_long,
        gregorian_short: shown.gregorian_short,
        gregorian_long: shown.gregorian_long,
    }
}

/// The answer about a credential that names no certificate this issuer knows.
pub(super) fn unknown(now: DateTime<Utc>) -> pb::VerifyCertificateResponse {
    pb::VerifyCertificateResponse {
        verdict: pb::Verdict::Unknown.into(),
        check_time: Some(time::to_timestamp(now)),
        ..Default::default()
    }
}

/// What a verifier is told about a certificate: its standing and the public
/// facts, never the trainee's subject id or score.
pub(super) fn verdict(
    record: crate::store::queries::CertificateRecord,
    now: DateTime<Utc>,
) -> pb::VerifyCertificateResponse {
    let standing = record.standing(now);
    let superseded_by_serial = record
        .superseded_by
        .as_ref()
        .map(|(_, serial)| serial.clone())
        .unwrap_or_default();
    let row = record.certificate;
    pb::VerifyCertificateResponse {
        verdict: match standing {
            Standing::Active => pb::Verdict::Valid,
            Standing::Revoked => pb::Verdict::Revoked,
            Standing::Expired => pb::Verdict::Expired,
            Standing::Superseded => pb::Verdict::Superseded,
        }
        .into(),
        certificate: Some(pb::VerifiedCertificate {
            serial: row.serial,
            kind: kind_to_wire(row.kind).into(),
            trainee_name: row.trainee_name,
            organization_id: row.organization_id,
            organization_name: Some(hamafza_proto::common::LocalizedText {
                fa: row.organization_name_fa,
                en: row.organization_name_en,
            }),
            title: Some(hamafza_proto::common::LocalizedText {
                fa: row.title_fa,
                en: row.title_en,
            }),
            hours: u32::try_from(row.hours).unwrap_or(0),
            completion_time: Some(time::to_timestamp(row.completion_time)),
            issue_time: Some(time::to_timestamp(row.issue_time)),
            valid_until: row.valid_until.map(time::to_timestamp),
        }),
        revoke_reason: row.revoke_reason,
        revoke_time: row.revoked_at.map(time::to_timestamp),
        superseded_by_serial,
        key_id: row.key_id,
        check_time: Some(time::to_timestamp(now)),
    }
}
