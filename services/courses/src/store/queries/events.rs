//! Event queries: events with their participating organizations, and
//! joining or leaving one.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use hamafza_kit::idempotency::RequestKey;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use uuid::Uuid;

use super::{Result, Store, matches_text, not_found};
use crate::domain::CoursesError;
use crate::domain::catalog::EventDraft;
use crate::domain::values::{EventKind, OrganizationId};
use crate::store::entities::{event, event_participant};

/// An event with its participants.
#[derive(Debug, Clone)]
pub struct EventRecord {
    /// The event row.
    pub event: event::Model,
    /// Participating organization ids.
    pub participants: Vec<String>,
}

/// Filters of an event listing.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Kind.
    pub kind: Option<EventKind>,
    /// Starting at or after.
    pub start_from: Option<DateTime<Utc>>,
    /// Starting before.
    pub start_until: Option<DateTime<Utc>>,
    /// Organizing or taking part.
    pub organization: Option<String>,
    /// Text in titles.
    pub text: Option<String>,
}

impl Store {
    /// Adds an event. Under a client's request `key`, once (see
    /// [`Store::create_once`]).
    pub async fn create_event(
        &self,
        draft: &EventDraft,
        now: DateTime<Utc>,
        key: Option<&RequestKey>,
    ) -> Result<EventRecord> {
        self.require_event_organizations(draft).await?;
        let id = self
            .create_once(key, async |txn| {
                let id = Uuid::now_v7();
                let row = event::ActiveModel {
                    id: Set(id),
                    revision: Set(1),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..event_details(draft)
                };
                event::Entity::insert(row)
                    .exec_without_returning(txn)
                    .await?;
                insert_participants(txn, id, &draft.participants).await?;
                Ok(id)
            })
            .await?;
        self.event(id).await?.ok_or_else(|| not_found("event", id))
    }

    /// Replaces an event's details if it is still at `revision`.
    pub async fn update_event(
        &self,
        id: Uuid,
        draft: &EventDraft,
        revision: i64,
        now: DateTime<Utc>,
    ) -> Result<EventRecord> {
        self.require_event_organizations(draft).await?;
        let txn = self.db.begin().await?;
        let details = event_details(draft);
        let mut update = event::Entity::update_many()
            .filter(event::Column::Id.eq(id))
            .filter(event::Column::Revision.eq(revision))
            .col_expr(event::Column::UpdatedAt, Expr::value(now))
            .col_expr(
                event::Column::Revision,
                Expr::col(event::Column::Revision).add(1),
            );
        for column in [
            event::Column::Kind,
            event::Column::TitleFa,
            event::Column::TitleEn,
            event::Column::DescriptionFa,
            event::Column::DescriptionEn,
            event::Column::PlaceFa,
            event::Column::PlaceEn,
            event::Column::OrganizerOrganizationId,
            event::Column::Url,
            event::Column::StartsAt,
            event::Column::EndsAt,
            event::Column::SearchKey,
        ] {
            if let Some(value) = details.get(column).into_value() {
                update = update.col_expr(column, Expr::value(value));
            }
        }
        if update.exec(&txn).await?.rows_affected == 0 {
            drop(txn);
            return Err(match event::Entity::find_by_id(id).one(&self.db).await? {
                Some(_) => CoursesError::EtagMismatch {
                    kind: "event",
                    id: id.to_string(),
                },
                None => not_found("event", id),
            });
        }
        event_participant::Entity::delete_many()
            .filter(event_participant::Column::EventId.eq(id))
            .exec(&txn)
            .await?;
        insert_participants(&txn, id, &draft.participants).await?;
        txn.commit().await?;
        self.event(id).await?.ok_or_else(|| not_found("event", id))
    }

    /// Removes an event and its participations.
    pub async fn delete_event(&self, id: Uuid) -> Result<()> {
        let txn = self.db.begin().await?;
        event_participant::Entity::delete_many()
            .filter(event_participant::Column::EventId.eq(id))
            .exec(&txn)
            .await?;
        if event::Entity::delete_by_id(id)
            .exec(&txn)
            .await?
            .rows_affected
            == 0
        {
            return Err(not_found("event", id));
        }
        txn.commit().await?;
        Ok(())
    }

    /// Adds or removes one organization among an event's participants.
    pub async fn set_participation(
        &self,
        id: Uuid,
        organization: &OrganizationId,
        participating: bool,
        now: DateTime<Utc>,
    ) -> Result<EventRecord> {
        self.require_organization(organization.as_str()).await?;
        let txn = self.db.begin().await?;
        let touched = event::Entity::update_many()
            .filter(event::Column::Id.eq(id))
            .col_expr(event::Column::UpdatedAt, Expr::value(now))
            .col_expr(
                event::Column::Revision,
                Expr::col(event::Column::Revision).add(1),
            )
            .exec(&txn)
            .await?
            .rows_affected;
        if touched == 0 {
            return Err(not_found("event", id));
        }
        let existing =
            event_participant::Entity::find_by_id((id, organization.as_str().to_owned()))
                .one(&txn)
                .await?;
        match (participating, existing) {
            (true, None) => {
                event_participant::Entity::insert(event_participant::ActiveModel {
                    event_id: Set(id),
                    organization_id: Set(organization.as_str().to_owned()),
                })
                .exec_without_returning(&txn)
                .await?;
            }
            (false, Some(_)) => {
                event_participant::Entity::delete_by_id((id, organization.as_str().to_owned()))
                    .exec(&txn)
                    .await?;
            }
            (true, Some(_)) | (false, None) => {}
        }
        txn.commit().await?;
        self.event(id).await?.ok_or_else(|| not_found("event", id))
    }

    async fn require_event_organizations(&self, draft: &EventDraft) -> Result<()> {
        let mut ids: Vec<&str> = draft
            .participants
            .iter()
            .map(OrganizationId::as_str)
            .collect();
        ids.push(draft.organizer.as_str());
        match self.missing_organizations(&ids).await?.into_iter().next() {
            Some(missing) => Err(not_found("organization", missing)),
            None => Ok(()),
        }
    }

    /// One event.
    pub async fn event(&self, id: Uuid) -> Result<Option<EventRecord>> {
        let Some(row) = event::Entity::find_by_id(id).one(&self.db).await? else {
            return Ok(None);
        };
        Ok(self.event_records(vec![row]).await?.pop())
    }

    /// Events by start time, after the `(start, id)` cursor.
    pub async fn list_events(
        &self,
        filter: &EventFilter,
        after: Option<(DateTime<Utc>, Uuid)>,
        limit: u64,
    ) -> Result<Vec<EventRecord>> {
        let mut query = event::Entity::find()
            .order_by_asc(event::Column::StartsAt)
            .order_by_asc(event::Column::Id)
            .limit(limit);
        if let Some((start, id)) = after {
            query = query.filter(
                Condition::any().add(event::Column::StartsAt.gt(start)).add(
                    Condition::all()
                        .add(event::Column::StartsAt.eq(start))
                        .add(event::Column::Id.gt(id)),
                ),
            );
        }
        if let Some(kind) = filter.kind {
            query = query.filter(event::Column::Kind.eq(kind));
        }
        if let Some(from) = filter.start_from {
            query = query.filter(event::Column::StartsAt.gte(from));
        }
        if let Some(until) = filter.start_until {
            query = query.filter(event::Column::StartsAt.lt(until));
        }
        if let Some(text) = &filter.text {
            query = query.filter(matches_text(event::Column::SearchKey, text));
        }
        if let Some(organization) = &filter.organization {
            let participating = Query::select()
                .column(event_participant::Column::EventId)
                .from(event_participant::Entity)
                .and_where(
                    Expr::col(event_participant::Column::OrganizationId).eq(organization.clone()),
                )
                .take();
            query = query.filter(
                Condition::any()
                    .add(event::Column::OrganizerOrganizationId.eq(organization.clone()))
                    .add(Expr::col(event::Column::Id).in_subquery(participating)),
            );
        }
        let rows = query.all(&self.db).await?;
        self.event_records(rows).await
    }

    async fn event_records(&self, rows: Vec<event::Model>) -> Result<Vec<EventRecord>> {
        let ids: Vec<Uuid> = rows.iter().map(|row| row.id).collect();
        let mut participants: HashMap<Uuid, Vec<String>> = HashMap::new();
        if !ids.is_empty() {
            for row in event_participant::Entity::find()
                .filter(event_participant::Column::EventId.is_in(ids))
                .order_by_asc(event_participant::Column::OrganizationId)
                .all(&self.db)
                .await?
            {
                participants
                    .entry(row.event_id)
                    .or_default()
                    .push(row.organization_id);
            }
        }
        Ok(rows
            .into_iter()
            .map(|row| EventRecord {
                participants: participants.remove(&row.id).unwrap_or_default(),
                event: row,
            })
            .collect())
    }
}

fn event_details(draft: &EventDraft) -> event::ActiveModel {
    event::ActiveModel {
        kind: Set(draft.kind),
        title_fa: Set(draft.title.fa.clone()),
        title_en: Set(draft.title.en.clone()),
        description_fa: Set(draft.description.fa.clone()),
        description_en: Set(draft.description.en.clone()),
        place_fa: Set(draft.place.fa.clone()),
        place_en: Set(draft.place.en.clone()),
        organizer_organization_id: Set(draft.organizer.as_str().to_owned()),
        url: Set(draft.url.clone().unwrap_or_default()),
        starts_at: Set(draft.starts_at),
        ends_at: Set(draft.ends_at),
        search_key: Set(hamafza_kit::text::search_key_of(&[
            &draft.title.fa,
            &draft.title.en,
            &draft.place.fa,
            &draft.place.en,
        ])),
        ..Default::default()
    }
}

async fn insert_participants(
    db: &impl ConnectionTrait,
    event_id: Uuid,
    participants: &[OrganizationId],
) -> Result<()> {
    if participants.is_empty() {
        return Ok(());
    }
    let rows = participants
        .iter()
        .map(|organization| event_participant::ActiveModel {
            event_id: Set(event_id),
            organization_id: Set(organization.as_str().to_owned()),
        });
    event_participant::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await?;
    Ok(())
}
