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

/// A trainee of Gol-E-Gohar.
const TRAINEE_GEGH: Who = ("trainee-gegh", "gegh", &[Role::Trainee]);

/// `who` cancels an enrolment for "work schedule" (برنامه کاری).
async fn cancel(stack: &Stack, who: Who, id: &str, request_id: &str) -> Answer<pb::Enrolment> {
    let request = pb::CancelEnrolmentRequest {
        request_id: request_id.to_owned(),
        enrolment_id: id.to_owned(),
        reason: "برنامه کاری".to_owned(),
    };
    let reply = stack
        .client()
        .cancel_enrolment(stack.request(who, request))
        .await;
    reply.map(|r| r.into_inner().enrolment.unwrap())
}

/// `who` exports a session's roster (every status).
async fn export_roster(stack: &Stack, who: Who, session_id: &str) -> pb::ExportRosterResponse {
    let request = pb::ExportRosterRequest {
        session_id: session_id.to_owned(),
        statuses: vec![],
    };
    let reply = stack
        .client()
        .export_roster(stack.request(who, request))
        .await;
    reply.unwrap().into_inner()
}

/// `who` asks for a benchmark of the organizations.
async fn get_benchmark(
    stack: &Stack,
    who: Who,
    request: pb::GetBenchmarkRequest,
) -> Answer<pb::GetBenchmarkResponse> {
    let reply = stack
        .reports()
        .get_benchmark(stack.request(who, request))
        .await;
    reply.map(tonic::Response::into_inner)
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
    // Two seats; msc may hold one of them.
    let (stack, session) = Stack::with_session("PR-201", 2, &[("msc", 1)]).await;
    let first = enrolled(&stack, TRAINEE_MSC, &session.id, "a").await;
    assert_eq!(first.status(), pb::EnrolmentStatus::Confirmed);
    let over_quota = enrolled(&stack, TRAINEE_MSC_2, &session.id, "b").await;
    assert_eq!(
        over_quota.status(),
        pb::EnrolmentStatus::Waitlisted,
        "msc's quota of one is used"
    );
    let ksc = enrolled(&stack, TRAINEE_KSC, &session.id, "c").await;
    assert_eq!(ksc.status(), pb::EnrolmentStatus::Confirmed);
    let gegh = enrolled(&stack, TRAINEE_GEGH, &session.id, "d").await;
    assert_eq!(
        (gegh.status(), gegh.waitlist_position),
        (pb::EnrolmentStatus::Waitlisted, 2)
    );

    // ksc's seat frees: the head of the waitlist is msc, still over its quota,
    // so the seat goes to the next in line.
    cancel(&stack, TRAINEE_KSC, &ksc.id, "e").await.unwrap();
    let promoted = get_enrolment(&stack, ADMIN, &gegh.id).await.unwrap();
    assert_eq!(promoted.status(), pb::EnrolmentStatus::Confirmed);
    let cause = promoted.history.last().unwrap().cause();
    assert_eq!(cause, pb::StatusChangeCause::WaitlistPromotion);
    assert_eq!(
        get_enrolment(&stack, ADMIN, &over_quota.id)
            .await
            .unwrap()
            .status(),
        pb::EnrolmentStatus::Waitlisted
    );

    // msc's own seat frees: now msc's waiting trainee moves up.
    cancel(&stack, TRAINEE_MSC, &first.id, "f").await.unwrap();
    let promoted = get_enrolment(&stack, TRAINEE_MSC_2, &over_quota.id)
        .await
        .unwrap();
    assert_eq!(
        promoted.status(),
        pb::EnrolmentStatus::Confirmed,
        "the promoted trainee can see it"
    );
    let seats = seats(&stack, &session.id).await;
    assert_eq!((seats.confirmed_count, seats.seats_left), (2, 0));
    // The cancelled enrolment keeps its whole history.
    let cancelled = get_enrolment(&stack, TRAINEE_MSC, &first.id).await.unwrap();
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
    let (stack, session) = Stack::with_session("PR-202", 10, &[]).await;
    let mine = enrolled(&stack, TRAINEE_MSC, &session.id, "a").await;

    let refused = [
        // Another trainee may neither read nor cancel it.
        get_enrolment(&stack, TRAINEE_KSC, &mine.id).await,
        cancel(&stack, TRAINEE_MSC_2, &mine.id, "b").await,
        // Another organization's manager neither.
        get_enrolment(&stack, MANAGER_KSC, &mine.id).await,
        cancel(&stack, MANAGER_KSC, &mine.id, "c").await,
        enrol(
            &stack,
            MANAGER_KSC,
            on_behalf("d", &session.id, TRAINEE_MSC_2),
        )
        .await,
        // A trainee cannot enrol someone else.
        enrol(
            &stack,
            TRAINEE_MSC,
            on_behalf("e", &session.id, TRAINEE_MSC_2),
        )
        .await,
    ];
    for (case, answer) in refused.into_iter().enumerate() {
        let code = answer.unwrap_err().code();
        assert_eq!(code, tonic::Code::PermissionDenied, "refusal {case}");
    }

    // Their own manager may, and sees their people only.
    let theirs = enrol(
        &stack,
        MANAGER_MSC,
        on_behalf("f", &session.id, TRAINEE_MSC_2),
    )
    .await
    .unwrap();
    assert_eq!(theirs.enrolled_by.unwrap().subject, MANAGER_MSC.0);
    enrolled(&stack, TRAINEE_KSC, &session.id, "g").await;
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
    // Another instructor is refused that roster, as the contract says,
    // not answered with an empty page; their own enrolments (none) they may
    // ask for.
    const OTHER_INSTRUCTOR: Who = ("instructor-2", "imidro", &[Role::Instructor]);
    let refused = stack
        .client()
        .list_enrolments(stack.request(
            OTHER_INSTRUCTOR,
            pb::ListEnrolmentsRequest {
                session_id: session.id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::PermissionDenied);
    let own = stack
        .client()
        .list_enrolments(stack.request(
            OTHER_INSTRUCTOR,
            pb::ListEnrolmentsRequest {
                session_id: session.id.clone(),
                trainee_subject: OTHER_INSTRUCTOR.0.to_owned(),
                ..Default::default()
            },
        ))
        .await
        .unwrap();
    assert!(own.into_inner().enrolments.is_empty());
    cancel(&stack, MANAGER_MSC, &mine.id, "h").await.unwrap();
}

#[tokio::test]
async fn courses_that_need_approval_wait_for_the_trainees_manager() {
    let stack = Stack::start().await;
    let course = published_course(&stack, "PR-203", |d| d.requires_manager_approval = true).await;
    let session = stack.open_session(&course, 1, &[]).await;
    let pending = enrolled(&stack, TRAINEE_MSC, &session.id, "a").await;
    assert_eq!(pending.status(), pb::EnrolmentStatus::PendingApproval);
    assert_eq!(
        seats(&stack, &session.id).await.confirmed_count,
        0,
        "a pending request holds no seat"
    );
    let approve = |who: Who, request_id: &str, id: &str| {
        let request = pb::ApproveEnrolmentRequest {
            request_id: request_id.to_owned(),
            enrolment_id: id.to_owned(),
            comment: "تأیید".to_owned(),
        };
        let (mut client, request) = (stack.client(), stack.request(who, request));
        async move {
            let reply = client.approve_enrolment(request).await;
            reply.map(|r| r.into_inner().enrolment.unwrap())
        }
    };
    for (who, request_id) in [(MANAGER_KSC, "b"), (TRAINEE_MSC, "c")] {
        let status = approve(who, request_id, &pending.id).await.unwrap_err();
        assert_eq!(status.code(), tonic::Code::PermissionDenied, "{}", who.0);
    }
    let approved = approve(MANAGER_MSC, "d", &pending.id).await.unwrap();
    assert_eq!(approved.status(), pb::EnrolmentStatus::Confirmed);
    assert_eq!(approved.history.last().unwrap().reason, "تأیید");

    // The only seat is taken: the next approval waitlists; a rejection keeps its reason.
    let second = enrolled(&stack, TRAINEE_MSC_2, &session.id, "e").await;
    let waitlisted = approve(MANAGER_MSC, "f", &second.id).await.unwrap();
    assert_eq!(waitlisted.status(), pb::EnrolmentStatus::Waitlisted);
    let third = enrolled(&stack, TRAINEE_KSC, &session.id, "g").await;
    let reject = |reason: &str| {
        let request = pb::RejectEnrolmentRequest {
            request_id: "h".to_owned(),
            enrolment_id: third.id.clone(),
            reason: reason.to_owned(),
        };
        let (mut client, request) = (stack.client(), stack.request(MANAGER_KSC, request));
        async move {
            let reply = client.reject_enrolment(request).await;
            reply.map(|r| r.into_inner().enrolment.unwrap())
        }
    };
    let status = reject("").await.unwrap_err();
    assert_eq!(violated_fields(&status), ["reason"]);
    let rejected = reject("اولویت با همکار دیگر").await.unwrap();
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
async fn seats_count_who_waits_and_who_was_assessed_for_many_sessions_in_one_call() {
    let stack = Stack::start().await;
    let course = published_course(&stack, "PR-210", |_| {}).await;
    let approval = published_course(&stack, "PR-211", |d| d.requires_manager_approval = true).await;
    // One seat: msc takes it and is then assessed (the seat stays held); two wait.
    let full = stack.open_session(&course, 1, &[]).await;
    let held = enrolled(&stack, TRAINEE_MSC, &full.id, "a").await;
    for (who, tag) in [(TRAINEE_KSC, "b"), (TRAINEE_GEGH, "c")] {
        let waiting = enrolled(&stack, who, &full.id, tag).await;
        assert_eq!(waiting.status(), pb::EnrolmentStatus::Waitlisted);
    }
    let done = fixtures::attend_and_complete_ahead(&stack, &full, &held.id, Some(90), "d").await;
    assert_eq!(done.status(), pb::EnrolmentStatus::Completed);
    // msc may hold one of three seats: its second trainee waits.
    let quota = stack.open_session(&course, 3, &[("msc", 1)]).await;
    for (who, tag) in [(TRAINEE_MSC, "e"), (TRAINEE_MSC_2, "f"), (TRAINEE_KSC, "g")] {
        enrolled(&stack, who, &quota.id, tag).await;
    }
    // Two wait for their managers.
    let pending = stack.open_session(&approval, 5, &[]).await;
    for (who, tag) in [(TRAINEE_MSC, "h"), (TRAINEE_KSC, "i")] {
        enrolled(&stack, who, &pending.id, tag).await;
    }
    // Nobody has enrolled in these two yet: courses is asked for their plan.
    let empty = stack.open_session(&course, 7, &[]).await;
    let planned = stack
        .open_session(&course, 4, &[("msc", 2), ("ksc", 1)])
        .await;

    let session_ids = vec![
        pending.id.clone(),
        empty.id.clone(),
        full.id.clone(),
        quota.id.clone(),
        planned.id.clone(),
    ];
    let request = stack.request(MANAGER_MSC, pb::BatchGetSessionSeatsRequest { session_ids });
    let seats = stack
        .client()
        .batch_get_session_seats(request)
        .await
        .unwrap()
        .into_inner()
        .sessions;
    let counts: Vec<_> = seats
        .iter()
        .map(|s| {
            (
                s.session_id.as_str(),
                [
                    s.capacity,
                    s.confirmed_count,
                    s.assessed_count,
                    s.seats_left,
                    s.waitlisted_count,
                    s.pending_approval_count,
                ],
            )
        })
        .collect();
    assert_eq!(
        counts,
        [
            (pending.id.as_str(), [5, 0, 0, 5, 0, 2]),
            (empty.id.as_str(), [7, 0, 0, 7, 0, 0]),
            (full.id.as_str(), [1, 1, 1, 0, 2, 0]),
            (quota.id.as_str(), [3, 2, 0, 1, 1, 0]),
            (planned.id.as_str(), [4, 0, 0, 4, 0, 0]),
        ],
        "in the order asked: capacity, held, assessed, left, waitlisted, pending"
    );
    let quotas: Vec<_> = seats[3]
        .quotas
        .iter()
        .map(|q| (q.organization_id.as_str(), q.quota, q.confirmed_count))
        .collect();
    assert_eq!(quotas, [("msc", 1, 1)]);
    let quotas: Vec<_> = seats[4]
        .quotas
        .iter()
        .map(|q| (q.organization_id.as_str(), q.quota, q.confirmed_count))
        .collect();
    assert_eq!(quotas, [("ksc", 1, 0), ("msc", 2, 0)]);
    assert_eq!(
        (
            seats[3].seats_left_for_caller_organization,
            seats[1].seats_left_for_caller_organization,
            seats[4].seats_left_for_caller_organization,
        ),
        (0, 7, 2),
        "msc's quota is used; no quota; msc's quota untouched"
    );

    // A session courses does not know is named, and nothing else answered.
    let unknown = uuid::Uuid::now_v7().to_string();
    let session_ids = vec![empty.id.clone(), unknown.clone()];
    let request = stack.request(MANAGER_MSC, pb::BatchGetSessionSeatsRequest { session_ids });
    let status = stack
        .client()
        .batch_get_session_seats(request)
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound);
    assert!(status.message().contains(&unknown), "{}", status.message());
}

#[tokio::test]
async fn attendance_and_score_decide_completion_and_completions_wait_in_the_outbox() {
    let (stack, session) = Stack::with_session_under_way("PR-204", 10).await;
    let passer = enrolled(&stack, TRAINEE_MSC, &session.id, "a").await;
    let absent = enrolled(&stack, TRAINEE_KSC, &session.id, "b").await;
    let present = [(passer.id.as_str(), pb::AttendanceStatus::Present)];
    let status = record_attendance(&stack, TRAINEE_MSC, "c", &session.id, 0, &present)
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
    let status = record_attendance(&stack, INSTRUCTOR, "d", &session.id, 5, &present)
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["meeting_index"]);
    let marks = [
        (passer.id.as_str(), pb::AttendanceStatus::Present),
        (absent.id.as_str(), pb::AttendanceStatus::Absent),
    ];
    for meeting in 0..2 {
        let request_id = format!("m{meeting}");
        record_attendance(
            &stack,
            INSTRUCTOR,
            &request_id,
            &session.id,
            meeting,
            &marks,
        )
        .await
        .unwrap();
    }
    let status = complete_enrolment(&stack, MANAGER_MSC, "e", &passer.id, Some(90))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
    let passed = complete_enrolment(&stack, INSTRUCTOR, "f", &passer.id, Some(90))
        .await
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
    let failed = complete_enrolment(&stack, ADMIN, "g", &absent.id, Some(95))
        .await
        .unwrap();
    assert_eq!(failed.status(), pb::EnrolmentStatus::Failed);
    // Final statuses cannot be cancelled or assessed again.
    let status = cancel(&stack, TRAINEE_MSC, &passer.id, "h")
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
    let status = complete_enrolment(&stack, INSTRUCTOR, "i", &passer.id, Some(10))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);

    // Certification is not running: the passed completion waits, visibly.
    let delivery = |who: Who| {
        let mut client = stack.client();
        let request = stack.request(who, pb::GetDeliveryStatusRequest {});
        async move {
            client
                .get_delivery_status(request)
                .await
                .map(|r| r.into_inner())
        }
    };
    let status = delivery(ADMIN).await.unwrap();
    assert_eq!(
        status.pending_count, 1,
        "one passed completion, one outbox row"
    );
    assert_eq!(status.delivered_count, 0);
    assert!(status.oldest_pending_age.is_some());
    eventually(Duration::from_secs(10), || async {
        let status = delivery(ADMIN).await.unwrap();
        status.oldest_pending_attempts >= 1 && !status.last_error.is_empty()
    })
    .await;
    let status = delivery(TRAINEE_MSC).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::PermissionDenied);

    // The roster shows both, with attendance per meeting.
    let roster = export_roster(&stack, INSTRUCTOR, &session.id).await;
    let csv = String::from_utf8(roster.csv).unwrap();
    assert_eq!(roster.row_count, 2);
    assert!(csv.contains("meeting_1,meeting_2,score"), "{csv}");
    assert!(csv.contains(",completed,,present,present,90,100"), "{csv}");
    let only_msc = export_roster(&stack, MANAGER_MSC, &session.id).await;
    assert_eq!(only_msc.row_count, 1);
}

#[tokio::test]
async fn a_session_given_to_another_instructor_with_fewer_meetings_is_followed_here() {
    const NEW_INSTRUCTOR: Who = ("instructor-2", "imidro", &[Role::Instructor]);
    let stack = Stack::start().await;
    let course = published_course(&stack, "PR-207", |_| {}).await;
    // Four meetings, all begun; the course asks for half of them attended.
    let session = fixtures::open_session(&stack, &course, |details| {
        details.meetings.resize_with(4, Default::default);
        fixtures::under_way(details);
    })
    .await;
    let trainee = enrolled(&stack, TRAINEE_MSC, &session.id, "a").await;
    let roster_of = |who: Who| {
        let mut client = stack.client();
        let request = stack.request(who, pb::ListEnrolmentsRequest::default());
        async move {
            let reply = client.list_enrolments(request).await.unwrap().into_inner();
            reply
                .enrolments
                .into_iter()
                .map(|e| e.id)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        roster_of(INSTRUCTOR).await,
        std::slice::from_ref(&trainee.id)
    );
    assert!(roster_of(NEW_INSTRUCTOR).await.is_empty());

    // Courses gives the session to another instructor and drops two meetings.
    let mut details = session.details.clone().unwrap();
    details.meetings.drain(..2);
    details.instructor = Some(Actor {
        subject: NEW_INSTRUCTOR.0.to_owned(),
        name: "مدرس دوم".to_owned(),
        organization_id: NEW_INSTRUCTOR.1.to_owned(),
    });
    let request = hamafza_proto::courses::UpdateSessionRequest {
        session_id: session.id.clone(),
        details: Some(details),
        etag: String::new(),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["instructor".to_owned(), "meetings".to_owned()],
        }),
    };
    fixtures::session_service(&stack)
        .update_session(stack.request(ADMIN, request))
        .await
        .unwrap();
    // Its trainees move to the new instructor's roster, without anyone
    // recording anything.
    eventually(Duration::from_secs(10), || async {
        roster_of(NEW_INSTRUCTOR).await == std::slice::from_ref(&trainee.id)
    })
    .await;
    assert!(roster_of(INSTRUCTOR).await.is_empty());

    // Attendance counts the two meetings the session has now: one of two
    // attended is half, enough to pass.
    let present = [(trainee.id.as_str(), pb::AttendanceStatus::Present)];
    let status = record_attendance(&stack, NEW_INSTRUCTOR, "b", &session.id, 2, &present)
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["meeting_index"]);
    record_attendance(&stack, NEW_INSTRUCTOR, "c", &session.id, 0, &present)
        .await
        .unwrap();
    let passed = complete_enrolment(&stack, NEW_INSTRUCTOR, "d", &trainee.id, Some(90))
        .await
        .unwrap();
    assert_eq!(passed.status(), pb::EnrolmentStatus::Completed);
    assert_eq!(passed.completion.unwrap().attendance_percent, 50);
}

#[tokio::test]
async fn prerequisites_come_from_completions_here() {
    let stack = Stack::start().await;
    let basics = published_course(&stack, "PR-101", |_| {}).await;
    let advanced = published_course(&stack, "PR-301", |d| {
        d.prerequisite_course_ids = vec![basics.id.clone()]
    })
    .await;
    let advanced_session = stack.open_session(&advanced, 5, &[]).await;
    let status = enrol_self(&stack, TRAINEE_MSC, &advanced_session.id, "a")
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
    assert!(status.message().contains("PR-101"), "{}", status.message());
    // An admin may waive them (for training done before the platform).
    let waiving = |request_id: &str, trainee: Who| pb::EnrolRequest {
        waive_prerequisites: true,
        ..on_behalf(request_id, &advanced_session.id, trainee)
    };
    let waived = enrol(&stack, ADMIN, waiving("b", TRAINEE_KSC))
        .await
        .unwrap();
    assert_eq!(waived.status(), pb::EnrolmentStatus::Confirmed);
    let status = enrol(&stack, MANAGER_MSC, waiving("c", TRAINEE_MSC))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::PermissionDenied);

    let basics_session = stack.open_session_under_way(&basics, 5).await;
    let done = enrolled(&stack, TRAINEE_MSC, &basics_session.id, "d").await;
    // Unassessed, the prerequisite is not met.
    assert!(
        enrol_self(&stack, TRAINEE_MSC, &advanced_session.id, "e")
            .await
            .is_err()
    );
    // Present at one meeting of two: the course's minimum attendance.
    let present = [(done.id.as_str(), pb::AttendanceStatus::Present)];
    record_attendance(&stack, INSTRUCTOR, "f", &basics_session.id, 0, &present)
        .await
        .unwrap();
    let passed = complete_enrolment(&stack, INSTRUCTOR, "g", &done.id, Some(80))
        .await
        .unwrap();
    assert_eq!(passed.status(), pb::EnrolmentStatus::Completed);
    let enrolled = enrolled(&stack, TRAINEE_MSC, &advanced_session.id, "h").await;
    assert_eq!(
        enrolled.status(),
        pb::EnrolmentStatus::Confirmed,
        "a completed prerequisite opens the next course"
    );
}

#[tokio::test]
async fn enrolling_checks_the_session_and_the_request() {
    let (stack, session) = Stack::with_session("PR-205", 5, &[]).await;
    let status = enrol_self(&stack, TRAINEE_MSC, &session.id, "")
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["request_id"]);
    let status = enrol_self(&stack, TRAINEE_MSC, "not-an-id", "a")
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["session_id"]);
    let status = enrol_self(
        &stack,
        TRAINEE_MSC,
        "0193a3a0-0000-7000-8000-000000000000",
        "b",
    )
    .await
    .unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound);
    enrolled(&stack, TRAINEE_MSC, &session.id, "c").await;
    let status = enrol_self(&stack, TRAINEE_MSC, &session.id, "d")
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::AlreadyExists);
    let status = enrol_self(&stack, ADMIN, &session.id, "e")
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        tonic::Code::PermissionDenied,
        "self-enrolment is for trainees"
    );
    cancel_session(&stack, ADMIN, &session.id, "لغو شد")
        .await
        .unwrap();
    // Enrolments acts on session facts read at most RECENT_FACTS ago (an
    // enrolment slipping in meanwhile is cancelled by the reconciler).
    tokio::time::sleep(hamafza_enrolments::courses_client::RECENT_FACTS).await;
    let status = enrol_self(&stack, TRAINEE_KSC, &session.id, "f")
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
}

#[tokio::test]
async fn a_session_cancelled_in_courses_cancels_its_enrolments() {
    let (stack, session) = Stack::with_session("PR-206", 1, &[]).await;
    let confirmed = enrolled(&stack, TRAINEE_MSC, &session.id, "a").await;
    let waiting = enrolled(&stack, TRAINEE_KSC, &session.id, "b").await;
    cancel_session(&stack, ADMIN, &session.id, "لغو شد")
        .await
        .unwrap();
    eventually(Duration::from_secs(10), || async {
        let all = enrolments_in(&stack, &session.id).await;
        all.iter()
            .all(|e| e.status() == pb::EnrolmentStatus::Cancelled)
    })
    .await;
    let cancelled = get_enrolment(&stack, TRAINEE_MSC, &confirmed.id)
        .await
        .unwrap();
    let last = cancelled.history.last().unwrap();
    assert_eq!(
        (last.cause(), last.reason.as_str()),
        (pb::StatusChangeCause::SessionCancelled, "لغو شد")
    );
    let other = get_enrolment(&stack, TRAINEE_KSC, &waiting.id)
        .await
        .unwrap();
    assert_eq!(
        other.status(),
        pb::EnrolmentStatus::Cancelled,
        "nobody was promoted into a cancelled session"
    );
}

#[tokio::test]
async fn bulk_csv_reports_each_row_and_stores_the_good_ones() {
    let (stack, session) = Stack::with_session("PR-207", 2, &[]).await;
    let csv = "subject,name,organization_id\n\
               bulk-1,سارا,msc\n\
               bulk-2,\"Rezaei, Ali\",msc\n\
               bulk-1,سارا,msc\n\
               ,no subject,msc\n\
               bulk-3,Other company,ksc\n\
               bulk-4,Zahra,msc\n\
               bulk-5,Bad Org,MSC!\n";
    let send = |who: Who, request_id: &str, csv: &[u8]| {
        let mut client = stack.client();
        let request = stack.request(
            who,
            pb::BulkEnrolRequest {
                request_id: request_id.to_owned(),
                session_id: session.id.clone(),
                csv: csv.to_vec(),
            },
        );
        async move { client.bulk_enrol(request).await }
    };
    let run = |who: Who, request_id: &str| {
        let sent = send(who, request_id, csv.as_bytes());
        async move {
            let mut stream = sent.await.unwrap().into_inner();
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
    let stored = enrolments_in(&stack, &session.id).await;
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
    assert_eq!(enrolments_in(&stack, &session.id).await.len(), 3);
    let status = send(TRAINEE_MSC, "x", csv.as_bytes()).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
    let status = send(ADMIN, "y", b"name,org\nx,y\n").await.unwrap_err();
    assert_eq!(violated_fields(&status), ["csv"]);
}

#[tokio::test]
async fn benchmarking_ranks_the_organizations() {
    let (stack, session) = Stack::with_session_under_way("PR-208", 10).await;
    let people = [
        (TRAINEE_MSC, Some(90)),
        (TRAINEE_MSC_2, Some(50)),
        (TRAINEE_KSC, Some(80)),
    ];
    for (i, (who, score)) in people.iter().enumerate() {
        let tag = format!("e{i}");
        let enrolment = enrolled(&stack, *who, &session.id, &tag).await;
        fixtures::attend_and_complete(&stack, INSTRUCTOR, &session, &enrolment.id, *score, &tag)
            .await;
    }
    let benchmark = get_benchmark(&stack, COUNCIL, pb::GetBenchmarkRequest::default())
        .await
        .unwrap();
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
    let status = get_benchmark(&stack, TRAINEE_MSC, pb::GetBenchmarkRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
    let of_course = pb::GetBenchmarkRequest {
        course_id: session.course_id.clone(),
        ..Default::default()
    };
    let for_course = get_benchmark(&stack, MANAGER_KSC, of_course).await.unwrap();
    assert_eq!(for_course.total.unwrap().enrolments, 3);
}

#[tokio::test]
async fn an_exported_roster_never_carries_a_formula() {
    let (stack, session) = Stack::with_session("PR-140", 5, &[]).await;
    let names = [
        "=HYPERLINK(\"http://attacker.example\",\"click\")",
        "+cmd|' /C calc'!A0",
        "@SUM(1+1)",
        "سارا احمدی، روابط عمومی",
    ];
    for (index, name) in names.iter().enumerate() {
        let request = pb::EnrolRequest {
            request_id: format!("formula-{index}"),
            session_id: session.id.clone(),
            trainee: Some(Actor {
                subject: format!("trainee-formula-{index}"),
                name: (*name).to_owned(),
                organization_id: "msc".to_owned(),
            }),
            waive_prerequisites: false,
        };
        enrol(&stack, ADMIN, request).await.unwrap();
    }
    let roster = export_roster(&stack, ADMIN, &session.id).await;
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
        let period = pb::GetBenchmarkRequest {
            period: Some(hamafza_proto::common::TimeRange {
                start_time: Some(prost_types::Timestamp { seconds, nanos: 0 }),
                end_time: Some(timestamp(1)),
            }),
            ..Default::default()
        };
        let status = get_benchmark(&stack, COUNCIL, period).await.unwrap_err();
        assert_eq!(
            violated_fields(&status),
            ["period.start_time"],
            "{status:?}"
        );
    }
}

#[tokio::test]
async fn the_roster_is_in_the_persian_alphabets_order_and_lists_page_by_id() {
    // Code points put و before پ and Arabic ي before Persian ی: the roster
    // must not.
    let (stack, session) = Stack::with_session("PR-208", 10, &[]).await;
    let names = ["وحیدی", "يوسفي", "پارسا", "احمدی", "کاظمی"];
    for (i, name) in names.iter().enumerate() {
        let request = pb::EnrolRequest {
            request_id: format!("roster-{i}"),
            session_id: session.id.clone(),
            trainee: Some(Actor {
                subject: format!("trainee-roster-{i}"),
                name: (*name).to_owned(),
                organization_id: "msc".to_owned(),
            }),
            waive_prerequisites: false,
        };
        fixtures::enrol(&stack, ADMIN, request).await.unwrap();
    }
    let roster = export_roster(&stack, ADMIN, &session.id).await;
    let csv = String::from_utf8(roster.csv).unwrap();
    let order: Vec<usize> = ["احمدی", "پارسا", "کاظمی", "وحیدی", "يوسفي"]
        .iter()
        .map(|name| csv.find(name).unwrap_or_else(|| panic!("{name} in {csv}")))
        .collect();
    assert!(order.is_sorted(), "{csv}");

    // A list pages by id, whatever the names: every enrolment once.
    let mut seen = Vec::new();
    let mut page_token = String::new();
    loop {
        let reply = stack
            .client()
            .list_enrolments(stack.request(
                ADMIN,
                pb::ListEnrolmentsRequest {
                    session_id: session.id.clone(),
                    page_size: 2,
                    page_token,
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner();
        seen.extend(reply.enrolments.into_iter().map(|e| e.id));
        if reply.next_page_token.is_empty() {
            break;
        }
        page_token = reply.next_page_token;
    }
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((seen.len(), unique.len()), (5, 5), "{seen:?}");
}
