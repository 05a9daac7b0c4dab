//! Values read at most a given age ago, by key: for reads that may lag their
//! source by that much (the public catalog, a session's facts) and are asked
//! for far more often than they change.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, RandomState};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::watch;

/// The longest a value is served, whatever age it is given.
const LONGEST: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);

/// A map of recently loaded values. Past `capacity` entries, the expired ones
/// are dropped before another is added.
///
/// Made with [`Recent::spread`], each value is served for a time chosen at
/// random between three quarters of the age and the whole of it, so that
/// values loaded together (a burst of enrolments into many sessions) are not
/// all loaded again together: a herd of loads takes the source's CPU from
/// everyone else at once, and the loads it delays finish, and so expire,
/// together again.
///
/// Loads are single-flight: while one caller loads a key, every other caller
/// of that key waits for it and shares its value, so a burst of a thousand
/// asks the source once. If that load fails (or its caller gives up), the
/// waiters load for themselves, as they would have without it.
#[derive(Debug)]
pub struct Recent<K, V> {
    max_age: Duration,
    spread: bool,
    capacity: usize,
    state: Mutex<State<K, V>>,
}

#[derive(Debug)]
struct State<K, V> {
    /// Values and until when they are served.
    values: HashMap<K, (Instant, V)>,
    /// Loads under way: waiters watch for the loader to finish.
    loading: HashMap<K, watch::Receiver<()>>,
}

/// What a caller does about a key.
enum Step<V> {
    /// Serve this value.
    Fresh(V),
    /// Wait for the load under way.
    Wait(watch::Receiver<()>),
    /// Load it, for everyone.
    Lead(watch::Sender<()>, watch::Receiver<()>),
}

/// Takes a key's load off the books however the loader ends (done, failed,
/// or dropped by a caller that gave up), waking its waiters.
struct Loading<'a, K: Eq + Hash, V> {
    recent: &'a Recent<K, V>,
    key: K,
    done: watch::Sender<()>,
    mine: watch::Receiver<()>,
}

impl<K: Eq + Hash, V> Drop for Loading<'_, K, V> {
    fn drop(&mut self) {
        let mut state = self.recent.lock();
        if state
            .loading
            .get(&self.key)
            .is_some_and(|receiver| receiver.same_channel(&self.mine))
        {
            state.loading.remove(&self.key);
        }
        // Wakes every waiter (and dropping `done` would too).
        let _ = self.done.send(());
    }
}

impl<K: Eq + Hash + Clone, V: Clone> Recent<K, V> {
    /// Values are served for `max_age` after they were read.
    pub fn new(max_age: Duration, capacity: usize) -> Self {
        Self {
            max_age: max_age.min(LONGEST),
            spread: false,
            capacity,
            state: Mutex::new(State {
                values: HashMap::new(),
                loading: HashMap::new(),
            }),
        }
    }

    /// Values are served for a time chosen at random between three quarters
    /// of `max_age` and `max_age` after they were read (never longer).
    pub fn spread(max_age: Duration, capacity: usize) -> Self {
        Self {
            spread: true,
            ..Self::new(max_age, capacity)
        }
    }

    /// Drops what is kept for `key`: the next read loads it again (after a
    /// change made here, so this process sees it at once).
    pub fn forget(&self, key: &K) {
        self.lock().values.remove(key);
    }

    /// The value of `key` read less than `max_age` ago, or the one a load
    /// under way reads, or `load`'s answer now (kept when it is a value; an
    /// error is not).
    pub async fn get_or_load<E>(
        &self,
        key: K,
        load: impl Future<Output = Result<V, E>>,
    ) -> Result<V, E> {
        // Decide under the lock, then let it go before anything awaits.
        let step = {
            let mut state = self.lock();
            if let Some(value) = self.fresh(&state, &key) {
                Step::Fresh(value)
            } else if let Some(receiver) = state.loading.get(&key) {
                Step::Wait(receiver.clone())
            } else {
                let (done, receiver) = watch::channel(());
                state.loading.insert(key.clone(), receiver.clone());
                Step::Lead(done, receiver)
            }
        };
        match step {
            Step::Fresh(value) => return Ok(value),
            Step::Lead(done, mine) => {
                let loading = Loading {
                    recent: self,
                    key,
                    done,
                    mine,
                };
                return self.load_and_keep(loading, load).await;
            }
            Step::Wait(mut receiver) => {
                // Ends when the loader finishes, fails or is dropped.
                let _ = receiver.changed().await;
                let fresh = self.fresh(&self.lock(), &key);
                if let Some(value) = fresh {
                    return Ok(value);
                }
            }
        }
        // The load we waited for brought nothing: load for ourselves.
        let value = load.await?;
        self.keep(key, value.clone());
        Ok(value)
    }

    async fn load_and_keep<E>(
        &self,
        loading: Loading<'_, K, V>,
        load: impl Future<Output = Result<V, E>>,
    ) -> Result<V, E> {
        let value = load.await?;
        self.keep(loading.key.clone(), value.clone());
        drop(loading);
        Ok(value)
    }

    /// Keeps `value`, timed from now: when it was read, not when asked for.
    /// When every place is taken by a value still fresh, it is not kept (the
    /// caller has it; the next asks again): capacity bounds memory however
    /// many distinct keys callers ask for.
    fn keep(&self, key: K, value: V) {
        let now = Instant::now();
        // A lifetime the clock cannot count to (none is, at a century or
        // less) is not kept: each caller asks again.
        let until = now.checked_add(self.lifetime(now)).unwrap_or(now);
        let mut state = self.lock();
        if state.values.len() >= self.capacity && !state.values.contains_key(&key) {
            state.values.retain(|_, (until, _)| now < *until);
            if state.values.len() >= self.capacity {
                return;
            }
        }
        state.values.insert(key, (until, value));
    }

    /// How long a value read at `now` is served: `max_age`, or when spread,
    /// up to a quarter less, at random.
    fn lifetime(&self, now: Instant) -> Duration {
        if !self.spread {
            return self.max_age;
        }
        // std keys each thread's `RandomState`s at random once and steps the
        // key with every `new()`: hashing with a new one gives a number as
        // good as random for spreading expiries, with no generator to share.
        let random = RandomState::new().hash_one(now);
        let share = (random >> 11) as f64 / (1u64 << 53) as f64;
        self.max_age.mul_f64(1.0 - share / 4.0)
    }

    fn fresh(&self, state: &State<K, V>, key: &K) -> Option<V> {
        let now = Instant::now();
        state
            .values
            .get(key)
            .filter(|(until, _)| now < *until)
            .map(|(_, value)| value.clone())
    }
}

impl<K, V> Recent<K, V> {
    fn lock(&self) -> std::sync::MutexGuard<'_, State<K, V>> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[tokio::test]
    async fn serves_a_value_until_it_is_too_old_and_never_keeps_an_error() {
        let recent: Recent<&str, u32> = Recent::new(Duration::from_millis(50), 10);
        let first = recent.get_or_load("k", async { Ok::<_, ()>(1) }).await;
        let cached = recent.get_or_load("k", async { Ok::<_, ()>(2) }).await;
        assert_eq!((first, cached), (Ok(1), Ok(1)));
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(
            recent.get_or_load("k", async { Ok::<_, ()>(3) }).await,
            Ok(3)
        );
        assert_eq!(
            recent
                .get_or_load("e", async { Err::<u32, _>("down") })
                .await,
            Err("down")
        );
        assert_eq!(
            recent.get_or_load("e", async { Ok::<_, &str>(4) }).await,
            Ok(4)
        );
    }

    #[tokio::test]
    async fn no_more_values_than_its_capacity_are_kept_however_many_keys_are_asked() {
        let recent: Recent<u32, u32> = Recent::new(Duration::from_secs(60), 2);
        for key in 0..100 {
            assert_eq!(
                recent.get_or_load(key, async { Ok::<_, ()>(key) }).await,
                Ok(key)
            );
        }
        assert_eq!(recent.lock().values.len(), 2);
        // The first two stay; the others were answered, not kept.
        assert_eq!(recent.get_or_load(0, async { Ok::<_, ()>(7) }).await, Ok(0));
        assert_eq!(
            recent.get_or_load(50, async { Ok::<_, ()>(7) }).await,
            Ok(7)
        );
    }

    #[tokio::test]
    async fn a_burst_of_callers_loads_once() {
        let recent: Recent<&str, u32> = Recent::new(Duration::from_secs(1), 10);
        let loads = std::sync::atomic::AtomicU32::new(0);
        let calls = (0..200).map(|_| {
            recent.get_or_load("session", async {
                loads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(30)).await;
                Ok::<_, ()>(7)
            })
        });
        let answers = futures::future::join_all(calls).await;
        assert!(answers.iter().all(|a| *a == Ok(7)));
        assert_eq!(loads.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_failed_load_lets_the_waiters_load_for_themselves() {
        let recent: Recent<&str, u32> = Recent::new(Duration::from_secs(1), 10);
        let first = recent.get_or_load("k", async {
            tokio::time::sleep(Duration::from_millis(30)).await;
            Err::<u32, _>("down")
        });
        let second = async {
            tokio::time::sleep(Duration::from_millis(5)).await;
            recent.get_or_load("k", async { Ok::<_, &str>(9) }).await
        };
        let (first, second) = tokio::join!(first, second);
        assert_eq!((first, second), (Err("down"), Ok(9)));
    }

    #[tokio::test]
    async fn a_value_is_timed_from_when_it_was_read() {
        let recent: Recent<&str, u32> = Recent::new(Duration::from_millis(50), 10);
        // The load takes longer than the age: the value is still fresh after.
        let slow = recent.get_or_load("k", async {
            tokio::time::sleep(Duration::from_millis(80)).await;
            Ok::<_, ()>(1)
        });
        assert_eq!(slow.await, Ok(1));
        assert_eq!(
            recent.get_or_load("k", async { Ok::<_, ()>(2) }).await,
            Ok(1)
        );
    }

    #[tokio::test]
    async fn a_loader_given_up_on_does_not_block_the_key() {
        let recent: Recent<&str, u32> = Recent::new(Duration::from_secs(1), 10);
        let abandoned = tokio::time::timeout(
            Duration::from_millis(10),
            recent.get_or_load("k", async {
                tokio::time::sleep(Duration::from_secs(60)).await;
                Ok::<_, ()>(1)
            }),
        )
        .await;
        assert!(abandoned.is_err());
        assert_eq!(
            recent.get_or_load("k", async { Ok::<_, ()>(2) }).await,
            Ok(2)
        );
    }

    #[tokio::test]
    async fn spread_values_expire_apart_and_never_after_the_age() {
        let age = Duration::from_millis(400);
        let recent: Recent<u32, u32> = Recent::spread(age, 1_000);
        let loaded = Instant::now();
        for key in 0..200 {
            recent.keep(key, key);
        }
        let untils: Vec<Instant> = recent
            .lock()
            .values
            .values()
            .map(|(until, _)| *until)
            .collect();
        assert_eq!(untils.len(), 200);
        let earliest = untils.iter().min().unwrap();
        let latest = untils.iter().max().unwrap();
        // Within [3/4, 1] of the age from when they were kept...
        assert!(*earliest >= loaded + age.mul_f64(0.75));
        assert!(*latest <= Instant::now() + age);
        // ...and spread over that quarter, not all at one instant (200 draws
        // all within a tenth of it has chance (1/10)^199).
        assert!(*latest - *earliest > age / 40, "{:?}", *latest - *earliest);
    }

    /// Asks `recent` for the key `k`, loading `value` if it must.
    async fn ask(recent: &Recent<&'static str, u32>, value: u32) -> Result<u32, ()> {
        recent.get_or_load("k", async move { Ok(value) }).await
    }

    #[tokio::test]
    async fn a_spread_value_is_loaded_again_once_past_its_age() {
        let recent = Recent::spread(Duration::from_millis(40), 10);
        assert_eq!(
            (ask(&recent, 1).await, ask(&recent, 2).await),
            (Ok(1), Ok(1))
        );
        tokio::time::sleep(Duration::from_millis(45)).await;
        assert_eq!(ask(&recent, 3).await, Ok(3));
    }

    #[tokio::test]
    async fn an_age_past_what_the_clock_counts_is_a_century() {
        let recent = Recent::spread(Duration::MAX, 10);
        assert_eq!(
            (ask(&recent, 1).await, ask(&recent, 2).await),
            (Ok(1), Ok(1))
        );
    }
}
