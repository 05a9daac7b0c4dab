//! The library's pages over the whole stack: a trainee drafts a case study
//! with a PDF through the form (multipart), a council member approves it
//! from the queue, another company's trainee finds it with an Arabic
//! keyboard's letters and downloads it (bytes equal, streamed with its
//! type and name), a signed-out visitor is sent to sign in (401 for a
//! non-browser), and the benchmark shows the download.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Browser, Stack, action, hidden};
use hamafza_library::files::tiny_pdf;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};

fn draft_form(csrf: &str, title: &str, file: Option<(&str, Vec<u8>)>) -> Form {
    let mut form = Form::new()
        .text("csrf", csrf.to_owned())
        .text("kind", "1")
        .text("title_fa", title.to_owned())
        .text("title_en", "A crisis at the port")
        .text("summary_fa", "روایت سه روز نخست و بیانیهٔ اول")
        .text("summary_en", "")
        .text("tag", "2");
    if let Some((name, bytes)) = file {
        form = form.part("file", Part::bytes(bytes).file_name(name.to_owned()));
    }
    form
}

async fn post_form(browser: &Browser, path: &str, form: Form) -> reqwest::Response {
    browser
        .client
        .post(format!("{}{path}", browser.base))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_case_study_is_drafted_approved_found_and_downloaded_on_the_web() {
    let stack = Stack::start().await;

    // A trainee of Mobarakeh Steel drafts it with a PDF.
    let author = stack.browser();
    author.sign_in("trainee-msc-1").await;
    let (status, list) = author.text("/library").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains("href=\"/library/new\""), "{list}");
    let (_, new) = author.text("/library/new").await;
    let csrf = hidden(&new, "csrf");
    let pdf = tiny_pdf("web case study");
    let created = post_form(
        &author,
        "/library/new",
        draft_form(
            &csrf,
            "تجربهٔ کاری ارتباطات بحران در بندر",
            Some(("گزارش.pdf", pdf.clone())),
        ),
    )
    .await;
    assert_eq!(
        created.status(),
        StatusCode::SEE_OTHER,
        "{}",
        created.text().await.unwrap()
    );
    let item = created.headers()["location"].to_str().unwrap().to_owned();
    let (_, page) = author.text(&item).await;
    assert!(
        page.contains("پیش‌نویس") && page.contains("گزارش.pdf"),
        "{page}"
    );
    let file_link = {
        let start = page.find(&format!("href=\"{item}/files/")).unwrap() + "href=\"".len();
        page[start..].split('"').next().unwrap().to_owned()
    };

    // A script named .pdf is refused with the form again, in Persian.
    let (_, edit) = author.text(&format!("{item}/edit")).await;
    let refused = post_form(
        &author,
        &format!("{item}/edit"),
        draft_form(
            &hidden(&edit, "csrf"),
            "تجربهٔ کاری ارتباطات بحران در بندر",
            Some(("x.pdf", b"#!/bin/sh\n".to_vec())),
        ),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("این نوع فایل پذیرفته نیست")
    );

    // Khuzestan Steel's trainee does not see the draft.
    let other = stack.browser();
    other.sign_in("trainee-ksc-1").await;
    assert_eq!(other.get(&item).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(other.get(&file_link).await.status(), StatusCode::NOT_FOUND);

    // Sent for approval; a council member approves it from the queue.
    let submit = author
        .post(
            &action(&page, &format!("{item}/submit")),
            &[("csrf", &hidden(&page, "csrf"))],
        )
        .await;
    assert_eq!(submit.status(), StatusCode::SEE_OTHER);
    let council = stack.browser();
    council.sign_in("council-gegh").await;
    let (_, queue) = council.text("/library/queue").await;
    assert!(queue.contains(&format!("href=\"{item}\"")), "{queue}");
    let (_, review) = council.text(&item).await;
    let approve = council
        .post(
            &format!("{item}/approve"),
            &[("csrf", &hidden(&review, "csrf"))],
        )
        .await;
    assert_eq!(approve.status(), StatusCode::SEE_OTHER);

    // Found as «تجربه كاري», typed with an Arabic keyboard's «ي» and «ك», in a tag.
    let (_, found) = other
        .text("/library?q=%D8%AA%D8%AC%D8%B1%D8%A8%D9%87+%D9%83%D8%A7%D8%B1%D9%8A&tag=2")
        .await;
    assert!(found.contains(&format!("href=\"{item}\"")), "{found}");
    let (_, none) = other.text("/library?q=%D9%83%D9%8A%D8%B4").await;
    assert!(!none.contains(&format!("href=\"{item}\"")));

    // Downloaded, streamed with its type and Persian name.
    let response = other.get(&file_link).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/pdf");
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.starts_with("attachment;") && disposition.contains("UTF-8''%DA%AF"),
        "{disposition}"
    );
    assert_eq!(response.bytes().await.unwrap().to_vec(), pdf);

    // Signed out: a browser goes to sign in, another client gets 401.
    let visitor = stack.browser();
    let redirected = visitor.get(&file_link).await;
    assert_eq!(redirected.status(), StatusCode::SEE_OTHER);
    assert!(
        redirected.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/signin")
    );
    let plain = visitor
        .client
        .get(format!("{}{file_link}", visitor.base))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        visitor.get("/library").await.status(),
        StatusCode::SEE_OTHER
    );

    // The benchmark counts Khuzestan Steel's download and Mobarakeh's item.
    let (_, benchmark) = council.text("/benchmark?lang=en").await;
    assert!(
        benchmark.contains("Library downloads (all time)"),
        "{benchmark}"
    );
    let csv = council
        .get("/benchmark?format=csv&lang=en")
        .await
        .text()
        .await
        .unwrap();
    let header = csv.lines().next().unwrap();
    assert!(header.contains("Library items published"), "{header}");
}

#[tokio::test]
async fn the_library_pages_its_items() {
    use hamafza_kit::auth::Role;
    use hamafza_proto::library as lpb;
    use hamafza_proto::library::library_service_client::LibraryServiceClient;
    const AUTHOR: hamafza_testkit::Who = ("council-msc", "msc", &[Role::Council, Role::OrgManager]);
    let stack = Stack::start().await;
    let mut client = LibraryServiceClient::new(stack.stack.channel(hamafza_testkit::Svc::Library));
    // 55 of the company's own drafts, which its people see.
    for n in 0..55 {
        let draft = lpb::ItemDraft {
            kind: lpb::ItemKind::CaseStudy.into(),
            title: Some(hamafza_testkit::text(&format!("تجربهٔ شمارهٔ {n:02}"), "")),
            summary: Some(hamafza_testkit::text("خلاصه", "")),
            tags: vec![lpb::Tag::MediaRelations.into()],
            ..Default::default()
        };
        let request = lpb::CreateItemRequest {
            request_id: String::new(),
            draft: Some(draft),
        };
        client
            .create_item(stack.stack.request(AUTHOR, request))
            .await
            .unwrap();
    }
    let browser = stack.browser();
    browser.sign_in(AUTHOR.0).await;
    let titles = |page: &str| -> Vec<usize> {
        (0..55)
            .filter(|n| page.contains(&format!("تجربهٔ شمارهٔ {n:02}")))
            .collect()
    };
    let (status, first) = browser.text("/library").await;
    assert_eq!(status, StatusCode::OK);
    let mut seen = titles(&first);
    assert_eq!(seen.len(), 50, "a page of 50");
    assert!(seen.contains(&54), "newest first");
    let next = first
        .split("class=\"button\" href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .find(|link| link.starts_with("/library?") && !link.ends_with("page="))
        .expect("a next page")
        .replace("&amp;", "&");
    let (status, second) = browser.text(&next).await;
    assert_eq!(status, StatusCode::OK);
    seen.extend(titles(&second));
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 55, "every item once");
    let (status, stale) = browser.text("/library?page=stale").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(titles(&stale).len(), 50);
}
