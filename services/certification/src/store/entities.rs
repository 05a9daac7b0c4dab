//! The certification service's tables.

/// Certificates.
pub mod certificate {
    use sea_orm::entity::prelude::*;

    use crate::domain::status::{Kind, Source};

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "certificates")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        #[sea_orm(unique)]
        pub serial: String,
        pub kind: Kind,
        pub source: Source,
        pub trainee_subject: String,
        pub trainee_name: String,
        pub organization_id: String,
        pub organization_name_fa: String,
        pub organization_name_en: String,
        pub course_id: Option<Uuid>,
        pub program_id: Option<Uuid>,
        pub title_fa: String,
        pub title_en: String,
        pub hours: i32,
        pub score: Option<i32>,
        pub completion_time: DateTimeUtc,
        pub issue_time: DateTimeUtc,
        pub valid_until: Option<DateTimeUtc>,
        /// What this certificate certifies once: an enrolment id, or
        /// `program:<program>:<trainee>`; unset for manual certificates.
        #[sea_orm(unique)]
        pub completion_key: Option<String>,
        pub session_id: Option<Uuid>,
        pub revoked_at: Option<DateTimeUtc>,
        pub revoke_reason: String,
        pub revoked_by_subject: String,
        pub revoked_by_name: String,
        pub credential_jwt: String,
        pub key_id: String,
        pub manual_reason: String,
        pub issued_by_subject: String,
        pub issued_by_name: String,
        pub issued_by_organization_id: String,
        /// Ids of the course certificates a program certificate rests on.
        pub basis: Json,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Every public key that ever signed a certificate.
pub mod issuer_key {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "issuer_keys")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub kid: String,
        /// The public JWK, as JSON.
        pub jwk: String,
        pub first_used_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
