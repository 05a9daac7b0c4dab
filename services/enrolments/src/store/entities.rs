//! The enrolments service's tables, as sea-orm entities.

/// Seats of a session: the facts copied from courses at enrolment time and the
/// counter that the conditional update guards.
pub mod session_seats {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "session_seats")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub session_id: Uuid,
        pub course_id: Uuid,
        pub capacity: i32,
        /// Confirmed enrolments holding a seat; never above `capacity`.
        pub taken: i32,
        pub meeting_count: i32,
        pub instructor_subject: String,
        pub course_title_fa: String,
        pub course_title_en: String,
        pub hours: i32,
        pub passing_score: i32,
        pub min_attendance_percent: i32,
        pub certificate_validity_months: Option<i32>,
        pub updated_at: DateTimeUtc,
        /// The member company hosting the session, if one does.
        pub host_organization_id: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Per-organization seat caps of a session and their counters.
pub mod quota_seats {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "quota_seats")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub session_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: String,
        pub quota: i32,
        pub taken: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Enrolments: one per trainee and session.
pub mod enrolment {
    use sea_orm::entity::prelude::*;

    use crate::domain::status::EnrolmentStatus;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "enrolments")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub session_id: Uuid,
        pub course_id: Uuid,
        pub trainee_subject: String,
        pub trainee_name: String,
        pub trainee_organization_id: String,
        pub status: EnrolmentStatus,
        pub enrolled_by_subject: String,
        pub enrolled_by_name: String,
        pub enrolled_by_organization_id: String,
        /// When the enrolment joined the waitlist; the waitlist is served in
        /// this order.
        pub waitlisted_at: Option<DateTimeUtc>,
        pub score: Option<i32>,
        pub attendance_percent: Option<i32>,
        pub passing_score: Option<i32>,
        pub min_attendance_percent: Option<i32>,
        pub hours: Option<i32>,
        pub assessor_subject: Option<String>,
        pub assessor_name: Option<String>,
        pub assessor_organization_id: Option<String>,
        pub completed_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
        pub status_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Every status change of every enrolment.
pub mod history {
    use sea_orm::entity::prelude::*;

    use crate::domain::status::{Cause, EnrolmentStatus};

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "enrolment_history")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub enrolment_id: Uuid,
        pub from_status: Option<EnrolmentStatus>,
        pub to_status: EnrolmentStatus,
        pub cause: Cause,
        pub reason: String,
        pub actor_subject: String,
        pub actor_name: String,
        pub actor_organization_id: String,
        pub changed_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Attendance per enrolment and meeting.
pub mod attendance {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "attendance")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub enrolment_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub meeting_index: i32,
        pub present: bool,
        pub recorder_subject: String,
        pub recorder_name: String,
        pub recorder_organization_id: String,
        pub recorded_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Completions waiting to be delivered to certification.
pub mod outbox {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "outbox")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        #[sea_orm(unique)]
        pub enrolment_id: Uuid,
        /// An encoded `IssueCertificateRequest`.
        pub payload: Vec<u8>,
        pub created_at: DateTimeUtc,
        pub attempts: i32,
        pub next_attempt_at: DateTimeUtc,
        pub locked_until: Option<DateTimeUtc>,
        pub delivered_at: Option<DateTimeUtc>,
        pub last_error: String,
        pub last_error_at: Option<DateTimeUtc>,
        /// When the kit's outbox gave up on the row (never, for these).
        pub parked_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Notifications waiting to be published to the notifications service: one
/// per status change, written in the change's transaction.
pub mod notify_outbox {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "notify_outbox")]
    pub struct Model {
        /// The event's id (the history row's), the key of idempotency.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub enrolment_id: Uuid,
        /// An encoded `hamafza.notifications.v1.PublishRequest`.
        pub payload: Vec<u8>,
        pub created_at: DateTimeUtc,
        pub attempts: i32,
        pub next_attempt_at: DateTimeUtc,
        pub locked_until: Option<DateTimeUtc>,
        pub delivered_at: Option<DateTimeUtc>,
        pub last_error: String,
        pub last_error_at: Option<DateTimeUtc>,
        /// When the kit's outbox gave up on the row (never, for these).
        pub parked_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Small named values the background workers keep (e.g. how far the session
/// reconciliation has read).
pub mod worker_state {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "worker_state")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub name: String,
        pub value: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Course evaluations: one per evaluated enrolment, never naming the trainee.
pub mod evaluation {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "evaluations")]
    pub struct Model {
        /// The evaluated enrolment: kept only for one-per-enrolment and edits.
        #[sea_orm(primary_key, auto_increment = false)]
        pub enrolment_id: Uuid,
        pub session_id: Uuid,
        pub course_id: Uuid,
        pub instructor_subject: String,
        pub organization_id: String,
        /// When the enrolment ended (its completion time).
        pub ended_at: DateTimeUtc,
        pub content: i16,
        pub instructor: i16,
        pub relevance: i16,
        pub organization: i16,
        pub overall: i16,
        pub comment: String,
        pub submitted_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
