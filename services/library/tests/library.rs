//! The library end to end over real sockets: courses (membership) and the
//! library service with a fresh database, files in a real directory or a
//! real S3 server (s3s-fs, started here), read back byte for byte.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use hamafza_kit::auth::Role;
use hamafza_library::files::tiny_pdf;
use hamafza_proto::library as pb;
use hamafza_proto::library::library_service_client::LibraryServiceClient;
use hamafza_proto::library::{ItemKind, ItemState, Tag};
use hamafza_testkit::people::{
    ADMIN, COUNCIL_B, MANAGER_KSC, MANAGER_MSC, TRAINEE_KSC, TRAINEE_MSC, TRAINEE_MSC_2,
};
use hamafza_testkit::{
    Svc, TestStack, Who, eventually, free_addr, temp_dir, text, violated_fields,
};
use tonic::transport::Channel;
use tonic_types::StatusExt;

/// Someone of a company that is not a member of the program.
const STRANGER: Who = ("stranger-1", "acme", &[Role::Trainee]);

type Client = LibraryServiceClient<Channel>;

async fn stack(
    configure: impl FnOnce(&mut hamafza_kit::config::Config) + Send + 'static,
) -> TestStack {
    TestStack::builder()
        .with(Svc::Courses)
        .with(Svc::Library)
        .configure(configure)
        .start()
        .await
}

fn draft(title_fa: &str) -> pb::ItemDraft {
    pb::ItemDraft {
        kind: ItemKind::CaseStudy as i32,
        title: Some(text(title_fa, "Crisis communication at the port")),
        summary: Some(text(
            "چگونه در سه روز اعتماد رسانه‌ها را بازگرداندیم",
            "How we won the press back in three days",
        )),
        tags: vec![Tag::Crisis as i32, Tag::MediaRelations as i32],
        ..Default::default()
    }
}

async fn create(stack: &TestStack, who: Who, title_fa: &str) -> pb::Item {
    Client::new(stack.channel(Svc::Library))
        .create_item(stack.request(
            who,
            pb::CreateItemRequest {
                request_id: String::new(),
                draft: Some(draft(title_fa)),
            },
        ))
        .await
        .expect("create a draft")
        .into_inner()
        .item
        .unwrap()
}

async fn attach(
    stack: &TestStack,
    who: Who,
    item: &str,
    name: &str,
    content: Vec<u8>,
) -> Result<pb::ItemFile, tonic::Status> {
    Client::new(stack.channel(Svc::Library))
        .attach_file(stack.request(
            who,
            pb::AttachFileRequest {
                item_id: item.to_owned(),
                name: name.to_owned(),
                content,
            },
        ))
        .await
        .map(|reply| reply.into_inner().file.unwrap())
}

async fn download(
    stack: &TestStack,
    who: Who,
    item: &str,
    file: &str,
) -> Result<(pb::ItemFile, Vec<u8>), tonic::Status> {
    let mut stream = Client::new(stack.channel(Svc::Library))
        .download_file(stack.request(
            who,
            pb::DownloadFileRequest {
                item_id: item.to_owned(),
                file_id: file.to_owned(),
            },
        ))
        .await?
        .into_inner();
    let mut facts = None;
    let mut bytes = Vec::new();
    while let Some(message) = stream.message().await? {
        if let Some(file) = message.file {
            facts = Some(file);
        }
        bytes.extend_from_slice(&message.chunk);
    }
    Ok((facts.expect("the first message names the file"), bytes))
}

async fn list(stack: &TestStack, who: Who, request: pb::ListItemsRequest) -> Vec<pb::Item> {
    Client::new(stack.channel(Svc::Library))
        .list_items(stack.request(who, request))
        .await
        .expect("list items")
        .into_inner()
        .items
}

async fn get(stack: &TestStack, who: Who, item: &str) -> Result<pb::Item, tonic::Status> {
    Client::new(stack.channel(Svc::Library))
        .get_item(stack.request(
            who,
            pb::GetItemRequest {
                item_id: item.to_owned(),
            },
        ))
        .await
        .map(|reply| reply.into_inner().item.unwrap())
}

async fn stats(stack: &TestStack) -> Vec<pb::CompanyLibraryStats> {
    Client::new(stack.channel(Svc::Library))
        .get_library_stats(stack.request(ADMIN, pb::GetLibraryStatsRequest {}))
        .await
        .unwrap()
        .into_inner()
        .companies
}

/// A case study with its PDF, from one company's draft to another company's
/// download, and who may not see it on the way.
async fn case_study_journey(stack: &TestStack) {
    let mut library = Client::new(stack.channel(Svc::Library));
    // Typed on a Persian keyboard: «ی» and «ک», with a ZWNJ.
    let item = create(stack, TRAINEE_MSC, "ارتباطات بحران در بندر؛ یک تجربهٔ کاری").await;
    assert_eq!(item.state(), ItemState::Draft);
    assert_eq!(item.organization_id, "msc");
    assert!(item.editable);
    let pdf = tiny_pdf("Hamafza case study");
    let file = attach(
        stack,
        TRAINEE_MSC,
        &item.id,
        "../../گزارش بحران.pdf",
        pdf.clone(),
    )
    .await
    .expect("a PDF is attached");
    assert_eq!(file.name, "گزارش بحران.pdf");
    assert_eq!(file.content_type, "application/pdf");
    assert_eq!(file.size_bytes, pdf.len() as i64);

    // A draft stays in its company: another company's people do not find
    // it, nor can they fetch it or its file; a colleague can read, not edit.
    assert!(
        list(stack, TRAINEE_KSC, Default::default())
            .await
            .is_empty()
    );
    assert_eq!(
        get(stack, TRAINEE_KSC, &item.id).await.unwrap_err().code(),
        tonic::Code::NotFound
    );
    assert_eq!(
        get(stack, COUNCIL_B, &item.id).await.unwrap_err().code(),
        tonic::Code::NotFound
    );
    assert_eq!(
        download(stack, MANAGER_KSC, &item.id, &file.id)
            .await
            .unwrap_err()
            .code(),
        tonic::Code::NotFound
    );
    let seen = get(stack, TRAINEE_MSC_2, &item.id).await.unwrap();
    assert!(
        !seen.editable,
        "a colleague who is not the author or manager"
    );
    let refused = library
        .submit_item(stack.request(
            TRAINEE_MSC_2,
            pb::SubmitItemRequest {
                item_id: item.id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::PermissionDenied);
    // The company's manager edits the author's draft.
    let mut edited = draft("ارتباطات بحران در بندر؛ یک تجربهٔ کاری");
    edited.tags = vec![Tag::Crisis as i32];
    let updated = library
        .update_item(stack.request(
            MANAGER_MSC,
            pb::UpdateItemRequest {
                item_id: item.id.clone(),
                draft: Some(edited),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .item
        .unwrap();
    assert_eq!(updated.tags, vec![Tag::Crisis as i32]);

    // Only a council member or an admin decides, only on a submitted item.
    let early = library
        .approve_item(stack.request(
            ADMIN,
            pb::ApproveItemRequest {
                item_id: item.id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        early.code(),
        tonic::Code::NotFound,
        "an admin does not see another company's draft"
    );
    library
        .submit_item(stack.request(
            TRAINEE_MSC,
            pb::SubmitItemRequest {
                item_id: item.id.clone(),
            },
        ))
        .await
        .unwrap();
    let queue = list(
        stack,
        COUNCIL_B,
        pb::ListItemsRequest {
            state: ItemState::Submitted as i32,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(queue.len(), 1);
    let not_council = library
        .approve_item(stack.request(
            MANAGER_KSC,
            pb::ApproveItemRequest {
                item_id: item.id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(not_council.code(), tonic::Code::PermissionDenied);
    let returned = library
        .return_item(stack.request(
            COUNCIL_B,
            pb::ReturnItemRequest {
                item_id: item.id.clone(),
                reason: "  ".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&returned), ["reason"]);
    let approved = library
        .approve_item(stack.request(
            COUNCIL_B,
            pb::ApproveItemRequest {
                item_id: item.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .item
        .unwrap();
    assert_eq!(approved.state(), ItemState::Approved);
    assert!(!approved.editable);

    // Found with an Arabic keyboard's «ي» and «ك» and no ZWNJ.
    let found = list(
        stack,
        TRAINEE_KSC,
        pb::ListItemsRequest {
            text: "تجربه كاري".into(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        found.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
        [item.id.as_str()]
    );
    let by_tag = list(
        stack,
        TRAINEE_KSC,
        pb::ListItemsRequest {
            tag: Tag::Crisis as i32,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(by_tag.len(), 1);
    let other_tag = list(
        stack,
        TRAINEE_KSC,
        pb::ListItemsRequest {
            tag: Tag::Digital as i32,
            ..Default::default()
        },
    )
    .await;
    assert!(other_tag.is_empty());
    let nothing = list(
        stack,
        TRAINEE_KSC,
        pb::ListItemsRequest {
            text: "نمایشگاه کیش".into(),
            ..Default::default()
        },
    )
    .await;
    assert!(nothing.is_empty());

    // Downloaded by another company's trainee, byte for byte, and counted
    // for that company.
    let (facts, bytes) = download(stack, TRAINEE_KSC, &item.id, &file.id)
        .await
        .unwrap();
    assert_eq!(bytes, pdf);
    assert_eq!(facts.content_type, "application/pdf");
    let figures = stats(stack).await;
    let ksc = figures
        .iter()
        .find(|row| row.organization_id == "ksc")
        .expect("ksc downloaded");
    assert_eq!(ksc.downloads, 1);
    assert_eq!(ksc.items_published, 0);
    let msc = figures
        .iter()
        .find(|row| row.organization_id == "msc")
        .expect("msc published");
    assert_eq!((msc.items_published, msc.downloads), (1, 0));
    let seen = get(stack, TRAINEE_KSC, &item.id).await.unwrap();
    assert_eq!(seen.files[0].download_count, 1);

    // Someone whose company is not a member sees nothing, even approved.
    let stranger = download(stack, STRANGER, &item.id, &file.id)
        .await
        .unwrap_err();
    assert_eq!(stranger.code(), tonic::Code::PermissionDenied);
    assert_eq!(
        stranger.get_error_details().error_info().unwrap().reason,
        "NOT_A_MEMBER"
    );
    let unsigned = library
        .download_file(pb::DownloadFileRequest {
            item_id: item.id.clone(),
            file_id: file.id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(unsigned.code(), tonic::Code::Unauthenticated);
    assert_eq!(
        stats(stack)
            .await
            .iter()
            .find(|r| r.organization_id == "ksc")
            .unwrap()
            .downloads,
        1
    );
}

#[tokio::test]
async fn a_case_study_goes_from_one_company_to_another() {
    let stack = stack(|_| {}).await;
    case_study_journey(&stack).await;
}

#[tokio::test]
async fn a_double_click_makes_one_draft_with_one_file() {
    let stack = stack(|_| {}).await;
    let make = |request_id: &str| {
        let mut client = Client::new(stack.channel(Svc::Library));
        let request = stack.request(
            MANAGER_KSC,
            pb::CreateItemRequest {
                request_id: request_id.to_owned(),
                draft: Some(draft("یک بار")),
            },
        );
        async move { client.create_item(request).await }
    };
    let (first, second) = tokio::join!(make("draft-once"), make("draft-once"));
    let first = first.unwrap().into_inner().item.unwrap();
    let second = second.unwrap().into_inner().item.unwrap();
    assert_eq!(first.id, second.id);
    let pdf = tiny_pdf("once");
    let (one, two) = tokio::join!(
        attach(&stack, MANAGER_KSC, &first.id, "once.pdf", pdf.clone()),
        attach(&stack, MANAGER_KSC, &first.id, "once.pdf", pdf.clone())
    );
    assert_eq!(one.unwrap().id, two.unwrap().id);
    // The repeat answers the draft as it is now, its file with it.
    let again = make("draft-once").await.unwrap().into_inner().item.unwrap();
    assert_eq!(again.id, first.id);
    assert_eq!(again.files.len(), 1, "{again:?}");
    let mine = list(
        &stack,
        MANAGER_KSC,
        pb::ListItemsRequest {
            ..Default::default()
        },
    )
    .await;
    assert_eq!(
        mine.iter().filter(|item| item.id == first.id).count(),
        1,
        "{mine:?}"
    );
    assert_eq!(mine.len(), 1, "{mine:?}");
    // Other bytes are another file; the same id with another draft is refused.
    let other = attach(&stack, MANAGER_KSC, &first.id, "two.pdf", tiny_pdf("two"));
    assert_ne!(other.await.unwrap().id, again.files[0].id);
    let mut client = Client::new(stack.channel(Svc::Library));
    let reused = client
        .create_item(stack.request(
            MANAGER_KSC,
            pb::CreateItemRequest {
                request_id: "draft-once".to_owned(),
                draft: Some(draft("دیگری")),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        reused.get_error_details().error_info().unwrap().reason,
        "REQUEST_ID_REUSED"
    );
}

#[tokio::test]
async fn the_list_pages_newest_first_and_an_item_added_meanwhile_moves_nothing() {
    let stack = stack(|_| {}).await;
    let mut made = Vec::new();
    for n in 0..5 {
        made.push(create(&stack, MANAGER_MSC, &format!("گزارش {n}")).await.id);
    }
    made.reverse();
    let page = |token: String| {
        let request = pb::ListItemsRequest {
            page_size: 2,
            page_token: token,
            ..Default::default()
        };
        let mut client = Client::new(stack.channel(Svc::Library));
        let request = stack.request(MANAGER_MSC, request);
        async move { client.list_items(request).await.map(|r| r.into_inner()) }
    };
    let first = page(String::new()).await.unwrap();
    let mut seen: Vec<String> = first.items.into_iter().map(|i| i.id).collect();
    // A new item goes on top; the pages already begun go on where they were.
    let newer = create(&stack, MANAGER_MSC, "گزارش تازه").await.id;
    let mut token = first.next_page_token;
    while !token.is_empty() {
        let next = page(token).await.unwrap();
        seen.extend(next.items.into_iter().map(|i| i.id));
        token = next.next_page_token;
    }
    assert_eq!(seen, made, "each once, newest first");
    assert_eq!(page(String::new()).await.unwrap().items[0].id, newer);

    for token in ["9223372036854775808", "2", "not a token"] {
        let status = page(token.to_owned()).await.unwrap_err();
        assert_eq!(violated_fields(&status), ["page_token"], "{token}");
    }
}

#[tokio::test]
async fn an_edit_made_meanwhile_is_never_written_over() {
    let stack = stack(|_| {}).await;
    let item = create(&stack, MANAGER_MSC, "نسخه اول").await;
    let mut client = Client::new(stack.channel(Svc::Library));
    let edit = |title: &str| pb::UpdateItemRequest {
        item_id: item.id.clone(),
        draft: Some(draft(title)),
    };
    // Two edits one after the other both land, each on what the other left.
    for title in ["نسخه دوم", "نسخه سوم"] {
        client
            .update_item(stack.request(MANAGER_MSC, edit(title)))
            .await
            .unwrap();
    }
    let stored = get(&stack, MANAGER_MSC, &item.id).await.unwrap();
    assert_eq!(stored.title.unwrap().fa, "نسخه سوم");
    // A write from a read made before someone else's edit (a manager's
    // submission read while the author still typed) is refused, and the
    // author's edit stays.
    let store = hamafza_library::Store::new(
        sea_orm::Database::connect(&stack.database(Svc::Library).url)
            .await
            .unwrap(),
    );
    let id = item.id.parse().unwrap();
    let read_before = store.item(id).await.unwrap().unwrap();
    client
        .update_item(stack.request(MANAGER_MSC, edit("نسخه چهارم")))
        .await
        .unwrap();
    let mut stale = read_before.clone();
    stale.state = "submitted".to_owned();
    let saved = store
        .save_item(stale, &["draft", "returned"], read_before.updated_at)
        .await
        .unwrap();
    assert!(!saved, "a write over a change it did not read");
    let stored = get(&stack, MANAGER_MSC, &item.id).await.unwrap();
    assert_eq!(
        (stored.title.as_ref().unwrap().fa.as_str(), stored.state()),
        ("نسخه چهارم", ItemState::Draft)
    );
    // From a fresh read it lands.
    let fresh = store.item(id).await.unwrap().unwrap();
    let saved = store
        .save_item(fresh.clone(), &["draft", "returned"], fresh.updated_at)
        .await
        .unwrap();
    assert!(saved);
}

#[tokio::test]
async fn files_are_judged_by_their_bytes_and_their_size() {
    let stack = stack(|config| config.library_store.max_file_bytes = 64 * 1024).await;
    let item = create(&stack, MANAGER_KSC, "کیت رسانه‌ای").await;

    // A script named .pdf is still a script.
    let script = attach(
        &stack,
        MANAGER_KSC,
        &item.id,
        "report.pdf",
        b"#!/bin/sh\necho hi\n".to_vec(),
    )
    .await
    .unwrap_err();
    assert_eq!(violated_fields(&script), ["content"]);
    assert_eq!(
        script.get_error_details().error_info().unwrap().reason,
        "FILE_TYPE_NOT_ALLOWED"
    );
    let program = attach(
        &stack,
        MANAGER_KSC,
        &item.id,
        "slides.pptx",
        b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff".to_vec(),
    )
    .await
    .unwrap_err();
    assert_eq!(violated_fields(&program), ["content"]);
    let empty = attach(&stack, MANAGER_KSC, &item.id, "x.pdf", Vec::new())
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&empty), ["content"]);

    // Over the limit, even a real PDF.
    let mut big = tiny_pdf("big");
    big.resize(64 * 1024 + 1, b' ');
    let large = attach(&stack, MANAGER_KSC, &item.id, "big.pdf", big)
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&large), ["content"]);
    assert_eq!(
        large.get_error_details().error_info().unwrap().reason,
        "FILE_TOO_LARGE"
    );

    // A PNG named .pdf keeps its bytes' type and gains its extension.
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0".to_vec();
    let kept = attach(&stack, MANAGER_KSC, &item.id, "photo.pdf", png)
        .await
        .unwrap();
    assert_eq!(kept.content_type, "image/png");
    assert_eq!(kept.name, "photo.pdf.png");
    let item = get(&stack, MANAGER_KSC, &item.id).await.unwrap();
    assert_eq!(item.files.len(), 1, "refused files leave nothing behind");

    // A bad draft names every bad field.
    let bad = Client::new(stack.channel(Svc::Library))
        .create_item(stack.request(
            MANAGER_KSC,
            pb::CreateItemRequest {
                request_id: String::new(),
                draft: Some(pb::ItemDraft {
                    tags: vec![Tag::Crisis as i32, Tag::Crisis as i32, 99],
                    course_id: "not-an-id".into(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap_err();
    let mut fields = violated_fields(&bad);
    fields.sort();
    assert_eq!(
        fields,
        [
            "draft.course_id",
            "draft.kind",
            "draft.summary.fa",
            "draft.tags[1]",
            "draft.tags[2]",
            "draft.title.fa"
        ]
    );
}

/// A real S3 server over a directory: s3s-fs, from crates.io.
struct S3Server {
    child: Child,
    root: PathBuf,
    addr: SocketAddr,
}

impl S3Server {
    const BUCKET: &str = "hamafza-library";
    const KEY: &str = "hamafza-test";
    const SECRET: &str = "hamafza-test-secret";

    /// The server, or `None` when s3s-fs is not installed (and
    /// `HAMAFZA_REQUIRE_S3` is unset).
    async fn start() -> Option<Self> {
        let root = temp_dir("s3s-fs");
        std::fs::create_dir_all(root.join(Self::BUCKET)).unwrap();
        let addr = free_addr();
        let spawned = Command::new("s3s-fs")
            .args([
                "--host",
                &addr.ip().to_string(),
                "--port",
                &addr.port().to_string(),
            ])
            .args(["--access-key", Self::KEY, "--secret-key", Self::SECRET])
            .arg(&root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let child = match spawned {
            Ok(child) => child,
            Err(error) => {
                if std::env::var_os("HAMAFZA_REQUIRE_S3").is_some() {
                    panic!(
                        "s3s-fs is required (cargo install --locked s3s-fs --features binary): {error}"
                    );
                }
                eprintln!(
                    "SKIPPED: s3s-fs is not installed ({error}); cargo install --locked s3s-fs@0.14.1 --features binary"
                );
                return None;
            }
        };
        eventually(Duration::from_secs(20), || async {
            tokio::net::TcpStream::connect(addr).await.is_ok()
        })
        .await;
        Some(Self { child, root, addr })
    }

    fn objects(&self) -> Vec<PathBuf> {
        fn walk(dir: &Path, found: &mut Vec<PathBuf>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, found);
                } else {
                    found.push(path);
                }
            }
        }
        let mut found = Vec::new();
        walk(&self.root.join(Self::BUCKET).join("items"), &mut found);
        found
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn files_live_in_a_real_s3_server() {
    let Some(s3) = S3Server::start().await else {
        return;
    };
    let endpoint = format!("http://{}", s3.addr);
    let stack = stack(move |config| {
        config.library_store.url = Some(format!("s3://{}", S3Server::BUCKET));
        config.library_store.endpoint = Some(endpoint);
        config.library_store.access_key_id = Some(S3Server::KEY.into());
        config.library_store.secret_access_key = Some(S3Server::SECRET.into());
    })
    .await;
    case_study_journey(&stack).await;
    // The bytes are in the S3 server's bucket, not on the service's disk.
    let objects = s3.objects();
    assert_eq!(objects.len(), 1, "{objects:?}");
    assert_eq!(
        std::fs::read(&objects[0]).unwrap(),
        tiny_pdf("Hamafza case study")
    );
}

#[tokio::test]
async fn request_ids_past_their_time_are_purged() {
    let gone = hamafza_kit::testing::run_purges::<hamafza_library::Migrator>(|db| {
        hamafza_library::Store::new(db).purges(&hamafza_kit::config::WorkersConfig::default())
    })
    .await;
    assert_eq!(gone, 1, "the old request id, and nothing else");
}
