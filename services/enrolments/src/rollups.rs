//! Keeps the benchmark's rollups current: the triggers append a delta for
//! every enrolment written, and the report folds them in before it reads.
//! Folded only there, months without a report would pile them up, and the
//! first report after would fold them all at once (on SQLite holding the one
//! write lock long enough for enrolments to time out behind it). Folding
//! every minute keeps each fold small; the report's own fold then finds
//! little left.

use std::time::Duration;

use hamafza_kit::shutdown::Shutdown;

use crate::store::Store;

/// How often the deltas are folded.
const EVERY: Duration = Duration::from_secs(60);

/// Folds until `shutdown`; a failed fold is logged and the next one tries
/// again (the deltas stay until folded).
pub async fn run(store: Store, shutdown: Shutdown) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(EVERY) => {}
            () = shutdown.clone().requested() => return,
        }
        if let Err(error) = store.fold_benchmark_deltas().await {
            tracing::warn!(%error, "folding the benchmark's deltas failed; will retry");
        }
    }
}
