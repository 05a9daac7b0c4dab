//! The SQL of notifications: recording an event's notifications once,
//! inboxes, preferences, and claiming emails for delivery under a lease.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, Statement, TransactionTrait,
};
use uuid::Uuid;

use crate::store::entities::{delivery, muted_kind, notification};

/// What storage answers.
pub type Result<T> = std::result::Result<T, sea_orm::DbErr>;

/// Where an email stands, as stored.
pub mod state {
    /// Waiting to be sent (or tried again).
    pub const PENDING: &str = "pending";
    /// Accepted by the relay or kept in the development mailbox.
    pub const SENT: &str = "sent";
    /// Given up on after too many failures.
    pub const PARKED: &str = "parked";
    /// Nobody to send it to.
    pub const NO_ADDRESS: &str = "no_address";
}

/// One notification to record, with its email when the person has an address.
#[derive(Debug, Clone)]
pub struct Draft {
    /// The notification.
    pub notification: notification::Model,
    /// Its email.
    pub email: Option<Email>,
}

/// A written email.
#[derive(Debug, Clone, Default)]
pub struct Email {
    /// The address.
    pub to: String,
    /// The subject line.
    pub subject: String,
    /// The whole message.
    pub message: Vec<u8>,
    /// Its HTML part.
    pub html: String,
}

/// A scheduled notice that exactly one replica sends: the unique row taken
/// with its notifications.
#[derive(Debug, Clone, Copy)]
pub enum Claim {
    /// A session's reminder the day before.
    Reminder {
        /// The session.
        session_id: Uuid,
        /// When.
        at: DateTime<Utc>,
    },
    /// A certificate's expiry notice at a threshold.
    Expiry {
        /// The certificate.
        certificate_id: Uuid,
        /// 60 or 14 days.
        threshold_days: u32,
        /// When.
        at: DateTime<Utc>,
    },
}

/// Most drafts recorded in one statement on PostgreSQL (15 parameters
/// each, against its limit of 65,535 per statement); a session event to
/// more seat holders than this takes the transaction.
pub const ONE_STATEMENT_DRAFTS: usize = 200;

/// Whether a person may have turned the wire kind `kind` off (the kinds
/// nobody can turn off are recorded whatever `muted_kinds` holds).
fn mutable(kind: i32) -> bool {
    hamafza_proto::notifications::NotificationKind::try_from(kind).is_ok_and(crate::kind::may_mute)
}

impl Email {
    /// The email of a delivery row and its first state: `pending`, or
    /// `no_address` (with an empty email) when there is nobody to send it to.
    fn with_state(email: Option<Email>) -> (Email, &'static str) {
        match email {
            Some(email) => (email, state::PENDING),
            None => (Email::default(), state::NO_ADDRESS),
        }
    }
}

impl Claim {
    /// The insert that takes the claim (nothing when it is taken), its
    /// values bound from `$1`.
    fn insert(self) -> (&'static str, Vec<sea_orm::Value>) {
        match self {
            Claim::Reminder { session_id, at } => (
                "INSERT INTO reminders (session_id, sent_at) VALUES ($1, $2) \
                 ON CONFLICT (session_id) DO NOTHING",
                vec![session_id.into(), at.into()],
            ),
            Claim::Expiry {
                certificate_id,
                threshold_days,
                at,
            } => (
                "INSERT INTO expiry_notices (certificate_id, threshold_days, sent_at) \
                 VALUES ($1, $2, $3) ON CONFLICT (certificate_id, threshold_days) DO NOTHING",
                vec![
                    certificate_id.into(),
                    days(threshold_days).into(),
                    at.into(),
                ],
            ),
        }
    }
}

/// A threshold as stored (an `integer` column on both databases).
fn days(threshold_days: u32) -> i32 {
    i32::try_from(threshold_days).unwrap_or(i32::MAX)
}

/// Which emails to list.
#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    /// Only these states; empty means all.
    pub states: Vec<&'static str>,
    /// Only to this person.
    pub recipient: Option<String>,
    /// At most this many.
    pub limit: u64,
}

/// The notifications database.
#[derive(Debug, Clone)]
pub struct Store {
    db: DatabaseConnection,
}

impl Store {
    /// A store over `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// The connection.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// What notifications no longer needs (the retention worker's purges): emails
    /// sent (or with nobody to send to) `workers.retention_days` after their
    /// event,
    /// parked ones after three times that (someone may still look into why),
    /// and the claims of reminders and expiry notices long past (an expiry
    /// notice's after 90 days at least, when its certificate has expired).
    /// The in-app notices stay: they are the people's own.
    pub fn purges(
        &self,
        workers: &hamafza_kit::config::WorkersConfig,
    ) -> Vec<hamafza_kit::retention::Purge> {
        use hamafza_kit::retention::Purge;
        let after = workers.retention();
        let delivery = |only, after| Purge {
            what: "emails",
            table: "deliveries",
            key: &["notification_id"],
            done_at: "created_at",
            only,
            after,
            keep_latest: false,
        };
        let claims = |what, table, key, after| Purge {
            what,
            table,
            key,
            done_at: "sent_at",
            only: "",
            after,
            keep_latest: false,
        };
        vec![
            // state::SENT and state::NO_ADDRESS
            delivery("state IN ('sent', 'no_address')", after),
            // state::PARKED
            delivery("state = 'parked'", after.saturating_mul(3)),
            claims("reminder claims", "reminders", &["session_id"], after),
            claims(
                "expiry notice claims",
                "expiry_notices",
                &["certificate_id", "threshold_days"],
                // Kept a month past the first warning's threshold, by when
                // the certificate has expired and is never asked about again.
                after.max(std::time::Duration::from_secs(
                    (u64::from(crate::expiry::THRESHOLDS_DAYS[0]) + 30) * 86_400,
                )),
            ),
        ]
    }

    /// Records `drafts` atomically; a draft whose dedupe key is
    /// already there (the event delivered again, or by another replica), or
    /// whose recipient turned its kind off, is left out with its email.
    /// Returns how many notifications the event has.
    pub async fn record(&self, event_id: Uuid, drafts: Vec<Draft>) -> Result<u64> {
        Ok(self
            .record_claimed(None, event_id, drafts)
            .await?
            .unwrap_or(0))
    }

    /// Whether the session's reminder was sent.
    pub async fn reminded(&self, session_id: Uuid) -> Result<bool> {
        let row = self
            .db
            .query_one_raw(Statement::from_sql_and_values(
                self.db.get_database_backend(),
                "SELECT session_id FROM reminders WHERE session_id = $1",
                [session_id.into()],
            ))
            .await?;
        Ok(row.is_some())
    }

    /// Whether the certificate's notice at `threshold_days` was sent.
    pub async fn expiry_noticed(&self, certificate_id: Uuid, threshold_days: u32) -> Result<bool> {
        let row = self
            .db
            .query_one_raw(Statement::from_sql_and_values(
                self.db.get_database_backend(),
                "SELECT certificate_id FROM expiry_notices \
                 WHERE certificate_id = $1 AND threshold_days = $2",
                [certificate_id.into(), days(threshold_days).into()],
            ))
            .await?;
        Ok(row.is_some())
    }

    /// As [`Store::record`], first taking `claim` (a unique row) in the same
    /// transaction (or statement): `None`, and nothing recorded, when another
    /// replica took it first.
    pub async fn record_claimed(
        &self,
        claim: Option<Claim>,
        event_id: Uuid,
        drafts: Vec<Draft>,
    ) -> Result<Option<u64>> {
        if self.db.get_database_backend() == DbBackend::Postgres
            && drafts.len() <= ONE_STATEMENT_DRAFTS
        {
            return self.record_in_one(claim, event_id, drafts).await;
        }
        // Read before the transaction: SQLite's writers queue for the lock
        // only when their transaction starts with a write.
        let mut muted = Vec::new();
        for draft in &drafts {
            let n = &draft.notification;
            if mutable(n.kind) && self.muted(&n.recipient_subject).await?.contains(&n.kind) {
                muted.push(n.id);
            }
        }
        let txn = self.db.begin().await?;
        if let Some(claim) = claim {
            let (sql, values) = claim.insert();
            let statement = Statement::from_sql_and_values(txn.get_database_backend(), sql, values);
            if txn.execute_raw(statement).await?.rows_affected() == 0 {
                txn.rollback().await?;
                return Ok(None);
            }
        }
        for draft in drafts {
            let notification = draft.notification;
            if muted.contains(&notification.id) {
                continue;
            }
            let id = notification.id;
            let recipient = notification.recipient_subject.clone();
            let kind = notification.kind;
            let created_at = notification.created_at;
            let inserted = notification::Entity::insert(notification::ActiveModel {
                id: Set(notification.id),
                dedupe_key: Set(notification.dedupe_key),
                event_id: Set(notification.event_id),
                recipient_subject: Set(notification.recipient_subject),
                kind: Set(notification.kind),
                title_fa: Set(notification.title_fa),
                title_en: Set(notification.title_en),
                body_fa: Set(notification.body_fa),
                body_en: Set(notification.body_en),
                link: Set(notification.link),
                created_at: Set(notification.created_at),
                read_at: Set(None),
            })
            .on_conflict(
                OnConflict::column(notification::Column::DedupeKey)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
            if inserted == 0 {
                continue;
            }
            let (email, state) = Email::with_state(draft.email);
            delivery::Entity::insert(delivery::ActiveModel {
                notification_id: Set(id),
                recipient_subject: Set(recipient),
                to_address: Set(email.to),
                subject_line: Set(email.subject),
                message: Set(email.message),
                html: Set(email.html),
                state: Set(state.to_owned()),
                kind: Set(kind),
                attempts: Set(0),
                next_attempt_at: Set(created_at),
                locked_until: Set(None),
                last_error: Set(String::new()),
                created_at: Set(created_at),
                sent_at: Set(None),
            })
            .exec_without_returning(&txn)
            .await?;
        }
        let count = notification::Entity::find()
            .filter(notification::Column::EventId.eq(event_id))
            .count(&txn)
            .await?;
        txn.commit().await?;
        Ok(Some(count))
    }

    /// [`Store::record_claimed`] on PostgreSQL: the claim, every
    /// notification and its email in one statement of data-modifying CTEs
    /// (atomic without a transaction: one round trip instead of one per row
    /// plus BEGIN, the count and COMMIT). A notification is inserted only when
    /// the claim was taken and its recipient has not turned its kind off;
    /// its email only when the notification was.
    async fn record_in_one(
        &self,
        claim: Option<Claim>,
        event_id: Uuid,
        drafts: Vec<Draft>,
    ) -> Result<Option<u64>> {
        // The claim's values come first, so its own placeholders ($1…) hold.
        let mut values: Vec<sea_orm::Value> = Vec::new();
        let mut ctes = Vec::new();
        let claimed = claim.map(|claim| {
            let (sql, claim_values) = claim.insert();
            values.extend(claim_values);
            ctes.push(format!("claim AS ({sql} RETURNING 1)"));
            "EXISTS (SELECT 1 FROM claim)".to_owned()
        });
        let mut bind = |value: sea_orm::Value| {
            values.push(value);
            format!("${}", values.len())
        };
        let event = bind(event_id.into());
        let drafted = drafts.len();
        let mut inserted = Vec::with_capacity(drafted);
        let mut muted = Vec::new();
        for (i, draft) in drafts.into_iter().enumerate() {
            let n = draft.notification;
            let (email, state) = Email::with_state(draft.email);
            let muting = mutable(n.kind);
            let recipient = bind(n.recipient_subject.into());
            let kind = bind(n.kind.into());
            let created = bind(n.created_at.into());
            let muted_sql =
                format!("SELECT 1 FROM muted_kinds WHERE subject = {recipient} AND kind = {kind}");
            let conditions: Vec<String> = claimed
                .iter()
                .cloned()
                .chain(muting.then(|| format!("NOT EXISTS ({muted_sql})")))
                .collect();
            if muting {
                muted.push(format!("(SELECT count(*) FROM ({muted_sql}) AS m{i})"));
            }
            let gate = if conditions.is_empty() {
                String::new()
            } else {
                format!(" WHERE {}", conditions.join(" AND "))
            };
            ctes.push(format!(
                "n{i} AS (INSERT INTO notifications (id, dedupe_key, event_id, \
                 recipient_subject, kind, title_fa, title_en, body_fa, body_en, link, \
                 created_at) SELECT {}, {}, {event}, {recipient}, {kind}, {}, {}, {}, {}, {}, \
                 {created}{gate} ON CONFLICT (dedupe_key) DO NOTHING RETURNING id)",
                bind(n.id.into()),
                bind(n.dedupe_key.into()),
                bind(n.title_fa.into()),
                bind(n.title_en.into()),
                bind(n.body_fa.into()),
                bind(n.body_en.into()),
                bind(n.link.into()),
            ));
            ctes.push(format!(
                "d{i} AS (INSERT INTO deliveries (notification_id, recipient_subject, \
                 to_address, subject_line, message, html, state, kind, attempts, \
                 next_attempt_at, last_error, created_at) SELECT id, {recipient}, {}, {}, {}, \
                 {}, {}, {kind}, 0, {created}, '', {created} FROM n{i})",
                bind(email.to.into()),
                bind(email.subject.into()),
                bind(email.message.into()),
                bind(email.html.into()),
                bind(state.into()),
            ));
            inserted.push(format!("(SELECT count(*) FROM n{i})"));
        }
        let claimed = if claimed.is_none() {
            "1::bigint"
        } else {
            "(SELECT count(*) FROM claim)"
        };
        let sum = |terms: Vec<String>| {
            if terms.is_empty() {
                "0::bigint".to_owned()
            } else {
                terms.join(" + ")
            }
        };
        let (added, muted) = (sum(inserted), sum(muted));
        // The count reads the snapshot before the inserts: what was there
        // plus what this statement added.
        let mut sql = String::new();
        if !ctes.is_empty() {
            sql = format!("WITH {} ", ctes.join(", "));
        }
        sql.push_str(&format!(
            "SELECT {claimed} AS claimed, {added} AS added, {muted} AS muted, \
             (SELECT count(*) FROM notifications WHERE event_id = {event}) AS earlier"
        ));
        let row = self
            .db
            .query_one_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                sql,
                values,
            ))
            .await?
            .ok_or_else(|| sea_orm::DbErr::RecordNotFound("the recorded count".to_owned()))?;
        if row.try_get::<i64>("", "claimed")? == 0 {
            return Ok(None);
        }
        let added = row.try_get::<i64>("", "added")?;
        let left_out = row.try_get::<i64>("", "muted")?;
        if usize::try_from(added + left_out).unwrap_or(0) < drafted {
            // Some were there already (the event again, perhaps from another
            // replica just now, after this statement's snapshot): count them
            // as they stand.
            return Ok(Some(self.notification_count(event_id).await?));
        }
        let earlier = row.try_get::<i64>("", "earlier")?;
        Ok(Some(u64::try_from(earlier + added).unwrap_or(0)))
    }

    /// How many notifications the event has.
    async fn notification_count(&self, event_id: Uuid) -> Result<u64> {
        notification::Entity::find()
            .filter(notification::Column::EventId.eq(event_id))
            .count(&self.db)
            .await
    }

    /// The kinds `subject` turned off.
    pub async fn muted(&self, subject: &str) -> Result<Vec<i32>> {
        Ok(muted_kind::Entity::find()
            .filter(muted_kind::Column::Subject.eq(subject))
            .order_by_asc(muted_kind::Column::Kind)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| row.kind)
            .collect())
    }

    /// Replaces the kinds `subject` turned off.
    pub async fn set_muted(&self, subject: &str, kinds: &[i32]) -> Result<()> {
        let txn = self.db.begin().await?;
        muted_kind::Entity::delete_many()
            .filter(muted_kind::Column::Subject.eq(subject))
            .exec(&txn)
            .await?;
        for kind in kinds {
            muted_kind::Entity::insert(muted_kind::ActiveModel {
                subject: Set(subject.to_owned()),
                kind: Set(*kind),
            })
            .on_conflict(
                OnConflict::columns([muted_kind::Column::Subject, muted_kind::Column::Kind])
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
        }
        txn.commit().await
    }

    /// `subject`'s language, when they chose one.
    pub async fn language(&self, subject: &str) -> Result<Option<String>> {
        let row = self
            .db
            .query_one_raw(Statement::from_sql_and_values(
                self.db.get_database_backend(),
                "SELECT language FROM languages WHERE subject = $1",
                [subject.into()],
            ))
            .await?;
        row.map(|row| row.try_get::<String>("", "language"))
            .transpose()
    }

    /// The languages `subjects` chose, for those who chose one: one read a
    /// 200 of them.
    pub async fn languages(&self, subjects: &[String]) -> Result<HashMap<String, String>> {
        let mut chosen = HashMap::new();
        for chunk in subjects.chunks(200) {
            let placeholders: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT subject, language FROM languages WHERE subject IN ({})",
                placeholders.join(", ")
            );
            let rows = self
                .db
                .query_all_raw(Statement::from_sql_and_values(
                    self.db.get_database_backend(),
                    sql,
                    chunk.iter().map(|subject| subject.clone().into()),
                ))
                .await?;
            for row in rows {
                chosen.insert(
                    row.try_get::<String>("", "subject")?,
                    row.try_get::<String>("", "language")?,
                );
            }
        }
        Ok(chosen)
    }

    /// Stores `subject`'s language.
    pub async fn set_language(
        &self,
        subject: &str,
        language: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        self.db
            .execute_raw(Statement::from_sql_and_values(
                self.db.get_database_backend(),
                "INSERT INTO languages (subject, language, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (subject) DO UPDATE SET language = excluded.language, \
                 updated_at = excluded.updated_at",
                [subject.into(), language.into(), now.into()],
            ))
            .await?;
        Ok(())
    }

    /// `subject`'s notifications, newest first.
    pub async fn inbox(
        &self,
        subject: &str,
        unread_only: bool,
        limit: u64,
    ) -> Result<Vec<notification::Model>> {
        let mut query =
            notification::Entity::find().filter(notification::Column::RecipientSubject.eq(subject));
        if unread_only {
            query = query.filter(notification::Column::ReadAt.is_null());
        }
        query
            .order_by_desc(notification::Column::CreatedAt)
            .order_by_desc(notification::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await
    }

    /// How many of `subject`'s notifications are unread.
    pub async fn unread(&self, subject: &str) -> Result<u64> {
        notification::Entity::find()
            .filter(notification::Column::RecipientSubject.eq(subject))
            .filter(notification::Column::ReadAt.is_null())
            .count(&self.db)
            .await
    }

    /// Marks `subject`'s notifications read: the named ones, or every one.
    pub async fn mark_read(
        &self,
        subject: &str,
        ids: Option<&[Uuid]>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut update = notification::Entity::update_many()
            .col_expr(notification::Column::ReadAt, Expr::value(now))
            .filter(notification::Column::RecipientSubject.eq(subject))
            .filter(notification::Column::ReadAt.is_null());
        if let Some(ids) = ids {
            update = update.filter(notification::Column::Id.is_in(ids.to_vec()));
        }
        update.exec(&self.db).await?;
        Ok(())
    }

    /// Claims up to `limit` pending emails that are due for `lease`: a claimed
    /// row is invisible to other workers until the lease ends. On PostgreSQL
    /// rows another replica is claiming are skipped (`FOR UPDATE SKIP LOCKED`);
    /// SQLite serializes writers.
    pub async fn claim_due(
        &self,
        now: DateTime<Utc>,
        limit: u64,
        lease: Duration,
    ) -> Result<Vec<delivery::Model>> {
        let backend = self.db.get_database_backend();
        let skip_locked = match backend {
            DbBackend::Postgres => " FOR UPDATE SKIP LOCKED",
            _ => "",
        };
        let sql = format!(
            "UPDATE deliveries SET locked_until = $1, attempts = attempts + 1 \
             WHERE notification_id IN (SELECT notification_id FROM deliveries \
             WHERE state = 'pending' AND next_attempt_at <= $2 \
             AND (locked_until IS NULL OR locked_until < $2) \
             ORDER BY created_at LIMIT {limit}{skip_locked}) RETURNING *"
        );
        let until = now + lease;
        let statement = Statement::from_sql_and_values(backend, sql, [until.into(), now.into()]);
        delivery::Entity::find()
            .from_raw_sql(statement)
            .all(&self.db)
            .await
    }

    /// Extends this worker's lease on an email to `until` if it still holds
    /// it: the new end, or `None` when it was sent or taken over meanwhile.
    pub async fn renew_lease(
        &self,
        id: Uuid,
        claimed_until: Option<DateTime<Utc>>,
        until: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>> {
        let Some(claimed_until) = claimed_until else {
            return Ok(None);
        };
        let renewed = delivery::Entity::update_many()
            .col_expr(delivery::Column::LockedUntil, Expr::value(until))
            .filter(delivery::Column::NotificationId.eq(id))
            .filter(delivery::Column::State.eq(state::PENDING))
            .filter(delivery::Column::LockedUntil.eq(claimed_until))
            .exec(&self.db)
            .await?;
        Ok((renewed.rows_affected == 1).then_some(until))
    }

    /// Marks an email sent.
    pub async fn mark_sent(&self, id: Uuid, now: DateTime<Utc>) -> Result<()> {
        delivery::Entity::update_many()
            .col_expr(delivery::Column::State, Expr::value(state::SENT))
            .col_expr(delivery::Column::SentAt, Expr::value(now))
            .col_expr(
                delivery::Column::LockedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(delivery::Column::NotificationId.eq(id))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Records a failed attempt: tried again at `retry_at`, or parked when
    /// `retry_at` is `None`; unless another worker owns the row now.
    pub async fn mark_failed(
        &self,
        id: Uuid,
        claimed_until: DateTime<Utc>,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<()> {
        let mut update = delivery::Entity::update_many()
            .col_expr(
                delivery::Column::LastError,
                Expr::value(error.chars().take(1000).collect::<String>()),
            )
            .col_expr(
                delivery::Column::LockedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            );
        update = match retry_at {
            Some(at) => update.col_expr(delivery::Column::NextAttemptAt, Expr::value(at)),
            None => update.col_expr(delivery::Column::State, Expr::value(state::PARKED)),
        };
        update
            .filter(delivery::Column::NotificationId.eq(id))
            .filter(delivery::Column::State.eq(state::PENDING))
            .filter(delivery::Column::LockedUntil.eq(claimed_until))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Emails, newest first.
    pub async fn deliveries(&self, filter: &DeliveryFilter) -> Result<Vec<delivery::Model>> {
        let mut query = delivery::Entity::find();
        if !filter.states.is_empty() {
            query = query.filter(delivery::Column::State.is_in(filter.states.clone()));
        }
        if let Some(recipient) = &filter.recipient {
            query = query.filter(delivery::Column::RecipientSubject.eq(recipient.clone()));
        }
        query
            .order_by_desc(delivery::Column::CreatedAt)
            .order_by_desc(delivery::Column::NotificationId)
            .limit(filter.limit)
            .all(&self.db)
            .await
    }

    /// How many emails are in `state`.
    pub async fn count_in(&self, state: &str) -> Result<u64> {
        delivery::Entity::find()
            .filter(delivery::Column::State.eq(state))
            .count(&self.db)
            .await
    }
}
