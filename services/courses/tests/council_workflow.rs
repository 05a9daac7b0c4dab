//! The council workflow end to end, over real gRPC.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use hamafza_proto::courses as pb;

const APPROVE: pb::VoteDecision = pb::VoteDecision::Approve;
const REJECT: pb::VoteDecision = pb::VoteDecision::Reject;

#[tokio::test]
async fn a_course_goes_from_draft_through_the_council_to_an_open_session() {
    let server = TestServer::start().await;
    let mut courses = server.courses();
    let course = server.create_course("PR-130").await;
    assert_eq!(course.status(), pb::CatalogStatus::Draft);
    assert_eq!(course.owner_organization_id, "imidro");

    // A draft cannot be voted on or published.
    let status = review_course(&server, COUNCIL_A, &course.id, APPROVE, "")
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
    let status = publish_course(&server, ADMIN, &course.id)
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);

    let submitted = submit_course(&server, ADMIN, &course.id).await.unwrap();
    assert_eq!(submitted.status(), pb::CatalogStatus::Submitted);
    assert_eq!(submitted.review.as_ref().unwrap().round, 1);

    // A submitted course cannot be edited.
    let status = update_course(&server, ADMIN, &course.id, course_details("PR-130"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);

    let after_one = review_course(&server, COUNCIL_A, &course.id, APPROVE, "خوب است")
        .await
        .unwrap();
    assert_eq!(
        after_one.status(),
        pb::CatalogStatus::Submitted,
        "one approval of two is not enough"
    );
    let review_state = after_one.review.unwrap();
    assert_eq!(
        (review_state.approvals, review_state.required_approvals),
        (1, 2)
    );
    assert_eq!(
        review_state.votes[0].voter.as_ref().unwrap().subject,
        COUNCIL_A.0
    );
    assert_eq!(review_state.votes[0].comment, "خوب است");

    // The same member cannot vote twice in a round.
    let status = review_course(&server, COUNCIL_A, &course.id, APPROVE, "")
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::AlreadyExists);

    let approved = review_course(&server, COUNCIL_B, &course.id, APPROVE, "")
        .await
        .unwrap();
    assert_eq!(approved.status(), pb::CatalogStatus::Approved);

    // A session can be planned now, but opens only once the course is published.
    let session = create_session(&server, ADMIN, &course.id, session_details(20))
        .await
        .unwrap();
    assert_eq!(session.status(), pb::SessionStatus::Planned);
    let status = open_planned_session(&server, ADMIN, &session.id)
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
    // The refused opening left the session as it was.
    let unchanged = get_session(&server, ADMIN, &session.id).await.unwrap();
    assert_eq!(unchanged.status(), pb::SessionStatus::Planned);

    let published = publish_course(&server, ADMIN, &course.id).await.unwrap();
    assert_eq!(published.status(), pb::CatalogStatus::Published);
    assert!(published.publish_time.is_some());

    let opened = open_planned_session(&server, ADMIN, &session.id)
        .await
        .unwrap();
    assert_eq!(opened.status(), pb::SessionStatus::Open);

    // Trainees now see the course and the session.
    let seen = get_course(&server, TRAINEE, &course.id).await.unwrap();
    assert_eq!(seen.details.unwrap().code, "PR-130");
    get_session(&server, TRAINEE, &session.id).await.unwrap();

    // Cancelling needs a reason, and keeps it.
    let status = cancel_session(&server, ADMIN, &session.id, " ")
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["reason"]);
    let cancelled = cancel_session(&server, ADMIN, &session.id, "مدرس در دسترس نیست")
        .await
        .unwrap();
    assert_eq!(cancelled.status(), pb::SessionStatus::Cancelled);
    assert_eq!(cancelled.cancel_reason, "مدرس در دسترس نیست");

    let retired = courses
        .retire_course(server.request(
            ADMIN,
            pb::RetireCourseRequest {
                course_id: course.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .course
        .unwrap();
    assert_eq!(retired.status(), pb::CatalogStatus::Retired);
}

#[tokio::test]
async fn a_rejection_returns_the_course_to_draft_and_every_vote_is_kept() {
    let server = TestServer::start().await;
    let mut courses = server.courses();
    let course = server.create_course("PR-140").await;
    submit_course(&server, ADMIN, &course.id).await.unwrap();
    review_course(&server, COUNCIL_A, &course.id, APPROVE, "")
        .await
        .unwrap();

    // A rejection must say why.
    let status = review_course(&server, COUNCIL_B, &course.id, REJECT, "  ")
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["comment"]);

    let reason = "سرفصل‌ها با نیاز شرکت‌ها همخوان نیست";
    let rejected = review_course(&server, COUNCIL_B, &course.id, REJECT, reason)
        .await
        .unwrap();
    assert_eq!(rejected.status(), pb::CatalogStatus::Draft);
    let votes = rejected.review.unwrap().votes;
    assert_eq!(votes.len(), 2);
    assert_eq!(votes[1].comment, "سرفصل‌ها با نیاز شرکت‌ها همخوان نیست");

    // Among the drafts, the council's: the returned one, not one never sent.
    server.create_course("PR-141").await;
    let drafts = |reviewed: bool| {
        let request = pb::ListCoursesRequest {
            statuses: vec![pb::CatalogStatus::Draft.into()],
            reviewed,
            ..Default::default()
        };
        let (mut client, request) = (server.courses(), server.request(COUNCIL_A, request));
        async move {
            let reply = client.list_courses(request).await.unwrap().into_inner();
            let codes: Vec<String> = reply
                .courses
                .into_iter()
                .map(|c| c.details.unwrap().code)
                .collect();
            codes
        }
    };
    assert_eq!(drafts(true).await, ["PR-140"]);
    assert_eq!(drafts(false).await, ["PR-140", "PR-141"]);

    // Edit, resubmit: round two starts empty; round one stays in the history.
    let mut details = course_details("PR-140");
    details.hours = 16;
    update_course(&server, ADMIN, &course.id, details)
        .await
        .unwrap();
    let resubmitted = submit_course(&server, ADMIN, &course.id).await.unwrap();
    let round_two = resubmitted.review.unwrap();
    assert_eq!((round_two.round, round_two.votes.len()), (2, 0));
    review_course(&server, COUNCIL_A, &course.id, APPROVE, "")
        .await
        .unwrap();

    let history = courses
        .list_course_votes(server.request(
            ADMIN,
            pb::ListCourseVotesRequest {
                course_id: course.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .votes;
    let rounds: Vec<(u32, pb::VoteDecision)> =
        history.iter().map(|v| (v.round, v.decision())).collect();
    assert_eq!(
        rounds,
        [
            (1, pb::VoteDecision::Approve),
            (1, pb::VoteDecision::Reject),
            (2, pb::VoteDecision::Approve)
        ]
    );
    assert!(
        history
            .iter()
            .all(|v| v.vote_time.is_some() && v.voter.is_some())
    );
}

#[tokio::test]
async fn concurrent_approvals_settle_the_round_exactly_once() {
    let server = TestServer::start().await;
    let course = server.create_course("PR-150").await;
    submit_course(&server, ADMIN, &course.id).await.unwrap();
    let votes = [COUNCIL_A, COUNCIL_B].map(|member| {
        let mut client = server.courses();
        let request = server.request(
            member,
            pb::ReviewCourseRequest {
                course_id: course.id.clone(),
                decision: APPROVE.into(),
                comment: String::new(),
            },
        );
        tokio::spawn(async move { client.review_course(request).await })
    });
    for vote in votes {
        vote.await.unwrap().unwrap();
    }
    let course = get_course(&server, ADMIN, &course.id).await.unwrap();
    assert_eq!(
        course.status(),
        pb::CatalogStatus::Approved,
        "two racing approvals must approve"
    );
    assert_eq!(course.review.unwrap().approvals, 2);
}

#[tokio::test]
async fn a_program_publishes_only_when_its_courses_are_published() {
    let server = TestServer::start().await;
    let published = server.published_course("PR-101").await;
    let draft = server.create_course("PR-102").await;
    let mut courses = server.courses();
    let mut details = fixtures::program_details("PRP-1405", &[&published, &draft]);
    details.courses[1].required = false;
    let program = fixtures::create_program(&server, ADMIN, details)
        .await
        .unwrap();
    let order: Vec<&str> = program
        .details
        .as_ref()
        .unwrap()
        .courses
        .iter()
        .map(|c| c.course_id.as_str())
        .collect();
    assert_eq!(order, [published.id.as_str(), draft.id.as_str()]);

    fixtures::approve_program(&server, &program.id).await;
    let status = fixtures::publish_program(&server, ADMIN, &program.id)
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::FailedPrecondition);
    assert!(status.message().contains("PR-102"), "{}", status.message());

    // Trainees do not see the unpublished program.
    let status = courses
        .get_program(server.request(
            TRAINEE,
            pb::GetProgramRequest {
                program_id: program.id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound);
}

#[tokio::test]
async fn prerequisites_must_exist_and_never_form_a_cycle() {
    let server = TestServer::start().await;
    let first = server.create_course("PR-201").await;
    let mut details = course_details("PR-202");
    details.prerequisite_course_ids = vec![first.id.clone()];
    let second = create_course(&server, ADMIN, details).await.unwrap();
    assert_eq!(
        second.details.unwrap().prerequisite_course_ids,
        std::slice::from_ref(&first.id)
    );

    // first <- second; making second a prerequisite of first closes a cycle.
    let mut details = course_details("PR-201");
    details.prerequisite_course_ids = vec![second.id.clone()];
    let status = update_course(&server, ADMIN, &first.id, details)
        .await
        .unwrap_err();
    assert_eq!(
        violated_fields(&status),
        ["details.prerequisite_course_ids"]
    );

    let mut details = course_details("PR-203");
    details.prerequisite_course_ids = vec!["0193a3a0-0000-7000-8000-000000000000".to_owned()];
    let status = create_course(&server, ADMIN, details).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound);
}

#[tokio::test]
async fn admins_set_how_many_approvals_the_council_needs() {
    use hamafza_kit::ApiError;
    let server = TestServer::start().await;
    let get = |who: Who| {
        let server = &server;
        async move {
            server
                .courses()
                .get_council_settings(server.stack.request(who, pb::GetCouncilSettingsRequest {}))
                .await
                .map(|r| r.into_inner().settings.unwrap())
        }
    };
    let set = |who: Who, required: u32, etag: &str| {
        let server = &server;
        let etag = etag.to_owned();
        async move {
            server
                .courses()
                .update_council_settings(server.stack.request(
                    who,
                    pb::UpdateCouncilSettingsRequest {
                        required_approvals: required,
                        etag,
                    },
                ))
                .await
                .map(|r| r.into_inner().settings.unwrap())
        }
    };
    // The configured default until an admin sets it; council members read it.
    let first = get(COUNCIL_A).await.unwrap();
    assert_eq!(first.required_approvals, 2);
    assert!(first.updated_by.is_none());
    assert_eq!(
        get(("t", "msc", &[hamafza_kit::auth::Role::Trainee]))
            .await
            .unwrap_err()
            .code(),
        tonic::Code::PermissionDenied
    );
    assert_eq!(
        set(COUNCIL_A, 1, "").await.unwrap_err().code(),
        tonic::Code::PermissionDenied,
        "only admins change it"
    );
    for bad in [0, 21] {
        let refused = set(ADMIN, bad, "").await.unwrap_err();
        assert_eq!(violated_fields(&refused), ["required_approvals"], "{bad}");
    }
    // One approval is enough from now on.
    let one = set(ADMIN, 1, &first.etag).await.unwrap();
    assert_eq!(one.required_approvals, 1);
    assert_eq!(one.updated_by.unwrap().subject, ADMIN.0);
    let stale = set(ADMIN, 3, &first.etag).await.unwrap_err();
    assert_eq!(stale.code(), tonic::Code::Aborted);
    assert_eq!(ApiError::from_status(&stale).reason(), "ETAG_MISMATCH");
    assert_eq!(
        get(ADMIN).await.unwrap().required_approvals,
        1,
        "nothing of the stale change"
    );

    let course = server.create_course("PR-777").await;
    submit_course(&server.stack, ADMIN, &course.id)
        .await
        .unwrap();
    let approved = review_course(
        &server.stack,
        COUNCIL_A,
        &course.id,
        pb::VoteDecision::Approve,
        "",
    )
    .await
    .unwrap();
    assert_eq!(approved.status(), pb::CatalogStatus::Approved);
    assert_eq!(approved.review.unwrap().required_approvals, 1);
}

/// `who` lists `voter`'s votes (empty: their own), `page_size` a page.
async fn council_votes(
    server: &TestServer,
    who: Who,
    voter: &str,
    page_size: i32,
    page_token: &str,
) -> Result<pb::ListCouncilVotesResponse, tonic::Status> {
    let request = pb::ListCouncilVotesRequest {
        voter_subject: voter.to_owned(),
        page_size,
        page_token: page_token.to_owned(),
    };
    let reply = server
        .courses()
        .list_council_votes(server.request(who, request))
        .await;
    reply.map(tonic::Response::into_inner)
}

/// What a listed vote was on: ("course" | "program", id).
fn voted_on(vote: &pb::MemberVote) -> (&'static str, String) {
    match vote.item.clone().unwrap() {
        pb::member_vote::Item::CourseId(id) => ("course", id),
        pb::member_vote::Item::ProgramId(id) => ("program", id),
    }
}

#[tokio::test]
async fn a_members_votes_are_listed_newest_first_a_page_at_a_time_with_what_they_were_on() {
    let server = TestServer::start().await;
    // The first member approves five courses; the second rejects the last.
    let mut courses = Vec::new();
    for i in 0..5 {
        let course = server.create_course(&format!("PR-16{i}")).await;
        submit_course(&server, ADMIN, &course.id).await.unwrap();
        review_course(&server, COUNCIL_A, &course.id, APPROVE, "")
            .await
            .unwrap();
        courses.push(course);
    }
    let reason = "ساعت‌ها برای این سرفصل‌ها کم است";
    review_course(&server, COUNCIL_B, &courses[4].id, REJECT, reason)
        .await
        .unwrap();
    // Then both approve a program.
    let details = fixtures::program_details("PRP-1406", &[&courses[0]]);
    let program = fixtures::create_program(&server, ADMIN, details)
        .await
        .unwrap();
    fixtures::approve_program(&server, &program.id).await;

    // The first member's own votes, two a page: every one once, newest first.
    let (mut listed, mut token, mut pages) = (Vec::new(), String::new(), 0);
    loop {
        let page = council_votes(&server, COUNCIL_A, "", 2, &token)
            .await
            .unwrap();
        assert!(page.votes.len() <= 2);
        listed.extend(page.votes);
        pages += 1;
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(pages, 3);
    let on: Vec<_> = listed.iter().map(voted_on).collect();
    let mut expected = vec![("program", program.id.clone())];
    expected.extend(courses.iter().rev().map(|c| ("course", c.id.clone())));
    assert_eq!(on, expected);
    assert!(listed.iter().all(|v| {
        let vote = v.vote.as_ref().unwrap();
        vote.decision() == APPROVE
            && vote.round == 1
            && vote.voter.as_ref().unwrap().subject == COUNCIL_A.0
    }));
    // Each with what it was on, as it is now: the rejected course is a draft
    // again after its first round.
    let rejected = &listed[1];
    assert_eq!(
        (
            rejected.code.as_str(),
            rejected.status(),
            rejected.review_round
        ),
        ("PR-164", pb::CatalogStatus::Draft, 1)
    );
    assert!(!rejected.title.as_ref().unwrap().fa.is_empty());
    assert_eq!(
        (listed[0].code.as_str(), listed[0].status()),
        ("PRP-1406", pb::CatalogStatus::Approved)
    );

    // The second member's: the program, then the rejection with its reason.
    let second = council_votes(&server, COUNCIL_B, "", 0, "").await.unwrap();
    let decisions: Vec<_> = second
        .votes
        .iter()
        .map(|v| {
            let vote = v.vote.as_ref().unwrap();
            (voted_on(v), vote.decision(), vote.comment.as_str())
        })
        .collect();
    assert_eq!(
        decisions,
        [
            (("program", program.id.clone()), APPROVE, ""),
            (("course", courses[4].id.clone()), REJECT, reason),
        ]
    );
    assert!(second.next_page_token.is_empty());

    // Programs the council has seen: not a draft never sent to it.
    let unsent = fixtures::program_details("PRP-1407", &[&courses[1]]);
    fixtures::create_program(&server, ADMIN, unsent)
        .await
        .unwrap();
    let request = pb::ListProgramsRequest {
        reviewed: true,
        ..Default::default()
    };
    let seen: Vec<String> = server
        .courses()
        .list_programs(server.request(ADMIN, request))
        .await
        .unwrap()
        .into_inner()
        .programs
        .into_iter()
        .map(|p| p.details.unwrap().code)
        .collect();
    assert_eq!(seen, ["PRP-1406"]);

    // An admin may list any member's; nobody's votes are an empty page.
    let by_admin = council_votes(&server, ADMIN, COUNCIL_A.0, 0, "")
        .await
        .unwrap();
    assert_eq!(by_admin.votes.len(), 6);
    let nobody = council_votes(&server, ADMIN, "no-such-member", 0, "")
        .await
        .unwrap();
    assert!(nobody.votes.is_empty() && nobody.next_page_token.is_empty());

    // Trainees may not; a bad request says which field.
    let status = council_votes(&server, TRAINEE, "", 0, "")
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::PermissionDenied);
    let status = council_votes(&server, COUNCIL_A, "", 0, "not-a-token")
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["page_token"]);
    let status = council_votes(&server, COUNCIL_A, "", -1, "")
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["page_size"]);
    // A page token is good for the voter it was given for only.
    let first = council_votes(&server, COUNCIL_A, "", 2, "").await.unwrap();
    let status = council_votes(&server, COUNCIL_B, "", 2, &first.next_page_token)
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["page_token"]);
    let long = "x".repeat(201);
    let status = council_votes(&server, COUNCIL_A, &long, 0, "")
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["voter_subject"]);
}
