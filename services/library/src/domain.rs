//! The rules of the library, without I/O: who sees and edits an item, and
//! the words search finds for its tags.

use hamafza_kit::auth::{Caller, Role};
use hamafza_proto::library::Tag;

use crate::store::entities::item;
use crate::store::queries::state;

/// Whether `caller` reviews submitted items (a council member or an admin).
pub fn reviews(caller: &Caller) -> bool {
    caller.has_any(&[Role::Council, Role::PlatformAdmin])
}

/// Whether `caller` may see `item`: an approved one any member, a company's
/// own in any state its people, a submitted one its reviewers.
pub fn can_see(caller: &Caller, item: &item::Model) -> bool {
    item.state == state::APPROVED
        || item.organization_id == caller.organization_id
        || (item.state == state::SUBMITTED && reviews(caller))
}

/// Whether `caller` may change `item`: a draft or returned item, by its
/// author or their company's PR manager.
pub fn can_edit(caller: &Caller, item: &item::Model) -> bool {
    (item.state == state::DRAFT || item.state == state::RETURNED)
        && item.organization_id == caller.organization_id
        && (item.author_subject == caller.subject || caller.manages(&item.organization_id))
}

/// A tag's names in Persian and English, which search finds it by.
pub fn tag_words(tag: Tag) -> (&'static str, &'static str) {
    match tag {
        Tag::MediaRelations => ("روابط رسانه‌ای", "media relations"),
        Tag::Crisis => ("بحران", "crisis"),
        Tag::SocialResponsibility => ("مسئولیت اجتماعی", "social responsibility"),
        Tag::Exhibitions => ("نمایشگاه", "exhibitions"),
        Tag::Digital => ("دیجیتال", "digital"),
        Tag::Unspecified => ("", ""),
    }
}

/// The stored tags of an item: `,1,3,` (see `item::Model::tags`).
pub fn tags_column(tags: &[Tag]) -> String {
    let mut column = String::from(",");
    for tag in tags {
        column.push_str(&(*tag as i32).to_string());
        column.push(',');
    }
    column
}

/// The tags of a stored item.
pub fn tags_of(column: &str) -> Vec<Tag> {
    column
        .split(',')
        .filter_map(|part| part.parse::<i32>().ok())
        .filter_map(|number| Tag::try_from(number).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use uuid::Uuid;

    fn who(subject: &str, org: &str, roles: &[Role]) -> Caller {
        Caller {
            subject: subject.to_owned(),
            name: String::new(),
            organization_id: org.to_owned(),
            roles: roles.to_vec(),
        }
    }

    fn item(state: &str) -> item::Model {
        item::Model {
            id: Uuid::nil(),
            kind: 1,
            title_fa: "t".into(),
            title_en: String::new(),
            summary_fa: "s".into(),
            summary_en: String::new(),
            tags: ",1,".into(),
            organization_id: "msc".into(),
            author_subject: "author".into(),
            author_name: String::new(),
            course_id: None,
            event_id: None,
            state: state.to_owned(),
            return_reason: String::new(),
            search_key: String::new(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
            approved_at: None,
            reviewed_by: String::new(),
        }
    }

    #[test]
    fn drafts_stay_in_the_company_and_approved_items_go_everywhere() {
        let other = who("t", "ksc", &[Role::Trainee]);
        let colleague = who("c", "msc", &[Role::Trainee]);
        let council = who("x", "gegh", &[Role::Council]);
        assert!(!can_see(&other, &item(state::DRAFT)));
        assert!(!can_see(&council, &item(state::DRAFT)));
        assert!(can_see(&colleague, &item(state::DRAFT)));
        assert!(can_see(&council, &item(state::SUBMITTED)));
        assert!(!can_see(&other, &item(state::SUBMITTED)));
        assert!(can_see(&other, &item(state::APPROVED)));
    }

    #[test]
    fn the_author_and_the_manager_edit_drafts_only() {
        let author = who("author", "msc", &[Role::Trainee]);
        let manager = who("m", "msc", &[Role::OrgManager]);
        let colleague = who("c", "msc", &[Role::Trainee]);
        let other_manager = who("m2", "ksc", &[Role::OrgManager]);
        assert!(can_edit(&author, &item(state::DRAFT)));
        assert!(can_edit(&manager, &item(state::RETURNED)));
        assert!(!can_edit(&colleague, &item(state::DRAFT)));
        assert!(!can_edit(&other_manager, &item(state::DRAFT)));
        assert!(!can_edit(&author, &item(state::SUBMITTED)));
        assert!(!can_edit(&manager, &item(state::APPROVED)));
    }

    #[test]
    fn tags_round_trip_through_their_column() {
        let tags = [Tag::Crisis, Tag::Digital];
        assert_eq!(tags_column(&tags), ",2,5,");
        assert_eq!(tags_of(",2,5,"), tags);
    }
}
