//! The people directory: who sees and writes whom, sign-ins and imports,
//! Persian search, pagination, and racing first sign-ins.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use hamafza_kit::ApiError;
use hamafza_kit::auth::Role;
use hamafza_proto::courses as pb;
use hamafza_proto::courses::person_service_client::PersonServiceClient;
use hamafza_testkit::people::{MANAGER_MSC, SERVICE, TRAINEE_MSC};
use tonic::Code;
use tonic::transport::Channel;

fn people(server: &TestServer) -> PersonServiceClient<Channel> {
    PersonServiceClient::new(server.channel.clone())
}

fn person(subject: &str, fa: &str, organization_id: &str) -> pb::Person {
    pb::Person {
        subject: subject.to_owned(),
        name: Some(text(fa, "")),
        organization_id: organization_id.to_owned(),
        email: format!("{subject}@{organization_id}.example"),
        job_title: "کارشناس روابط عمومی".to_owned(),
        active: true,
        ..Default::default()
    }
}

async fn upsert(
    server: &TestServer,
    who: Who,
    person: pb::Person,
) -> Result<pb::UpsertPersonResponse, tonic::Status> {
    people(server)
        .upsert_person(server.stack.request(
            who,
            pb::UpsertPersonRequest {
                person: Some(person),
            },
        ))
        .await
        .map(tonic::Response::into_inner)
}

async fn get(server: &TestServer, who: Who, subject: &str) -> Result<pb::Person, tonic::Status> {
    people(server)
        .get_person(server.stack.request(
            who,
            pb::GetPersonRequest {
                subject: subject.to_owned(),
            },
        ))
        .await
        .map(|r| r.into_inner().person.unwrap())
}

async fn list(
    server: &TestServer,
    who: Who,
    request: pb::ListPeopleRequest,
) -> Result<pb::ListPeopleResponse, tonic::Status> {
    people(server)
        .list_people(server.stack.request(who, request))
        .await
        .map(tonic::Response::into_inner)
}

fn reason(status: &tonic::Status) -> String {
    ApiError::from_status(status).reason().to_owned()
}

#[tokio::test]
async fn managers_see_and_write_their_own_people_only() {
    let server = TestServer::start().await;
    let created = upsert(&server, ADMIN, person("p-msc-1", "سارا احمدی", "msc"))
        .await
        .unwrap();
    assert!(created.created);
    upsert(&server, ADMIN, person("p-ksc-1", "علی رضایی", "ksc"))
        .await
        .unwrap();

    // The msc manager sees msc's person, not ksc's (as if it did not exist).
    assert_eq!(
        get(&server, MANAGER_MSC, "p-msc-1")
            .await
            .unwrap()
            .organization_id,
        "msc"
    );
    let hidden = get(&server, MANAGER_MSC, "p-ksc-1").await.unwrap_err();
    assert_eq!(hidden.code(), Code::NotFound);
    let listed = list(&server, MANAGER_MSC, pb::ListPeopleRequest::default())
        .await
        .unwrap();
    assert_eq!(
        listed
            .people
            .iter()
            .map(|p| p.subject.as_str())
            .collect::<Vec<_>>(),
        ["p-msc-1"]
    );
    let other = list(
        &server,
        MANAGER_MSC,
        pb::ListPeopleRequest {
            organization_id: "ksc".to_owned(),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(other.code(), Code::PermissionDenied);

    // A trainee sees themself, lists nobody.
    let me = ("p-msc-1", "msc", &[Role::Trainee][..]);
    assert_eq!(
        get(&server, me, "p-msc-1").await.unwrap().subject,
        "p-msc-1"
    );
    assert_eq!(
        list(&server, TRAINEE_MSC, pb::ListPeopleRequest::default())
            .await
            .unwrap_err()
            .code(),
        Code::PermissionDenied
    );
    assert_eq!(
        upsert(&server, TRAINEE_MSC, person("x", "x", "msc"))
            .await
            .unwrap_err()
            .code(),
        Code::PermissionDenied
    );

    // The msc manager cannot claim ksc's person, nor add one to ksc.
    let claimed = upsert(&server, MANAGER_MSC, person("p-ksc-1", "علی رضایی", "msc"))
        .await
        .unwrap_err();
    assert_eq!(claimed.code(), Code::FailedPrecondition);
    assert_eq!(reason(&claimed), "PERSON_IN_OTHER_ORGANIZATION");
    assert_eq!(
        get(&server, ADMIN, "p-ksc-1")
            .await
            .unwrap()
            .organization_id,
        "ksc",
        "nothing of the refused write is stored"
    );
    let elsewhere = upsert(&server, MANAGER_MSC, person("p-new", "نیما", "ksc"))
        .await
        .unwrap_err();
    assert_eq!(elsewhere.code(), Code::PermissionDenied);

    // With no organization, a manager's own is meant.
    let mut own = person("p-msc-2", "رضا محمدی", "msc");
    own.organization_id.clear();
    let added = upsert(&server, MANAGER_MSC, own).await.unwrap();
    assert_eq!(added.person.unwrap().organization_id, "msc");

    // The holding puts p-msc-2 on the council; their manager sets the roles
    // a manager gives, and the council seat stays.
    let mut council = person("p-msc-2", "رضا محمدی", "msc");
    council.roles = vec!["council".to_owned(), "trainee".to_owned()];
    upsert(&server, ADMIN, council).await.unwrap();
    let mut by_manager = person("p-msc-2", "رضا محمدی", "msc");
    by_manager.roles = vec!["instructor".to_owned()];
    let written = upsert(&server, MANAGER_MSC, by_manager).await.unwrap();
    assert_eq!(written.person.unwrap().roles, ["council", "instructor"]);
    let mut refused = person("p-msc-2", "رضا محمدی", "msc");
    refused.roles = vec!["platform_admin".to_owned()];
    let refused = upsert(&server, MANAGER_MSC, refused).await.unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    let stored = get(&server, ADMIN, "p-msc-2").await.unwrap();
    assert_eq!(stored.roles, ["council", "instructor"]);
    // The admin replaces them all.
    let mut by_admin = person("p-msc-2", "رضا محمدی", "msc");
    by_admin.roles = vec!["trainee".to_owned()];
    let written = upsert(&server, ADMIN, by_admin).await.unwrap();
    assert_eq!(written.person.unwrap().roles, ["trainee"]);

    // A platform admin moves a person between companies.
    let moved = upsert(&server, ADMIN, person("p-ksc-1", "علی رضایی", "msc"))
        .await
        .unwrap();
    assert_eq!(moved.person.unwrap().organization_id, "msc");
}

#[tokio::test]
async fn a_sign_in_takes_the_claims_and_keeps_what_the_directory_knows() {
    let server = TestServer::start().await;
    let mut entered = person("p-1", "سارا احمدی", "msc");
    entered.job_title = "مدیر روابط عمومی".to_owned();
    entered.active = false;
    upsert(&server, ADMIN, entered).await.unwrap();

    let signed_in = pb::Person {
        subject: "p-1".to_owned(),
        name: Some(text("", "Sara Ahmadi")),
        organization_id: "ksc".to_owned(),
        email: "Sara@KSC.example".to_owned(),
        ..Default::default()
    };
    let answer = upsert(&server, SERVICE, signed_in).await.unwrap();
    assert!(!answer.created);
    let stored = answer.person.unwrap();
    assert_eq!(stored.name, Some(text("سارا احمدی", "Sara Ahmadi")));
    assert_eq!(
        stored.organization_id, "ksc",
        "the identity provider decides"
    );
    assert_eq!(stored.email, "sara@ksc.example");
    assert_eq!(stored.job_title, "مدیر روابط عمومی", "kept");
    assert!(!stored.active, "a sign-in does not reactivate");
    assert_eq!(stored.source(), pb::PersonSource::SignIn);
    assert!(stored.last_sign_in_time.is_some());

    // A first sign-in creates an active person.
    let first = upsert(
        &server,
        SERVICE,
        pb::Person {
            subject: "p-2".to_owned(),
            name: Some(text("نیما", "")),
            organization_id: "gegh".to_owned(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(first.created);
    assert!(first.person.unwrap().active);
}

/// The subjects a listing of everyone changed since `since` holds, sorted.
async fn changed_since(server: &TestServer, since: &prost_types::Timestamp) -> Vec<String> {
    let listed = list(
        server,
        ADMIN,
        pb::ListPeopleRequest {
            updated_since: Some(*since),
            include_inactive: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let mut subjects: Vec<String> = listed.people.into_iter().map(|p| p.subject).collect();
    subjects.sort();
    subjects
}

#[tokio::test]
async fn the_directory_lists_what_changed_since_a_time_for_those_who_follow_it() {
    let server = TestServer::start().await;
    upsert(&server, ADMIN, person("p-1", "سارا", "msc"))
        .await
        .unwrap();
    upsert(&server, ADMIN, person("p-2", "نیما", "msc"))
        .await
        .unwrap();
    let mark = hamafza_kit::time::to_timestamp(hamafza_kit::time::now());
    assert_eq!(changed_since(&server, &mark).await, Vec::<String>::new());

    // An edit, a person leaving and a new person all count; writing a person
    // as they already are does not.
    let mut left = person("p-2", "نیما", "msc");
    left.active = false;
    upsert(&server, ADMIN, left).await.unwrap();
    upsert(&server, ADMIN, person("p-3", "رضا", "ksc"))
        .await
        .unwrap();
    upsert(&server, ADMIN, person("p-1", "سارا", "msc"))
        .await
        .unwrap();
    assert_eq!(changed_since(&server, &mark).await, ["p-2", "p-3"]);

    // A sign-in that moves someone to another company (the identity
    // provider decides) is a change too; one that changes nothing is not.
    let mark = hamafza_kit::time::to_timestamp(hamafza_kit::time::now());
    let signed_in = |organization_id: &str| pb::Person {
        subject: "p-1".to_owned(),
        name: Some(text("سارا", "")),
        organization_id: organization_id.to_owned(),
        ..Default::default()
    };
    upsert(&server, SERVICE, signed_in("msc")).await.unwrap();
    assert_eq!(changed_since(&server, &mark).await, Vec::<String>::new());
    upsert(&server, SERVICE, signed_in("ksc")).await.unwrap();
    assert_eq!(changed_since(&server, &mark).await, ["p-1"]);

    let bad = list(
        &server,
        ADMIN,
        pb::ListPeopleRequest {
            updated_since: Some(prost_types::Timestamp {
                seconds: 0,
                nanos: -1,
            }),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&bad), ["updated_since"]);
}

#[tokio::test]
async fn the_directory_lists_people_by_subject_for_a_service_reading_many_at_once() {
    let server = TestServer::start().await;
    upsert(&server, ADMIN, person("p-1", "سارا", "msc"))
        .await
        .unwrap();
    let mut left = person("p-2", "نیما", "ksc");
    left.active = false;
    upsert(&server, ADMIN, left).await.unwrap();
    upsert(&server, ADMIN, person("p-3", "رضا", "msc"))
        .await
        .unwrap();
    let by_subject = |subjects: &[&str]| pb::ListPeopleRequest {
        subjects: subjects.iter().map(|s| (*s).to_owned()).collect(),
        include_inactive: true,
        ..Default::default()
    };

    // Those named, of any company, the one who left too; an unknown name
    // is simply absent.
    let listed = list(&server, SERVICE, by_subject(&["p-2", "p-1", "nobody"]))
        .await
        .unwrap();
    let mut subjects: Vec<String> = listed.people.into_iter().map(|p| p.subject).collect();
    subjects.sort();
    assert_eq!(subjects, ["p-1", "p-2"]);

    // A manager still sees their own company only.
    let listed = list(&server, MANAGER_MSC, by_subject(&["p-1", "p-2", "p-3"]))
        .await
        .unwrap();
    let mut subjects: Vec<String> = listed.people.into_iter().map(|p| p.subject).collect();
    subjects.sort();
    assert_eq!(subjects, ["p-1", "p-3"]);

    // At most 200 names, none of them empty.
    let many: Vec<String> = (0..201).map(|i| format!("p-{i}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let refused = list(&server, SERVICE, by_subject(&many)).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&refused), ["subjects"]);
    let refused = list(&server, SERVICE, by_subject(&["p-1", " "]))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&refused), ["subjects[1]"]);
}

#[tokio::test]
async fn bad_people_are_refused_field_by_field() {
    let server = TestServer::start().await;
    let bad = pb::Person {
        subject: String::new(),
        name: Some(text("", "")),
        organization_id: "Not An Id".to_owned(),
        email: "not-an-email".to_owned(),
        job_title: "a\nb".to_owned(),
        ..Default::default()
    };
    let refused = upsert(&server, ADMIN, bad).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    let mut fields = violated_fields(&refused);
    fields.sort();
    assert_eq!(
        fields,
        [
            "person.email",
            "person.job_title",
            "person.name",
            "person.organization_id",
            "person.subject"
        ]
    );
    let unknown = upsert(&server, ADMIN, person("p-1", "نیما", "nowhere"))
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::FailedPrecondition);
    assert_eq!(reason(&unknown), "UNKNOWN_ORGANIZATION");
    let missing = people(&server)
        .upsert_person(
            server
                .stack
                .request(ADMIN, pb::UpsertPersonRequest::default()),
        )
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&missing), ["person"]);
}

#[tokio::test]
async fn an_import_answers_row_by_row_and_a_bad_row_stops_nothing() {
    let server = TestServer::start().await;
    upsert(&server, ADMIN, person("ksc-9", "محمد قاسمی", "ksc"))
        .await
        .unwrap();
    let mut bad_email = person("msc-3", "فاطمه کریمی", "msc");
    bad_email.email = "fatemeh at msc".to_owned();
    let rows = vec![
        person("msc-1", "رضا محمدی", "msc"),
        person("msc-2", "امیر یوسفی", "msc"),
        bad_email,
        person("ksc-9", "محمد قاسمی", "msc"),
        person("msc-4", "مریم صادقی", "msc"),
    ];
    let import = |rows: Vec<pb::Person>| {
        let server = &server;
        async move {
            people(server)
                .import_people(
                    server
                        .stack
                        .request(MANAGER_MSC, pb::ImportPeopleRequest { people: rows }),
                )
                .await
                .unwrap()
                .into_inner()
                .results
        }
    };
    let results = import(rows.clone()).await;
    let outcomes: Vec<_> = results.iter().map(|r| r.outcome()).collect();
    use pb::ImportOutcome::*;
    assert_eq!(outcomes, [Created, Created, Error, Error, Created]);
    assert_eq!(results[2].row_number, 3);
    assert_eq!(results[2].field, "email");
    assert_eq!(results[2].reason, "INVALID_ARGUMENT");
    assert_eq!(results[3].reason, "PERSON_IN_OTHER_ORGANIZATION");
    assert_eq!(results[3].subject, "ksc-9");

    // Again: nothing changes, the same rows are refused.
    let again: Vec<_> = import(rows).await.iter().map(|r| r.outcome()).collect();
    assert_eq!(again, [Unchanged, Unchanged, Error, Error, Unchanged]);

    let empty = people(&server)
        .import_people(
            server
                .stack
                .request(MANAGER_MSC, pb::ImportPeopleRequest::default()),
        )
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&empty), ["people"]);
    let too_many = people(&server)
        .import_people(server.stack.request(
            ADMIN,
            pb::ImportPeopleRequest {
                people: vec![person("x", "x", "msc"); 2_001],
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&too_many), ["people"]);
}

#[tokio::test]
async fn search_finds_persian_text_however_it_was_typed_and_pages_through() {
    let server = TestServer::start().await;
    let mut fatemeh = person("msc-karimi", "فاطمه کریمی", "msc");
    fatemeh.job_title = "کارشناس شبکه‌های اجتماعی".to_owned();
    upsert(&server, ADMIN, fatemeh).await.unwrap();
    for n in 0..7 {
        upsert(
            &server,
            ADMIN,
            person(&format!("msc-{n:02}"), "کارمند", "msc"),
        )
        .await
        .unwrap();
    }
    let search = |text: &str| {
        let server = &server;
        let text = text.to_owned();
        async move {
            list(
                server,
                ADMIN,
                pb::ListPeopleRequest {
                    text,
                    ..Default::default()
                },
            )
            .await
            .unwrap()
            .people
            .into_iter()
            .map(|p| p.subject)
            .collect::<Vec<_>>()
        }
    };
    // Arabic-keyboard letters, no ZWNJ, a space instead of it, digits.
    assert_eq!(search("فاطمه كريمي").await, ["msc-karimi"]);
    assert_eq!(search("شبکه های").await, ["msc-karimi"]);
    assert_eq!(search("شبکههای").await, ["msc-karimi"]);
    assert_eq!(search("MSC-KARIMI").await, ["msc-karimi"]);
    assert_eq!(search("msc-۰۳").await, ["msc-03"]);
    assert!(search("100% _").await.is_empty());

    // Pages of three, no one twice, no one missed.
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = list(
            &server,
            ADMIN,
            pb::ListPeopleRequest {
                page_size: 3,
                page_token: token,
                organization_id: "msc".to_owned(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        seen.extend(page.people.into_iter().map(|p| p.subject));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    let mut expected: Vec<String> = (0..7).map(|n| format!("msc-{n:02}")).collect();
    expected.push("msc-karimi".to_owned());
    assert_eq!(seen, expected);

    // Inactive people are listed only when asked for.
    let mut gone = person("msc-00", "کارمند", "msc");
    gone.active = false;
    upsert(&server, ADMIN, gone).await.unwrap();
    let active = list(
        &server,
        ADMIN,
        pb::ListPeopleRequest {
            organization_id: "msc".to_owned(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(active.people.len(), 7);
    let all = list(
        &server,
        ADMIN,
        pb::ListPeopleRequest {
            organization_id: "msc".to_owned(),
            include_inactive: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(all.people.len(), 8);
}

#[tokio::test]
async fn racing_first_sign_ins_of_one_person_make_one_record() {
    let server = TestServer::start().await;
    let calls = (0..12).map(|n| {
        let server = &server;
        async move {
            upsert(
                server,
                SERVICE,
                pb::Person {
                    subject: "newcomer".to_owned(),
                    name: Some(text(&format!("نام {n}"), "")),
                    organization_id: "msc".to_owned(),
                    ..Default::default()
                },
            )
            .await
        }
    });
    let answers = futures::future::join_all(calls).await;
    let created = answers
        .iter()
        .map(|answer| answer.as_ref().unwrap())
        .filter(|answer| answer.created)
        .count();
    assert_eq!(created, 1);
    let all = list(&server, ADMIN, pb::ListPeopleRequest::default())
        .await
        .unwrap();
    assert_eq!(all.people.len(), 1);
}
