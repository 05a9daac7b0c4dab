//! Enrolments' copy of the people directory, which courses owns: who belongs
//! to which company and who has left, read by every Enrol without a call to
//! courses.
//!
//! A worker polls `ListPeople(updated_since)` every
//! `workers.directory_poll_millis` and rereads a margin before the last change
//! it saw, since changes can commit out of order. The copy answers only while
//! its last complete poll started at most [`RECENT_PEOPLE`] ago; otherwise
//! (courses unreachable for that long) the caller asks courses itself.
//! A person added to or changed in the directory is therefore enrolled as the
//! directory says within a poll or two (a person moved while a poll pages
//! through the directory is read by the next one), and never later than
//! [`RECENT_PEOPLE`] while courses answers. A person the directory does not
//! know yet is enrolled as their token or manager says, as before the copy.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use hamafza_kit::peers::{CoursesClient, PeerError};
use hamafza_kit::shutdown::Shutdown;
use hamafza_kit::time::from_timestamp;

use crate::courses_client::{DirectoryEntry, RECENT_PEOPLE};

/// How far before the last change seen each poll starts again: a change is
/// stamped before its transaction commits.
const OVERLAP: chrono::Duration = chrono::Duration::seconds(60);
/// How often a poll reads the whole directory instead of its changes, and
/// replaces the copy: a change stamped more than [`OVERLAP`] before it
/// committed, or by a courses replica whose clock is behind, is read then.
const FULL_READ_EVERY: Duration = Duration::from_secs(300);
/// The longest wait between polls while courses does not answer.
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// The most pages of 200 one poll reads (100,000 people, many times the
/// holding's directory). A poll that finds more changes than that keeps what
/// it read but neither moves on nor counts as complete, so the copy does not
/// answer and Enrol asks courses, as it would without the copy.
const MAX_PAGES: usize = 500;

/// The copy, shared by the worker that fills it and the enrolments that read it.
#[derive(Debug, Default)]
pub struct Directory {
    state: RwLock<State>,
}

#[derive(Debug, Default)]
struct State {
    people: HashMap<String, DirectoryEntry>,
    /// The latest change read (courses' clock); `None` before the first poll.
    seen: Option<DateTime<Utc>>,
    /// When the last poll that read every change since `seen - OVERLAP`
    /// started (this process's clock).
    synced: Option<Instant>,
    /// When the last complete read of the whole directory started.
    read_whole: Option<Instant>,
}

/// What the copy says of a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Known {
    /// The copy is too old to answer: ask courses.
    Stale,
    /// The directory did not know them at the last poll.
    Unknown,
    /// The directory's entry at the last poll.
    Entry(DirectoryEntry),
}

impl Directory {
    /// What the copy says of `subject`.
    pub fn lookup(&self, subject: &str) -> Known {
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        match state.synced {
            Some(started) if started.elapsed() <= RECENT_PEOPLE => state
                .people
                .get(subject)
                .cloned()
                .map_or(Known::Unknown, Known::Entry),
            _ => Known::Stale,
        }
    }

    /// One poll: reads the changes since a margin before the last one seen
    /// and applies them; the first time and every [`FULL_READ_EVERY`], reads
    /// everyone and replaces the copy. Returns how many people it read.
    pub async fn poll(&self, courses: &CoursesClient) -> Result<usize, PeerError> {
        let started = Instant::now();
        let (since, whole) = {
            let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
            let whole = state
                .read_whole
                .is_none_or(|read| read.elapsed() >= FULL_READ_EVERY);
            let since = match state.seen {
                Some(seen) if !whole => (seen - OVERLAP).max(DateTime::<Utc>::UNIX_EPOCH),
                _ => DateTime::<Utc>::UNIX_EPOCH,
            };
            (since, whole)
        };
        let (people, complete) = courses.people_changed_since(since, MAX_PAGES).await?;
        let read = people.len();
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        if whole && complete {
            state.people.clear();
            state.read_whole = Some(started);
        }
        for person in people {
            if let Some(changed) = person.update_time.as_ref().and_then(from_timestamp)
                && complete
            {
                state.seen = Some(state.seen.map_or(changed, |seen| seen.max(changed)));
            }
            state.people.insert(
                person.subject,
                DirectoryEntry {
                    organization_id: person.organization_id,
                    active: person.active,
                },
            );
        }
        if complete {
            state.synced = Some(started);
        } else {
            tracing::warn!(
                read,
                "the people directory changed more than one poll reads; Enrol asks courses meanwhile"
            );
        }
        Ok(read)
    }
}

/// Polls the directory every `interval` until `shutdown`.
pub async fn run(
    directory: Arc<Directory>,
    courses: CoursesClient,
    interval: Duration,
    shutdown: Shutdown,
) {
    let interval = interval.max(Duration::from_millis(50));
    let mut wait = interval;
    loop {
        wait = match directory.poll(&courses).await {
            Ok(_) => interval,
            Err(error) => {
                tracing::warn!(%error, "reading the people directory's changes failed; will retry");
                (wait * 2).min(MAX_BACKOFF.max(interval))
            }
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = shutdown.clone().requested() => return,
        }
    }
}
