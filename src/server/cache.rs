//! What the server keeps between requests, bounded by size, least recently used evicted
//! first: parsed profiles (by their model's size) and computed comparisons (by theirs).
//! Entries never go stale — profiles are immutable once stored, and a comparison is keyed
//! by everything that decides its numbers — and access control happens before a cache is
//! asked (the store checks that a profile belongs to the session, and comparisons are keyed
//! by session).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, OnceLock};

use leptos::server_fn::Bytes;

use crate::engine::Profile;
use crate::model::{Access, Outcome, ProfileId};

/// An LRU map holding at most `budget` bytes (each entry's size given when inserted).
pub struct Lru<K, V> {
    inner: Mutex<Inner<K, V>>,
    budget: usize,
}

struct Inner<K, V> {
    entries: HashMap<K, (V, usize, u64)>,
    used: usize,
    tick: u64,
}

impl<K: Eq + Hash + Clone, V: Clone> Lru<K, V> {
    pub fn new(budget_bytes: usize) -> Self {
        Lru {
            inner: Mutex::new(Inner {
                entries: HashMap::new(),
                used: 0,
                tick: 0,
            }),
            budget: budget_bytes,
        }
    }

    pub fn get(&self, key: &K) -> Option<V> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.tick += 1;
        let tick = inner.tick;
        inner.entries.get_mut(key).map(|e| {
            e.2 = tick;
            e.0.clone()
        })
    }

    /// Keeps `value` of `size` bytes (nothing larger than the whole budget is kept).
    pub fn insert(&self, key: K, value: V, size: usize) {
        let size = size.max(1024);
        if size > self.budget {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.tick += 1;
        let tick = inner.tick;
        if let Some(old) = inner.entries.insert(key, (value, size, tick)) {
            inner.used -= old.1;
        }
        inner.used += size;
        while inner.used > self.budget {
            let Some(oldest) = inner
                .entries
                .iter()
                .min_by_key(|(_, e)| e.2)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some(e) = inner.entries.remove(&oldest) {
                inner.used -= e.1;
            }
        }
    }

    /// Changes the size an entry is accounted at, if it is still there (an entry that grew
    /// after it was kept; evicts others if the budget is now exceeded).
    pub fn resize(&self, key: &K, size: usize) {
        let value = {
            let inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
            match inner.entries.get(key) {
                Some(e) => e.0.clone(),
                None => return,
            }
        };
        self.insert(key.clone(), value, size);
    }

    pub fn remove(&self, key: &K) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = inner.entries.remove(key) {
            inner.used -= e.1;
        }
    }

    /// Removes every entry `drop` selects.
    pub fn remove_where(&self, drop: impl Fn(&K) -> bool) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let gone: Vec<K> = inner.entries.keys().filter(|k| drop(k)).cloned().collect();
        for k in gone {
            if let Some(e) = inner.entries.remove(&k) {
                inner.used -= e.1;
            }
        }
    }

    /// Bytes held now.
    pub fn used(&self) -> usize {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).used
    }
}

/// Parsed profiles, accounted by [`Profile::model_bytes`].
pub type ProfileCache = Lru<ProfileId, Arc<Profile>>;

/// Computed comparisons of one session or share, by the request's cache key. Deleting a
/// profile drops the session's comparisons (they may name it).
pub type ComparisonCache = Lru<(Access, String), Arc<Computed>>;

/// A computed comparison and, once the web app asked for it, its encoded answer
/// ([`Outcome::encode`]): a 50,000-function comparison takes 10–20 ms to encode, which a
/// reload, a shared link or a second tab would otherwise pay again.
pub struct Computed {
    pub outcome: Arc<Outcome>,
    /// `outcome.approx_bytes()`, kept: the entry's size is re-accounted once encoded.
    pub outcome_bytes: usize,
    pub encoded: OnceLock<Bytes>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_least_recently_used() {
        let cache: ProfileCache = Lru::new(10_000);
        let ids: Vec<ProfileId> = (0..3).map(|_| ProfileId::new()).collect();
        cache.insert(ids[0], Arc::new(Profile::default()), 4000);
        cache.insert(ids[1], Arc::new(Profile::default()), 4000);
        assert!(cache.get(&ids[0]).is_some());
        cache.insert(ids[2], Arc::new(Profile::default()), 4000);
        assert!(
            cache.get(&ids[1]).is_none(),
            "least recently used goes first"
        );
        assert!(cache.get(&ids[0]).is_some() && cache.get(&ids[2]).is_some());
        assert_eq!(cache.used(), 8000);
        cache.insert(ProfileId::new(), Arc::new(Profile::default()), 20_000);
        assert_eq!(cache.used(), 8000, "larger than the budget: not kept");
        cache.resize(&ids[0], 5000);
        assert_eq!(cache.used(), 9000, "resized in place");
        cache.resize(&ProfileId::new(), 5000);
        assert_eq!(
            cache.used(),
            9000,
            "a missing entry is not resized into the cache"
        );
        cache.resize(&ids[2], 7000);
        assert!(
            cache.get(&ids[0]).is_none(),
            "growing evicts the least recently used"
        );
        assert_eq!(cache.used(), 7000);
        cache.remove_where(|_| true);
        assert_eq!(cache.used(), 0);
    }
}
