//! Demo data for `hamafza up`: two approved items (Mobarakeh Steel's crisis
//! case study, Khuzestan Steel's exhibition post-mortem) and a draft of
//! Mobarakeh Steel's media kit, each with a small PDF made here, written
//! through the same store and file calls the API uses.

use chrono::{DateTime, Duration, Utc};
use hamafza_proto::library::{ItemKind, Tag};
use uuid::Uuid;

use crate::api::check_draft;
use crate::files::{Files, sha256_hex, sniff, tiny_pdf};
use crate::store::Store;
use crate::store::entities::{file, item};
use crate::store::queries::state;

struct Demo {
    kind: ItemKind,
    title: (&'static str, &'static str),
    summary: (&'static str, &'static str),
    tags: &'static [Tag],
    organization: &'static str,
    author: (&'static str, &'static str),
    approved: bool,
    file: &'static str,
}

const ITEMS: [Demo; 3] = [
    Demo {
        kind: ItemKind::CaseStudy,
        title: (
            "مدیریت بحران رسانه‌ای پس از حادثهٔ کوره",
            "Media crisis management after the furnace incident",
        ),
        summary: (
            "روایت ۷۲ ساعت نخست: بیانیهٔ اول در دو ساعت، نشست خبری روز دوم و گزارش شفاف به مردم پیرامون کارخانه.",
            "The first 72 hours: a first statement within two hours, a press conference on day two and an open report to the neighbours.",
        ),
        tags: &[Tag::Crisis, Tag::MediaRelations],
        organization: "msc",
        author: ("council-msc", "مهدی کاظمی"),
        approved: true,
        file: "case-study-furnace.pdf",
    },
    Demo {
        kind: ItemKind::ExhibitionPostMortem,
        title: (
            "درس‌های نمایشگاه بین‌المللی فولاد کیش",
            "Lessons of the Kish international steel exhibition",
        ),
        summary: (
            "غرفهٔ مشترک، برنامهٔ دیدار خبرنگاران و آنچه دفعهٔ بعد جور دیگری انجام می‌دهیم.",
            "A joint booth, the journalists' visit plan and what we will do differently next time.",
        ),
        tags: &[Tag::Exhibitions, Tag::Digital],
        organization: "ksc",
        author: ("manager-ksc", "لیلا جعفری"),
        approved: true,
        file: "kish-exhibition.pdf",
    },
    Demo {
        kind: ItemKind::MediaKit,
        title: (
            "بستهٔ رسانه‌ای مسئولیت اجتماعی",
            "Social responsibility media kit",
        ),
        summary: (
            "پیش‌نویس: عکس‌ها، آمار و نقل‌قول‌های آماده برای خبرنگاران.",
            "Draft: photos, figures and ready quotes for journalists.",
        ),
        tags: &[Tag::SocialResponsibility],
        organization: "msc",
        author: ("council-msc", "مهدی کاظمی"),
        approved: false,
        file: "csr-media-kit.pdf",
    },
];

/// Seeds the demo library when it is empty; whether it did.
pub async fn seed(store: &Store, files: &Files, now: DateTime<Utc>) -> anyhow::Result<bool> {
    if !store.is_empty().await? {
        return Ok(false);
    }
    for (index, demo) in ITEMS.iter().enumerate() {
        let at = now - Duration::days(30 - 7 * i64::try_from(index).unwrap_or(0));
        let checked = check_draft(Some(hamafza_proto::library::ItemDraft {
            kind: demo.kind as i32,
            title: Some(hamafza_proto::common::LocalizedText {
                fa: demo.title.0.to_owned(),
                en: demo.title.1.to_owned(),
            }),
            summary: Some(hamafza_proto::common::LocalizedText {
                fa: demo.summary.0.to_owned(),
                en: demo.summary.1.to_owned(),
            }),
            tags: demo.tags.iter().map(|tag| *tag as i32).collect(),
            ..Default::default()
        }))
        .map_err(|error| anyhow::anyhow!("demo item {index}: {}", error.message()))?;
        let mut row = item::Model {
            id: Uuid::now_v7(),
            kind: 0,
            title_fa: String::new(),
            title_en: String::new(),
            summary_fa: String::new(),
            summary_en: String::new(),
            tags: String::new(),
            organization_id: demo.organization.to_owned(),
            author_subject: demo.author.0.to_owned(),
            author_name: demo.author.1.to_owned(),
            course_id: None,
            event_id: None,
            state: if demo.approved {
                state::APPROVED
            } else {
                state::DRAFT
            }
            .to_owned(),
            return_reason: String::new(),
            search_key: String::new(),
            created_at: at,
            updated_at: at,
            approved_at: demo.approved.then_some(at + Duration::days(2)),
            reviewed_by: if demo.approved { "admin" } else { "" }.to_owned(),
        };
        checked.apply(&mut row);
        store.insert_item(row.clone()).await?;
        let pdf = tiny_pdf(demo.title.1);
        let (content_type, _) = sniff(&pdf).unwrap_or(("application/pdf", "pdf"));
        let record = file::Model {
            id: Uuid::now_v7(),
            item_id: row.id,
            name: demo.file.to_owned(),
            content_type: content_type.to_owned(),
            size_bytes: i64::try_from(pdf.len()).unwrap_or(0),
            sha256: sha256_hex(&pdf),
            created_at: at,
        };
        files.put(row.id, record.id, pdf.into()).await?;
        store.insert_file(record).await?;
    }
    Ok(true)
}
