//! Update masks (AIP-134): which fields of an update request's details a path
//! names, and copying them from the request onto the stored details. Paths
//! are relative to the details message (`capacity`, not `details.capacity`);
//! a bilingual text is named whole (`title`) or by language (`title.fa`).
//!
//! Each `merge_*` copies the field `path` names from `given` onto `stored`
//! and says whether it knew the path; it is also how a mask is checked, by
//! merging onto a scratch value before anything is read.

use hamafza_proto::common::LocalizedText;
use hamafza_proto::courses as pb;

/// Copies the bilingual text `path` names (`name`, `name.fa` or `name.en`).
fn merge_text(stored: &mut Option<LocalizedText>, given: Option<&LocalizedText>, path: &str) {
    let given = given.cloned().unwrap_or_default();
    match path.rsplit_once('.') {
        None => *stored = Some(given),
        Some((_, "fa")) => stored.get_or_insert_default().fa = given.fa,
        Some(_) => stored.get_or_insert_default().en = given.en,
    }
}

/// Applies `paths` of `given` onto `stored` with `merge`; `None` paths mean
/// a full replacement by `given`.
pub fn apply_mask<T: Clone + Default>(
    stored: T,
    given: Option<&T>,
    paths: Option<&[String]>,
    merge: fn(&mut T, &T, &str) -> bool,
) -> Option<T> {
    let Some(paths) = paths else {
        return given.cloned();
    };
    let mut merged = stored;
    let empty = T::default();
    let given = given.unwrap_or(&empty);
    for path in paths {
        merge(&mut merged, given, path);
    }
    Some(merged)
}

/// Whether `merge` knows `path`.
pub fn knows<T: Default>(merge: fn(&mut T, &T, &str) -> bool) -> impl Fn(&str) -> bool {
    move |path| merge(&mut T::default(), &T::default(), path)
}

/// Session details.
pub fn merge_session(
    stored: &mut pb::SessionDetails,
    given: &pb::SessionDetails,
    path: &str,
) -> bool {
    match path {
        "meetings" => stored.meetings.clone_from(&given.meetings),
        "venue" | "venue.fa" | "venue.en" => {
            merge_text(&mut stored.venue, given.venue.as_ref(), path)
        }
        "online_url" => stored.online_url.clone_from(&given.online_url),
        "instructor" => stored.instructor.clone_from(&given.instructor),
        "capacity" => stored.capacity = given.capacity,
        "quotas" => stored.quotas.clone_from(&given.quotas),
        "enrolment_window" => stored.enrolment_window.clone_from(&given.enrolment_window),
        _ => return false,
    }
    true
}

/// Course details.
pub fn merge_course(stored: &mut pb::CourseDetails, given: &pb::CourseDetails, path: &str) -> bool {
    match path {
        "code" => stored.code.clone_from(&given.code),
        "title" | "title.fa" | "title.en" => {
            merge_text(&mut stored.title, given.title.as_ref(), path)
        }
        "description" | "description.fa" | "description.en" => {
            merge_text(&mut stored.description, given.description.as_ref(), path);
        }
        "category" => stored.category.clone_from(&given.category),
        "hours" => stored.hours = given.hours,
        "delivery_mode" => stored.delivery_mode = given.delivery_mode,
        "passing_score" => stored.passing_score = given.passing_score,
        "min_attendance_percent" => stored.min_attendance_percent = given.min_attendance_percent,
        "certificate_validity_months" => {
            stored.certificate_validity_months = given.certificate_validity_months;
        }
        "prerequisite_course_ids" => stored
            .prerequisite_course_ids
            .clone_from(&given.prerequisite_course_ids),
        "requires_manager_approval" => {
            stored.requires_manager_approval = given.requires_manager_approval;
        }
        "audience" | "audience.fa" | "audience.en" => {
            merge_text(&mut stored.audience, given.audience.as_ref(), path);
        }
        _ => return false,
    }
    true
}

/// Program details.
pub fn merge_program(
    stored: &mut pb::ProgramDetails,
    given: &pb::ProgramDetails,
    path: &str,
) -> bool {
    match path {
        "code" => stored.code.clone_from(&given.code),
        "title" | "title.fa" | "title.en" => {
            merge_text(&mut stored.title, given.title.as_ref(), path)
        }
        "description" | "description.fa" | "description.en" => {
            merge_text(&mut stored.description, given.description.as_ref(), path);
        }
        "courses" => stored.courses.clone_from(&given.courses),
        _ => return false,
    }
    true
}

/// Event details.
pub fn merge_event(stored: &mut pb::EventDetails, given: &pb::EventDetails, path: &str) -> bool {
    match path {
        "kind" => stored.kind = given.kind,
        "title" | "title.fa" | "title.en" => {
            merge_text(&mut stored.title, given.title.as_ref(), path)
        }
        "description" | "description.fa" | "description.en" => {
            merge_text(&mut stored.description, given.description.as_ref(), path);
        }
        "start_time" => stored.start_time.clone_from(&given.start_time),
        "end_time" => stored.end_time.clone_from(&given.end_time),
        "place" | "place.fa" | "place.en" => {
            merge_text(&mut stored.place, given.place.as_ref(), path)
        }
        "organizer_organization_id" => stored
            .organizer_organization_id
            .clone_from(&given.organizer_organization_id),
        "participating_organization_ids" => stored
            .participating_organization_ids
            .clone_from(&given.participating_organization_ids),
        "url" => stored.url.clone_from(&given.url),
        _ => return false,
    }
    true
}

/// The editable fields of an organization, carried in its update request
/// (which has no details message).
pub fn merge_organization(
    stored: &mut pb::UpdateOrganizationRequest,
    given: &pb::UpdateOrganizationRequest,
    path: &str,
) -> bool {
    match path {
        "name" | "name.fa" | "name.en" => merge_text(&mut stored.name, given.name.as_ref(), path),
        "kind" => stored.kind = given.kind,
        "parent_organization_id" => stored
            .parent_organization_id
            .clone_from(&given.parent_organization_id),
        _ => return false,
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(fa: &str, en: &str) -> Option<LocalizedText> {
        Some(LocalizedText {
            fa: fa.to_owned(),
            en: en.to_owned(),
        })
    }

    #[test]
    fn a_mask_changes_only_the_named_fields() {
        let stored = pb::SessionDetails {
            capacity: 20,
            venue: text("تهران", "Tehran"),
            online_url: "https://a.example".to_owned(),
            ..Default::default()
        };
        let given = pb::SessionDetails {
            capacity: 30,
            venue: text("اصفهان", "Isfahan"),
            ..Default::default()
        };
        let paths = ["capacity".to_owned(), "venue.en".to_owned()];
        let merged = apply_mask(stored.clone(), Some(&given), Some(&paths), merge_session);
        assert_eq!(
            merged,
            Some(pb::SessionDetails {
                capacity: 30,
                venue: text("تهران", "Isfahan"),
                ..stored.clone()
            })
        );
        // No mask: the request's details replace everything.
        assert_eq!(
            apply_mask(stored, Some(&given), None, merge_session),
            Some(given)
        );
    }

    #[test]
    fn unknown_paths_are_refused() {
        let known = knows(merge_course);
        assert!(known("title.fa") && known("hours"));
        assert!(!known("details.hours") && !known("title.de") && !known("status"));
        assert!(knows(merge_organization)("parent_organization_id"));
        assert!(!knows(merge_organization)("organization_id"));
    }
}
