//! A real browser (headless Chromium over WebDriver): a demo trainee signs
//! in, enrols, sees the enrolment under "my learning" with a Solar Hijri date,
//! opens a certificate and its public verification page, and switches to
//! English. Screenshots land in `target/screenshots/` for review.
//!
//! Needs `chromium` and `chromedriver` (Debian packages `chromium` and
//! `chromium-driver`; `.ci/run` installs them). Without them the test says so
//! and passes, unless `HAMAFZA_REQUIRE_BROWSER` is set (as in CI).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;
use fantoccini::{ClientBuilder, Locator};

/// chromedriver, and the profile of the Chromium it starts. Dropping it
/// ends both and removes the profile: a Chromium that outlives its driver
/// (chromedriver killed before it quit) would keep its ports and memory.
struct Driver {
    chromedriver: Child,
    profile: PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.chromedriver.kill();
        let _ = self.chromedriver.wait();
        let _ = Command::new("pkill")
            .arg("-f")
            .arg(format!("user-data-dir={}", self.profile.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn find(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| PathBuf::from(dir).join(program))
        .find(|path| path.is_file())
}

/// Waits (up to 15 s) for an element: clicks that navigate return before the
/// next page is there.
async fn wait_for(browser: &fantoccini::Client, css: &str) -> fantoccini::elements::Element {
    browser
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|error| panic!("{css} did not appear: {error}"))
}

/// Clicks the element `css` names, which must be on the page.
async fn click(browser: &fantoccini::Client, css: &str) {
    browser
        .find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// Waits for the element `css` names, then clicks it.
async fn click_when_shown(browser: &fantoccini::Client, css: &str) {
    wait_for(browser, css).await.click().await.unwrap();
}

fn screenshots_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Saves what `browser` shows as `name` in `dir`, after checking the page
/// with axe.
async fn screenshot(browser: &fantoccini::Client, dir: &Path, name: &str) {
    check_accessibility(browser, name).await;
    std::fs::write(dir.join(name), browser.screenshot().await.unwrap()).unwrap();
}

/// axe-core's script (npm, `tests/axe`; `.ci/run` installs it): `None` when it
/// is not installed here, which only CI's `HAMAFZA_REQUIRE_BROWSER` refuses.
fn axe_source() -> Option<&'static str> {
    static SOURCE: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    SOURCE
        .get_or_init(|| {
            let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("tests/axe/node_modules/axe-core/axe.min.js");
            let source = std::fs::read_to_string(&path).ok();
            if source.is_none() {
                assert!(
                    std::env::var_os("HAMAFZA_REQUIRE_BROWSER").is_none(),
                    "axe-core is missing: run `npm ci` in services/gateway/tests/axe"
                );
                eprintln!("axe-core is not installed (npm ci in tests/axe): pages not checked");
            }
            source
        })
        .as_deref()
}

/// Runs axe (WCAG 2.1 A and AA, and its best practices) on the page shown:
/// no violations.
async fn check_accessibility(browser: &fantoccini::Client, name: &str) {
    let Some(source) = axe_source() else { return };
    browser.execute(source, vec![]).await.unwrap();
    let found = browser
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { runOnly: { type: 'tag', values:
                 ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } })
               .then(r => done(r.violations.map(v => v.id + ' (' + v.impact + '): ' + v.help
                   + ' at ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))))
               .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .unwrap();
    let violations: Vec<String> = serde_json::from_value(found).unwrap();
    let url = browser.current_url().await.unwrap();
    assert!(
        violations.is_empty(),
        "{name} ({url}) fails accessibility checks:\n{}",
        violations.join("\n")
    );
}

/// How many pages a PDF has: its `/Type /Page` objects (Chromium writes
/// them uncompressed).
fn pdf_pages(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(pdf);
    text.match_indices("/Type /Page")
        .filter(|(at, _)| !text[at + "/Type /Page".len()..].starts_with('s'))
        .count()
}

/// The text of the page's `main` element.
async fn main_text(browser: &fantoccini::Client) -> String {
    let main = browser.find(Locator::Css("main")).await.unwrap();
    main.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trainee_enrols_and_finds_a_verified_certificate_in_a_real_browser() {
    let Some((_driver, browser, stack, base)) = browser_and_stack().await else {
        return;
    };
    let shots = screenshots_dir();

    // The Persian catalog.
    browser.goto(&base).await.unwrap();
    let html = browser.find(Locator::Css("html")).await.unwrap();
    assert_eq!(html.attr("dir").await.unwrap().as_deref(), Some("rtl"));
    screenshot(&browser, &shots, "catalog.png").await;

    // Sign in as the demo trainee.
    browser.goto(&format!("{base}/signin")).await.unwrap();
    let rows = browser.find_all(Locator::Css("tr")).await.unwrap();
    let mut signed_in = false;
    for row in rows {
        if row.text().await.unwrap().contains("trainee-msc-1") {
            row.find(Locator::Css("button"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            signed_in = true;
            break;
        }
    }
    assert!(signed_in, "the demo trainee is on the sign-in page");
    wait_for(&browser, "header form[action='/signout']").await;

    // Open the first upcoming session and enrol.
    browser.goto(&base).await.unwrap();
    click_when_shown(&browser, ".cards .card h3 a").await;
    let enrol_button = wait_for(&browser, "form[action$='/enrol'] button").await;
    let session_url = browser.current_url().await.unwrap();
    let session_id = session_url
        .path()
        .trim_start_matches("/sessions/")
        .to_owned();
    enrol_button.click().await.unwrap();
    let flash = wait_for(&browser, ".flash").await.text().await.unwrap();
    assert!(flash.contains("ثبت شد"), "{flash}");

    // "My learning" shows it, confirmed, with a Solar Hijri date in Persian digits.
    browser.goto(&format!("{base}/me/learning")).await.unwrap();
    let learning = main_text(&browser).await;
    assert!(learning.contains("ثبت‌نام قطعی"), "{learning}");
    assert!(
        [
            "فروردین",
            "اردیبهشت",
            "خرداد",
            "تیر",
            "مرداد",
            "شهریور",
            "مهر",
            "آبان",
            "آذر",
            "دی",
            "بهمن",
            "اسفند"
        ]
        .iter()
        .any(|m| learning.contains(m)),
        "{learning}"
    );
    assert!(learning.contains("۱۴۰"), "{learning}");
    screenshot(&browser, &shots, "my-learning.png").await;
    // The course's own page, reached from the session's.
    browser
        .goto(&format!("{base}/sessions/{session_id}"))
        .await
        .unwrap();
    let course_path = wait_for(&browser, "a[href^='/courses/']")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    screenshots(&browser, &base, &course_path, "course").await;
    // The Jalali month with the session's meetings in it.
    screenshots(&browser, &base, "/calendar", "calendar").await;
    assert!(
        browser
            .find(Locator::Css("table.month-grid td .entry a"))
            .await
            .is_ok(),
        "the month shows what is on"
    );

    // The in-app inbox has the confirmation (published through enrolments'
    // outbox), and the header counts it unread.
    let mut inbox = String::new();
    for _ in 0..100 {
        browser
            .goto(&format!("{base}/me/notifications"))
            .await
            .unwrap();
        inbox = main_text(&browser).await;
        if inbox.contains("قطعی شد") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(inbox.contains("قطعی شد"), "{inbox}");
    assert!(inbox.contains("سارا احمدی عزیز"), "{inbox}");
    let badge = wait_for(&browser, "header a[href='/me/notifications'] .badge")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(badge, "۱", "one unread, in Persian digits");
    screenshot(&browser, &shots, "notifications-inbox.png").await;

    // With no mail server (as under `hamafza up`), the email is kept and the
    // development mailbox shows it: Persian first, with its invitation.
    browser.goto(&format!("{base}/dev/mailbox")).await.unwrap();
    let mailbox = main_text(&browser).await;
    assert!(mailbox.contains("قطعی شد"), "{mailbox}");
    assert!(mailbox.contains("trainee-msc-1@msc.example"), "{mailbox}");
    let frame = wait_for(&browser, "article.mail iframe").await;
    let email = frame.attr("srcdoc").await.unwrap().unwrap_or_default();
    assert!(
        email.contains("dir=\"rtl\"") && email.contains("عزیز"),
        "{email}"
    );
    screenshot(&browser, &shots, "dev-mailbox.png").await;

    // Marking all read empties the count.
    browser
        .goto(&format!("{base}/me/notifications"))
        .await
        .unwrap();
    wait_for(&browser, "form[action='/me/notifications/read'] button")
        .await
        .click()
        .await
        .unwrap();
    wait_for(&browser, "main h1").await;
    assert!(
        browser
            .find(Locator::Css("header a[href='/me/notifications'] .badge"))
            .await
            .is_err(),
        "nothing unread"
    );

    // The instructor holds the course and passes the trainee (over gRPC).
    complete(&stack, &session_id).await;
    let mut certificate_link = None;
    for _ in 0..100 {
        browser
            .goto(&format!("{base}/me/certificates"))
            .await
            .unwrap();
        if let Ok(link) = browser.find(Locator::Css(".cards .card h2 a")).await {
            certificate_link = Some(link);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    certificate_link
        .expect("the certificate appears")
        .click()
        .await
        .unwrap();
    let certificate = wait_for(&browser, ".certificate")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        certificate.contains("گواهی پایان دوره")
            && certificate.contains("Certificate of Completion"),
        "{certificate}"
    );
    assert!(
        certificate.contains("سارا احمدی") && certificate.contains("Sara Ahmadi"),
        "the name in each language, English from the directory: {certificate}"
    );
    assert!(
        browser
            .find(Locator::Css(".certificate .qr svg"))
            .await
            .is_ok(),
        "a QR code"
    );
    screenshot(&browser, &shots, "certificate.png").await;
    // Printed, it is exactly one A4 landscape page.
    let pdf = browser
        .print(
            fantoccini::wd::PrintConfiguration::builder()
                .orientation(fantoccini::wd::PrintOrientation::Landscape)
                .size(fantoccini::wd::PrintSize::A4)
                .background(true)
                .shrink_to_fit(false)
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    std::fs::write(shots.join("certificate-print.pdf"), &pdf).unwrap();
    assert_eq!(pdf_pages(&pdf), 1, "the printed certificate's pages");
    // The server-made PDF, downloaded with the page's session: one page, the
    // Persian name as text.
    let document = browser
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(document.querySelector('a.document').href)
               .then(r => r.arrayBuffer())
               .then(b => { const bytes = new Uint8Array(b); let s = '';
                   for (let i = 0; i < bytes.length; i += 8192)
                       s += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192));
                   done(btoa(s)); })
               .catch(e => done('failed: ' + e));",
            vec![],
        )
        .await
        .unwrap();
    let document = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        document.as_str().unwrap(),
    )
    .expect("the certificate PDF");
    std::fs::write(shots.join("certificate-document.pdf"), &document).unwrap();
    let read = |tool: &str| {
        let mut command = std::process::Command::new(tool);
        command.arg(shots.join("certificate-document.pdf"));
        if tool == "pdftotext" {
            command.arg("-");
        }
        let output = command
            .output()
            .unwrap_or_else(|e| panic!("{tool} (poppler-utils) is needed here: {e}"));
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    assert!(read("pdfinfo").contains("Pages:           1"), "one page");
    assert!(
        read("pdftotext").contains("سارا احمدی"),
        "the Persian name as text in the server PDF"
    );

    // Its public verification page, opened without the session.
    let verify_url = browser
        .find(Locator::Css("p.no-print a"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    browser.delete_all_cookies().await.unwrap();
    browser.goto(&verify_url).await.unwrap();
    let verdict = main_text(&browser).await;
    assert!(verdict.contains("این گواهی معتبر است"), "{verdict}");
    screenshot(&browser, &shots, "verification.png").await;

    // Switch to English.
    click(&browser, "header a[lang='en']").await;
    wait_for(&browser, "html[dir='ltr']").await;
    let verdict = main_text(&browser).await;
    assert!(verdict.contains("This certificate is valid."), "{verdict}");
    screenshot(&browser, &shots, "verification-en.png").await;
    browser.close().await.unwrap();
}

/// The admin marks the trainee present at every meeting of the session and
/// passes them (over gRPC), ahead of the demo session's schedule.
async fn complete(stack: &Stack, session_id: &str) {
    let session = fixtures::get_session(stack, ADMIN, session_id)
        .await
        .unwrap();
    let enrolment = fixtures::enrolments_in(stack, session_id).await.remove(0);
    fixtures::attend_and_complete_ahead(stack, &session, &enrolment.id, Some(95), "browser").await;
}

/// A headless Chromium driven over WebDriver and a stack for it to visit
/// (with its base URL), or `None` (the test then says so and passes) where
/// chromium and chromedriver are not installed.
async fn browser_and_stack() -> Option<(Driver, fantoccini::Client, Stack, String)> {
    let (Some(chromedriver), Some(chromium)) = (
        find("chromedriver"),
        find("chromium").or_else(|| find("chromium-browser")),
    ) else {
        assert!(
            std::env::var_os("HAMAFZA_REQUIRE_BROWSER").is_none(),
            "chromium and chromedriver are required here"
        );
        eprintln!("skipped: install the Debian packages chromium and chromium-driver");
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let profile = hamafza_kit::testing::temp_dir("chromium");
    let driver = Driver {
        chromedriver: Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
        profile: profile.clone(),
    };
    let capabilities: serde_json::Map<String, serde_json::Value> =
        serde_json::from_value(serde_json::json!({
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--window-size=1280,1000", format!("--user-data-dir={}", profile.display())
                ]
            }
        }))
        .unwrap();
    for _ in 0..100 {
        if let Ok(client) =
            ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(capabilities.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
        {
            let stack = Stack::start().await;
            let base = stack.base.clone();
            return Some((driver, client, stack, base));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not answer");
}

/// Signs in as the demo person `subject` through the development sign-in
/// page (signing out whoever was signed in).
async fn sign_in_as(browser: &fantoccini::Client, base: &str, subject: &str) {
    browser.delete_all_cookies().await.unwrap();
    browser.goto(&format!("{base}/signin")).await.unwrap();
    for row in browser.find_all(Locator::Css("tr")).await.unwrap() {
        if row.text().await.unwrap().contains(subject) {
            row.find(Locator::Css("button"))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            wait_for(browser, "header form[action='/signout']").await;
            return;
        }
    }
    panic!("{subject} is not on the sign-in page");
}

/// Screenshots of the page at `path` in Persian, in English and on a phone
/// (390×844, Persian): `{name}-fa.png`, `{name}-en.png`, `{name}-phone.png`.
async fn screenshots(browser: &fantoccini::Client, base: &str, path: &str, name: &str) {
    let dir = screenshots_dir();
    let join = if path.contains('?') { '&' } else { '?' };
    for lang in ["fa", "en"] {
        browser
            .goto(&format!("{base}{path}{join}lang={lang}"))
            .await
            .unwrap();
        wait_for(browser, &format!("html[lang='{lang}']")).await;
        screenshot(browser, &dir, &format!("{name}-{lang}.png")).await;
    }
    // The end of the page too (forms and results sit below the fold).
    browser
        .execute("window.scrollTo(0, document.body.scrollHeight)", vec![])
        .await
        .unwrap();
    screenshot(browser, &dir, &format!("{name}-en-end.png")).await;
    browser.set_window_size(390, 844).await.unwrap();
    browser
        .goto(&format!("{base}{path}{join}lang=fa"))
        .await
        .unwrap();
    wait_for(browser, "html[lang='fa']").await;
    screenshot(browser, &dir, &format!("{name}-phone.png")).await;
    browser
        .execute("window.scrollTo(0, document.body.scrollHeight)", vec![])
        .await
        .unwrap();
    screenshot(browser, &dir, &format!("{name}-phone-end.png")).await;
    browser.set_window_size(1280, 1000).await.unwrap();
}

/// The card of `main` whose text contains `text`.
async fn card_with(browser: &fantoccini::Client, text: &str) -> fantoccini::elements::Element {
    for card in browser.find_all(Locator::Css(".card")).await.unwrap() {
        if card.text().await.unwrap().contains(text) {
            return card;
        }
    }
    panic!("no card with {text}: {}", main_text(browser).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_council_members_approve_pr_180_in_a_real_browser() {
    let Some((_driver, browser, _stack, base)) = browser_and_stack().await else {
        return;
    };

    sign_in_as(&browser, &base, "council-msc").await;
    browser.goto(&base).await.unwrap();
    click_when_shown(&browser, "header nav a[href='/council']").await;
    wait_for(&browser, "nav.tabs").await;
    screenshots(&browser, &base, "/council", "council-queue").await;
    card_with(&browser, "PR-180")
        .await
        .find(Locator::Css("h3 a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&browser, "form.vote").await;
    let item = browser.current_url().await.unwrap().path().to_owned();
    let page = main_text(&browser).await;
    assert!(page.contains("۰ موافقت از ۲ موافقت لازم"), "{page}");
    assert!(page.contains("Measuring PR Effectiveness"), "{page}");
    screenshots(&browser, &base, &item, "council-item").await;
    wait_for(&browser, "textarea#comment")
        .await
        .send_keys("سرفصل‌ها و شاخص‌ها کامل است")
        .await
        .unwrap();
    click(&browser, "form.vote button[type='submit']").await;
    let flash = wait_for(&browser, ".flash").await.text().await.unwrap();
    assert!(flash.contains("رأی موافق شما ثبت شد"), "{flash}");
    assert!(flash.contains("۱ موافقت از ۲"), "{flash}");

    sign_in_as(&browser, &base, "council-gegh").await;
    browser.goto(&format!("{base}/council")).await.unwrap();
    card_with(&browser, "PR-180")
        .await
        .find(Locator::Css("a.button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    click_when_shown(&browser, "form.vote button[type='submit']").await;
    let flash = wait_for(&browser, ".flash").await.text().await.unwrap();
    assert!(flash.contains("حد نصاب رسید"), "{flash}");
    let page = main_text(&browser).await;
    assert!(page.contains("تأیید شد"), "{page}");
    assert!(
        page.contains("سرفصل‌ها و شاخص‌ها کامل است"),
        "the first vote's comment"
    );
    screenshot(&browser, &screenshots_dir(), "council-approved.png").await;
    screenshots(&browser, &base, "/council?tab=decided", "council-decided").await;
    screenshots(&browser, &base, "/council?tab=mine", "council-mine").await;
    let mine = main_text(&browser).await;
    assert!(mine.contains("PR-180"), "{mine}");
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_instructor_takes_attendance_and_completes_a_session_in_a_real_browser() {
    use hamafza_kit::auth::Role;
    use hamafza_proto::enrolments as epb;
    const SARA: hamafza_testkit::Who = ("trainee-msc-1", "msc", &[Role::Trainee]);
    const ALI: hamafza_testkit::Who = ("trainee-ksc-1", "ksc", &[Role::Trainee]);

    let Some((_driver, browser, stack, base)) = browser_and_stack().await else {
        return;
    };
    // A session of the demo PR-101 like the demo's, taught by
    // instructor-rahimi, two meetings, under way (attendance is taken once a
    // meeting has started); two demo trainees enrol over gRPC.
    let session = rahimi_session_under_way(&stack).await;
    let sara = fixtures::enrolled(&stack, SARA, &session.id, "sara").await;
    let ali = fixtures::enrolled(&stack, ALI, &session.id, "ali").await;
    let roster = format!("/teach/sessions/{}", session.id);

    sign_in_as(&browser, &base, "instructor-rahimi").await;
    browser
        .goto(&format!("{base}/sessions/{}", session.id))
        .await
        .unwrap();
    let teaching = wait_for(&browser, ".teaching").await.text().await.unwrap();
    assert!(teaching.contains("شما مدرس این دوره هستید"), "{teaching}");
    assert!(
        browser
            .find(Locator::Css("form[action$='/enrol']"))
            .await
            .is_err(),
        "no enrol button for the session's instructor"
    );
    click_when_shown(&browser, "header nav a[href='/teach']").await;
    wait_for(&browser, "nav.tabs").await;
    screenshots(&browser, &base, "/teach", "teach-list").await;
    wait_for(&browser, &format!("a[href='{roster}']"))
        .await
        .click()
        .await
        .unwrap();
    wait_for(&browser, "table.roster").await;

    // Meeting 1, first by mistake with Sara absent, then corrected: Sara
    // present, Ali absent.
    let attend = |n: u32| format!("a[href='{roster}/meetings/{n}']");
    wait_for(&browser, &attend(1)).await.click().await.unwrap();
    screenshots(
        &browser,
        &base,
        &format!("{roster}/meetings/1"),
        "teach-attendance",
    )
    .await;
    wait_for(&browser, &format!("input[id='present-{}']", sara.id))
        .await
        .click()
        .await
        .unwrap();
    click(&browser, "form.attendance button").await;
    let flash = wait_for(&browser, ".flash").await.text().await.unwrap();
    assert!(flash.contains("حضور ۱ نفر برای جلسه ۱ ثبت شد"), "{flash}");
    wait_for(&browser, &attend(1)).await.click().await.unwrap();
    let sara_box = wait_for(&browser, &format!("input[id='present-{}']", sara.id)).await;
    assert!(
        !sara_box.is_selected().await.unwrap(),
        "the mark as recorded"
    );
    sara_box.click().await.unwrap();
    browser
        .find(Locator::Css(&format!("input[id='present-{}']", ali.id)))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    click(&browser, "form.attendance button").await;
    let flash = wait_for(&browser, ".flash").await.text().await.unwrap();
    assert!(
        flash.contains("حضور ۱ نفر برای جلسه ۱ ثبت شد؛ ۱ نفر غایب"),
        "{flash}"
    );
    let marked = fixtures::get_enrolment(&stack, RAHIMI, &ali.id)
        .await
        .unwrap();
    assert_eq!(marked.attendance[0].status(), epb::AttendanceStatus::Absent);
    // Meeting 2: everyone present, as the form starts.
    wait_for(&browser, &attend(2)).await.click().await.unwrap();
    click_when_shown(&browser, "form.attendance button").await;
    let flash = wait_for(&browser, ".flash").await.text().await.unwrap();
    assert!(flash.contains("حضور ۲ نفر برای جلسه ۲ ثبت شد"), "{flash}");

    // The sign-in sheet of meeting 1.
    screenshots(
        &browser,
        &base,
        &format!("{roster}/meetings/1/sheet"),
        "teach-sheet",
    )
    .await;
    let sheet = main_text(&browser).await;
    assert!(
        sheet.contains("فولاد مبارکه") && sheet.contains("امضا"),
        "{sheet}"
    );

    // Scores: Sara 85 passes; Ali 90 fails on attendance (1 of 2 < 75%).
    browser.goto(&format!("{base}{roster}")).await.unwrap();
    wait_for(&browser, &format!("input[name='score_{}']", sara.id))
        .await
        .send_keys("85")
        .await
        .unwrap();
    browser
        .find(Locator::Css(&format!("input[name='score_{}']", ali.id)))
        .await
        .unwrap()
        .send_keys("90")
        .await
        .unwrap();
    click(&browser, "form.complete button").await;
    let flash = wait_for(&browser, ".flash").await.text().await.unwrap();
    assert!(flash.contains("۱ نفر قبول، ۱ نفر مردود"), "{flash}");
    let results = wait_for(&browser, "table.results")
        .await
        .text()
        .await
        .unwrap();
    assert!(results.contains("حضور ۵۰٪ کمتر از حداقل ۷۵٪"), "{results}");
    screenshots(&browser, &base, &roster, "teach-session").await;

    // The certificate reaches Sara through the outbox.
    sign_in_as(&browser, &base, "trainee-msc-1").await;
    let certificates = format!("{base}/me/certificates");
    eventually(Duration::from_secs(20), || {
        let (browser, certificates) = (&browser, &certificates);
        async move {
            browser.goto(certificates).await.unwrap();
            browser
                .find(Locator::Css(".cards .card h2 a"))
                .await
                .is_ok()
        }
    })
    .await;
    let card = main_text(&browser).await;
    assert!(card.contains("مبانی روابط عمومی نوین"), "{card}");
    // The completions now show on the benchmark: bars, names clear of them.
    sign_in_as(&browser, &base, "council-msc").await;
    screenshots(&browser, &base, "/benchmark", "benchmark-completed").await;
    assert!(
        browser
            .find(Locator::Css("svg rect[data-role='bar']"))
            .await
            .is_ok(),
        "a bar for a company with completions"
    );
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_company_manager_approves_enrols_and_uploads_in_a_real_browser() {
    use hamafza_kit::auth::Role;
    use hamafza_kit::sheet::{self, Limits, Table};
    const SARA: hamafza_testkit::Who = ("trainee-msc-1", "msc", &[Role::Trainee]);
    let Some((_driver, browser, stack, base)) = browser_and_stack().await else {
        return;
    };
    let course = fixtures::published_course(&stack.stack, "PR-991", |details| {
        details.requires_manager_approval = true;
    })
    .await;
    let session = fixtures::open_session(&stack.stack, &course, |_| {}).await;
    fixtures::enrol_self(&stack.stack, SARA, &session.id, "browser-request")
        .await
        .unwrap();

    sign_in_as(&browser, &base, "council-msc").await;
    screenshots(&browser, &base, "/org", "org-requests").await;
    // Approve Sara's request (ticked by default).
    browser.goto(&format!("{base}/org")).await.unwrap();
    click(&browser, "button[value='approve']").await;
    let done = wait_for(&browser, ".flash").await.text().await.unwrap();
    assert!(done.contains("تأیید شد"), "{done}");

    // Enrol two colleagues, ticked.
    let enrol = format!("/org/enrol?session={}", session.id);
    screenshots(&browser, &base, &enrol, "org-enrol").await;
    browser.goto(&format!("{base}{enrol}")).await.unwrap();
    for subject in ["msc-pr-02", "msc-pr-03"] {
        browser
            .find(Locator::Css(&format!("input[value='{subject}']")))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }
    browser
        .find(Locator::Css(
            "form[action='/org/enrol'] button[type='submit']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let done = wait_for(&browser, ".flash").await.text().await.unwrap();
    assert!(done.contains("۲ نفر ثبت‌نام شدند"), "{done}");
    screenshot(&browser, &screenshots_dir(), "org-enrol-result-fa.png").await;

    // Upload a 5-row Excel file; the row of ksc's person is refused with why.
    let mut rows = Table::new(["شناسه", "نام"]);
    for (subject, name) in [
        ("msc-pr-04", "امیر یوسفی"),
        ("msc-pr-05", "مریم صادقی"),
        ("ksc-pr-02", "نازنین عباسی"),
        ("msc-pr-06", "حسین نوری"),
        ("msc-new-1", "کارمند تازه"),
    ] {
        rows.push([subject, name]);
    }
    let file = hamafza_kit::testing::temp_dir("upload").join("people.xlsx");
    std::fs::write(&file, sheet::to_xlsx(&rows, true).unwrap()).unwrap();
    let import = format!("/org/import?session={}", session.id);
    screenshots(&browser, &base, &import, "org-import").await;
    browser.goto(&format!("{base}{import}")).await.unwrap();
    browser
        .find(Locator::Css("input[type='file']"))
        .await
        .unwrap()
        .send_keys(&file.display().to_string())
        .await
        .unwrap();
    browser
        .find(Locator::Css(
            "form[action='/org/import'] button[type='submit']",
        ))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let done = wait_for(&browser, ".flash").await.text().await.unwrap();
    assert!(done.contains("۴ نفر ثبت‌نام شدند"), "{done}");
    assert!(done.contains("۱ مورد پذیرفته نشد"), "{done}");
    let page = main_text(&browser).await;
    assert!(
        page.contains("این فرد در فهرست کارکنان شرکت دیگری است"),
        "{page}"
    );
    screenshot(&browser, &screenshots_dir(), "org-import-result-fa.png").await;

    // The company's people as Excel, fetched with this browser's session.
    let cookie = browser
        .get_named_cookie("hamafza_session")
        .await
        .unwrap()
        .value()
        .to_owned();
    let xlsx = reqwest::Client::new()
        .get(format!("{base}/org/people?format=xlsx"))
        .header("cookie", format!("hamafza_session={cookie}"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let people = sheet::read(&xlsx, Limits::default()).unwrap();
    let names: Vec<&str> = people.rows.iter().map(|r| r[0].as_str()).collect();
    assert!(
        names.contains(&"رضا محمدی") && !names.contains(&"نازنین عباسی"),
        "{names:?}"
    );

    for (path, name) in [
        ("/org/people", "org-people"),
        ("/org/people/msc-pr-02", "org-transcript"),
        ("/org/certificates", "org-certificates"),
        ("/org/events", "org-events"),
    ] {
        screenshots(&browser, &base, path, name).await;
    }

    // The ksc manager sees nothing of msc's people.
    sign_in_as(&browser, &base, "manager-ksc").await;
    browser
        .goto(&format!("{base}/org/people/msc-pr-02"))
        .await
        .unwrap();
    assert!(main_text(&browser).await.contains("پیدا نشد"));
    browser.goto(&format!("{base}/org/people")).await.unwrap();
    let ksc = main_text(&browser).await;
    assert!(
        !ksc.contains("رضا محمدی") && ksc.contains("نازنین عباسی"),
        "{ksc}"
    );
}

/// Types `text` into the input named `name` (emptying it first).
async fn fill(browser: &fantoccini::Client, name: &str, text: &str) {
    let input = wait_for(browser, &format!("[name='{name}']")).await;
    input.clear().await.unwrap();
    input.send_keys(text).await.unwrap();
}

/// Picks the option `value` of the select named `name`.
async fn choose(browser: &fantoccini::Client, name: &str, value: &str) {
    wait_for(
        browser,
        &format!("select[name='{name}'] option[value='{value}']"),
    )
    .await
    .click()
    .await
    .unwrap();
}

/// Clicks the button of the form posting to an address ending in `action`
/// and waits for the flash that follows.
async fn press(browser: &fantoccini::Client, action: &str) -> String {
    let before = browser.current_url().await.unwrap();
    wait_for(browser, &format!("form[action$='{action}'] button"))
        .await
        .click()
        .await
        .unwrap();
    // Every change redirects to another address: wait for it, so the flash
    // read is the next page's and not one already on this page.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while browser.current_url().await.unwrap() == before {
        assert!(
            tokio::time::Instant::now() < deadline,
            "pressing {action} led nowhere"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    wait_for(browser, ".flash").await.text().await.unwrap()
}

/// The Jalali date `days` from now in Tehran, in Persian digits.
fn jalali_in(days: i64) -> String {
    use chrono::Datelike;
    let tehran = chrono::Utc::now() + chrono::Duration::days(days) + chrono::Duration::minutes(210);
    let j = hamafza_kit::jalali::to_jalali(
        tehran.year(),
        u8::try_from(tehran.month()).unwrap(),
        u8::try_from(tehran.day()).unwrap(),
    )
    .unwrap();
    hamafza_kit::jalali::persian_digits(&format!("{:04}/{:02}/{:02}", j.year, j.month, j.day))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_puts_a_course_and_a_session_through_the_back_office_in_a_real_browser() {
    let Some((_driver, browser, _stack, base)) = browser_and_stack().await else {
        return;
    };

    sign_in_as(&browser, &base, "admin").await;
    browser.goto(&base).await.unwrap();
    click_when_shown(&browser, "header nav a[href='/admin']").await;
    wait_for(&browser, "nav.tabs").await;
    screenshots(&browser, &base, "/admin", "admin-overview").await;

    // A course through the form, then to the council.
    screenshots(&browser, &base, "/admin/courses/new", "admin-course-new").await;
    browser
        .goto(&format!("{base}/admin/courses/new"))
        .await
        .unwrap();
    fill(&browser, "details.code", "PR 888").await;
    fill(&browser, "details.title.fa", "روایت‌گری داده در روابط عمومی").await;
    fill(&browser, "details.title.en", "Data storytelling in PR").await;
    fill(&browser, "details.category", "media-relations").await;
    fill(&browser, "details.hours", "۸").await;
    choose(&browser, "details.delivery_mode", "in-person").await;
    // A code with a space: the form comes back with the words beside it and
    // everything else as typed.
    click_when_shown(&browser, "form[action$='/admin/courses/new'] button").await;
    let beside = wait_for(&browser, "[id='details.code-error']")
        .await
        .text()
        .await
        .unwrap();
    assert!(beside.contains("PR-210"), "{beside}");
    screenshot(&browser, &screenshots_dir(), "admin-course-refused-fa.png").await;
    browser.set_window_size(390, 844).await.unwrap();
    screenshot(
        &browser,
        &screenshots_dir(),
        "admin-course-refused-phone.png",
    )
    .await;
    browser.set_window_size(1280, 1000).await.unwrap();
    fill(&browser, "details.code", "PR-888").await;
    let flash = press(&browser, "/admin/courses/new").await;
    assert!(flash.contains("ایجاد شد"), "{flash}");
    let course_path = browser.current_url().await.unwrap().path().to_owned();
    let course_id = course_path.trim_start_matches("/admin/courses/").to_owned();
    let flash = press(&browser, "/submit").await;
    assert!(flash.contains("برای شورا فرستاده شد"), "{flash}");
    screenshots(&browser, &base, &course_path, "admin-course-edit").await;

    // Two council members approve it on the council's pages.
    for member in ["council-msc", "council-gegh"] {
        sign_in_as(&browser, &base, member).await;
        browser
            .goto(&format!("{base}/council/courses/{course_id}"))
            .await
            .unwrap();
        click_when_shown(&browser, "form.vote button[type='submit']").await;
        wait_for(&browser, ".flash").await;
    }

    // Published, then a session with a quota for msc, opened.
    sign_in_as(&browser, &base, "admin").await;
    browser.goto(&format!("{base}{course_path}")).await.unwrap();
    let flash = press(&browser, "/publish").await;
    assert!(flash.contains("منتشر شد"), "{flash}");
    let new_session = format!("/admin/sessions/new?course={course_id}");
    screenshots(&browser, &base, &new_session, "admin-session-new").await;
    browser.goto(&format!("{base}{new_session}")).await.unwrap();
    fill(&browser, "meeting.0.date", &jalali_in(40)).await;
    fill(&browser, "meeting.0.start", "۰۹:۰۰").await;
    fill(&browser, "meeting.0.end", "۱۲:۳۰").await;
    fill(&browser, "meeting.1.date", &jalali_in(41)).await;
    fill(&browser, "meeting.1.start", "09:00").await;
    fill(&browser, "meeting.1.end", "12:30").await;
    fill(&browser, "details.venue.fa", "سالن همایش ایمیدرو").await;
    fill(&browser, "details.venue.en", "IMIDRO hall, Tehran").await;
    choose(&browser, "details.instructor", "instructor-rahimi").await;
    fill(&browser, "quota.msc", "۵").await;
    fill(&browser, "window.end.date", &jalali_in(30)).await;
    fill(&browser, "window.end.time", "۱۸:۰۰").await;
    let flash = press(&browser, "/admin/sessions/new").await;
    assert!(flash.contains("ایجاد شد"), "{flash}");
    let session_path = browser.current_url().await.unwrap().path().to_owned();
    let flash = press(&browser, "/open").await;
    assert!(flash.contains("ثبت‌نام باز شد"), "{flash}");
    screenshots(&browser, &base, &session_path, "admin-session-edit").await;

    // The rest of the back office, for review.
    for (path, name) in [
        ("/admin/programs", "admin-programs"),
        ("/admin/programs/new", "admin-program-new"),
        ("/admin/orgs", "admin-orgs"),
        ("/admin/events", "admin-events"),
        ("/admin/events/new", "admin-event-new"),
        ("/admin/people", "admin-people"),
        ("/admin/certificates", "admin-certificates"),
    ] {
        screenshots(&browser, &base, path, name).await;
    }

    // A trainee finds the session in the catalog.
    sign_in_as(&browser, &base, "trainee-msc-1").await;
    browser.goto(&base).await.unwrap();
    let catalog = main_text(&browser).await;
    assert!(
        catalog.contains("روایت‌گری داده در روابط عمومی"),
        "{catalog}"
    );
    browser.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_company_proposes_to_host_a_session_and_the_admin_accepts_in_a_real_browser() {
    let Some((_driver, browser, _stack, base)) = browser_and_stack().await else {
        return;
    };

    // Khuzestan Steel's manager proposes a session of PR-101 taught by one
    // of the company's own people.
    sign_in_as(&browser, &base, "manager-ksc").await;
    screenshots(&browser, &base, "/org/hosting", "org-hosting").await;
    browser.goto(&format!("{base}/org/hosting")).await.unwrap();
    for option in browser
        .find_all(Locator::Css("select[name='course_id'] option"))
        .await
        .unwrap()
    {
        if option.text().await.unwrap().contains("PR-101") {
            option.click().await.unwrap();
        }
    }
    fill(&browser, "meeting.0.date", &jalali_in(30)).await;
    fill(&browser, "meeting.0.start", "۰۹:۰۰").await;
    fill(&browser, "meeting.0.end", "۱۳:۰۰").await;
    fill(
        &browser,
        "details.venue.fa",
        "اهواز، سالن همایش فولاد خوزستان",
    )
    .await;
    fill(&browser, "details.venue.en", "Ahvaz, Khuzestan Steel hall").await;
    choose(&browser, "details.instructor", "ksc-pr-02").await;
    fill(&browser, "window.end.date", &jalali_in(25)).await;
    fill(&browser, "window.end.time", "۱۸:۰۰").await;
    let flash = press(&browser, "/org/hosting").await;
    assert!(flash.contains("در انتظار بررسی"), "{flash}");
    screenshot(&browser, &screenshots_dir(), "org-hosting-proposed-fa.png").await;

    // The holding's admin accepts it from the queue.
    sign_in_as(&browser, &base, "admin").await;
    screenshots(&browser, &base, "/admin/hosting", "admin-hosting").await;
    browser
        .goto(&format!("{base}/admin/hosting"))
        .await
        .unwrap();
    let flash = press(&browser, "/accept").await;
    assert!(flash.contains("پذیرفته شد"), "{flash}");

    // The catalog names the host of the demo's hosted session.
    sign_in_as(&browser, &base, "trainee-msc-1").await;
    browser.goto(&base).await.unwrap();
    wait_for(&browser, "main").await;
    assert!(
        main_text(&browser)
            .await
            .contains("به میزبانی فولاد خوزستان")
    );
    screenshot(&browser, &screenshots_dir(), "catalog-hosted-fa.png").await;
    browser.close().await.unwrap();
}

/// A trainee rates a completed course on the form (radio groups in
/// fieldsets), and the instructor reads the aggregated results once five
/// have answered: both pages checked with axe in Persian, English and at
/// phone width.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trainee_rates_a_course_and_the_instructor_reads_the_results_in_a_real_browser() {
    use hamafza_kit::auth::Role;
    const SARA: hamafza_testkit::Who = ("trainee-msc-1", "msc", &[Role::Trainee]);
    const OTHERS: [hamafza_testkit::Who; 4] = [
        ("trainee-ksc-1", "ksc", &[Role::Trainee]),
        ("trainee-gegh-1", "gegh", &[Role::Trainee]),
        ("msc-browser-2", "msc", &[Role::Trainee]),
        ("msc-browser-3", "msc", &[Role::Trainee]),
    ];
    let Some((_driver, browser, stack, base)) = browser_and_stack().await else {
        return;
    };
    let session = rahimi_session_under_way(&stack).await;
    let sara = passed_by_rahimi(&stack, &session, SARA, "sara").await;
    for (i, who) in OTHERS.iter().enumerate() {
        let id = passed_by_rahimi(&stack, &session, *who, &format!("o{i}")).await;
        rate_over_grpc(&stack, *who, &id, 3 + u32::try_from(i % 3).unwrap()).await;
    }

    // «My learning» leads to the form; every question is answered by its label.
    sign_in_as(&browser, &base, SARA.0).await;
    browser.goto(&format!("{base}/me/learning")).await.unwrap();
    click_when_shown(
        &browser,
        &format!("a[href='/me/learning/{sara}/evaluation']"),
    )
    .await;
    wait_for(&browser, "form.evaluation").await;
    let form = format!("/me/learning/{sara}/evaluation");
    screenshots(&browser, &base, &form, "evaluation-form").await;
    browser
        .goto(&format!("{base}{form}?lang=fa"))
        .await
        .unwrap();
    for (question, value) in [
        ("content", 5),
        ("instructor", 4),
        ("relevance", 5),
        ("organization", 3),
        ("overall", 4),
    ] {
        click_when_shown(&browser, &format!("label[for='{question}-{value}']")).await;
    }
    fill(&browser, "comment", "تمرین‌های گروهی بسیار مفید بود.").await;
    click(&browser, "form.evaluation button").await;
    let rated = wait_for(&browser, "p.rating a").await.text().await.unwrap();
    assert!(rated.contains("ویرایش ارزشیابی شما"), "{rated}");
    screenshot(&browser, &screenshots_dir(), "evaluation-my-learning.png").await;

    // The instructor's page: five answers, averages and the comment, no names.
    sign_in_as(&browser, &base, RAHIMI.0).await;
    let results = format!("/teach/sessions/{}/evaluations", session.id);
    browser.goto(&format!("{base}{results}")).await.unwrap();
    let text = main_text(&browser).await;
    assert!(text.contains("تمرین‌های گروهی بسیار مفید بود."), "{text}");
    assert!(!text.contains("سارا احمدی"), "{text}");
    screenshots(&browser, &base, &results, "evaluation-results").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_study_goes_through_the_library_in_a_real_browser() {
    let Some((_driver, browser, _stack, base)) = browser_and_stack().await else {
        return;
    };

    // A trainee of Mobarakeh Steel drafts a case study with a PDF.
    sign_in_as(&browser, &base, "trainee-msc-1").await;
    screenshots(&browser, &base, "/library/new", "library-form").await;
    browser.goto(&format!("{base}/library/new")).await.unwrap();
    fill(&browser, "title_fa", "مدیریت بحران رسانه‌ای در بندر").await;
    fill(&browser, "summary_fa", "روایت سه روز نخست و بیانیهٔ اول").await;
    click(&browser, "input[name='tag'][value='2']").await;
    let file = hamafza_kit::testing::temp_dir("library-upload").join("crisis-report.pdf");
    std::fs::write(
        &file,
        hamafza_library::files::tiny_pdf("browser case study"),
    )
    .unwrap();
    browser
        .find(Locator::Css("input[type='file']"))
        .await
        .unwrap()
        .send_keys(&file.display().to_string())
        .await
        .unwrap();
    click(
        &browser,
        "form[action='/library/new'] button[type='submit']",
    )
    .await;
    wait_for(&browser, "a[href*='/files/']").await;
    let item = browser.current_url().await.unwrap().path().to_owned();
    assert!(main_text(&browser).await.contains("crisis-report.pdf"));
    screenshots(&browser, &base, &item, "library-draft").await;
    browser.goto(&format!("{base}{item}")).await.unwrap();
    click(&browser, "form[action$='/submit'] button").await;
    main_text_with(&browser, "در انتظار تأیید").await;

    // A council member approves it from the queue.
    sign_in_as(&browser, &base, "council-gegh").await;
    screenshots(&browser, &base, "/library/queue", "library-queue").await;
    browser.goto(&format!("{base}{item}")).await.unwrap();
    click(&browser, "form[action$='/approve'] button").await;
    main_text_with(&browser, "منتشرشده").await;

    // Khuzestan Steel's trainee finds it with an Arabic keyboard's «ي».
    sign_in_as(&browser, &base, "trainee-ksc-1").await;
    screenshots(&browser, &base, "/library?q=%D8%A8%D8%AD%D8%B1%D8%A7%D9%86+%D8%B1%D8%B3%D8%A7%D9%86%D9%87%E2%80%8C%D8%A7%D9%8A", "library-search").await;
    browser
        .goto(&format!(
            "{base}/library?q=%D8%B1%D8%B3%D8%A7%D9%86%D9%87%D8%A7%D9%8A"
        ))
        .await
        .unwrap();
    let found = main_text(&browser).await;
    assert!(found.contains("مدیریت بحران رسانه‌ای در بندر"), "{found}");
    screenshots(&browser, &base, &item, "library-item").await;
}

/// Waits (up to 15 s) until the page's `main` says `text`.
async fn main_text_with(browser: &fantoccini::Client, text: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        if let Ok(main) = browser.find(Locator::Css("main")).await
            && main.text().await.is_ok_and(|shown| shown.contains(text))
        {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the page never said {text}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// What a page looks like at the window's width: whether anything scrolls
/// sideways, how many tables fold into cards, how many cells are labelled,
/// and whether the labelled cells are stacked (a block, not a table cell).
#[derive(Debug, serde::Deserialize)]
struct Fit {
    scroll_width: i64,
    client_width: i64,
    card_tables: usize,
    labelled: usize,
    stacked: bool,
}

async fn fit(browser: &fantoccini::Client) -> Fit {
    let value = browser
        .execute(
            "const d = document.documentElement;
             const cells = [...document.querySelectorAll('main table[data-cards] td[data-label]')];
             return {
               scroll_width: d.scrollWidth, client_width: d.clientWidth,
               card_tables: document.querySelectorAll('main table[data-cards]').length,
               labelled: cells.length,
               stacked: cells.every(c => ['block', 'flex', 'none'].includes(getComputedStyle(c).display)),
             };",
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(value).unwrap()
}

/// How far apart (px) the vertical centres of the header's visible parts
/// and its menu's links are: 0-ish when the header is one line.
async fn header_spread(browser: &fantoccini::Client) -> f64 {
    browser
        .execute(
            "const parts = [...document.querySelectorAll('header.top > *, header.top nav > a')]
               .filter(e => e.offsetParent !== null && getComputedStyle(e).position !== 'absolute');
             const centres = parts.map(e => { const r = e.getBoundingClientRect(); return r.top + r.height / 2; });
             return Math.max(...centres) - Math.min(...centres);",
            vec![],
        )
        .await
        .unwrap()
        .as_f64()
        .unwrap()
}

/// Every page with a table, on a 390 px phone in Persian and English: no
/// sideways scrolling, the table's rows stacked as cards whose values carry
/// their column's name; and the English header on one line at 1280 px.
/// Screenshots `phone-{name}-{lang}.png`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tables_fold_into_cards_on_a_phone_and_the_header_fits_a_laptop_in_a_real_browser() {
    use hamafza_kit::auth::Role;
    const SARA: hamafza_testkit::Who = ("trainee-msc-1", "msc", &[Role::Trainee]);
    let Some((_driver, browser, stack, base)) = browser_and_stack().await else {
        return;
    };
    let session = rahimi_session_under_way(&stack).await;
    passed_by_rahimi(&stack, &session, SARA, "phone").await;
    let roster = format!("/teach/sessions/{}", session.id);

    // (who, path, screenshot name, whether its table must have rows)
    let pages: Vec<(Option<&str>, String, &str, bool)> = vec![
        (None, "/signin".into(), "signin", true),
        (
            Some("trainee-msc-1"),
            "/me/learning".into(),
            "my-learning",
            false,
        ),
        (
            Some("trainee-msc-1"),
            "/me/certificates".into(),
            "my-certificates",
            false,
        ),
        (Some("instructor-rahimi"), roster.clone(), "roster", true),
        (Some("manager-ksc"), "/org".into(), "org-requests", false),
        (
            Some("manager-ksc"),
            "/org/people".into(),
            "org-people",
            true,
        ),
        (
            Some("manager-ksc"),
            "/org/certificates".into(),
            "org-certificates",
            false,
        ),
        (Some("admin"), "/admin".into(), "admin-overview", false),
        (
            Some("admin"),
            "/admin/courses".into(),
            "admin-courses",
            false,
        ),
        (
            Some("admin"),
            "/admin/programs".into(),
            "admin-programs",
            true,
        ),
        (Some("admin"), "/admin/orgs".into(), "admin-orgs", true),
        (Some("admin"), "/admin/events".into(), "admin-events", false),
        (Some("admin"), "/admin/people".into(), "admin-people", true),
        (
            Some("admin"),
            "/admin/certificates".into(),
            "admin-certificates",
            false,
        ),
        (Some("admin"), "/benchmark".into(), "benchmark", true),
    ];
    let dir = screenshots_dir();
    let mut signed_in: Option<&str> = None;
    let mut refusals = Vec::new();
    for (who, path, name, has_rows) in &pages {
        if *who != signed_in {
            match who {
                Some(subject) => sign_in_as(&browser, &base, subject).await,
                None => browser.delete_all_cookies().await.unwrap(),
            }
            signed_in = *who;
        }
        let join = if path.contains('?') { '&' } else { '?' };
        browser.set_window_size(390, 844).await.unwrap();
        for lang in ["fa", "en"] {
            browser
                .goto(&format!("{base}{path}{join}lang={lang}"))
                .await
                .unwrap();
            wait_for(&browser, &format!("html[lang='{lang}']")).await;
            let seen = fit(&browser).await;
            screenshot(&browser, &dir, &format!("phone-{name}-{lang}.png")).await;
            if seen.scroll_width != seen.client_width
                || !seen.stacked
                || (*has_rows && (seen.card_tables == 0 || seen.labelled == 0))
            {
                refusals.push(format!("{path} ({lang}): {seen:?}"));
            }
        }
        // The English header on one line at a laptop's width.
        browser.set_window_size(1280, 1000).await.unwrap();
        browser
            .goto(&format!("{base}{path}{join}lang=en"))
            .await
            .unwrap();
        wait_for(&browser, "html[lang='en']").await;
        let spread = header_spread(&browser).await;
        screenshot(&browser, &dir, &format!("laptop-{name}-en.png")).await;
        if spread > 4.0 {
            refusals.push(format!("{path}: the English header spans {spread} px"));
        }
    }
    assert!(refusals.is_empty(), "{refusals:#?}");

    // The menu button opens the menu on a phone.
    sign_in_as(&browser, &base, "admin").await;
    browser.set_window_size(390, 844).await.unwrap();
    browser.goto(&format!("{base}/admin")).await.unwrap();
    click(&browser, "label.menu-button").await;
    let link = wait_for(&browser, "header.top nav a[href='/benchmark']").await;
    assert!(link.is_displayed().await.unwrap(), "the menu did not open");
    screenshot(&browser, &dir, "phone-menu-open-fa.png").await;
    browser.set_window_size(1280, 1000).await.unwrap();
    browser.close().await.unwrap();
}
