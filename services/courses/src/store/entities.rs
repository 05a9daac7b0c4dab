//! The courses service's tables, as sea-orm entities.

/// Organizations: the holding and its member companies.
pub mod organization {
    use sea_orm::entity::prelude::*;

    use crate::domain::values::OrganizationKind;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "organizations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub name_fa: String,
        pub name_en: String,
        pub kind: OrganizationKind,
        pub parent_id: Option<String>,
        pub created_at: DateTimeUtc,
        /// Bumped by every write of the row; the etag is made of it.
        pub revision: i64,
        /// [`hamafza_kit::text::search_key_of`] of the searchable texts.
        pub search_key: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Courses.
pub mod course {
    use sea_orm::entity::prelude::*;

    use crate::domain::values::DeliveryMode;
    use crate::domain::workflow::CatalogStatus;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "courses")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        #[sea_orm(unique)]
        pub code: String,
        pub title_fa: String,
        pub title_en: String,
        pub description_fa: String,
        pub description_en: String,
        pub category: String,
        pub hours: i32,
        pub delivery_mode: DeliveryMode,
        pub passing_score: i32,
        pub min_attendance_percent: i32,
        pub certificate_validity_months: Option<i32>,
        pub requires_manager_approval: bool,
        pub status: CatalogStatus,
        pub owner_organization_id: String,
        pub review_round: i32,
        pub created_by: String,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub published_at: Option<DateTimeUtc>,
        /// Bumped by every write of the row; the etag is made of it.
        pub revision: i64,
        /// [`hamafza_kit::text::search_key_of`] of the searchable texts.
        pub search_key: String,
        /// Who the course is for, in Persian (empty when it does not say).
        pub audience_fa: String,
        /// Who the course is for, in English.
        pub audience_en: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Which courses must be completed before another.
pub mod course_prerequisite {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "course_prerequisites")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub course_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub prerequisite_id: Uuid,
        pub position: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Programs (curricula).
pub mod program {
    use sea_orm::entity::prelude::*;

    use crate::domain::workflow::CatalogStatus;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "programs")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        #[sea_orm(unique)]
        pub code: String,
        pub title_fa: String,
        pub title_en: String,
        pub description_fa: String,
        pub description_en: String,
        pub status: CatalogStatus,
        pub owner_organization_id: String,
        pub review_round: i32,
        pub created_by: String,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub published_at: Option<DateTimeUtc>,
        /// Bumped by every write of the row; the etag is made of it.
        pub revision: i64,
        /// [`hamafza_kit::text::search_key_of`] of the searchable texts.
        pub search_key: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The ordered courses of a program.
pub mod program_course {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "program_courses")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub program_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub course_id: Uuid,
        pub position: i32,
        pub required: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Council votes on programs and courses, every round kept.
pub mod council_vote {
    use sea_orm::entity::prelude::*;

    use crate::domain::workflow::VoteDecision;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "council_votes")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// `course` or `program`.
        pub subject_kind: String,
        pub subject_id: Uuid,
        pub round: i32,
        pub voter_subject: String,
        pub voter_name: String,
        pub voter_organization_id: String,
        pub decision: VoteDecision,
        pub comment: String,
        pub voted_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Sessions: scheduled offerings of a course.
pub mod session {
    use sea_orm::entity::prelude::*;

    use crate::domain::sessions::SessionStatus;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sessions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub course_id: Uuid,
        pub status: SessionStatus,
        pub cancel_reason: String,
        /// The meetings, as a JSON array (owned by the session, read whole).
        pub meetings: Json,
        pub venue_fa: String,
        pub venue_en: String,
        pub online_url: String,
        pub instructor_subject: String,
        pub instructor_name: String,
        pub instructor_organization_id: String,
        pub capacity: i32,
        pub enrolment_opens_at: DateTimeUtc,
        pub enrolment_closes_at: DateTimeUtc,
        pub starts_at: DateTimeUtc,
        pub ends_at: DateTimeUtc,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        /// Bumped by every write of the row; the etag is made of it.
        pub revision: i64,
        /// The member company hosting it; its proposal is in
        /// `session_hostings`.
        pub host_organization_id: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The proposals of company-hosted sessions and their decisions.
pub mod session_hosting {
    use sea_orm::entity::prelude::*;

    use crate::domain::hosting::HostingState;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "session_hostings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub session_id: Uuid,
        pub host_organization_id: String,
        pub state: HostingState,
        pub proposed_by_subject: String,
        pub proposed_by_name: String,
        pub proposed_at: DateTimeUtc,
        pub decided_by_subject: Option<String>,
        pub decided_by_name: Option<String>,
        pub decided_at: Option<DateTimeUtc>,
        pub decline_reason: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Per-organization seat caps of sessions.
pub mod session_quota {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "session_quotas")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub session_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: String,
        pub seats: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The year's exhibitions, conferences and seminars.
pub mod event {
    use sea_orm::entity::prelude::*;

    use crate::domain::values::EventKind;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub kind: EventKind,
        pub title_fa: String,
        pub title_en: String,
        pub description_fa: String,
        pub description_en: String,
        pub place_fa: String,
        pub place_en: String,
        pub organizer_organization_id: String,
        pub url: String,
        pub starts_at: DateTimeUtc,
        pub ends_at: DateTimeUtc,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        /// Bumped by every write of the row; the etag is made of it.
        pub revision: i64,
        /// [`hamafza_kit::text::search_key_of`] of the searchable texts.
        pub search_key: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Organizations taking part in events.
pub mod event_participant {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "event_participants")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub event_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The people directory: who belongs to which organization.
pub mod person {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "people")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub subject: String,
        pub name_fa: String,
        pub name_en: String,
        pub organization_id: String,
        pub email: String,
        pub job_title: String,
        pub active: bool,
        /// `sign_in` or `directory`.
        pub source: String,
        /// [`hamafza_kit::text::search_key`] of subject, names, email and job
        /// title, joined by `|`.
        pub search_key: String,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub last_sign_in_at: Option<DateTimeUtc>,
        /// The platform roles they hold, claim values between commas:
        /// `,council,org_manager,` (empty when none), so that one role is
        /// found with `LIKE '%,org_manager,%'`.
        pub roles: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The council's settings: one row (id 1), absent until an admin sets them.
pub mod council_settings {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "council_settings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i32,
        pub required_approvals: i32,
        pub revision: i64,
        pub updated_at: DateTimeUtc,
        pub updated_by_subject: String,
        pub updated_by_name: String,
        pub updated_by_organization_id: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
