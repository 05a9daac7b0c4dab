//! The notifications service's tables, as sea-orm entities.

/// One notification to one person: what their inbox shows.
pub mod notification {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "notifications")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// Event id + recipient + kind: one notification per event, person and
        /// kind, however often the event is delivered.
        #[sea_orm(unique)]
        pub dedupe_key: String,
        pub event_id: Uuid,
        pub recipient_subject: String,
        /// The wire kind's number (`NotificationKind`).
        pub kind: i32,
        pub title_fa: String,
        pub title_en: String,
        pub body_fa: String,
        pub body_en: String,
        pub link: String,
        pub created_at: DateTimeUtc,
        pub read_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The email of a notification and how its delivery stands.
pub mod delivery {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "deliveries")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub notification_id: Uuid,
        pub recipient_subject: String,
        pub to_address: String,
        pub subject_line: String,
        /// The whole message (RFC 5322), made once so every attempt sends the
        /// same bytes (and the same Message-ID).
        pub message: Vec<u8>,
        /// Its HTML part, for the development mailbox.
        pub html: String,
        /// `pending`, `sent`, `parked` or `no_address`.
        pub state: String,
        pub kind: i32,
        pub attempts: i32,
        pub next_attempt_at: DateTimeUtc,
        pub locked_until: Option<DateTimeUtc>,
        pub last_error: String,
        pub created_at: DateTimeUtc,
        pub sent_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The kinds a person turned off.
pub mod muted_kind {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "muted_kinds")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub subject: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub kind: i32,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
