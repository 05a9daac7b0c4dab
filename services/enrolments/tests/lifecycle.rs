//! An enrolment's life: waitlist and promotion with quotas, approval,
//! attendance and assessment, prerequisites, session cancellation, bulk CSV,
//! benchmarking, and the outbox's visible state.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::*;
use hamafza_kit::auth::Role;
use hamafza_proto::common::Actor;
use hamafza_proto::enrolments as pb;
use tokio_stream::StreamExt;

fn cancel(id: &str, request_id: &str) -> pb::CancelEnrolmentRequest {
    pb::CancelEnrolmentRequest {
        request_id: request_id.to_owned(),
        enrolment_id: id.to_owned(),
        reason: "برنامه کاری".to_owned(),
    }
}

fn on_behalf(request_id: &str, session_id: &str, who: Who) -> pb::EnrolRequest {
    pb::EnrolRequest {
        request_id: request_id.to_owned(),
        session_id: session_id.to_owned(),
        trainee: Some(Actor {
            subject: who.0.to_owned(),
            name: format!("{} name", who.0),
            organization_id: who.1.to_owned(),
        }),
        waive_prerequisites: false,
    }
}

#[tokio::test]
async fn cancelling_promotes_the_head_of_the_waitlist_within_quotas() {
    let stack = Stack::start().await;
    let course = stack.course("PR-201", |_| {}).await;
    // Two seats; msc may hold one of them.
    let session = stack.open_session(&course, 2, &[("msc", 1)]).await;
    let first = stack
        .enrol_self(TRAINEE_MSC, &session.id, "a")
        .await
        .unwrap();
    assert_eq!(first.status(), pb::EnrolmentStatus::Confirmed);
    let over_quota = stack
        .enrol_self(TRAINEE_MSC_2, &session.id, "b")
        .await
        .unwrap();
    assert_eq!(
        over_quota.status(),
        pb::EnrolmentStatus::Waitlisted,
        "msc's quota of one is used"
    );
    let ksc = stack
        .enrol_self(TRAINEE_KSC, &session.id, "c")
        .await
        .unwrap();
    assert_eq!(ksc.status(), pb::EnrolmentStatus::Confirmed);
    let late = stack.issuer.token("trainee-gegh", "gegh", &[Role::Trainee]);
    let gegh = stack
        .client()
        .enrol(with_token(
            &late,
            pb::EnrolRequest {
                request_id: "d".to_owned(),
                session_id: session.id.clone(),
                trainee: None,
                waive_prerequisites: false,
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .enrolment
        .unwrap();
    assert_eq!(
        (gegh.status(), gegh.waitlist_position),
        (pb::EnrolmentStatus::Waitlisted, 2)
    );

    // ksc's seat frees: the head of the waitlist is msc, still over its quota,
    // so the seat goes to the next in line.
    stack
        .client()
        .cancel_enrolment(stack.request(TRAINEE_KSC, cancel(&ksc.id, "e")))
        .await
        .unwrap();
    let promoted = stack.get(ADMIN, &gegh.id).await.unwrap();
    assert_eq!(promoted.status(), pb::EnrolmentStatus::Confirmed);
    let cause = promoted.history.last().unwrap().cause();
    assert_eq!(cause, pb::StatusChangeCause::WaitlistPromotion);
    assert_eq!(
        stack.get(ADMIN, &over_quota.id).await.unwrap().status(),
        pb::EnrolmentStatus::Waitlisted
    );

    // msc's own seat frees: now msc's waiting trainee moves up.
    stack
        .client()
        .cancel_enrolment(stack.request(TRAINEE_MSC, cancel(&first.id, "f")))
        .await
        .unwrap();
    let promoted = stack.get(TRAINEE_MSC_2, &over_quota.id).await.unwrap();
    assert_eq!(
        promoted.status(),
        pb::EnrolmentStatus::Confirmed,
        "the promoted trainee can see it"
    );
    let seats = stack.seats(&session.id).await;
    assert_eq!((seats.confirmed_count, seats.seats_left), (2, 0));
    // The cancelled enrolment keeps its whole history.
    let cancelled = stack.get(TRAINEE_MSC, &first.id).await.unwrap();
    let moves: Vec<_> = cancelled
        .history
        .iter()
        .map(|c| (c.from_status(), c.to_status()))
        .collect();
    assert_eq!(
        moves,
        [
            (
                pb::EnrolmentStatus::Unspecified,
                pb::EnrolmentStatus::Confirmed
            ),
            (
                pb::EnrolmentStatus::Confirmed,
                pb::EnrolmentStatus::Cancelled
            )
        ]
    );
    assert_eq!(cancelled.history[1].reason, "برنامه کاری");
}

#[tokio::test]
async fn trainees_and_managers_act_only_within_their_reach() {
    let stack = Stack::start().await;
    let course = stack.course("PR-202", |_| {}).await;
    let session = stack.open_session(&course, 10, &[]).await;
    let mine = stack
        .enrol_self(TRAINEE_MSC, &session.id, "a")
        .await
        .unwrap();

    // Another trainee may neither read nor cancel it.
    assert_eq!(
        stack.get(TRAINEE_KSC, &mine.id).await.unwrap_err().code(),
        tonic::Code::PermissionDenied
    );
    let status = stack
        .client()
        .cancel_enrolment(stack.request(TRAINEE_MSC_2, cancel(&mine.id, "b")))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
    // Another organization's manager neither.
    assert_eq!(
        stack.get(MANAGER_KSC, &mine.id).await.unwrap_err().code(),
        tonic::Code::PermissionDenied
    );
    let status = stack
        .client()
        .cancel_enrolment(stack.request(MANAGER_KSC, cancel(&mine.id, "c")))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
    let status = stack
        .client()
        .enrol(stack.request(MANAGER_KSC, on_behalf("d", &session.id, TRAINEE_MSC_2)))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
    // A trainee cannot enrol someone else.
    let status = stack
        .client()
        .enrol(stack.request(TRAINEE_MSC, on_behalf("e", &session.id, TRAINEE_MSC_2)))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::PermissionDenied);

    // Their own manager may, and sees their people only.
    let theirs = stack
        .client()
        .enrol(stack.request(MANAGER_MSC, on_behalf("f", &session.id, TRAINEE_MSC_2)))
        .await
        .unwrap()
        .into_inner()
        .enrolment
        .unwrap();
    assert_eq!(theirs.enrolled_by.unwrap().subject, MANAGER_MSC.0);
    stack
        .enrol_self(TRAINEE_KSC, &session.id, "g")
        .await
        .unwrap();
    let list = |who| {
        let mut client = stack.client();
        let request = stack.request(
            who,
            pb::ListEnrolmentsRequest {
                session_id: session.id.clone(),
                ..Default::default()
            },
        );
        async move {
            client
                .list_enrolments(request)
                .await
                .unwrap()
                .into_inner()
                .enrolments
        }
    };
    let subjects = |enrolments: Vec<pb::Enrolment>| {
        let mut s: Vec<String> = enrolments
            .into_iter()
            .map(|e| e.trainee.unwrap().subject)
            .collect();
        s.sort();
        s
    };
    assert_eq!(
        subjects(list(MANAGER_MSC).await),
        [TRAINEE_MSC.0, TRAINEE_MSC_2.0]
    );
    assert_eq!(subjects(list(TRAINEE_KSC).await), [TRAINEE_KSC.0]);
    assert_eq!(
        list(INSTRUCTOR).await.len(),
        3,
        "the instructor sees the roster of their session"
    );
    assert_eq!(list(COUNCIL).await.len(), 3);
    stack
        .client()
        .cancel_enrolment(stack.request(MANAGER_MSC, cancel(&mine.id, "h")))
        .await
        .unwrap();
}

#[tokio::test]
async fn courses_that_need_approval_wait_for_the_trainees_manager() {
    let stack = Stack::start().await;
    let course = stack
        .course("PR-203", |d| d.requires_manager_approval = true)
        .await;
    let session = stack.open_session(&course, 1, &[]).await;
    let pending = stack
        .enrol_self(TRAINEE_MSC, &session.id, "a")
        .await
        .unwrap();
    assert_eq!(pending.status(), pb::EnrolmentStatus::PendingApproval);
    assert_eq!(
        stack.seats(&session.id).await.confirmed_count,
        0,
        "a pending request holds no seat"
    );
    let approve = |request_id: &str, id: &str| pb::ApproveEnrolmentRequest {
        request_id: request_id.to_owned(),
        enrolment_id: id.to_owned(),
        comment: "تأیید".to_owned(),
    };
    let status = stack
        .client()
        .approve_enrolment(stack.request(MANAGER_KSC, approve("b", &pending.id)))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
    let status = stack
        .client()
        .approve_enrolment(stack.request(TRAINEE_MSC, approve("c", &pending.id)))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
    let approved = stack
        .client()
        .approve_enrolment(stack.request(MANAGER_MSC, approve("d", &pending.id)))
        .await
        .unwrap()
        .into_inner()
        .enrolment
        .unwrap();
    assert_eq!(approved.status(), pb::EnrolmentStatus::Confirmed);
    assert_eq!(approved.history.last().unwrap().reason, "تأیید");

    // The only seat is taken: the next approval waitlists; a rejection keeps its reason.
    let second = stack
        .enrol_self(TRAINEE_MSC_2, &session.id, "e")
        .await
        .unwrap();
    let waitlisted = stack
        .client()
        .approve_enrolment(stack.request(MANAGER_MSC, approve("f", &second.id)))
        .await
        .unwrap()
        .into_inner()
        .enrolment
        .unwrap();
    assert_eq!(waitlisted.status(), pb::EnrolmentStatus::Waitlisted);
    let third = stack
        .enrol_self(TRAINEE_KSC, &session.id, "g")
        .await
        .unwrap();
    let reject = pb::RejectEnrolmentRequest {
        request_id: "h".to_owned(),
        enrolment_id: third.id.clone(),
        reason: "".to_owned(),
    };
    let status = stack
        .client()
        .reject_enrolment(stack.request(MANAGER_KSC, reject.clone()))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["reason"]);
    let rejected = stack
        .client()
        .reject_enrolment(stack.request(
            MANAGER_KSC,
            pb::RejectEnrolmentRequest {
                reason: "اولویت با همکار دیگر".to_owned(),
                ..reject
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .enrolment
        .unwrap();
    assert_eq!(rejected.status(), pb::EnrolmentStatus::Rejected);
    let moves: Vec<_> = rejected.history.iter().map(|c| c.to_status()).collect();
    assert_eq!(
        moves,
        [
            pb::EnrolmentStatus::PendingApproval,
            pb::EnrolmentStatus::Rejected
        ]
    );
}

#[tokio::test]
async fn attendance_and_score_decide_completion_and_completions_wait_in_the_outbox() {
    let stack = Stack::start().await;
    let course = stack.course("PR-204", |_| {}).await;
    let session = stack.open_session(&course, 10, &[]).await;
    let passer = stack
        .enrol_self(TRAINEE_MSC, &session.id, "a")
        .await
        .unwrap();
    let absent = stack
        .enrol_self(TRAINEE_KSC, &session.id, "b")
        .await
        .unwrap();
    let mark = |request_id: &str, meeting: u32, marks: Vec<(&str, pb::AttendanceStatus)>| {
        pb::RecordAttendanceRequest {
            request_id: request_id.to_owned(),
            session_id: session.id.clone(),
            meeting_index: meeting,
            marks: marks
                .into_iter()
                .map(|(id, status)| pb::AttendanceMark {
                    enrolment_id: id.to_owned(),
                    status: status.into(),
                })
                .collect(),
        }
    };
    let status = stack
        .client()
        .record_attendance(stack.request(
            TRAINEE_MSC,
            mark("c", 0, vec![(&passer.id, pb::AttendanceStatus::Present)]),
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
    let status = stack
        .client()
        .record_attendance(stack.request(
            INSTRUCTOR,
            mark("d", 5, vec![(&passer.id, pb::AttendanceStatus::Present)]),
        ))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["meeting_index"]);
    for meeting in 0..2 {
        stack
            .client()
            .record_attendance(stack.request(
                INSTRUCTOR,
                mark(
                    &format!("m{meeting}"),
                    meeting,
                    vec![
                        (&passer.id, pb::AttendanceStatus::Present),
                        (&absent.id, pb::AttendanceStatus::Absent),
                    ],
                ),
            ))
            .await
            .unwrap();
    }
    let complete = |request_id: &str, id: &str, score: Option<u32>| pb::CompleteEnrolmentRequest {
        request_id: request_id.to_owned(),
        enrolment_id: id.to_owned(),
        score,
        no_show: false,
    };
    let status = stack
        .client()
        .complete_enrolment(stack.request(MANAGER_MSC, complete("e", &passer.id, Some(90))))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
    let passed = stack
        .client()
        .complete_enrolment(stack.request(INSTRUCTOR, complete("f", &passer.id, Some(90))))
        .await
        .unwrap()
        .into_inner()
        .enrolment
        .unwrap();
    assert_eq!(passed.status(), pb::EnrolmentStatus::Completed);
    let completion = passed.completion.unwrap();
    assert_eq!(
        (
            completion.score,
            completion.attendance_percent,
            completion.hours
        ),
        (Some(90), 100, 12)
    );
    assert_eq!(passed.meetings_attended, 2);
    // A high score without attendance fails.
    let failed = stack
        .client()
        .complete_enrolment(stack.request(ADMIN, complete("g", &absent.id, Some(95))))
        .await
        .unwrap()
        .into_inner()
        .enrolment
        .unwrap();
    assert_eq!(failed.status(), pb::EnrolmentStatus::Failed);
    // Final statuses cannot be cancelled or assessed again.
    let status = stack
        .client()
        .cancel_enrolment(stack.request(TRAINEE_MSC, cancel(&passer.id, "h")))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
    let status = stack
        .client()
        .complete_enrolment(stack.request(INSTRUCTOR, complete("i", &passer.id, Some(10))))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);

    // Certification is not running: the passed completion waits, visibly.
    let delivery = stack
        .client()
        .get_delivery_status(stack.request(ADMIN, pb::GetDeliveryStatusRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        delivery.pending_count, 1,
        "one passed completion, one outbox row"
    );
    assert_eq!(delivery.delivered_count, 0);
    assert!(delivery.oldest_pending_age.is_some());
    eventually(Duration::from_secs(10), || async {
        let delivery = stack
            .client()
            .get_delivery_status(stack.request(ADMIN, pb::GetDeliveryStatusRequest {}))
            .await
            .unwrap()
            .into_inner();
        delivery.oldest_pending_attempts >= 1 && !delivery.last_error.is_empty()
    })
    .await;
    let status = stack
        .client()
        .get_delivery_status(stack.request(TRAINEE_MSC, pb::GetDeliveryStatusRequest {}))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::PermissionDenied);

    // The roster shows both, with attendance per meeting.
    let roster = stack
        .client()
        .export_roster(stack.request(
            INSTRUCTOR,
            pb::ExportRosterRequest {
                session_id: session.id.clone(),
                statuses: vec![],
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let csv = String::from_utf8(roster.csv).unwrap();
    assert_eq!(roster.row_count, 2);
    assert!(csv.contains("meeting_1,meeting_2,score"), "{csv}");
    assert!(csv.contains(",completed,,present,present,90,100"), "{csv}");
    let only_msc = stack
        .client()
        .export_roster(stack.request(
            MANAGER_MSC,
            pb::ExportRosterRequest {
                session_id: session.id.clone(),
                statuses: vec![],
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(only_msc.row_count, 1);
}

#[tokio::test]
async fn prerequisites_come_from_completions_here() {
    let stack = Stack::start().await;
    let basics = stack.course("PR-101", |_| {}).await;
    let advanced = stack
        .course("PR-301", |d| {
            d.prerequisite_course_ids = vec![basics.id.clone()]
        })
        .await;
    let advanced_session = stack.open_session(&advanced, 5, &[]).await;
    let status = stack
        .enrol_self(TRAINEE_MSC, &advanced_session.id, "a")
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
    assert!(status.message().contains("PR-101"), "{}", status.message());
    // An admin may waive them (for training done before the platform).
    let waived = stack
        .client()
        .enrol(stack.request(
            ADMIN,
            pb::EnrolRequest {
                waive_prerequisites: true,
                ..on_behalf("b", &advanced_session.id, TRAINEE_KSC)
            },
        ))
        .await
        .unwrap();
    assert_eq!(
        waived.into_inner().enrolment.unwrap().status(),
        pb::EnrolmentStatus::Confirmed
    );
    let status = stack
        .client()
        .enrol(stack.request(
            MANAGER_MSC,
            pb::EnrolRequest {
                waive_prerequisites: true,
                ..on_behalf("c", &advanced_session.id, TRAINEE_MSC)
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::PermissionDenied);

    let basics_session = stack.open_session(&basics, 5, &[]).await;
    let done = stack
        .enrol_self(TRAINEE_MSC, &basics_session.id, "d")
        .await
        .unwrap();
    let assess = |request_id: &str, score: u32| pb::CompleteEnrolmentRequest {
        request_id: request_id.to_owned(),
        enrolment_id: done.id.clone(),
        score: Some(score),
        no_show: false,
    };
    // Unassessed, the prerequisite is not met.
    assert!(
        stack
            .enrol_self(TRAINEE_MSC, &advanced_session.id, "e")
            .await
            .is_err()
    );
    stack
        .client()
        .record_attendance(stack.request(
            INSTRUCTOR,
            pb::RecordAttendanceRequest {
                request_id: "f".to_owned(),
                session_id: basics_session.id.clone(),
                meeting_index: 0,
                marks: vec![pb::AttendanceMark {
                    enrolment_id: done.id.clone(),
                    status: pb::AttendanceStatus::Present.into(),
                }],
            },
        ))
        .await
        .unwrap();
    let passed = stack
        .client()
        .complete_enrolment(stack.request(INSTRUCTOR, assess("g", 80)))
        .await
        .unwrap()
        .into_inner()
        .enrolment
        .unwrap();
    assert_eq!(passed.status(), pb::EnrolmentStatus::Completed);
    let enrolled = stack
        .enrol_self(TRAINEE_MSC, &advanced_session.id, "h")
        .await
        .unwrap();
    assert_eq!(
        enrolled.status(),
        pb::EnrolmentStatus::Confirmed,
        "a completed prerequisite opens the next course"
    );
}

#[tokio::test]
async fn enrolling_checks_the_session_and_the_request() {
    let stack = Stack::start().await;
    let course = stack.course("PR-205", |_| {}).await;
    let session = stack.open_session(&course, 5, &[]).await;
    let status = stack
        .enrol_self(TRAINEE_MSC, &session.id, "")
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["request_id"]);
    let status = stack
        .enrol_self(TRAINEE_MSC, "not-an-id", "a")
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["session_id"]);
    let status = stack
        .enrol_self(TRAINEE_MSC, "0193a3a0-0000-7000-8000-000000000000", "b")
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound);
    stack
        .enrol_self(TRAINEE_MSC, &session.id, "c")
        .await
        .unwrap();
    let status = stack
        .enrol_self(TRAINEE_MSC, &session.id, "d")
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::AlreadyExists);
    let status = stack.enrol_self(ADMIN, &session.id, "e").await.unwrap_err();
    assert_eq!(
        status.code(),
        tonic::Code::PermissionDenied,
        "self-enrolment is for trainees"
    );
    stack.cancel_session(&session.id).await;
    // Enrolments acts on session facts read at most RECENT_FACTS ago (an
    // enrolment slipping in meanwhile is cancelled by the reconciler).
    tokio::time::sleep(hamafza_enrolments::courses_client::RECENT_FACTS).await;
    let status = stack
        .enrol_self(TRAINEE_KSC, &session.id, "f")
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
}

#[tokio::test]
async fn a_session_cancelled_in_courses_cancels_its_enrolments() {
    let stack = Stack::start().await;
    let course = stack.course("PR-206", |_| {}).await;
    let session = stack.open_session(&course, 1, &[]).await;
    let confirmed = stack
        .enrol_self(TRAINEE_MSC, &session.id, "a")
        .await
        .unwrap();
    let waiting = stack
        .enrol_self(TRAINEE_KSC, &session.id, "b")
        .await
        .unwrap();
    stack.cancel_session(&session.id).await;
    eventually(Duration::from_secs(10), || async {
        let all = stack.all_in(&session.id).await;
        all.iter()
            .all(|e| e.status() == pb::EnrolmentStatus::Cancelled)
    })
    .await;
    let cancelled = stack.get(TRAINEE_MSC, &confirmed.id).await.unwrap();
    let last = cancelled.history.last().unwrap();
    assert_eq!(
        (last.cause(), last.reason.as_str()),
        (pb::StatusChangeCause::SessionCancelled, "لغو شد")
    );
    let other = stack.get(TRAINEE_KSC, &waiting.id).await.unwrap();
    assert_eq!(
        other.status(),
        pb::EnrolmentStatus::Cancelled,
        "nobody was promoted into a cancelled session"
    );
}

#[tokio::test]
async fn bulk_csv_reports_each_row_and_stores_the_good_ones() {
    let stack = Stack::start().await;
    let course = stack.course("PR-207", |_| {}).await;
    let session = stack.open_session(&course, 2, &[]).await;
    let csv = "subject,name,organization_id\n\
               bulk-1,سارا,msc\n\
               bulk-2,\"Rezaei, Ali\",msc\n\
               bulk-1,سارا,msc\n\
               ,no subject,msc\n\
               bulk-3,Other company,ksc\n\
               bulk-4,Zahra,msc\n\
               bulk-5,Bad Org,MSC!\n";
    let run = |who: Who, request_id: &str| {
        let mut client = stack.client();
        let request = stack.request(
            who,
            pb::BulkEnrolRequest {
                request_id: request_id.to_owned(),
                session_id: session.id.clone(),
                csv: csv.as_bytes().to_vec(),
            },
        );
        async move {
            let mut stream = client.bulk_enrol(request).await.unwrap().into_inner();
            let mut rows = Vec::new();
            while let Some(row) = stream.next().await {
                rows.push(row.unwrap());
            }
            rows
        }
    };
    let rows = run(MANAGER_MSC, "bulk").await;
    let outcomes: Vec<(u32, pb::BulkRowOutcome)> =
        rows.iter().map(|r| (r.row_number, r.outcome())).collect();
    assert_eq!(
        outcomes,
        [
            (1, pb::BulkRowOutcome::Enrolled),
            (2, pb::BulkRowOutcome::Enrolled),
            (3, pb::BulkRowOutcome::Error),
            (4, pb::BulkRowOutcome::Error),
            (5, pb::BulkRowOutcome::Error),
            (6, pb::BulkRowOutcome::Waitlisted),
            (7, pb::BulkRowOutcome::Error),
        ]
    );
    assert_eq!(
        rows[2].error_code,
        tonic::Code::AlreadyExists as i32,
        "the duplicate row"
    );
    assert_eq!(
        rows[4].error_code,
        tonic::Code::PermissionDenied as i32,
        "another organization's person"
    );
    assert!(
        rows[3].error_message.contains("subject"),
        "{}",
        rows[3].error_message
    );
    let stored = stack.all_in(&session.id).await;
    assert_eq!(stored.len(), 3);
    // Sending the same CSV again with the same request id changes nothing.
    let again = run(MANAGER_MSC, "bulk").await;
    assert_eq!(
        again
            .iter()
            .filter(|r| r.outcome() != pb::BulkRowOutcome::Error)
            .count(),
        3
    );
    assert_eq!(stack.all_in(&session.id).await.len(), 3);
    let status = stack
        .client()
        .bulk_enrol(stack.request(
            TRAINEE_MSC,
            pb::BulkEnrolRequest {
                request_id: "x".to_owned(),
                session_id: session.id.clone(),
                csv: csv.as_bytes().to_vec(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
    let status = stack
        .client()
        .bulk_enrol(stack.request(
            ADMIN,
            pb::BulkEnrolRequest {
                request_id: "y".to_owned(),
                session_id: session.id.clone(),
                csv: b"name,org\nx,y\n".to_vec(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["csv"]);
}

#[tokio::test]
async fn benchmarking_ranks_the_organizations() {
    let stack = Stack::start().await;
    let course = stack.course("PR-208", |_| {}).await;
    let session = stack.open_session(&course, 10, &[]).await;
    let people = [
        (TRAINEE_MSC, Some(90)),
        (TRAINEE_MSC_2, Some(50)),
        (TRAINEE_KSC, Some(80)),
    ];
    for (i, (who, score)) in people.iter().enumerate() {
        let enrolment = stack
            .enrol_self(*who, &session.id, &format!("e{i}"))
            .await
            .unwrap();
        for meeting in 0..2 {
            stack
                .client()
                .record_attendance(stack.request(
                    INSTRUCTOR,
                    pb::RecordAttendanceRequest {
                        request_id: format!("m{i}-{meeting}"),
                        session_id: session.id.clone(),
                        meeting_index: meeting,
                        marks: vec![pb::AttendanceMark {
                            enrolment_id: enrolment.id.clone(),
                            status: pb::AttendanceStatus::Present.into(),
                        }],
                    },
                ))
                .await
                .unwrap();
        }
        stack
            .client()
            .complete_enrolment(stack.request(
                INSTRUCTOR,
                pb::CompleteEnrolmentRequest {
                    request_id: format!("c{i}"),
                    enrolment_id: enrolment.id,
                    score: *score,
                    no_show: false,
                },
            ))
            .await
            .unwrap();
    }
    let benchmark = stack
        .reports()
        .get_benchmark(stack.request(COUNCIL, pb::GetBenchmarkRequest::default()))
        .await
        .unwrap()
        .into_inner();
    let of = |org: &str| {
        benchmark
            .organizations
            .iter()
            .find(|o| o.organization_id == org)
            .unwrap()
            .measures
            .unwrap()
    };
    let msc = of("msc");
    assert_eq!(
        (msc.enrolments, msc.ended, msc.completed, msc.people_trained),
        (2, 2, 1, 1)
    );
    assert_eq!(msc.completion_rate, Some(0.5));
    assert_eq!(msc.average_score, Some(70.0));
    assert_eq!(msc.training_hours_per_head, Some(12.0));
    assert_eq!(msc.certificates_earned, 1);
    let ksc = of("ksc");
    assert_eq!(ksc.completion_rate, Some(1.0));
    let gegh = of("gegh");
    assert_eq!(
        (gegh.enrolments, gegh.completion_rate),
        (0, None),
        "every organization appears, idle ones too"
    );
    let rate = benchmark
        .rankings
        .iter()
        .find(|r| r.measure() == pb::BenchmarkMeasure::CompletionRate)
        .unwrap();
    let order: Vec<(&str, u32)> = rate
        .entries
        .iter()
        .map(|e| (e.organization_id.as_str(), e.rank))
        .collect();
    assert_eq!(order, [("ksc", 1), ("msc", 2)]);
    assert_eq!(benchmark.total.unwrap().completed, 2);
    let status = stack
        .reports()
        .get_benchmark(stack.request(TRAINEE_MSC, pb::GetBenchmarkRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
    let for_course = stack
        .reports()
        .get_benchmark(stack.request(
            MANAGER_KSC,
            pb::GetBenchmarkRequest {
                course_id: course.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(for_course.total.unwrap().enrolments, 3);
}

#[tokio::test]
async fn an_exported_roster_never_carries_a_formula() {
    let stack = Stack::start().await;
    let course = stack.course("PR-140", |_| {}).await;
    let session = stack.open_session(&course, 5, &[]).await;
    let names = [
        "=HYPERLINK(\"http://attacker.example\",\"click\")",
        "+cmd|' /C calc'!A0",
        "@SUM(1+1)",
        "سارا احمدی، روابط عمومی",
    ];
    for (index, name) in names.iter().enumerate() {
        stack
            .client()
            .enrol(stack.request(
                ADMIN,
                pb::EnrolRequest {
                    request_id: format!("formula-{index}"),
                    session_id: session.id.clone(),
                    trainee: Some(hamafza_proto::common::Actor {
                        subject: format!("trainee-formula-{index}"),
                        name: (*name).to_owned(),
                        organization_id: "msc".to_owned(),
                    }),
                    waive_prerequisites: false,
                },
            ))
            .await
            .unwrap();
    }
    let roster = stack
        .client()
        .export_roster(stack.request(
            ADMIN,
            pb::ExportRosterRequest {
                session_id: session.id.clone(),
                statuses: vec![],
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let csv = String::from_utf8(roster.csv).unwrap();
    assert!(csv.starts_with('\u{feff}'), "a BOM for spreadsheets");
    let names_written: Vec<String> = csv
        .trim_start_matches('\u{feff}')
        .lines()
        .skip(1)
        .map(|line| line.to_owned())
        .collect();
    assert_eq!(names_written.len(), 4, "{csv}");
    for formula in &names[..3] {
        assert!(
            csv.contains(&format!("'{}", &formula[..1])),
            "{formula} is neutralised: {csv}"
        );
        assert!(
            !csv.contains(&format!(",{}", &formula[..4])),
            "no cell starts with {formula}: {csv}"
        );
    }
    assert!(
        csv.contains("\"سارا احمدی، روابط عمومی\"") || csv.contains(",سارا احمدی، روابط عمومی,"),
        "{csv}"
    );
}

#[tokio::test]
async fn a_benchmark_period_outside_the_calendar_is_refused() {
    let stack = Stack::start().await;
    // Year 0 and year -5000: protobuf JSON cannot even print them.
    for seconds in [-62_167_219_200_i64, -219_936_067_200] {
        let status = stack
            .reports()
            .get_benchmark(stack.request(
                COUNCIL,
                pb::GetBenchmarkRequest {
                    period: Some(hamafza_proto::common::TimeRange {
                        start_time: Some(prost_types::Timestamp { seconds, nanos: 0 }),
                        end_time: Some(timestamp(1)),
                    }),
                    ..Default::default()
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(
            violated_fields(&status),
            ["period.start_time"],
            "{status:?}"
        );
    }
}
