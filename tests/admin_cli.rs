//! `hamafza admin` end to end against a real stack: the README's admin flow,
//! run exactly as written (the block marked `sh title="admin flow"`), then
//! the exit codes, the printed field violations and `-o json`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output};

use hamafza_kit::sheet;
use hamafza_proto::certification::certification_service_client::CertificationServiceClient;
use hamafza_proto::certification::{CertificateStatus, ListCertificatesRequest};
use hamafza_proto::courses::course_service_client::CourseServiceClient;
use hamafza_proto::courses::session_service_client::SessionServiceClient;
use hamafza_proto::courses::{
    CatalogStatus, GetCourseRequest, ListCoursesRequest, ListSessionsRequest, SessionStatus,
};
use hamafza_proto::enrolments::ListEnrolmentsRequest;
use hamafza_testkit::people::{ADMIN, TRAINEE_MSC};
use hamafza_testkit::{Svc, TestStack, fixtures};

const BINARY: &str = env!("CARGO_BIN_EXE_hamafza");
const README: &str = include_str!("../README.md");

/// The commands of the README's fenced block marked `title="admin flow"`.
fn readme_admin_flow() -> String {
    let start = README
        .find("```sh title=\"admin flow\"")
        .expect("the README marks its admin flow");
    let body = &README[start..];
    let body = &body[body.find('\n').unwrap() + 1..];
    let end = body.find("\n```").expect("the admin flow block ends");
    body[..end].to_owned()
}

async fn stack() -> TestStack {
    TestStack::builder()
        .with(Svc::Courses)
        .with(Svc::Enrolments)
        .with(Svc::Certification)
        .start()
        .await
}

/// A command with the stack's addresses and data directory (so `hamafza
/// token` signs with the issuer the stack trusts), no token of the caller's.
fn command(stack: &TestStack, program: &str) -> Command {
    let mut command = Command::new(program);
    let bin_dir = Path::new(BINARY).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    command
        .env("PATH", path)
        .env("HAMAFZA_DATA_DIR", &stack.config.data_dir)
        .env("HAMAFZA_COURSES_URL", stack.url(Svc::Courses))
        .env("HAMAFZA_ENROLMENTS_URL", stack.url(Svc::Enrolments))
        .env("HAMAFZA_CERTIFICATION_URL", stack.url(Svc::Certification))
        .env_remove("HAMAFZA_TOKEN")
        .env_remove("HAMAFZA_CONFIG")
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT");
    command
}

async fn run(mut command: Command) -> Output {
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

/// `hamafza admin ARGS` as `token` (none when `None`).
async fn admin(stack: &TestStack, token: Option<&str>, args: &[&str]) -> Output {
    let mut command = command(stack, BINARY);
    command.arg("admin").args(args);
    if let Some(token) = token {
        command.env("HAMAFZA_TOKEN", token);
    }
    run(command).await
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test]
async fn the_readme_admin_flow_runs_as_written() {
    let stack = stack().await;
    let script = readme_admin_flow();
    assert!(script.contains("hamafza admin courses create"), "{script}");
    assert!(!script.contains('<'), "no placeholders: {script}");

    let mut bash = command(&stack, "bash");
    bash.args(["-euo", "pipefail", "-c", &script]);
    let output = run(bash).await;
    assert!(
        output.status.success(),
        "the README's admin flow failed ({:?})\n--- stdout\n{}\n--- stderr\n{}",
        output.status,
        stdout(&output),
        stderr(&output)
    );
    assert!(
        stderr(&output).contains("request id: "),
        "changes print their request id"
    );
    assert!(
        stderr(&output).contains("MEETING_NOT_STARTED"),
        "the instructor is refused before the meeting: {}",
        stderr(&output)
    );

    // What the flow left, seen over gRPC.
    let mut courses = CourseServiceClient::new(stack.channel(Svc::Courses));
    let listed = courses
        .list_courses(stack.request(
            ADMIN,
            ListCoursesRequest {
                text: "PR-210".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let course = listed
        .courses
        .iter()
        .find(|c| c.details.as_ref().unwrap().code == "PR-210")
        .expect("PR-210 exists");
    assert_eq!(course.status(), CatalogStatus::Published);
    let course = courses
        .get_course(stack.request(
            ADMIN,
            GetCourseRequest {
                course_id: course.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .course
        .unwrap();
    assert_eq!(course.review.unwrap().approvals, 2);

    let sessions = SessionServiceClient::new(stack.channel(Svc::Courses))
        .list_sessions(stack.request(
            ADMIN,
            ListSessionsRequest {
                course_id: course.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .sessions;
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].status(), SessionStatus::Open);
    let details = sessions[0].details.clone().unwrap();
    assert_eq!(details.capacity, 25);
    assert_eq!(details.quotas[0].organization_id, "msc");
    assert_eq!(details.quotas[0].seats, 5);
    // 1406/10/20 09:00 in Tehran is 2028-01-10 05:30 UTC.
    assert_eq!(
        details.meetings[0].start_time.unwrap().seconds,
        1_831_095_000
    );

    let certificates = CertificationServiceClient::new(stack.channel(Svc::Certification))
        .list_certificates(stack.request(
            ADMIN,
            ListCertificatesRequest {
                trainee_subject: "trainee-msc-1".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .certificates;
    assert_eq!(certificates.len(), 1, "one certificate from the completion");
    assert_eq!(certificates[0].status(), CertificateStatus::Revoked);
    assert_eq!(certificates[0].revoke_reason, "صدور آزمایشی");
    assert_eq!(certificates[0].course_id, course.id);

    // Found again by its serial as typed from the paper.
    let token = stack.token(ADMIN);
    let typed = certificates[0].serial.to_lowercase().replace('-', " ");
    let found = admin(
        &stack,
        Some(&token),
        &["certs", "list", "--serial", &typed, "-o", "id"],
    )
    .await;
    assert!(found.status.success(), "{}", stderr(&found));
    assert_eq!(stdout(&found).trim(), certificates[0].id);

    // The first member's votes, as the admin sees them: PR-210's approval
    // with its comment, the newest.
    let votes = admin(
        &stack,
        Some(&token),
        &["council", "votes", "--voter", "council-msc", "-o", "json"],
    )
    .await;
    assert!(votes.status.success(), "{}", stderr(&votes));
    let listed: serde_json::Value = serde_json::from_str(&stdout(&votes)).unwrap();
    let newest = &listed["votes"][0];
    assert_eq!(newest["courseId"], course.id.as_str(), "{listed}");
    assert_eq!(newest["code"], "PR-210");
    assert_eq!(newest["status"], "CATALOG_STATUS_PUBLISHED");
    assert_eq!(newest["vote"]["comment"], "موافقم");
}

#[tokio::test]
async fn exit_codes_say_what_went_wrong() {
    let stack = stack().await;
    let token = stack.token(ADMIN);

    let unknown_code = admin(&stack, Some(&token), &["courses", "show", "PR-999"]).await;
    assert_eq!(
        unknown_code.status.code(),
        Some(4),
        "{}",
        stderr(&unknown_code)
    );
    assert!(stderr(&unknown_code).contains("PR-999"));

    let unknown_id = admin(
        &stack,
        Some(&token),
        &["courses", "show", "01936a3e-0000-7000-8000-000000000000"],
    )
    .await;
    assert_eq!(unknown_id.status.code(), Some(4), "{}", stderr(&unknown_id));

    let bad_flag = admin(&stack, Some(&token), &["courses", "list", "--colour"]).await;
    assert_eq!(bad_flag.status.code(), Some(2), "{}", stderr(&bad_flag));

    let bad_date = admin(
        &stack,
        Some(&token),
        &[
            "sessions",
            "create",
            "--course",
            "PR-1",
            "--meeting",
            "1404/12/30 09:00/12:00",
        ],
    )
    .await;
    assert_eq!(bad_date.status.code(), Some(2), "{}", stderr(&bad_date));
    assert!(
        stderr(&bad_date).contains("not a Jalali date"),
        "{}",
        stderr(&bad_date)
    );

    let no_token = admin(&stack, None, &["courses", "list"]).await;
    assert_eq!(no_token.status.code(), Some(3), "{}", stderr(&no_token));
    assert!(
        stderr(&no_token).contains("UNAUTHENTICATED"),
        "{}",
        stderr(&no_token)
    );

    let trainee = stack.token(TRAINEE_MSC);
    let not_allowed = admin(
        &stack,
        Some(&trainee),
        &[
            "orgs",
            "create",
            "esco",
            "--name-fa",
            "فولاد اسفراین",
            "--name-en",
            "Esfarayen Steel",
            "--kind",
            "steel",
        ],
    )
    .await;
    assert_eq!(
        not_allowed.status.code(),
        Some(3),
        "{}",
        stderr(&not_allowed)
    );

    let nowhere = admin(
        &stack,
        Some(&token),
        &["--courses", "http://127.0.0.1:9", "courses", "list"],
    )
    .await;
    assert_eq!(nowhere.status.code(), Some(5), "{}", stderr(&nowhere));
    assert!(
        stderr(&nowhere)
            .starts_with("error: UNAVAILABLE: courses could not be reached: tcp connect error"),
        "which service, and why: {}",
        stderr(&nowhere)
    );

    // A service that takes the connection and never answers: the call's
    // deadline (--timeout) ends it, as DEADLINE_EXCEEDED (exit 5).
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_url = format!("http://{}", silent.local_addr().unwrap());
    let slow = admin(
        &stack,
        Some(&token),
        &[
            "--timeout",
            "500ms",
            "--enrolments",
            &silent_url,
            "enrolments",
            "list",
        ],
    )
    .await;
    assert_eq!(slow.status.code(), Some(5), "{}", stderr(&slow));
    assert!(
        stderr(&slow).starts_with("error: DEADLINE_EXCEEDED: enrolments did not answer in time: "),
        "which service, and why: {}",
        stderr(&slow)
    );
    drop(silent);

    let draft = fixtures::draft_course(&stack, "PR-500").await;
    let not_approved = admin(&stack, Some(&token), &["courses", "publish", "PR-500"]).await;
    assert_eq!(
        not_approved.status.code(),
        Some(6),
        "{}",
        stderr(&not_approved)
    );
    assert!(
        stderr(&not_approved).contains("FAILED_PRECONDITION"),
        "{}",
        stderr(&not_approved)
    );
    let still = fixtures::get_course(&stack, ADMIN, &draft.id)
        .await
        .unwrap();
    assert_eq!(still.status(), CatalogStatus::Draft);

    let help = admin(&stack, None, &["--help"]).await;
    assert!(stdout(&help).contains("Exit codes"), "{}", stdout(&help));
    let example = admin(&stack, None, &["sessions", "create", "--help"]).await;
    assert!(stdout(&example).contains("Example"), "{}", stdout(&example));
}

#[tokio::test]
async fn a_refusal_prints_its_reason_and_every_field_violation() {
    let stack = stack().await;
    let token = stack.token(ADMIN);
    let output = admin(
        &stack,
        Some(&token),
        &[
            "courses",
            "create",
            "--code",
            "PR-300",
            "--title-en",
            "Crisis Communication",
            "--hours",
            "0",
        ],
    )
    .await;
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let errors = stderr(&output);
    assert!(errors.contains("INVALID_ARGUMENT"), "{errors}");
    assert!(errors.contains("details.title.fa: "), "{errors}");
    assert!(errors.contains("details.hours: "), "{errors}");
}

#[tokio::test]
async fn json_output_is_the_resource_in_protobuf_json() {
    let stack = stack().await;
    let token = stack.token(ADMIN);
    let output = admin(
        &stack,
        Some(&token),
        &[
            "courses",
            "create",
            "--code",
            "PR-300",
            "--title-fa",
            "ارتباطات بحران",
            "--title-en",
            "Crisis Communication",
            "--category",
            "crisis",
            "--hours",
            "12",
            "--mode",
            "online",
            "--passing-score",
            "60",
            "--min-attendance",
            "80",
            "-o",
            "json",
        ],
    )
    .await;
    assert!(output.status.success(), "{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let id = json["course"]["id"].as_str().unwrap().to_owned();

    let course = CourseServiceClient::new(stack.channel(Svc::Courses))
        .get_course(stack.request(ADMIN, GetCourseRequest { course_id: id }))
        .await
        .unwrap()
        .into_inner()
        .course
        .unwrap();
    let details = course.details.clone().unwrap();
    assert_eq!(json["course"]["details"]["code"], details.code);
    assert_eq!(json["course"]["details"]["title"]["fa"], "ارتباطات بحران");
    assert_eq!(json["course"]["details"]["hours"], 12);
    assert_eq!(
        json["course"]["details"]["deliveryMode"],
        "DELIVERY_MODE_ONLINE"
    );
    assert_eq!(json["course"]["details"]["minAttendancePercent"], 80);
    assert_eq!(json["course"]["status"], "CATALOG_STATUS_DRAFT");
    assert_eq!(
        json["course"]["ownerOrganizationId"],
        course.owner_organization_id
    );
    let created = course.create_time.unwrap();
    let rfc3339 = chrono::DateTime::from_timestamp(created.seconds, created.nanos as u32)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    assert_eq!(json["course"]["createTime"], rfc3339);

    // The same course by code, as an id and as an English table.
    let ids = admin(&stack, Some(&token), &["courses", "show", "PR-300", "-q"]).await;
    assert_eq!(stdout(&ids).trim(), course.id);
    let table = admin(&stack, Some(&token), &["courses", "list", "--lang", "en"]).await;
    assert!(
        stdout(&table).contains("Crisis Communication"),
        "{}",
        stdout(&table)
    );
    // Typed with Persian digits, the code and the numbers read the same.
    let ids = admin(&stack, Some(&token), &["courses", "show", "PR-۳۰۰", "-q"]).await;
    assert_eq!(stdout(&ids).trim(), course.id, "{}", stderr(&ids));
    let updated = admin(
        &stack,
        Some(&token),
        &["courses", "update", "PR-۳۰۰", "--hours", "۱۴", "-q"],
    )
    .await;
    assert!(updated.status.success(), "{}", stderr(&updated));
    let persian = admin(
        &stack,
        Some(&token),
        &["courses", "show", "PR-300", "--lang", "fa"],
    )
    .await;
    assert!(
        stdout(&persian).contains("۱۴"),
        "Persian digits: {}",
        stdout(&persian)
    );
    // A CSV is for programs: Latin digits even when the tables are Persian.
    let csv = admin(
        &stack,
        Some(&token),
        &["courses", "list", "--lang", "fa", "-o", "csv"],
    )
    .await;
    assert!(csv.status.success(), "{}", stderr(&csv));
    let csv = stdout(&csv);
    let row = csv.lines().find(|line| line.contains("PR-300")).unwrap();
    assert!(row.contains("14"), "{csv}");
    assert!(!row.chars().any(|c| ('۰'..='۹').contains(&c)), "{csv}");

    // What waits for the council is one JSON document.
    let submitted = admin(&stack, Some(&token), &["courses", "submit", "PR-300"]).await;
    assert!(submitted.status.success(), "{}", stderr(&submitted));
    let waiting = admin(&stack, Some(&token), &["council", "-o", "json"]).await;
    assert!(waiting.status.success(), "{}", stderr(&waiting));
    let json: serde_json::Value = serde_json::from_slice(&waiting.stdout).unwrap();
    assert_eq!(json["courses"]["courses"][0]["details"]["code"], "PR-300");
    assert!(json.get("programs").is_some(), "{json}");
}

#[tokio::test]
async fn an_excel_import_enrols_each_row_and_the_roster_comes_back_as_excel() {
    let stack = stack().await;
    let token = stack.token(ADMIN);
    let course = fixtures::published_course(&stack, "PR-400", |_| {}).await;
    let session = fixtures::open_session(&stack, &course, |_| {}).await;

    let dir = hamafza_testkit::temp_dir("admin-import");
    let mut people = sheet::Table::new(["subject", "name", "organization_id"]);
    people.push(["trainee-ksc-7", "علی رضایی", "ksc"]);
    people.push(["trainee-msc-8", "مریم کریمی", "msc"]);
    people.push(["", "بی‌نام", "msc"]);
    let file = dir.join("people.xlsx");
    std::fs::write(&file, sheet::to_xlsx(&people, true).unwrap()).unwrap();

    let import = admin(
        &stack,
        Some(&token),
        &[
            "enrolments",
            "import",
            file.to_str().unwrap(),
            "--session",
            &session.id,
            "--lang",
            "en",
        ],
    )
    .await;
    assert_eq!(
        import.status.code(),
        Some(1),
        "a row failed: {}",
        stderr(&import)
    );
    let rows = stdout(&import);
    assert!(
        rows.contains("trainee-ksc-7") && rows.contains("trainee-msc-8"),
        "{rows}"
    );
    assert!(
        rows.contains("the subject is empty"),
        "the failed row says why: {rows}"
    );
    assert!(
        stderr(&import).contains("1 of 3 rows were not enrolled"),
        "{}",
        stderr(&import)
    );
    // Again as JSON: one document, a row each (the two enrolled now say so).
    let again = admin(
        &stack,
        Some(&token),
        &[
            "enrolments",
            "import",
            file.to_str().unwrap(),
            "--session",
            &session.id,
            "-o",
            "json",
        ],
    )
    .await;
    let json: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(json.as_array().map(Vec::len), Some(3), "{json}");

    let listed = fixtures::enrolment_service(&stack)
        .list_enrolments(stack.request(
            ADMIN,
            ListEnrolmentsRequest {
                session_id: session.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .enrolments;
    let mut subjects: Vec<String> = listed
        .iter()
        .map(|e| e.trainee.clone().unwrap().subject)
        .collect();
    subjects.sort();
    assert_eq!(subjects, ["trainee-ksc-7", "trainee-msc-8"]);

    let roster = dir.join("roster.xlsx");
    let written = admin(
        &stack,
        Some(&token),
        &[
            "sessions",
            "roster",
            &session.id,
            "-o",
            "xlsx",
            "--out",
            roster.to_str().unwrap(),
        ],
    )
    .await;
    assert!(written.status.success(), "{}", stderr(&written));
    let table = sheet::read(&std::fs::read(&roster).unwrap(), sheet::Limits::default()).unwrap();
    let name = table.column("trainee_name").unwrap();
    let mut names: Vec<&str> = table.rows.iter().map(|row| row[name].as_str()).collect();
    names.sort();
    assert_eq!(names, ["علی رضایی", "مریم کریمی"]);
    let _ = std::fs::remove_dir_all(dir);
}

/// `buf curl`, the generic client the README documents, when installed (CI
/// installs it; without CI a missing `buf` skips the comparison).
fn buf() -> Option<Command> {
    let found = Command::new("buf").arg("--version").output().is_ok();
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI installs buf (.ci/run); it is missing"
        );
        eprintln!("buf is not installed: skipping the comparison with buf curl");
        return None;
    }
    Some(Command::new("buf"))
}

#[tokio::test]
async fn json_output_is_what_buf_curl_prints() {
    let Some(mut buf) = buf() else {
        return;
    };
    let stack = stack().await;
    let token = stack.token(ADMIN);
    let course = fixtures::published_course(&stack, "PR-600", |details| {
        details.certificate_validity_months = Some(24);
    })
    .await;

    buf.args([
        "curl",
        "--protocol",
        "grpc",
        "--http2-prior-knowledge",
        "-H",
        &format!("authorization: Bearer {token}"),
        "-d",
        &format!("{{\"courseId\":\"{}\"}}", course.id),
        &format!(
            "{}/hamafza.courses.v1.CourseService/GetCourse",
            stack.url(Svc::Courses)
        ),
    ]);
    let printed_by_buf = run(buf).await;
    assert!(
        printed_by_buf.status.success(),
        "{}",
        stderr(&printed_by_buf)
    );
    let printed_by_us = admin(
        &stack,
        Some(&token),
        &["courses", "show", "PR-600", "-o", "json"],
    )
    .await;
    assert!(printed_by_us.status.success(), "{}", stderr(&printed_by_us));
    assert_eq!(stdout(&printed_by_us), stdout(&printed_by_buf));
}

#[tokio::test]
async fn the_people_directory_from_a_file_and_one_by_one() {
    let stack = stack().await;
    let token = stack.token(ADMIN);
    let dir = hamafza_testkit::temp_dir("admin-people");
    let file = dir.join("staff.csv");
    std::fs::write(
        &file,
        "subject,name_fa,name_en,organization_id,job_title\n\
         staff-msc-1,نیما کریمی,Nima Karimi,msc,کارشناس روابط عمومی\n\
         staff-x-1,کسی,Someone,nowhere,\n",
    )
    .unwrap();
    let import = admin(
        &stack,
        Some(&token),
        &["people", "import", file.to_str().unwrap(), "--lang", "en"],
    )
    .await;
    assert_eq!(
        import.status.code(),
        Some(1),
        "a row was refused: {}",
        stderr(&import)
    );
    let rows = stdout(&import);
    assert!(
        rows.contains("staff-msc-1") && rows.contains("created"),
        "{rows}"
    );
    assert!(rows.contains("UNKNOWN_ORGANIZATION"), "{rows}");

    let set = admin(
        &stack,
        Some(&token),
        &[
            "people",
            "set",
            "staff-msc-1",
            "--job-title",
            "مدیر روابط عمومی",
            "-o",
            "json",
        ],
    )
    .await;
    assert!(set.status.success(), "{}", stderr(&set));
    let json: serde_json::Value = serde_json::from_slice(&set.stdout).unwrap();
    assert_eq!(json["person"]["jobTitle"], "مدیر روابط عمومی");
    assert_eq!(
        json["person"]["name"]["en"], "Nima Karimi",
        "what was not given stays"
    );

    let listed = admin(
        &stack,
        Some(&token),
        &["people", "list", "--org", "msc", "-q"],
    )
    .await;
    assert!(listed.status.success(), "{}", stderr(&listed));
    assert!(
        stdout(&listed).lines().any(|line| line == "staff-msc-1"),
        "{}",
        stdout(&listed)
    );
    let missing = admin(&stack, Some(&token), &["people", "show", "staff-x-1"]).await;
    assert_eq!(missing.status.code(), Some(4), "{}", stderr(&missing));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn an_update_changes_only_what_the_command_names() {
    let stack = stack().await;
    let token = stack.token(ADMIN);
    let course = fixtures::published_course(&stack, "PR-310", |_| {}).await;
    let session = fixtures::open_session(&stack, &course, |_| {}).await;
    let read = |stack: &TestStack| {
        let mut client = SessionServiceClient::new(stack.channel(Svc::Courses));
        let request = stack.request(
            ADMIN,
            hamafza_proto::courses::GetSessionRequest {
                session_id: session.id.clone(),
            },
        );
        async move {
            client
                .get_session(request)
                .await
                .unwrap()
                .into_inner()
                .session
                .unwrap()
        }
    };
    let before = read(&stack).await;
    let output = admin(
        &stack,
        Some(&token),
        &["sessions", "update", &session.id, "--capacity", "30"],
    )
    .await;
    assert!(output.status.success(), "{}", stderr(&output));
    let after = read(&stack).await;
    let mut expected = before.details.clone().unwrap();
    expected.capacity = 30;
    assert_eq!(
        after.details.unwrap(),
        expected,
        "only the capacity changed"
    );
    assert_ne!(after.etag, before.etag);
}

#[tokio::test]
async fn a_program_certificate_is_issued_by_hand_naming_the_program_by_code() {
    let stack = stack().await;
    let token = stack.token(ADMIN);
    let course = fixtures::published_course(&stack, "PR-610", |_| {}).await;
    let program = fixtures::create_program(
        &stack,
        ADMIN,
        fixtures::program_details("PRP-61", &[&course]),
    )
    .await
    .unwrap();
    fixtures::approve_program(&stack, &program.id).await;
    let issued = admin(
        &stack,
        Some(&token),
        &[
            "certs",
            "issue",
            "--trainee",
            "trainee-msc-9",
            "--name",
            "سارا احمدی",
            "--org",
            "msc",
            "--program",
            "prp-۶۱",
            "--hours",
            "۲۴",
            "--completed",
            "1405/08/15",
            "--reason",
            "دوره پیش از سامانه گذرانده شد",
            "-o",
            "json",
        ],
    )
    .await;
    assert!(issued.status.success(), "{}", stderr(&issued));
    let json: serde_json::Value = serde_json::from_slice(&issued.stdout).unwrap();
    assert_eq!(
        json["certificate"]["programId"],
        program.id.as_str(),
        "{json}"
    );
    assert_eq!(
        json["certificate"]["kind"], "CERTIFICATE_KIND_PROGRAM",
        "{json}"
    );
}
