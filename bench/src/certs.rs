//! Trainees taken to certificates: the serials the reads verify, and the
//! path operators feel (issue 17, item 5): completions sent at a steady rate,
//! each one's delay from its recorded completion (the answer) to its
//! certificate's issue time, and the certificates issued per second.

use std::time::{Duration, Instant, SystemTime};

use anyhow::Context;
use hamafza_proto::certification as certpb;
use hamafza_proto::certification::certification_service_client::CertificationServiceClient;
use hamafza_proto::enrolments as epb;
use hamafza_proto::enrolments::enrolment_service_client::EnrolmentServiceClient;
use hdrhistogram::Histogram;
use tonic::transport::Channel;

use crate::{AHEAD_OF_SCHEDULE, authed, connect};

/// Most marks sent in one attendance call.
const MARKS_PER_CALL: usize = 100;

/// Enrols `count` trainees (`trainee_token(n)`) into `session` and marks them
/// present at its two meetings: the enrolment ids, ready to complete.
async fn attended(
    client: &mut EnrolmentServiceClient<Channel>,
    session: &str,
    count: u32,
    admin: &str,
    tag: &str,
    trainee_token: impl Fn(u32) -> anyhow::Result<String>,
) -> anyhow::Result<Vec<String>> {
    let mut ids = Vec::new();
    for n in 0..count {
        let enrolment = client
            .enrol(authed(
                &trainee_token(n)?,
                epb::EnrolRequest {
                    request_id: format!("{tag}-{n}"),
                    session_id: session.to_owned(),
                    trainee: None,
                    waive_prerequisites: false,
                },
            ))
            .await?
            .into_inner()
            .enrolment
            .context("no enrolment in the answer")?;
        ids.push(enrolment.id);
    }
    for meeting in 0..2 {
        for (part, chunk) in ids.chunks(MARKS_PER_CALL).enumerate() {
            client
                .record_attendance(authed(
                    admin,
                    epb::RecordAttendanceRequest {
                        request_id: format!("{tag}-attendance-{meeting}-{part}"),
                        session_id: session.to_owned(),
                        meeting_index: meeting,
                        marks: chunk
                            .iter()
                            .map(|id| epb::AttendanceMark {
                                enrolment_id: id.clone(),
                                status: epb::AttendanceStatus::Present.into(),
                            })
                            .collect(),
                        override_reason: AHEAD_OF_SCHEDULE.to_owned(),
                    },
                ))
                .await?;
        }
    }
    Ok(ids)
}

/// Completes enrolment `id` with a passing score.
async fn complete(
    mut client: EnrolmentServiceClient<Channel>,
    admin: &str,
    id: &str,
) -> Result<(), tonic::Status> {
    client
        .complete_enrolment(authed(
            admin,
            epb::CompleteEnrolmentRequest {
                request_id: format!("certify-complete-{id}"),
                enrolment_id: id.to_owned(),
                score: Some(90),
                no_show: false,
                override_reason: AHEAD_OF_SCHEDULE.to_owned(),
            },
        ))
        .await
        .map(drop)
}

/// The certificates of `session` issued so far, by completion (enrolment) id.
async fn issued(
    certificates: &mut CertificationServiceClient<Channel>,
    admin: &str,
    session: &str,
) -> anyhow::Result<Vec<certpb::Certificate>> {
    let mut found = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = certificates
            .list_certificates(authed(
                admin,
                certpb::ListCertificatesRequest {
                    page_size: 200,
                    page_token,
                    ..Default::default()
                },
            ))
            .await?
            .into_inner();
        found.extend(
            page.certificates
                .into_iter()
                .filter(|c| c.session_id == session),
        );
        if page.next_page_token.is_empty() {
            return Ok(found);
        }
        page_token = page.next_page_token;
    }
}

/// Waits (at most 120 s) until every one of `ids` has its certificate.
async fn all_issued(
    certification: &str,
    admin: &str,
    session: &str,
    ids: &[String],
) -> anyhow::Result<Vec<certpb::Certificate>> {
    let mut certificates = CertificationServiceClient::new(connect(certification).await?);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let found = issued(&mut certificates, admin, session).await?;
        if found.len() >= ids.len() {
            return Ok(found);
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "only {} of {} certificates after 120 s",
            found.len(),
            ids.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Takes `count` trainees through `session` to certificates; their serials.
pub async fn certify(
    enrolments: &str,
    certification: &str,
    session: &str,
    count: u32,
    admin: &str,
    trainee_token: impl Fn(u32) -> anyhow::Result<String>,
) -> anyhow::Result<Vec<String>> {
    let mut client = EnrolmentServiceClient::new(connect(enrolments).await?);
    let ids = attended(&mut client, session, count, admin, "certify", trainee_token).await?;
    for id in &ids {
        complete(client.clone(), admin, id).await?;
    }
    let found = all_issued(certification, admin, session, &ids).await?;
    Ok(found.into_iter().map(|c| c.serial).collect())
}

/// Completes `count` prepared enrolments of `session` at `rate` per second
/// (open loop) and prints, as one JSON line labelled `label`: the delay
/// from each completion's answer to its certificate's issue time (p50, p99,
/// max; the same host's clock) and the certificates issued per second from
/// the first completion sent to the last certificate.
pub async fn delay(
    enrolments: &str,
    certification: &str,
    session: &str,
    (count, rate, label): (u32, u32, &str),
    admin: &str,
    trainee_token: impl Fn(u32) -> anyhow::Result<String>,
) -> anyhow::Result<()> {
    let mut client = EnrolmentServiceClient::new(connect(enrolments).await?);
    let ids = attended(&mut client, session, count, admin, label, trainee_token).await?;
    let interval = Duration::from_secs_f64(1.0 / f64::from(rate.max(1)));
    let started = Instant::now();
    let started_at = SystemTime::now();
    let mut calls = tokio::task::JoinSet::new();
    for (n, id) in ids.iter().enumerate() {
        tokio::time::sleep_until((started + interval * u32::try_from(n)?).into()).await;
        let (client, admin, id) = (client.clone(), admin.to_owned(), id.clone());
        calls.spawn(async move {
            let result = complete(client, &admin, &id).await;
            (id, SystemTime::now(), result)
        });
    }
    let mut completed = std::collections::HashMap::new();
    let mut errors = 0u64;
    while let Some(done) = calls.join_next().await {
        let (id, at, result) = done?;
        match result {
            Ok(()) => {
                completed.insert(id, at);
            }
            Err(_) => errors += 1,
        }
    }
    let done: Vec<String> = completed.keys().cloned().collect();
    let found = all_issued(certification, admin, session, &done).await?;
    let mut delays = Histogram::<u64>::new_with_bounds(1, 600_000_000, 3)?;
    let mut last_issue = started_at;
    for certificate in &found {
        let (Some(answered), Some(issue)) = (
            completed.get(&certificate.completion_id),
            certificate.issue_time.as_ref(),
        ) else {
            continue;
        };
        let issue = SystemTime::UNIX_EPOCH
            + Duration::new(u64::try_from(issue.seconds)?, u32::try_from(issue.nanos)?);
        last_issue = last_issue.max(issue);
        let micros = issue
            .duration_since(*answered)
            .unwrap_or_default()
            .as_micros();
        delays.record(u64::try_from(micros)?.clamp(1, 600_000_000))?;
    }
    let seconds = last_issue
        .duration_since(started_at)
        .unwrap_or_default()
        .as_secs_f64()
        .max(0.001);
    let ms = |q: f64| delays.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "{}",
        serde_json::json!({
            "label": label,
            "mode": format!("completions at {rate}/s"),
            "requests": delays.len(),
            "errors": errors,
            "seconds": (seconds * 100.0).round() / 100.0,
            "throughput": ((delays.len() as f64 / seconds) * 10.0).round() / 10.0,
            "p50_ms": ms(0.5),
            "p99_ms": ms(0.99),
            "p999_ms": ms(0.999),
            "max_ms": delays.max() as f64 / 1000.0,
        })
    );
    Ok(())
}
