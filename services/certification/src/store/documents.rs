//! The rendered certificate documents, kept per certificate.

use sea_orm::entity::prelude::*;
use sea_orm::sea_query::OnConflict;
use sea_orm::{EntityTrait, QueryFilter};
use uuid::Uuid;

use super::Store;
use crate::domain::CertificationError;

/// The documents table.
pub mod certificate_document {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "certificate_documents")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub certificate_id: Uuid,
        /// What the document shows, hashed with its layout.
        pub digest: String,
        /// The PDF.
        pub pdf: Vec<u8>,
        pub rendered_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

impl Store {
    /// The kept document of `certificate`, if it was rendered from what
    /// `digest` names.
    pub async fn document(
        &self,
        certificate: Uuid,
        digest: &str,
    ) -> Result<Option<Vec<u8>>, CertificationError> {
        Ok(certificate_document::Entity::find_by_id(certificate)
            .filter(certificate_document::Column::Digest.eq(digest))
            .one(&self.db)
            .await?
            .map(|row| row.pdf))
    }

    /// Keeps a rendered document, replacing an older one.
    pub async fn keep_document(
        &self,
        certificate: Uuid,
        digest: &str,
        pdf: Vec<u8>,
    ) -> Result<(), CertificationError> {
        let row = certificate_document::ActiveModel {
            certificate_id: sea_orm::Set(certificate),
            digest: sea_orm::Set(digest.to_owned()),
            pdf: sea_orm::Set(pdf),
            rendered_at: sea_orm::Set(hamafza_kit::time::now()),
        };
        certificate_document::Entity::insert(row)
            .on_conflict(
                OnConflict::column(certificate_document::Column::CertificateId)
                    .update_columns([
                        certificate_document::Column::Digest,
                        certificate_document::Column::Pdf,
                        certificate_document::Column::RenderedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await?;
        Ok(())
    }
}
