//! Reading enrolments: one or many with their history, attendance and
//! waitlist places, listings within the caller's visibility, and rosters.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use super::{Result, Store, not_found};
use crate::domain::status::EnrolmentStatus;
use crate::store::entities::{attendance, enrolment, history, session_seats};

/// An enrolment with everything shown about it.
#[derive(Debug, Clone)]
pub struct EnrolmentView {
    /// The row.
    pub enrolment: enrolment::Model,
    /// Status changes, oldest first.
    pub history: Vec<history::Model>,
    /// Attendance marks by meeting.
    pub attendance: Vec<attendance::Model>,
    /// 1-based place in the waitlist; 0 when not waitlisted.
    pub waitlist_position: u32,
}

/// Who may see which enrolments: the union of the caller's scopes.
#[derive(Debug, Clone, Default)]
pub struct Visibility {
    /// Everything (admins, council, services).
    pub everything: bool,
    /// Enrolments of this trainee.
    pub trainee: Option<String>,
    /// Enrolments of people of this organization.
    pub organization: Option<String>,
    /// Enrolments of sessions taught by this instructor.
    pub instructor: Option<String>,
}

/// Filters of an enrolment listing.
#[derive(Debug, Clone, Default)]
pub struct EnrolmentFilter {
    /// Of this session.
    pub session: Option<Uuid>,
    /// Of this course.
    pub course: Option<Uuid>,
    /// Of this trainee.
    pub trainee: Option<String>,
    /// Of this organization's people.
    pub organization: Option<String>,
    /// In these statuses (empty: all).
    pub statuses: Vec<EnrolmentStatus>,
    /// Created at or after.
    pub created_from: Option<DateTime<Utc>>,
    /// Created before.
    pub created_until: Option<DateTime<Utc>>,
}

impl Store {
    /// The courses among `course_ids` that `trainee` has completed.
    pub async fn completed_courses(&self, trainee: &str, course_ids: &[Uuid]) -> Result<Vec<Uuid>> {
        if course_ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(enrolment::Entity::find()
            .select_only()
            .column(enrolment::Column::CourseId)
            .filter(enrolment::Column::TraineeSubject.eq(trainee))
            .filter(enrolment::Column::Status.eq(EnrolmentStatus::Completed))
            .filter(enrolment::Column::CourseId.is_in(course_ids.to_vec()))
            .distinct()
            .into_tuple()
            .all(&self.db)
            .await?)
    }

    /// One enrolment row.
    pub async fn enrolment(&self, id: Uuid) -> Result<Option<enrolment::Model>> {
        Ok(enrolment::Entity::find_by_id(id).one(&self.db).await?)
    }

    /// Enrolments with their history, attendance and waitlist places, in the
    /// order of `ids`.
    pub async fn views(
        &self,
        db: &impl ConnectionTrait,
        ids: &[Uuid],
    ) -> Result<Vec<EnrolmentView>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = enrolment::Entity::find()
            .filter(enrolment::Column::Id.is_in(ids.to_vec()))
            .all(db)
            .await?;
        let mut histories: HashMap<Uuid, Vec<history::Model>> = HashMap::new();
        for change in history::Entity::find()
            .filter(history::Column::EnrolmentId.is_in(ids.to_vec()))
            .order_by_asc(history::Column::ChangedAt)
            .order_by_asc(history::Column::Id)
            .all(db)
            .await?
        {
            histories
                .entry(change.enrolment_id)
                .or_default()
                .push(change);
        }
        let mut marks: HashMap<Uuid, Vec<attendance::Model>> = HashMap::new();
        for mark in attendance::Entity::find()
            .filter(attendance::Column::EnrolmentId.is_in(ids.to_vec()))
            .order_by_asc(attendance::Column::MeetingIndex)
            .all(db)
            .await?
        {
            marks.entry(mark.enrolment_id).or_default().push(mark);
        }
        let mut by_id: HashMap<Uuid, enrolment::Model> =
            rows.into_iter().map(|row| (row.id, row)).collect();
        let mut views = Vec::with_capacity(ids.len());
        for id in ids {
            let Some(row) = by_id.remove(id) else {
                continue;
            };
            let waitlist_position = match (row.status, row.waitlisted_at) {
                (EnrolmentStatus::Waitlisted, Some(at)) => {
                    let ahead = enrolment::Entity::find()
                        .filter(enrolment::Column::SessionId.eq(row.session_id))
                        .filter(enrolment::Column::Status.eq(EnrolmentStatus::Waitlisted))
                        .filter(
                            Condition::any()
                                .add(enrolment::Column::WaitlistedAt.lt(at))
                                .add(
                                    Condition::all()
                                        .add(enrolment::Column::WaitlistedAt.eq(at))
                                        .add(enrolment::Column::Id.lt(row.id)),
                                ),
                        )
                        .count(db)
                        .await?;
                    u32::try_from(ahead + 1).unwrap_or(u32::MAX)
                }
                _ => 0,
            };
            views.push(EnrolmentView {
                history: histories.remove(id).unwrap_or_default(),
                attendance: marks.remove(id).unwrap_or_default(),
                waitlist_position,
                enrolment: row,
            });
        }
        Ok(views)
    }

    /// One enrolment with everything shown about it.
    pub async fn view(&self, db: &impl ConnectionTrait, id: Uuid) -> Result<EnrolmentView> {
        self.views(db, &[id])
            .await?
            .pop()
            .ok_or_else(|| not_found("enrolment", id))
    }

    /// Whether `visibility` covers `row`.
    pub async fn is_visible(
        &self,
        visibility: &Visibility,
        row: &enrolment::Model,
    ) -> Result<bool> {
        if visibility.everything
            || visibility.trainee.as_deref() == Some(row.trainee_subject.as_str())
            || visibility.organization.as_deref() == Some(row.trainee_organization_id.as_str())
        {
            return Ok(true);
        }
        if let Some(instructor) = &visibility.instructor {
            return Ok(self
                .seats(row.session_id)
                .await?
                .is_some_and(|seats| &seats.instructor_subject == instructor));
        }
        Ok(false)
    }

    /// Enrolments in creation order after `after`, within `visibility`.
    pub async fn list(
        &self,
        visibility: &Visibility,
        filter: &EnrolmentFilter,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Vec<EnrolmentView>> {
        let mut query = enrolment::Entity::find()
            .select_only()
            .column(enrolment::Column::Id)
            .order_by_asc(enrolment::Column::Id)
            .limit(limit);
        if !visibility.everything {
            let mut scope = Condition::any();
            if let Some(trainee) = &visibility.trainee {
                scope = scope.add(enrolment::Column::TraineeSubject.eq(trainee.clone()));
            }
            if let Some(organization) = &visibility.organization {
                scope =
                    scope.add(enrolment::Column::TraineeOrganizationId.eq(organization.clone()));
            }
            if let Some(instructor) = &visibility.instructor {
                let taught: Vec<Uuid> = session_seats::Entity::find()
                    .select_only()
                    .column(session_seats::Column::SessionId)
                    .filter(session_seats::Column::InstructorSubject.eq(instructor.clone()))
                    .into_tuple()
                    .all(&self.db)
                    .await?;
                scope = scope.add(enrolment::Column::SessionId.is_in(taught));
            }
            query = query.filter(scope);
        }
        if let Some(after) = after {
            query = query.filter(enrolment::Column::Id.gt(after));
        }
        if let Some(session) = filter.session {
            query = query.filter(enrolment::Column::SessionId.eq(session));
        }
        if let Some(course) = filter.course {
            query = query.filter(enrolment::Column::CourseId.eq(course));
        }
        if let Some(trainee) = &filter.trainee {
            query = query.filter(enrolment::Column::TraineeSubject.eq(trainee.clone()));
        }
        if let Some(organization) = &filter.organization {
            query = query.filter(enrolment::Column::TraineeOrganizationId.eq(organization.clone()));
        }
        if !filter.statuses.is_empty() {
            query = query.filter(enrolment::Column::Status.is_in(filter.statuses.clone()));
        }
        if let Some(from) = filter.created_from {
            query = query.filter(enrolment::Column::CreatedAt.gte(from));
        }
        if let Some(until) = filter.created_until {
            query = query.filter(enrolment::Column::CreatedAt.lt(until));
        }
        let ids: Vec<Uuid> = query.into_tuple().all(&self.db).await?;
        self.views(&self.db, &ids).await
    }

    /// A session's enrolments for the roster, by trainee organization and name.
    pub async fn roster(
        &self,
        session_id: Uuid,
        statuses: &[EnrolmentStatus],
        organization: Option<&str>,
    ) -> Result<Vec<EnrolmentView>> {
        let mut query = enrolment::Entity::find()
            .select_only()
            .column(enrolment::Column::Id)
            .filter(enrolment::Column::SessionId.eq(session_id))
            .order_by_asc(enrolment::Column::TraineeOrganizationId)
            .order_by_asc(enrolment::Column::TraineeName)
            .order_by_asc(enrolment::Column::Id);
        if !statuses.is_empty() {
            query = query.filter(enrolment::Column::Status.is_in(statuses.to_vec()));
        }
        if let Some(organization) = organization {
            query = query.filter(enrolment::Column::TraineeOrganizationId.eq(organization));
        }
        let ids: Vec<Uuid> = query.into_tuple().all(&self.db).await?;
        let mut views = self.views(&self.db, &ids).await?;
        // By organization, then name as a Persian reader orders them (the
        // database orders by code point, or by its own collation).
        views.sort_by_cached_key(|view| {
            (
                view.enrolment.trainee_organization_id.clone(),
                hamafza_kit::text::persian_order(&view.enrolment.trainee_name),
                view.enrolment.id,
            )
        });
        Ok(views)
    }
}
