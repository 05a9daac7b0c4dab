//! What courses and programs share as commands: both are listed, shown,
//! drafted, edited with the etag read, voted on by the council, published
//! and retired the same way. The flow is written once here ([`run`]); each
//! of them says only which calls and messages it uses ([`Reviewed`]).

use std::path::Path;

use hamafza_proto::courses as pb;

use super::{Row, has_code, list, show, votes};
use crate::admin::context::{Context, Failure, Outcome, every_page, first_in_pages, present};
use crate::admin::input::{Edit, from_file, is_uuid};
use crate::admin::output::Encoded;

/// What a list asks for (a program's list has no category).
#[derive(Debug, Default)]
pub(super) struct Filter {
    pub statuses: Vec<i32>,
    pub category: String,
    pub text: String,
}

/// A step of the council's lifecycle.
#[derive(Debug)]
pub(super) enum Step {
    Submit,
    Review { decision: i32, comment: String },
    Publish,
    Retire,
}

impl Step {
    /// The verb the contracts name the step's messages after.
    fn verb(&self) -> &'static str {
        match self {
            Self::Submit => "Submit",
            Self::Review { .. } => "Review",
            Self::Publish => "Publish",
            Self::Retire => "Retire",
        }
    }
}

/// A verb of `hamafza admin courses|programs`; the thing by code or id.
#[derive(Debug)]
pub(super) enum Verb<F> {
    List(Filter),
    Show(String),
    Create(F),
    Update(String, F),
    Step(String, Step),
    Votes(String),
}

/// A response and the course or program it carries.
pub(super) struct Reply<T> {
    response: Box<dyn Encoded>,
    item: Option<T>,
}

impl<T> Reply<T> {
    pub fn new(item: Option<T>, response: impl Encoded + 'static) -> Self {
        Self {
            response: Box::new(response),
            item,
        }
    }
}

/// The flags that change a course's or a program's details.
pub(super) trait Fields<D> {
    /// The details file given with `--from-file`.
    fn details_file(&self) -> Option<&Path>;
    /// Changes `details` as the flags say (codes resolved to ids).
    async fn apply(&self, context: &Context, details: &mut D) -> Outcome;
}

/// A course or a program: the calls and messages of its kind.
pub(super) trait Reviewed: Row + Clone + Sized {
    type Details: prost::Message + Default + Clone;
    type Fields: Fields<Self::Details>;
    /// `Course` or `Program`: the contracts name their messages after it.
    const KIND: &'static str;
    /// The details' message, as `--from-file` holds it.
    const DETAILS: &'static str;

    fn id(&self) -> &str;
    fn code(&self) -> Option<&String>;
    /// The stored details and the etag they were read with.
    fn into_stored(self) -> (Option<Self::Details>, String);

    /// One page of the list.
    async fn page(
        context: &Context,
        filter: &Filter,
        page_token: String,
    ) -> Outcome<(Vec<Self>, String)>;
    /// The list response that carries `items`.
    fn listed(items: Vec<Self>) -> Box<dyn Encoded>;
    async fn get(context: &Context, id: String) -> Outcome<Reply<Self>>;
    async fn create(context: &Context, details: Self::Details) -> Outcome<Reply<Self>>;
    async fn update(
        context: &Context,
        id: String,
        details: Self::Details,
        etag: String,
        update_mask: Option<prost_types::FieldMask>,
    ) -> Outcome<Reply<Self>>;
    async fn step(context: &Context, id: String, step: Step) -> Outcome<Reply<Self>>;
    /// Every vote of every round, and the response that carries them.
    async fn votes(
        context: &Context,
        id: String,
    ) -> Outcome<(Box<dyn Encoded>, Vec<pb::CouncilVote>)>;
}

/// The id of a course or program given by code (`PR-210`) or id.
pub(super) async fn id_of<T: Reviewed>(context: &Context, given: &str) -> Outcome<String> {
    if is_uuid(given) {
        return Ok(given.to_owned());
    }
    let filter = Filter {
        text: given.to_owned(),
        ..Filter::default()
    };
    let found = first_in_pages(
        async |page_token| T::page(context, &filter, page_token).await,
        |found: &T| has_code(found.code(), given),
    )
    .await?;
    found
        .map(|found| found.id().to_owned())
        .ok_or_else(|| Failure::NotFound(format!("no {} with the code {given}", T::WHAT)))
}

/// Runs a verb on a course or a program.
pub(super) async fn run<T: Reviewed>(context: &Context, verb: Verb<T::Fields>) -> Outcome {
    let kind = T::KIND;
    match verb {
        Verb::List(filter) => {
            let items =
                every_page(async |page_token| T::page(context, &filter, page_token).await).await?;
            let response = T::listed(items.clone());
            list(context, &*response, &items, &format!("List{kind}sResponse"))
        }
        Verb::Show(given) => {
            let id = id_of::<T>(context, &given).await?;
            print(
                context,
                T::get(context, id).await?,
                &format!("Get{kind}Response"),
            )
        }
        Verb::Create(fields) => {
            let mut details = match fields.details_file() {
                Some(file) => from_file(file, T::DETAILS)?,
                None => T::Details::default(),
            };
            fields.apply(context, &mut details).await?;
            let reply = T::create(context, details).await?;
            print(context, reply, &format!("Create{kind}Response"))
        }
        Verb::Update(given, fields) => {
            let id = id_of::<T>(context, &given).await?;
            let reply = update::<T>(context, id, &fields).await?;
            print(context, reply, &format!("Update{kind}Response"))
        }
        Verb::Step(given, step) => {
            let id = id_of::<T>(context, &given).await?;
            let name = format!("{}{kind}Response", step.verb());
            print(context, T::step(context, id, step).await?, &name)
        }
        Verb::Votes(given) => {
            let id = id_of::<T>(context, &given).await?;
            let (response, all) = T::votes(context, id).await?;
            votes(
                context,
                &*response,
                &all,
                &format!("List{kind}VotesResponse"),
            )
        }
    }
}

/// Read, change what `fields` give, write back the whole details with the
/// etag read (see [`Edit`]).
async fn update<T: Reviewed>(
    context: &Context,
    id: String,
    fields: &T::Fields,
) -> Outcome<Reply<T>> {
    let stored = present(T::get(context, id.clone()).await?.item, T::WHAT)?;
    let (details, etag) = stored.into_stored();
    let mut edit = Edit::begin(details, fields.details_file(), T::DETAILS)?;
    fields.apply(context, &mut edit.details).await?;
    let (details, update_mask) = edit.finish()?;
    T::update(context, id, details, etag, update_mask).await
}

fn print<T: Row>(context: &Context, reply: Reply<T>, name: &str) -> Outcome {
    show(context, &*reply.response, reply.item.as_ref(), name)
}
