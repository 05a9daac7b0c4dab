//! Course evaluations over real servers: trainees who completed a session
//! rate it; results are aggregates that name no one and show nothing below
//! the minimum count; edits close after the window; the benchmark carries
//! each company's satisfaction and response rate.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use hamafza_kit::auth::Role;
use hamafza_proto::enrolments as pb;
use hamafza_proto::enrolments::evaluation_service_client::EvaluationServiceClient;
use hamafza_testkit::fixtures::pass;

/// Five more trainees of Mobarakeh Steel, and one more of Khuzestan Steel.
const MSC: [Who; 5] = [
    ("eval-msc-1", "msc", &[Role::Trainee]),
    ("eval-msc-2", "msc", &[Role::Trainee]),
    ("eval-msc-3", "msc", &[Role::Trainee]),
    ("eval-msc-4", "msc", &[Role::Trainee]),
    ("eval-msc-5", "msc", &[Role::Trainee]),
];
const KSC: Who = ("eval-ksc-1", "ksc", &[Role::Trainee]);

fn evaluations(stack: &Stack) -> EvaluationServiceClient<tonic::transport::Channel> {
    EvaluationServiceClient::new(stack.enrolments.clone())
}

fn form(enrolment_id: &str, scores: [u32; 5], comment: &str) -> pb::SubmitEvaluationRequest {
    let [content, instructor, relevance, organization, overall] = scores;
    pb::SubmitEvaluationRequest {
        enrolment_id: enrolment_id.to_owned(),
        scores: Some(pb::EvaluationScores {
            content,
            instructor,
            relevance,
            organization,
            overall,
        }),
        comment: comment.to_owned(),
    }
}

async fn submit(
    stack: &Stack,
    who: Who,
    request: pb::SubmitEvaluationRequest,
) -> Answer<pb::SubmitEvaluationResponse> {
    evaluations(stack)
        .submit_evaluation(stack.request(who, request))
        .await
        .map(tonic::Response::into_inner)
}

async fn results(
    stack: &Stack,
    who: Who,
    request: pb::GetEvaluationResultsRequest,
) -> Answer<pb::GetEvaluationResultsResponse> {
    evaluations(stack)
        .get_evaluation_results(stack.request(who, request))
        .await
        .map(tonic::Response::into_inner)
}

fn of_session(session_id: &str) -> pb::GetEvaluationResultsRequest {
    pb::GetEvaluationResultsRequest {
        session_id: session_id.to_owned(),
        ..Default::default()
    }
}

async fn benchmark(stack: &Stack) -> pb::GetBenchmarkResponse {
    stack
        .reports()
        .get_benchmark(stack.request(ADMIN, pb::GetBenchmarkRequest::default()))
        .await
        .unwrap()
        .into_inner()
}

fn measures_of(report: &pb::GetBenchmarkResponse, org: &str) -> pb::BenchmarkMeasures {
    report
        .organizations
        .iter()
        .find(|o| o.organization_id == org)
        .and_then(|o| o.measures)
        .unwrap()
}

/// The scores each of the five gives: content, instructor, relevance,
/// organization, overall.
const SCORES: [[u32; 5]; 5] = [
    [5, 4, 3, 2, 5],
    [4, 4, 3, 2, 4],
    [3, 5, 3, 2, 4],
    [5, 5, 4, 3, 5],
    [3, 2, 2, 1, 2],
];

#[tokio::test]
async fn five_answers_are_aggregated_without_names_and_feed_the_benchmark() {
    let (stack, session) = Stack::with_session_under_way("PR-701", 10).await;
    let mut ids = Vec::new();
    for (i, who) in MSC.iter().enumerate() {
        ids.push(pass(&stack, *who, &session, &format!("m{i}")).await);
    }
    // A sixth trainee (another company) completes and answers; a seventh
    // completes and does not answer.
    let ksc = pass(&stack, KSC, &session, "k").await;
    pass(&stack, TRAINEE_MSC, &session, "silent").await;

    // Four answers: nothing but the count.
    for (i, (who, id)) in MSC.iter().zip(&ids).take(4).enumerate() {
        let comment = format!("نظر شمارهٔ {i}");
        let saved = submit(&stack, *who, form(id, SCORES[i], &comment))
            .await
            .unwrap();
        assert!(saved.created);
    }
    let few = results(&stack, INSTRUCTOR, of_session(&session.id))
        .await
        .unwrap();
    assert_eq!((few.answers, few.minimum_answers), (4, 5));
    assert!(few.too_few_answers);
    assert!(few.averages.is_none() && few.comments.is_empty());
    assert!(few.overall_distribution.is_empty());
    let report = benchmark(&stack).await;
    let msc = measures_of(&report, "msc");
    assert_eq!(msc.evaluations, 4);
    assert_eq!(
        (msc.satisfaction, msc.evaluation_response_rate),
        (None, None)
    );
    assert_eq!(report.evaluation_minimum_answers, 5);

    // The fifth answer (empty comment) and the other company's one.
    submit(&stack, MSC[4], form(&ids[4], SCORES[4], ""))
        .await
        .unwrap();
    submit(&stack, KSC, form(&ksc, [1, 1, 1, 1, 1], "Khuzestan view"))
        .await
        .unwrap();
    let shown = results(&stack, INSTRUCTOR, of_session(&session.id))
        .await
        .unwrap();
    assert_eq!((shown.answers, shown.asked), (6, 7));
    assert!(!shown.too_few_answers);
    let averages = shown.averages.unwrap();
    // Column sums of SCORES plus the 1s of Khuzestan, over six.
    assert!((averages.content - 21.0 / 6.0).abs() < 1e-9, "{averages:?}");
    assert!((averages.instructor - 21.0 / 6.0).abs() < 1e-9);
    assert!((averages.relevance - 16.0 / 6.0).abs() < 1e-9);
    assert!((averages.organization - 11.0 / 6.0).abs() < 1e-9);
    assert!((averages.overall - 21.0 / 6.0).abs() < 1e-9);
    assert_eq!(shown.overall_distribution, [1, 1, 0, 2, 2]);
    // Comments without names, in text order; the empty one is left out.
    assert_eq!(
        shown.comments,
        [
            "Khuzestan view",
            "نظر شمارهٔ 0",
            "نظر شمارهٔ 1",
            "نظر شمارهٔ 2",
            "نظر شمارهٔ 3",
        ]
    );
    let text = format!("{shown:?}");
    for who in MSC.iter().chain([&KSC]) {
        assert!(!text.contains(who.0), "results name {}", who.0);
    }
    for id in ids.iter().chain([&ksc]) {
        assert!(!text.contains(id.as_str()), "results carry an enrolment id");
    }

    // The course over a period that holds the completions, for the admin;
    // over a period before them, nothing.
    let course = |start: i64, end: i64| pb::GetEvaluationResultsRequest {
        course_id: session.course_id.clone(),
        period: Some(hamafza_proto::common::TimeRange {
            start_time: Some(timestamp(start)),
            end_time: Some(timestamp(end)),
        }),
        ..Default::default()
    };
    let by_course = results(&stack, ADMIN, course(-1, 1)).await.unwrap();
    assert_eq!(by_course.answers, 6);
    assert_eq!(by_course.averages, shown.averages);
    let before = results(&stack, ADMIN, course(-48, -24)).await.unwrap();
    assert_eq!((before.answers, before.too_few_answers), (0, true));
    // The instructor's own results, over all time.
    let own = pb::GetEvaluationResultsRequest {
        instructor_subject: INSTRUCTOR.0.to_owned(),
        ..Default::default()
    };
    assert_eq!(
        results(&stack, INSTRUCTOR, own.clone())
            .await
            .unwrap()
            .answers,
        6
    );
    assert_eq!(
        results(&stack, ADMIN, own.clone()).await.unwrap().answers,
        6
    );
    // Council members see a session's results; nobody else sees anything.
    assert_eq!(
        results(&stack, COUNCIL, of_session(&session.id))
            .await
            .unwrap()
            .answers,
        6
    );
    for (who, request) in [
        (MSC[0], of_session(&session.id)),
        (MANAGER_MSC, of_session(&session.id)),
        (INSTRUCTOR, course(-1, 1)),
        (COUNCIL, own.clone()),
        (MANAGER_KSC, own),
    ] {
        let refused = results(&stack, who, request).await.unwrap_err();
        assert_eq!(refused.code(), tonic::Code::PermissionDenied, "{who:?}");
    }
    // Exactly one scope.
    let neither = results(&stack, ADMIN, pb::GetEvaluationResultsRequest::default())
        .await
        .unwrap_err();
    assert_eq!(neither.code(), tonic::Code::InvalidArgument);

    // The benchmark: Mobarakeh's five answers of six asked are shown;
    // Khuzestan's single answer is not.
    let report = benchmark(&stack).await;
    let msc = measures_of(&report, "msc");
    assert_eq!(msc.evaluations, 5);
    assert!((msc.satisfaction.unwrap() - 20.0 / 5.0).abs() < 1e-9);
    assert!((msc.evaluation_response_rate.unwrap() - 5.0 / 6.0).abs() < 1e-9);
    let ksc = measures_of(&report, "ksc");
    assert_eq!(ksc.evaluations, 1);
    assert_eq!(
        (ksc.satisfaction, ksc.evaluation_response_rate),
        (None, None)
    );
    let total = report.total.unwrap();
    assert_eq!(total.evaluations, 6);
    assert!((total.satisfaction.unwrap() - 21.0 / 6.0).abs() < 1e-9);
    assert!((total.evaluation_response_rate.unwrap() - 6.0 / 7.0).abs() < 1e-9);
}

#[tokio::test]
async fn an_evaluation_is_edited_within_the_window_and_refused_after_it() {
    let (stack, session) = Stack::with_session_under_way("PR-702", 5).await;
    let id = pass(&stack, TRAINEE_MSC, &session, "a").await;
    let first = submit(&stack, TRAINEE_MSC, form(&id, [3, 3, 3, 3, 3], "اول"))
        .await
        .unwrap();
    assert!(first.created);
    let second = submit(&stack, TRAINEE_MSC, form(&id, [4, 4, 4, 4, 5], "دوم"))
        .await
        .unwrap();
    assert!(!second.created);
    let evaluation = second.evaluation.unwrap();
    assert_eq!(evaluation.scores.unwrap().overall, 5);
    assert_eq!(evaluation.comment, "دوم");
    assert_eq!(
        evaluation.submit_time,
        first.evaluation.as_ref().unwrap().submit_time
    );
    let mine = evaluations(&stack)
        .get_my_evaluation(stack.request(
            TRAINEE_MSC,
            pb::GetMyEvaluationRequest {
                enrolment_id: id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(mine.can_submit);
    assert_eq!(mine.evaluation.unwrap().comment, "دوم");

    // Fifteen days later (the first submission moved back through the
    // service's own store), the edit is refused and the answer stays.
    let store = hamafza_enrolments::Store::new(
        hamafza_kit::db::connect(&stack.database(Svc::Enrolments).url)
            .await
            .unwrap(),
    );
    let enrolment = id.parse().unwrap();
    let long_ago = hamafza_kit::time::now() - chrono::Duration::days(15);
    assert!(
        store
            .set_evaluation_submitted_at(enrolment, long_ago)
            .await
            .unwrap()
    );
    let late = submit(&stack, TRAINEE_MSC, form(&id, [1, 1, 1, 1, 1], "دیر"))
        .await
        .unwrap_err();
    assert_eq!(late.code(), tonic::Code::FailedPrecondition);
    assert!(late.message().contains("14 days"), "{}", late.message());
    let kept = store.evaluation(enrolment).await.unwrap().unwrap();
    assert_eq!((kept.overall, kept.comment.as_str()), (5, "دوم"));
    let mine = evaluations(&stack)
        .get_my_evaluation(
            stack.request(TRAINEE_MSC, pb::GetMyEvaluationRequest { enrolment_id: id }),
        )
        .await
        .unwrap()
        .into_inner();
    assert!(!mine.can_submit);
}

#[tokio::test]
async fn only_the_trainee_answers_only_after_completion_with_valid_scores() {
    let (stack, session) = Stack::with_session_under_way("PR-703", 5).await;
    let id = pass(&stack, TRAINEE_MSC, &session, "a").await;
    // Nobody answers for the trainee: not a colleague, their manager, nor an admin.
    for who in [TRAINEE_MSC_2, MANAGER_MSC, ADMIN, INSTRUCTOR] {
        let refused = submit(&stack, who, form(&id, [3, 3, 3, 3, 3], ""))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), tonic::Code::PermissionDenied, "{who:?}");
        let read = evaluations(&stack)
            .get_my_evaluation(stack.request(
                who,
                pb::GetMyEvaluationRequest {
                    enrolment_id: id.clone(),
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(read.code(), tonic::Code::PermissionDenied, "{who:?}");
    }
    // A confirmed enrolment (not completed) is not evaluated yet.
    let open = enrolled(&stack, TRAINEE_KSC, &session.id, "b").await;
    let early = submit(&stack, TRAINEE_KSC, form(&open.id, [3, 3, 3, 3, 3], ""))
        .await
        .unwrap_err();
    assert_eq!(early.code(), tonic::Code::FailedPrecondition);
    // Scores outside 1-5 and an overlong comment: field violations.
    let bad = submit(
        &stack,
        TRAINEE_MSC,
        form(&id, [0, 3, 6, 3, 3], &"و".repeat(2001)),
    )
    .await
    .unwrap_err();
    assert_eq!(bad.code(), tonic::Code::InvalidArgument);
    assert_eq!(
        violated_fields(&bad),
        ["scores.content", "scores.relevance", "comment"]
    );
    let missing = submit(
        &stack,
        TRAINEE_MSC,
        pb::SubmitEvaluationRequest {
            enrolment_id: id.clone(),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(missing.code(), tonic::Code::InvalidArgument);
    assert_eq!(violated_fields(&missing).len(), 5);
    let unknown = submit(
        &stack,
        TRAINEE_MSC,
        form("00000000-0000-4000-8000-000000000000", [3, 3, 3, 3, 3], ""),
    )
    .await
    .unwrap_err();
    assert_eq!(unknown.code(), tonic::Code::NotFound);
    // Nothing was stored by the refusals.
    let session_results = results(&stack, ADMIN, of_session(&session.id))
        .await
        .unwrap();
    assert_eq!(session_results.answers, 0);
}
