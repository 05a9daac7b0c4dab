//! Training is recorded after it happens: attendance of a meeting once it has
//! started, results once the last meeting has; a platform admin may record
//! ahead with a reason, kept in the enrolment's history. And a trainee marked
//! present somewhere is not a no-show.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use hamafza_kit::ApiError;
use hamafza_proto::enrolments as pb;

fn attendance(
    request_id: &str,
    session_id: &str,
    meeting_index: u32,
    enrolment_id: &str,
    override_reason: &str,
) -> pb::RecordAttendanceRequest {
    pb::RecordAttendanceRequest {
        request_id: request_id.to_owned(),
        session_id: session_id.to_owned(),
        meeting_index,
        marks: vec![pb::AttendanceMark {
            enrolment_id: enrolment_id.to_owned(),
            status: pb::AttendanceStatus::Present.into(),
        }],
        override_reason: override_reason.to_owned(),
    }
}

fn completion(
    request_id: &str,
    enrolment_id: &str,
    score: Option<u32>,
    override_reason: &str,
) -> pb::CompleteEnrolmentRequest {
    pb::CompleteEnrolmentRequest {
        request_id: request_id.to_owned(),
        enrolment_id: enrolment_id.to_owned(),
        score,
        no_show: score.is_none(),
        override_reason: override_reason.to_owned(),
    }
}

fn reason(status: &tonic::Status) -> String {
    assert_eq!(status.code(), tonic::Code::FailedPrecondition, "{status:?}");
    ApiError::from_status(status).reason().to_owned()
}

#[tokio::test]
async fn attendance_and_results_wait_for_the_meetings_to_start() {
    let stack = Stack::start().await;
    let course = published_course(&stack, "PR-190", |_| {}).await;
    // The first meeting began a minute ago, the second is in two days.
    let session = fixtures::open_session(&stack, &course, |details| {
        fixtures::under_way(details);
        let later = |hours| Some(hamafza_testkit::timestamp(hours));
        details.meetings[1].start_time = later(48);
        details.meetings[1].end_time = later(50);
    })
    .await;
    let trainee = enrolled(&stack, TRAINEE_MSC, &session.id, "a").await;
    let mut client = stack.client();

    // The meeting under way is the instructor's to record.
    client
        .record_attendance(
            stack.request(INSTRUCTOR, attendance("b", &session.id, 0, &trainee.id, "")),
        )
        .await
        .unwrap();
    // The one in two days is not, nor are results before it.
    let early = client
        .record_attendance(
            stack.request(INSTRUCTOR, attendance("c", &session.id, 1, &trainee.id, "")),
        )
        .await
        .unwrap_err();
    assert_eq!(reason(&early), "MEETING_NOT_STARTED");
    let early = client
        .complete_enrolment(stack.request(INSTRUCTOR, completion("d", &trainee.id, Some(90), "")))
        .await
        .unwrap_err();
    assert_eq!(reason(&early), "LAST_MEETING_NOT_STARTED");
    // Only a platform admin overrides, and says why on one line.
    let denied = client
        .record_attendance(stack.request(
            INSTRUCTOR,
            attendance("e", &session.id, 1, &trainee.id, "held early"),
        ))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), tonic::Code::PermissionDenied);
    let bad = client
        .record_attendance(
            stack.request(ADMIN, attendance("f", &session.id, 1, &trainee.id, "a\nb")),
        )
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&bad), ["override_reason"]);

    let why = "کلاس دوم به درخواست شرکت زودتر برگزار شد";
    let marked = client
        .record_attendance(stack.request(ADMIN, attendance("g", &session.id, 1, &trainee.id, why)))
        .await
        .unwrap()
        .into_inner()
        .enrolments
        .remove(0);
    assert_eq!(marked.status(), pb::EnrolmentStatus::Confirmed);
    assert_eq!(marked.meetings_attended, 2);
    let done = client
        .complete_enrolment(stack.request(ADMIN, completion("h", &trainee.id, Some(90), why)))
        .await
        .unwrap()
        .into_inner()
        .enrolment
        .unwrap();
    assert_eq!(done.status(), pb::EnrolmentStatus::Completed);
    let history = get_enrolment(&stack, ADMIN, &trainee.id)
        .await
        .unwrap()
        .history;
    let entries: Vec<_> = history
        .iter()
        .map(|c| (c.cause(), c.to_status(), c.reason.as_str()))
        .collect();
    let overridden = format!("meeting 2: {why}");
    assert_eq!(
        entries[1..],
        [
            (
                pb::StatusChangeCause::AttendanceOverride,
                pb::EnrolmentStatus::Confirmed,
                overridden.as_str()
            ),
            (
                pb::StatusChangeCause::Assessment,
                pb::EnrolmentStatus::Completed,
                why
            ),
        ],
        "{history:?}"
    );
}

#[tokio::test]
async fn a_trainee_marked_present_is_not_a_no_show() {
    let (stack, session) = Stack::with_session_under_way("PR-191", 10).await;
    let came = enrolled(&stack, TRAINEE_MSC, &session.id, "a").await;
    let never = enrolled(&stack, TRAINEE_KSC, &session.id, "b").await;
    let marks = [
        (came.id.as_str(), pb::AttendanceStatus::Present),
        (never.id.as_str(), pb::AttendanceStatus::Absent),
    ];
    record_attendance(&stack, INSTRUCTOR, "c", &session.id, 0, &marks)
        .await
        .unwrap();
    let mut client = stack.client();

    let refused = client
        .complete_enrolment(stack.request(INSTRUCTOR, completion("d", &came.id, None, "")))
        .await
        .unwrap_err();
    assert_eq!(reason(&refused), "ATTENDED_A_MEETING");
    assert_eq!(
        get_enrolment(&stack, ADMIN, &came.id)
            .await
            .unwrap()
            .status(),
        pb::EnrolmentStatus::Confirmed
    );
    // Assessed with a score instead: one meeting of two is the course's
    // minimum attendance, and 40 is below its passing score.
    let failed = complete_enrolment(&stack, INSTRUCTOR, "e", &came.id, Some(40))
        .await
        .unwrap();
    assert_eq!(failed.status(), pb::EnrolmentStatus::Failed);
    // Never marked present: a no-show.
    let no_show = client
        .complete_enrolment(stack.request(INSTRUCTOR, completion("f", &never.id, None, "")))
        .await
        .unwrap()
        .into_inner()
        .enrolment
        .unwrap();
    assert_eq!(no_show.status(), pb::EnrolmentStatus::NoShow);
}
