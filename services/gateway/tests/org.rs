//! A company PR manager's pages over real HTTP: the approvals inbox, the
//! company's people and their download, enrolling colleagues ticked or from
//! an Excel file (another company's person refused with the reason), and
//! nothing of another company in sight.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use hamafza_kit::auth::Role;
use hamafza_kit::sheet::{self, Limits, Table};
use hamafza_proto::enrolments as epb;
use reqwest::StatusCode;

/// The msc manager of the demo (also a council member).
const MSC_MANAGER: &str = "council-msc";
const SARA: (&str, &str, &[Role]) = ("trainee-msc-1", "msc", &[Role::Trainee]);
const NIMA: (&str, &str, &[Role]) = ("trainee-msc-2", "msc", &[Role::Trainee]);

#[tokio::test]
async fn a_company_manager_approves_enrols_imports_and_downloads() {
    let stack = Stack::start().await;
    let course = fixtures::published_course(&stack.stack, "PR-990", |details| {
        details.requires_manager_approval = true;
    })
    .await;
    let session = fixtures::open_session(&stack.stack, &course, |_| {}).await;
    let pending = fixtures::enrol_self(&stack.stack, SARA, &session.id, "sara-1")
        .await
        .unwrap();
    assert_eq!(pending.status(), epb::EnrolmentStatus::PendingApproval);
    let other = fixtures::enrol_self(&stack.stack, NIMA, &session.id, "nima-1")
        .await
        .unwrap();

    let browser = stack.browser();
    browser.sign_in(MSC_MANAGER).await;

    // The inbox shows Sara's request; approving it confirms her.
    let (status, inbox) = browser.text("/org").await;
    assert_eq!(status, StatusCode::OK);
    assert!(inbox.contains("trainee-msc-1 name"), "{inbox}");
    let csrf = hidden(&inbox, "csrf");
    let request_id = hidden(&inbox, "request_id");
    let refused = browser
        .post(
            "/org/requests",
            &[
                ("csrf", "wrong"),
                ("id", &pending.id),
                ("action", "approve"),
            ],
        )
        .await;
    assert_eq!(
        refused.status(),
        StatusCode::FORBIDDEN,
        "a form without its CSRF token"
    );
    // A rejection without a reason returns to the inbox with the problem
    // beside the reason field; nothing changes.
    let unreasoned = browser
        .post(
            "/org/requests",
            &[
                ("csrf", &csrf),
                ("request_id", &request_id),
                ("id", &pending.id),
                ("action", "reject"),
            ],
        )
        .await;
    assert_eq!(unreasoned.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let again = unreasoned.text().await.unwrap();
    assert!(again.contains("برای رد، دلیل را بنویسید"), "{again}");
    // The inbox comes back as the manager left it: only Sara ticked (not
    // every request again), ready for the reason.
    let tick = |id: &str| {
        let at = again.find(&format!("value=\"{id}\"")).unwrap();
        again[at..at + again[at..].find('>').unwrap()].contains("checked")
    };
    assert!(tick(&pending.id) && !tick(&other.id), "{again}");
    for page in [&inbox, &again] {
        assert!(
            page.contains(r#"name="reason" maxlength="500" required"#),
            "{page}"
        );
    }
    // Nothing ticked: the same, and the typed reason kept.
    let unticked = browser
        .post(
            "/org/requests",
            &[
                ("csrf", &csrf),
                ("request_id", &request_id),
                ("reason", "ظرفیت تمام است"),
                ("action", "reject"),
            ],
        )
        .await;
    assert_eq!(unticked.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let unticked = unticked.text().await.unwrap();
    assert!(
        unticked.contains("هیچ درخواستی تیک نخورده است"),
        "{unticked}"
    );
    assert!(unticked.contains(r#"value="ظرفیت تمام است""#), "{unticked}");
    assert!(!tick(&other.id));
    for id in [&pending.id, &other.id] {
        let still = fixtures::get_enrolment(
            &stack.stack,
            if *id == pending.id { SARA } else { NIMA },
            id,
        )
        .await
        .unwrap();
        assert_eq!(still.status(), epb::EnrolmentStatus::PendingApproval);
    }
    // A query string that does not read is a page in the viewer's words,
    // not the web framework's English.
    let garbled = browser.get("/org?n=many").await;
    assert_eq!(garbled.status(), StatusCode::BAD_REQUEST);
    assert!(
        garbled.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let garbled = garbled.text().await.unwrap();
    assert!(
        garbled.contains("برخی از مقادیر واردشده درست نیستند"),
        "{garbled}"
    );
    assert!(!garbled.contains("Failed to deserialize"), "{garbled}");
    // A stale page link shows the first page.
    let (status, stale) = browser.text("/org?page_token=not-a-token").await;
    assert_eq!(status, StatusCode::OK);
    assert!(stale.contains("trainee-msc-1 name"), "{stale}");
    // The inbox downloads as Excel.
    let inbox_xlsx = browser.get("/org?format=xlsx").await.bytes().await.unwrap();
    let inbox_rows = sheet::read(&inbox_xlsx, Limits::default()).unwrap();
    let mut subjects: Vec<_> = inbox_rows.rows.iter().map(|row| row[1].as_str()).collect();
    subjects.sort_unstable();
    assert_eq!(subjects, ["trainee-msc-1", "trainee-msc-2"]);
    let approved = browser
        .post(
            "/org/requests",
            &[
                ("csrf", &csrf),
                ("request_id", &request_id),
                ("id", &pending.id),
                ("action", "approve"),
            ],
        )
        .await;
    assert_eq!(approved.status(), StatusCode::SEE_OTHER);
    let (_, after) = browser
        .text(approved.headers()["location"].to_str().unwrap())
        .await;
    assert!(after.contains("۱ درخواست تأیید شد"), "{after}");
    let sara = fixtures::get_enrolment(&stack.stack, SARA, &pending.id)
        .await
        .unwrap();
    assert_eq!(sara.status(), epb::EnrolmentStatus::Confirmed);

    // Two colleagues ticked from the directory (one of them twice, as a
    // form sent again may), and a subject the directory does not know, said
    // on its own row.
    let (_, form) = browser
        .text(&format!("/org/enrol?session={}", session.id))
        .await;
    assert!(
        form.contains("رضا محمدی") && form.contains("فاطمه کریمی"),
        "{form}"
    );
    let enrolled = browser
        .post(
            "/org/enrol",
            &[
                ("csrf", &hidden(&form, "csrf")),
                ("request_id", &hidden(&form, "request_id")),
                ("session_id", &session.id),
                ("subject", "msc-pr-02"),
                ("subject", "msc-pr-03"),
                ("subject", "msc-pr-02"),
                ("subject", "nobody-such"),
            ],
        )
        .await;
    let nobody = browser
        .post(
            "/org/enrol",
            &[
                ("csrf", &hidden(&form, "csrf")),
                ("request_id", &hidden(&form, "request_id")),
                ("session_id", &session.id),
            ],
        )
        .await;
    let (_, nobody) = browser
        .text(nobody.headers()["location"].to_str().unwrap())
        .await;
    assert!(nobody.contains("دست‌کم یک همکار را تیک بزنید"), "{nobody}");
    assert_eq!(enrolled.status(), StatusCode::OK);
    let results = enrolled.text().await.unwrap();
    assert!(results.contains("۲ نفر ثبت‌نام شدند"), "{results}");
    assert!(results.contains("۱ مورد پذیرفته نشد"), "{results}");
    assert!(
        results.contains("nobody-such")
            && results.contains("این فرد در فهرست کارکنان شرکت شما نیست."),
        "{results}"
    );

    // A 5-row Excel file: one row names ksc's person as msc's.
    let mut rows = Table::new(["شناسه", "نام"]);
    rows.push(["msc-pr-04", "امیر یوسفی"]);
    rows.push(["msc-pr-05", "مریم صادقی"]);
    rows.push(["ksc-pr-02", "نازنین عباسی"]);
    rows.push(["msc-pr-06", "حسین نوری"]);
    rows.push(["msc-new-1", "کارمند تازه"]);
    let xlsx = sheet::to_xlsx(&rows, true).unwrap();
    let (_, upload) = browser.text("/org/import").await;
    // A session whose enrolment window opens later is offered nowhere yet:
    // every row would be refused.
    let later = fixtures::open_session(&stack.stack, &course, |details| {
        details.enrolment_window = Some(hamafza_proto::common::TimeRange {
            start_time: Some(hamafza_testkit::timestamp(5)),
            end_time: Some(hamafza_testkit::timestamp(24)),
        });
    })
    .await;
    for path in ["/org/import", "/org/enrol"] {
        let (_, offered) = browser.text(path).await;
        assert!(offered.contains(&session.id), "{path}: {offered}");
        assert!(!offered.contains(&later.id), "{path}: {offered}");
    }
    let form = reqwest::multipart::Form::new()
        .text("csrf", hidden(&upload, "csrf"))
        .text("request_id", hidden(&upload, "request_id"))
        .text("session_id", session.id.clone())
        .part(
            "file",
            reqwest::multipart::Part::bytes(xlsx)
                .file_name("people.xlsx")
                .mime_str("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
                .unwrap(),
        );
    let imported = browser
        .client
        .post(format!("{}/org/import", browser.base))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(imported.status(), StatusCode::OK);
    let imported = imported.text().await.unwrap();
    assert!(imported.contains("۴ نفر ثبت‌نام شدند"), "{imported}");
    assert!(imported.contains("۱ مورد پذیرفته نشد"), "{imported}");
    assert!(
        imported.contains("این فرد در فهرست کارکنان شرکت دیگری است"),
        "the refused row says why, in Persian: {imported}"
    );
    let stored = fixtures::enrolments_in(&stack.stack, &session.id).await;
    assert_eq!(
        stored.len(),
        8,
        "Sara, Nima still waiting, two ticked, four from the file"
    );
    assert!(
        !stored
            .iter()
            .any(|e| e.trainee.as_ref().unwrap().subject == "ksc-pr-02")
    );

    // A file that is not a spreadsheet is refused on the form, in Persian.
    let (_, upload) = browser.text("/org/import").await;
    let junk = reqwest::multipart::Form::new()
        .text("csrf", hidden(&upload, "csrf"))
        .text("request_id", hidden(&upload, "request_id"))
        .text("session_id", session.id.clone())
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"PK\x03\x04junk".to_vec()).file_name("x.xlsx"),
        );
    let junk = browser
        .client
        .post(format!("{}/org/import", browser.base))
        .multipart(junk)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(junk.contains("خوانا نیست"), "{junk}");

    // The company's people as Excel, read back.
    let download = browser.get("/org/people?format=xlsx").await;
    assert_eq!(download.status(), StatusCode::OK);
    assert!(
        download.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("people-msc.xlsx")
    );
    let people = sheet::read(&download.bytes().await.unwrap(), Limits::default()).unwrap();
    assert_eq!(people.headers[0], "نام");
    let names: Vec<&str> = people.rows.iter().map(|r| r[0].as_str()).collect();
    assert!(names.contains(&"رضا محمدی"), "{names:?}");
    assert!(!names.contains(&"نازنین عباسی"), "no one of ksc");
    // CSV too, with the byte-order mark.
    let csv = browser
        .get("/org/people?format=csv")
        .await
        .bytes()
        .await
        .unwrap();
    assert!(csv.starts_with("\u{feff}".as_bytes()));
    // The certificates due: a cleared or Persian number of days reads.
    for (days, shown) in [("", "60"), ("%DB%B3%DB%B0", "30"), ("many", "60")] {
        let (status, page) = browser
            .text(&format!("/org/certificates?days={days}"))
            .await;
        assert_eq!(status, StatusCode::OK, "{days}: {page}");
        assert!(
            page.contains(&format!(
                r#"name="days" min="1" max="3650" value="{shown}""#
            )),
            "{page}"
        );
    }
    // Someone who left: only with "Include inactive", and the links of that
    // page (the downloads) keep it.
    let left = hamafza_proto::courses::Person {
        subject: "msc-pr-left".to_owned(),
        name: Some(hamafza_proto::common::LocalizedText {
            fa: "مینا قاسمی".to_owned(),
            en: String::new(),
        }),
        organization_id: "msc".to_owned(),
        active: false,
        ..Default::default()
    };
    hamafza_proto::courses::person_service_client::PersonServiceClient::new(
        stack.stack.channel(Svc::Courses),
    )
    .upsert_person(stack.stack.request(
        hamafza_testkit::people::ADMIN,
        hamafza_proto::courses::UpsertPersonRequest { person: Some(left) },
    ))
    .await
    .unwrap();
    let csv_of = async |path: &str| {
        String::from_utf8(browser.get(path).await.bytes().await.unwrap().to_vec()).unwrap()
    };
    assert!(
        !csv_of("/org/people?format=csv")
            .await
            .contains("مینا قاسمی")
    );
    let (_, with_inactive) = browser.text("/org/people?inactive=1").await;
    assert!(with_inactive.contains("مینا قاسمی"), "{with_inactive}");
    let link = "/org/people?inactive=1&amp;format=csv";
    assert!(with_inactive.contains(link), "{with_inactive}");
    assert!(
        csv_of(&link.replace("&amp;", "&"))
            .await
            .contains("مینا قاسمی")
    );

    // A transcript shows the colleague's enrolment; a course failed counts
    // no hours trained.
    let reza = fixtures::enrolments_in(&stack.stack, &session.id)
        .await
        .into_iter()
        .find(|e| e.trainee.as_ref().is_some_and(|t| t.subject == "msc-pr-02"))
        .unwrap();
    let failed =
        fixtures::attend_and_complete_ahead(&stack.stack, &session, &reza.id, Some(10), "reza")
            .await;
    assert_eq!(failed.status(), epb::EnrolmentStatus::Failed);
    let (status, transcript) = browser.text("/org/people/msc-pr-02").await;
    assert_eq!(status, StatusCode::OK);
    assert!(transcript.contains("رضا محمدی"));
    assert!(
        transcript.contains("ساعت‌های آموزش گذرانده: <strong>۰</strong>"),
        "{transcript}"
    );

    // ksc's manager sees nothing of msc; a trainee is not let in.
    let ksc = stack.browser();
    ksc.sign_in("manager-ksc").await;
    let (status, _) = ksc.text("/org/people/msc-pr-02").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, ksc_people) = ksc.text("/org/people").await;
    assert!(!ksc_people.contains("رضا محمدی"));
    assert!(ksc_people.contains("نازنین عباسی"));
    let trainee = stack.browser();
    trainee.sign_in("trainee-msc-1").await;
    let (status, _) = trainee.text("/org").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn every_ticked_colleague_is_enrolled_past_a_page_of_the_directory_and_no_more_than_the_picker_offers()
 {
    use hamafza_proto::courses as cpb;
    use hamafza_proto::courses::person_service_client::PersonServiceClient;
    let stack = Stack::start().await;
    let course = fixtures::published_course(&stack.stack, "PR-991", |_| {}).await;
    let session = fixtures::open_session(&stack.stack, &course, |details| {
        details.capacity = 300;
    })
    .await;
    // More colleagues than one page of the directory (200).
    let subjects: Vec<String> = (0..205).map(|i| format!("msc-zz-{i:03}")).collect();
    PersonServiceClient::new(stack.stack.channel(Svc::Courses))
        .import_people(
            stack.request(
                ADMIN,
                cpb::ImportPeopleRequest {
                    people: subjects
                        .iter()
                        .map(|subject| cpb::Person {
                            subject: subject.clone(),
                            name: Some(hamafza_testkit::text(&format!("همکار {subject}"), subject)),
                            organization_id: "msc".to_owned(),
                            active: true,
                            ..Default::default()
                        })
                        .collect(),
                },
            ),
        )
        .await
        .unwrap();
    let browser = stack.browser();
    browser.sign_in(MSC_MANAGER).await;
    let (_, form) = browser
        .text(&format!("/org/enrol?session={}", session.id))
        .await;
    let (csrf, request_id) = (hidden(&form, "csrf"), hidden(&form, "request_id"));
    let mut ticked = vec![
        ("csrf", csrf.clone()),
        ("request_id", request_id.clone()),
        ("session_id", session.id.clone()),
    ];
    ticked.extend(subjects.iter().map(|s| ("subject", s.clone())));
    let ticked: Vec<(&str, &str)> = ticked.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let enrolled = browser.post("/org/enrol", &ticked).await;
    assert_eq!(enrolled.status(), StatusCode::OK);
    let results = enrolled.text().await.unwrap();
    assert!(results.contains("۲۰۵ نفر ثبت‌نام شدند"), "{results}");
    assert_eq!(
        fixtures::enrolments_in(&stack.stack, &session.id)
            .await
            .len(),
        205
    );

    // More than the picker offers is refused whole, in the catalogue's words.
    let many: Vec<String> = (0..2_001).map(|i| format!("msc-many-{i}")).collect();
    let mut too_many = vec![
        ("csrf", csrf.as_str()),
        ("request_id", "too-many-1"),
        ("session_id", session.id.as_str()),
    ];
    too_many.extend(many.iter().map(|s| ("subject", s.as_str())));
    let refused = browser.post("/org/enrol", &too_many).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let refused = refused.text().await.unwrap();
    assert!(refused.contains("حداکثر ۲٬۰۰۰ نفر"), "{refused}");
}

#[tokio::test]
async fn a_download_of_the_waiting_requests_holds_every_one_not_the_page_shown() {
    let stack = Stack::start().await;
    let course = fixtures::published_course(&stack.stack, "PR-991", |details| {
        details.requires_manager_approval = true;
    })
    .await;
    let session = fixtures::open_session(&stack.stack, &course, |details| {
        details.capacity = 500;
    })
    .await;
    // A Who names its subject for the whole test.
    let subjects: Vec<&'static str> = (0..130)
        .map(|n| &*Box::leak(format!("waiting-{n:03}").into_boxed_str()))
        .collect();
    for subject in subjects.iter().copied() {
        let who: (&str, &str, &[Role]) = (subject, "msc", &[Role::Trainee]);
        let pending = fixtures::enrol_self(&stack.stack, who, &session.id, subject)
            .await
            .unwrap();
        assert_eq!(pending.status(), epb::EnrolmentStatus::PendingApproval);
    }
    let browser = stack.browser();
    browser.sign_in(MSC_MANAGER).await;
    let count = |text: &str| subjects.iter().filter(|s| text.contains(**s)).count();
    let (status, inbox) = browser.text("/org").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(count(&inbox), 100, "the page shows 100");
    let csv = browser.get("/org?format=csv").await.text().await.unwrap();
    assert_eq!(count(&csv), 130, "the download holds all: {csv}");
}
