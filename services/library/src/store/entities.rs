//! The library's tables, as sea-orm entities.

/// One item a company publishes.
pub mod item {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "items")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// The wire kind's number (`ItemKind`).
        pub kind: i32,
        pub title_fa: String,
        pub title_en: String,
        pub summary_fa: String,
        pub summary_en: String,
        /// The wire tags' numbers, comma-separated in order (`,1,3,`), so one
        /// tag is found with `LIKE '%,3,%'`.
        pub tags: String,
        pub organization_id: String,
        pub author_subject: String,
        pub author_name: String,
        pub course_id: Option<Uuid>,
        pub event_id: Option<Uuid>,
        /// `draft`, `submitted`, `approved` or `returned`.
        pub state: String,
        pub return_reason: String,
        /// `kit::text::search_key_of` the titles, summaries and tag names.
        pub search_key: String,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub approved_at: Option<DateTimeUtc>,
        pub reviewed_by: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A file attached to an item; its bytes are in the object store.
pub mod file {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "item_files")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub item_id: Uuid,
        pub name: String,
        pub content_type: String,
        pub size_bytes: i64,
        /// Hex SHA-256 of the bytes.
        pub sha256: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// One download of a file, by a person of a company.
pub mod download {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "downloads")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub file_id: Uuid,
        pub item_id: Uuid,
        pub organization_id: String,
        pub subject: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
