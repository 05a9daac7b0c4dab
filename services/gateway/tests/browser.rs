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

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
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

fn screenshots_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Saves what `browser` shows as `name` in `dir`.
async fn screenshot(browser: &fantoccini::Client, dir: &Path, name: &str) {
    std::fs::write(dir.join(name), browser.screenshot().await.unwrap()).unwrap();
}

/// The text of the page's `main` element.
async fn main_text(browser: &fantoccini::Client) -> String {
    let main = browser.find(Locator::Css("main")).await.unwrap();
    main.text().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trainee_enrols_and_finds_a_verified_certificate_in_a_real_browser() {
    let (Some(chromedriver), Some(chromium)) = (
        find("chromedriver"),
        find("chromium").or_else(|| find("chromium-browser")),
    ) else {
        assert!(
            std::env::var_os("HAMAFZA_REQUIRE_BROWSER").is_none(),
            "chromium and chromedriver are required here"
        );
        eprintln!(
            "skipped: install the Debian packages chromium and chromium-driver \
             to run the browser test"
        );
        return;
    };
    let stack = Stack::start().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _driver = Driver(
        Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let profile = hamafza_kit::testing::temp_dir("chromium");
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
    let mut client = None;
    for _ in 0..100 {
        match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => {
                client = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    let browser = client.expect("chromedriver answers");
    let shots = screenshots_dir();
    let base = stack.base.clone();

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
    wait_for(&browser, ".cards .card h3 a")
        .await
        .click()
        .await
        .unwrap();
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

    // The instructor holds the course and passes the trainee (over gRPC).
    complete(&stack, &session_id).await;
    let mut certificate_link = None;
    for _ in 0..100 {
        browser
            .goto(&format!("{base}/me/certificates"))
            .await
            .unwrap();
        if let Ok(link) = browser.find(Locator::Css(".cards .card h3 a")).await {
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
        browser
            .find(Locator::Css(".certificate .qr svg"))
            .await
            .is_ok(),
        "a QR code"
    );
    screenshot(&browser, &shots, "certificate.png").await;

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
    browser
        .find(Locator::Css("header a[lang='en']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(&browser, "html[dir='ltr']").await;
    let verdict = main_text(&browser).await;
    assert!(verdict.contains("This certificate is valid."), "{verdict}");
    screenshot(&browser, &shots, "verification-en.png").await;
    browser.close().await.unwrap();
}

/// The admin marks the trainee present at every meeting of the session and
/// passes them (over gRPC).
async fn complete(stack: &Stack, session_id: &str) {
    let session = fixtures::get_session(stack, ADMIN, session_id)
        .await
        .unwrap();
    let enrolment = fixtures::enrolments_in(stack, session_id).await.remove(0);
    fixtures::attend_and_complete(stack, ADMIN, &session, &enrolment.id, Some(95), "browser").await;
}
