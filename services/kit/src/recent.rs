//! Values read at most a given age ago, by key: for reads that may lag their
//! source by that much (the public catalog, a session's facts) and are asked
//! for far more often than they change.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A map of recently loaded values. Past `capacity` entries, the expired ones
/// are dropped before another is added.
#[derive(Debug)]
pub struct Recent<K, V> {
    max_age: Duration,
    capacity: usize,
    entries: Mutex<HashMap<K, (Instant, V)>>,
}

impl<K: Eq + Hash, V: Clone> Recent<K, V> {
    /// Values are served for `max_age` after they were loaded.
    pub fn new(max_age: Duration, capacity: usize) -> Self {
        Self {
            max_age,
            capacity,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The value of `key` loaded less than `max_age` ago, or `load`'s answer
    /// now (kept when it is a value; an error is not).
    pub async fn get_or_load<E>(
        &self,
        key: K,
        load: impl Future<Output = Result<V, E>>,
    ) -> Result<V, E> {
        let now = Instant::now();
        if let Some((loaded, value)) = self.lock().get(&key)
            && now.duration_since(*loaded) < self.max_age
        {
            return Ok(value.clone());
        }
        let value = load.await?;
        let mut entries = self.lock();
        if entries.len() >= self.capacity {
            entries.retain(|_, (loaded, _)| now.duration_since(*loaded) < self.max_age);
        }
        entries.insert(key, (now, value.clone()));
        Ok(value)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, (Instant, V)>> {
        self.entries
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
}
