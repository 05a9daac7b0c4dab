//! Every query the certification service runs.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use super::entities::{certificate, issuer_key};
use crate::domain::CertificationError;
use crate::domain::issuance::{HeldCertificate, Issued, NewCertificate};
use crate::domain::status::{Kind, Standing, standing};

type Result<T> = std::result::Result<T, CertificationError>;

/// The certification database.
#[derive(Debug, Clone)]
pub struct Store {
    pub(super) db: DatabaseConnection,
}

/// A certificate and what replaced it, if anything.
#[derive(Debug, Clone)]
pub struct CertificateRecord {
    /// The row.
    pub certificate: certificate::Model,
    /// The certificate that replaced it: (id, serial).
    pub superseded_by: Option<(Uuid, String)>,
}

impl CertificateRecord {
    /// Its standing at `now`.
    pub fn standing(&self, now: DateTime<Utc>) -> Standing {
        standing(
            self.certificate.revoked_at.is_some(),
            self.superseded_by.is_some(),
            self.certificate.valid_until,
            now,
        )
    }
}

/// Whose certificates a caller may see.
#[derive(Debug, Clone, Default)]
pub struct Visibility {
    /// All of them.
    pub everything: bool,
    /// This trainee's.
    pub trainee: Option<String>,
    /// This organization's people's.
    pub organization: Option<String>,
}

/// Filters of a certificate listing.
#[derive(Debug, Clone, Default)]
pub struct CertificateFilter {
    /// Of this trainee.
    pub trainee: Option<String>,
    /// Of this organization.
    pub organization: Option<String>,
    /// Of this kind.
    pub kind: Option<Kind>,
    /// For this course.
    pub course: Option<Uuid>,
    /// For this program.
    pub program: Option<Uuid>,
    /// For this completion.
    pub completion_key: Option<String>,
    /// With this serial (normalized).
    pub serial: Option<String>,
    /// Issued at or after.
    pub issued_from: Option<DateTime<Utc>>,
    /// Issued before.
    pub issued_until: Option<DateTime<Utc>>,
}

impl From<&certificate::Model> for HeldCertificate {
    fn from(row: &certificate::Model) -> Self {
        Self {
            id: row.id,
            course_id: row.course_id,
            hours: u32::try_from(row.hours).unwrap_or(0),
            completion_time: row.completion_time,
            valid_until: row.valid_until,
        }
    }
}

/// The row of a newly issued certificate.
fn certificate_row(
    new: NewCertificate,
    issued: Issued,
    credential_jwt: String,
    key_id: String,
) -> certificate::ActiveModel {
    let as_i32 = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
    certificate::ActiveModel {
        id: Set(issued.id),
        serial: Set(issued.serial),
        kind: Set(new.kind),
        source: Set(new.source),
        trainee_subject: Set(new.trainee.subject),
        trainee_name: Set(new.trainee.name),
        organization_id: Set(new.trainee.organization_id),
        organization_name_fa: Set(new.organization_name.0),
        organization_name_en: Set(new.organization_name.1),
        course_id: Set(new.course_id),
        program_id: Set(new.program_id),
        title_fa: Set(new.title.0),
        title_en: Set(new.title.1),
        hours: Set(as_i32(new.hours)),
        score: Set(new.score.map(as_i32)),
        completion_time: Set(new.completion_time),
        issue_time: Set(issued.issue_time),
        valid_until: Set(issued.valid_until),
        completion_key: Set(new.completion_key),
        session_id: Set(new.session_id),
        revoked_at: Set(None),
        revoke_reason: Set(String::new()),
        revoked_by_subject: Set(String::new()),
        revoked_by_name: Set(String::new()),
        credential_jwt: Set(credential_jwt),
        key_id: Set(key_id),
        manual_reason: Set(new.manual_reason),
        issued_by_subject: Set(new.issued_by.subject),
        issued_by_name: Set(new.issued_by.name),
        issued_by_organization_id: Set(new.issued_by.organization_id),
        basis: Set(serde_json::json!(
            new.basis.iter().map(Uuid::to_string).collect::<Vec<_>>()
        )),
    }
}

fn not_found(kind: &'static str, id: impl ToString) -> CertificationError {
    CertificationError::NotFound {
        kind,
        id: id.to_string(),
    }
}

impl Store {
    /// A store over `db`, which must be migrated.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// The request ids older than `workers.retention_days` (the
    /// retention worker's purge).
    pub fn purges(
        &self,
        workers: &hamafza_kit::config::WorkersConfig,
    ) -> Vec<hamafza_kit::retention::Purge> {
        use hamafza_kit::retention::Purge;
        let after = workers.retention();
        vec![Purge::request_ids(after)]
    }

    /// The connection.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Stores a new certificate. When another one already certifies the same
    /// completion (a repeated or racing delivery), that one is returned and
    /// nothing is stored: `(certificate, newly_issued)`.
    pub async fn insert(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        row: certificate::ActiveModel,
    ) -> Result<(certificate::Model, bool)> {
        let key = match &row.completion_key {
            sea_orm::ActiveValue::Set(key) => key.clone(),
            _ => None,
        };
        match certificate::Entity::insert(row)
            .exec_with_returning(db)
            .await
        {
            Ok(model) => Ok((model, true)),
            Err(error) if hamafza_kit::db::is_unique_violation(&error) => {
                let Some(key) = key else {
                    return Err(error.into());
                };
                let existing = self
                    .by_completion(&key)
                    .await?
                    .ok_or_else(|| CertificationError::Database(error))?;
                Ok((existing, false))
            }
            Err(error) => Err(error.into()),
        }
    }

    /// Stores a newly issued certificate with its signed credential, as
    /// [`insert`](Self::insert) does.
    pub async fn insert_issued(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        new: NewCertificate,
        issued: Issued,
        credential_jwt: String,
        key_id: String,
    ) -> Result<(certificate::Model, bool)> {
        self.insert(db, certificate_row(new, issued, credential_jwt, key_id))
            .await
    }

    /// The certificate of a completion.
    pub async fn by_completion(&self, key: &str) -> Result<Option<certificate::Model>> {
        Ok(certificate::Entity::find()
            .filter(certificate::Column::CompletionKey.eq(key))
            .one(&self.db)
            .await?)
    }

    /// One certificate with its successor.
    pub async fn record(&self, id: Uuid) -> Result<Option<CertificateRecord>> {
        match certificate::Entity::find_by_id(id).one(&self.db).await? {
            Some(row) => Ok(Some(self.with_successor(row).await?)),
            None => Ok(None),
        }
    }

    /// One certificate by serial, with its successor.
    pub async fn record_by_serial(&self, serial: &str) -> Result<Option<CertificateRecord>> {
        match certificate::Entity::find()
            .filter(certificate::Column::Serial.eq(serial))
            .one(&self.db)
            .await?
        {
            Some(row) => Ok(Some(self.with_successor(row).await?)),
            None => Ok(None),
        }
    }

    /// Finds the newest certificate of the same trainee for the same course or
    /// program, if it is later than `row` and not revoked.
    async fn with_successor(&self, row: certificate::Model) -> Result<CertificateRecord> {
        let mut query = certificate::Entity::find()
            .filter(certificate::Column::TraineeSubject.eq(row.trainee_subject.clone()))
            .filter(certificate::Column::Kind.eq(row.kind))
            .filter(certificate::Column::RevokedAt.is_null())
            .filter(certificate::Column::Id.ne(row.id))
            .filter(
                Condition::any()
                    .add(certificate::Column::CompletionTime.gt(row.completion_time))
                    .add(
                        Condition::all()
                            .add(certificate::Column::CompletionTime.eq(row.completion_time))
                            .add(certificate::Column::Id.gt(row.id)),
                    ),
            )
            .order_by_desc(certificate::Column::CompletionTime)
            .order_by_desc(certificate::Column::Id);
        query = match (row.course_id, row.program_id) {
            (Some(course), _) => query.filter(certificate::Column::CourseId.eq(course)),
            (None, Some(program)) => query.filter(certificate::Column::ProgramId.eq(program)),
            (None, None) => {
                return Ok(CertificateRecord {
                    certificate: row,
                    superseded_by: None,
                });
            }
        };
        let successor = query.one(&self.db).await?.map(|s| (s.id, s.serial));
        Ok(CertificateRecord {
            certificate: row,
            superseded_by: successor,
        })
    }

    /// Certificates newest issue first (their ids are time-ordered, made at
    /// issue) after `after`, within `visibility`.
    pub async fn list(
        &self,
        visibility: &Visibility,
        filter: &CertificateFilter,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<CertificateRecord>> {
        let mut query = certificate::Entity::find()
            .order_by_desc(certificate::Column::Id)
            .limit(limit);
        if !visibility.everything {
            let mut scope = Condition::any();
            if let Some(trainee) = &visibility.trainee {
                scope = scope.add(certificate::Column::TraineeSubject.eq(trainee.clone()));
            }
            if let Some(organization) = &visibility.organization {
                scope = scope.add(certificate::Column::OrganizationId.eq(organization.clone()));
            }
            query = query.filter(scope);
        }
        if let Some(after) = after {
            query = query.filter(certificate::Column::Id.lt(after));
        }
        if let Some(trainee) = &filter.trainee {
            query = query.filter(certificate::Column::TraineeSubject.eq(trainee.clone()));
        }
        if let Some(organization) = &filter.organization {
            query = query.filter(certificate::Column::OrganizationId.eq(organization.clone()));
        }
        if let Some(kind) = filter.kind {
            query = query.filter(certificate::Column::Kind.eq(kind));
        }
        if let Some(course) = filter.course {
            query = query.filter(certificate::Column::CourseId.eq(course));
        }
        if let Some(program) = filter.program {
            query = query.filter(certificate::Column::ProgramId.eq(program));
        }
        if let Some(key) = &filter.completion_key {
            query = query.filter(certificate::Column::CompletionKey.eq(key.clone()));
        }
        if let Some(serial) = &filter.serial {
            query = query.filter(certificate::Column::Serial.eq(serial.clone()));
        }
        if let Some(from) = filter.issued_from {
            query = query.filter(certificate::Column::IssueTime.gte(from));
        }
        if let Some(until) = filter.issued_until {
            query = query.filter(certificate::Column::IssueTime.lt(until));
        }
        let mut records = Vec::new();
        for row in query.all(&self.db).await? {
            records.push(self.with_successor(row).await?);
        }
        Ok(records)
    }

    /// Unrevoked certificates whose validity ends in `(now, until]`, by end.
    pub async fn expiring(
        &self,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        organization: Option<&str>,
        after: Option<(DateTime<Utc>, Uuid)>,
        limit: u64,
    ) -> Result<Vec<CertificateRecord>> {
        let mut query = certificate::Entity::find()
            .filter(certificate::Column::RevokedAt.is_null())
            .filter(certificate::Column::ValidUntil.gt(now))
            .filter(certificate::Column::ValidUntil.lte(until))
            .order_by_asc(certificate::Column::ValidUntil)
            .order_by_asc(certificate::Column::Id)
            .limit(limit);
        if let Some(organization) = organization {
            query = query.filter(certificate::Column::OrganizationId.eq(organization));
        }
        if let Some((at, id)) = after {
            query = query.filter(
                Condition::any()
                    .add(certificate::Column::ValidUntil.gt(at))
                    .add(
                        Condition::all()
                            .add(certificate::Column::ValidUntil.eq(at))
                            .add(certificate::Column::Id.gt(id)),
                    ),
            );
        }
        let mut records = Vec::new();
        for row in query.all(&self.db).await? {
            records.push(self.with_successor(row).await?);
        }
        Ok(records)
    }

    /// Revokes a certificate, once.
    pub async fn revoke(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        id: Uuid,
        reason: &str,
        by: (&str, &str),
        now: DateTime<Utc>,
    ) -> Result<()> {
        let changed = certificate::Entity::update_many()
            .col_expr(certificate::Column::RevokedAt, Expr::value(now))
            .col_expr(
                certificate::Column::RevokeReason,
                Expr::value(reason.to_owned()),
            )
            .col_expr(
                certificate::Column::RevokedBySubject,
                Expr::value(by.0.to_owned()),
            )
            .col_expr(
                certificate::Column::RevokedByName,
                Expr::value(by.1.to_owned()),
            )
            .filter(certificate::Column::Id.eq(id))
            .filter(certificate::Column::RevokedAt.is_null())
            .exec(db)
            .await?
            .rows_affected;
        if changed == 0 {
            return match certificate::Entity::find_by_id(id).one(db).await? {
                Some(_) => Err(CertificationError::AlreadyRevoked),
                None => Err(not_found("certificate", id)),
            };
        }
        Ok(())
    }

    /// The trainee's unrevoked course certificates for `courses`, newest first.
    pub async fn course_certificates(
        &self,
        trainee: &str,
        courses: &[Uuid],
    ) -> Result<Vec<certificate::Model>> {
        if courses.is_empty() {
            return Ok(Vec::new());
        }
        Ok(certificate::Entity::find()
            .filter(certificate::Column::TraineeSubject.eq(trainee))
            .filter(certificate::Column::Kind.eq(Kind::Course))
            .filter(certificate::Column::RevokedAt.is_null())
            .filter(certificate::Column::CourseId.is_in(courses.to_vec()))
            .order_by_desc(certificate::Column::CompletionTime)
            .all(&self.db)
            .await?)
    }

    /// Whether `trainee` holds a program certificate of `program` that
    /// stands at `now`: not revoked, not run out (issued automatically or by
    /// hand).
    pub async fn holds_program_certificate(
        &self,
        trainee: &str,
        program: Uuid,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let held = certificate::Entity::find()
            .filter(certificate::Column::TraineeSubject.eq(trainee))
            .filter(certificate::Column::Kind.eq(Kind::Program))
            .filter(certificate::Column::ProgramId.eq(program))
            .filter(certificate::Column::RevokedAt.is_null())
            .filter(
                Condition::any()
                    .add(certificate::Column::ValidUntil.is_null())
                    .add(certificate::Column::ValidUntil.gt(now)),
            )
            .count(&self.db)
            .await?;
        Ok(held > 0)
    }

    /// Publishes a signing key's public half (once).
    pub async fn publish_key(&self, kid: &str, jwk: &str, now: DateTime<Utc>) -> Result<()> {
        let row = issuer_key::ActiveModel {
            kid: Set(kid.to_owned()),
            jwk: Set(jwk.to_owned()),
            first_used_at: Set(now),
        };
        match issuer_key::Entity::insert(row)
            .exec_without_returning(&self.db)
            .await
        {
            Ok(_) => Ok(()),
            Err(error) if hamafza_kit::db::is_unique_violation(&error) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    /// Every published key, oldest first.
    pub async fn keys(&self) -> Result<Vec<issuer_key::Model>> {
        Ok(issuer_key::Entity::find()
            .order_by_asc(issuer_key::Column::FirstUsedAt)
            .all(&self.db)
            .await?)
    }

    /// One published key.
    pub async fn key(&self, kid: &str) -> Result<Option<issuer_key::Model>> {
        Ok(issuer_key::Entity::find_by_id(kid.to_owned())
            .one(&self.db)
            .await?)
    }
}
