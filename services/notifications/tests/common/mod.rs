//! What the notifications tests share: a real SMTP server (aiosmtpd, run
//! into a Maildir), the received messages parsed by Python's `email`
//! package, invitations read by the `icalendar` crate's parser, and a stack
//! whose directory knows the test's people with their emails and roles.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    dead_code,
    unreachable_pub
)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use hamafza_kit::auth::Role;
use hamafza_proto::courses as cpb;
use hamafza_proto::courses::person_service_client::PersonServiceClient;
use hamafza_proto::notifications as npb;
use hamafza_proto::notifications::notification_service_client::NotificationServiceClient;
use hamafza_testkit::people::{
    ADMIN, COUNCIL_A, INSTRUCTOR, MANAGER_KSC, MANAGER_MSC, TRAINEE_MSC, TRAINEE_MSC_2, Who,
};
use hamafza_testkit::{Svc, TestStack, eventually, text};
use tonic::transport::Channel;

/// An SMTP server that keeps what it receives in a Maildir.
pub struct SmtpServer {
    child: Child,
    maildir: PathBuf,
}

impl SmtpServer {
    pub async fn start(addr: SocketAddr, dir: &Path) -> Self {
        // Python's Maildir makes its folders only when the path is new.
        let maildir = dir.join("maildir");
        let child = Command::new("python3")
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &addr.to_string(),
                "-c",
                "aiosmtpd.handlers.Mailbox",
            ])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 -m aiosmtpd (pip install aiosmtpd)");
        let mut server = Self { child, maildir };
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while tokio::net::TcpStream::connect(addr).await.is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!(
                    "the SMTP server (python3 -m aiosmtpd) exited ({status}): \
                     is aiosmtpd installed? pip install aiosmtpd"
                );
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the SMTP server did not listen on {addr} within 20 s"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        server
    }

    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// How many messages have been received so far (cheap: no parsing).
    pub fn count(&self) -> usize {
        ["new", "cur"]
            .iter()
            .filter_map(|dir| std::fs::read_dir(self.maildir.join(dir)).ok())
            .map(|entries| entries.flatten().count())
            .sum()
    }

    /// Every message received so far, parsed into headers and decoded text.
    pub fn messages(&self) -> Vec<Received> {
        let mut found = Vec::new();
        for dir in ["new", "cur"] {
            let Ok(entries) = std::fs::read_dir(self.maildir.join(dir)) else {
                continue;
            };
            for entry in entries.flatten() {
                let raw = std::fs::read_to_string(entry.path()).unwrap();
                found.push(Received::parse(&raw));
            }
        }
        found
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A received message: its headers and the decoded text of its parts.
#[derive(Debug, Clone)]
pub struct Received {
    pub to: String,
    pub subject: String,
    pub message_id: String,
    pub plain: String,
    pub calendar: Option<String>,
    pub raw: String,
}

impl Received {
    fn parse(raw: &str) -> Self {
        let output = Command::new("python3")
            .arg("-c")
            .arg(PARSE_EMAIL)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .and_then(|mut child| {
                use std::io::Write;
                child.stdin.take().unwrap().write_all(raw.as_bytes())?;
                child.wait_with_output()
            })
            .expect("python3 parses the email");
        let fields: Vec<String> = String::from_utf8(output.stdout)
            .unwrap()
            .split('\u{1e}')
            .map(str::to_owned)
            .collect();
        assert!(fields.len() >= 5, "the email parses: {raw}");
        Self {
            to: fields[0].clone(),
            subject: fields[1].clone(),
            message_id: fields[2].clone(),
            plain: fields[3].clone(),
            calendar: (!fields[4].is_empty()).then(|| fields[4].clone()),
            raw: raw.to_owned(),
        }
    }
}

/// Python's standard `email` package reads the MIME (a parser we did not
/// write): recipient, decoded subject, Message-ID, the plain text, the
/// calendar part, separated by U+001E.
const PARSE_EMAIL: &str = r#"
import sys, email
from email import policy
m = email.message_from_bytes(sys.stdin.buffer.read(), policy=policy.default)
plain = m.get_body(preferencelist=('plain',))
cal = ''
for part in m.walk():
    if part.get_content_type() == 'text/calendar':
        cal = part.get_content()
        assert part.get_param('method') in ('REQUEST', 'CANCEL')
html = m.get_body(preferencelist=('html',))
assert html is not None and 'dir="rtl"' in html.get_content()
sys.stdout.write('\x1e'.join([str(m['To']), str(m['Subject']), str(m['Message-ID']), plain.get_content() if plain else '', cal]))
"#;

pub fn people(stack: &TestStack) -> PersonServiceClient<Channel> {
    PersonServiceClient::new(stack.channel(Svc::Courses))
}

pub fn notifications(stack: &TestStack) -> NotificationServiceClient<Channel> {
    NotificationServiceClient::new(stack.channel(Svc::Notifications))
}

/// `who`'s in-app inbox, as `request` asks for it.
pub async fn inbox(
    stack: &TestStack,
    who: Who,
    request: npb::ListMyNotificationsRequest,
) -> npb::ListMyNotificationsResponse {
    notifications(stack)
        .list_my_notifications(stack.request(who, request))
        .await
        .expect("the inbox is read")
        .into_inner()
}

/// `who` mutes `kinds` (wire values, so that unknown ones can be tried),
/// the rest of their preferences left as they are.
pub async fn mute(
    stack: &TestStack,
    who: Who,
    kinds: &[i32],
) -> Result<tonic::Response<npb::UpdateMyPreferencesResponse>, tonic::Status> {
    let request = npb::UpdateMyPreferencesRequest {
        muted_kinds: kinds.to_vec(),
        ..Default::default()
    };
    notifications(stack)
        .update_my_preferences(stack.request(who, request))
        .await
}

/// The people of the tests as the directory knows them: name, email (at
/// `subject@organization.example`) and roles.
pub const DIRECTORY: [(Who, &str, &str); 6] = [
    (TRAINEE_MSC, "سارا احمدی", "Sara Ahmadi"),
    (TRAINEE_MSC_2, "رضا کریمی", "Reza Karimi"),
    (MANAGER_MSC, "مریم مدیری", "Maryam Modiri"),
    (COUNCIL_A, "مهدی کاظمی", "Mahdi Kazemi"),
    (MANAGER_KSC, "علی خوزستانی", "Ali Khuzestani"),
    (INSTRUCTOR, "نادر مدرس", "Nader Modarres"),
];

/// Someone's address in the test directory.
pub fn address(who: Who) -> String {
    format!("{}@{}.example", who.0, who.1)
}

/// Puts the people of the test into the directory with their email and
/// company roles (the council's role is left out: every published course
/// passes the council, and only the council's own test follows that).
pub async fn directory(stack: &TestStack) {
    for (who, fa, en) in DIRECTORY {
        let person = cpb::Person {
            subject: who.0.to_owned(),
            name: Some(text(fa, en)),
            organization_id: who.1.to_owned(),
            email: address(who),
            job_title: String::new(),
            active: true,
            roles: who
                .2
                .iter()
                .filter(|role| **role != Role::Council)
                .map(|role| role.as_str().to_owned())
                .collect(),
            ..Default::default()
        };
        people(stack)
            .upsert_person(stack.request(
                ADMIN,
                cpb::UpsertPersonRequest {
                    person: Some(person),
                },
            ))
            .await
            .expect("the directory takes the person");
    }
}

/// Courses, enrolments and notifications mailing through `smtp`, the
/// directory filled.
pub async fn stack_with_smtp(smtp: SocketAddr) -> TestStack {
    mail_stack(smtp, 1000, &[]).await
}

/// Courses, enrolments, `more` and notifications, which mails through `smtp`
/// and parks a message after `max_attempts`; the directory filled.
pub async fn mail_stack(smtp: SocketAddr, max_attempts: u32, more: &[Svc]) -> TestStack {
    mail_stack_retrying(smtp, max_attempts, 48, more).await
}

/// [`mail_stack`], an email the relay cannot take for a while retried for
/// `retry_hours` before it is parked.
pub async fn mail_stack_retrying(
    smtp: SocketAddr,
    max_attempts: u32,
    retry_hours: u32,
    more: &[Svc],
) -> TestStack {
    let builder = TestStack::builder()
        .with(Svc::Courses)
        .with(Svc::Enrolments);
    let stack = more
        .iter()
        .fold(builder, |builder, service| builder.with(*service))
        .with(Svc::Notifications)
        .configure(move |config| {
            config.mail.smtp_url = Some(format!("smtp://{smtp}"));
            config.mail.max_attempts = max_attempts;
            config.mail.retry_hours = retry_hours;
        })
        .start()
        .await;
    directory(&stack).await;
    stack
}

/// Waits until `count` messages have come, then a little longer to see that
/// no more come.
pub async fn received(smtp: &SmtpServer, count: usize) -> Vec<Received> {
    eventually(Duration::from_secs(120), || async { smtp.count() >= count }).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let messages = smtp.messages();
    assert_eq!(
        messages.len(),
        count,
        "{:#?}",
        messages
            .iter()
            .map(|m| (&m.to, &m.subject))
            .collect::<Vec<_>>()
    );
    messages
}

pub fn to(messages: &[Received], address: &str) -> Vec<Received> {
    let mut mine: Vec<Received> = messages
        .iter()
        .filter(|m| m.to.contains(address))
        .cloned()
        .collect();
    mine.sort_by_key(|m| m.raw.len());
    mine
}

/// The VEVENTs of an invitation, read by the `icalendar` crate's parser:
/// (UID, SEQUENCE) of each, and the calendar's METHOD.
pub fn invitation(calendar: &str) -> (String, Vec<(String, u32)>) {
    let unfolded = icalendar::parser::unfold(calendar);
    let parsed = icalendar::parser::read_calendar(&unfolded).expect("the invitation parses");
    let method = parsed
        .properties
        .iter()
        .find(|p| p.name == "METHOD")
        .map(|p| p.val.to_string())
        .unwrap_or_default();
    let events = parsed
        .components
        .iter()
        .filter(|c| c.name == "VEVENT")
        .map(|event| {
            let value = |name: &str| {
                event
                    .properties
                    .iter()
                    .find(|p| p.name == name)
                    .map(|p| p.val.to_string())
                    .unwrap_or_default()
            };
            (value("UID"), value("SEQUENCE").parse().unwrap())
        })
        .collect();
    (method, events)
}
