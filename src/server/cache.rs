//! Parsed profiles kept between requests, bounded by (estimated) size, least recently used
//! evicted first. Profiles are immutable once stored, so entries never go stale; access
//! control happens before the cache is asked (the store checks the profile belongs to the
//! session).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::ids::ProfileId;
use crate::engine::Profile;

pub struct ProfileCache {
    inner: Mutex<Inner>,
    budget: usize,
}

struct Inner {
    entries: HashMap<ProfileId, (Arc<Profile>, usize, u64)>,
    used: usize,
    tick: u64,
}

impl ProfileCache {
    pub fn new(budget_bytes: usize) -> Self {
        ProfileCache {
            inner: Mutex::new(Inner {
                entries: HashMap::new(),
                used: 0,
                tick: 0,
            }),
            budget: budget_bytes,
        }
    }

    pub fn get(&self, id: ProfileId) -> Option<Arc<Profile>> {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.tick += 1;
        let tick = inner.tick;
        inner.entries.get_mut(&id).map(|e| {
            e.2 = tick;
            e.0.clone()
        })
    }

    /// Keeps `profile`, whose dump was `dump_len` bytes (the model is about 4x that).
    pub fn insert(&self, id: ProfileId, profile: Arc<Profile>, dump_len: usize) {
        let size = dump_len.saturating_mul(4).max(1024);
        if size > self.budget {
            return;
        }
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.tick += 1;
        let tick = inner.tick;
        if let Some(old) = inner.entries.insert(id, (profile, size, tick)) {
            inner.used -= old.1;
        }
        inner.used += size;
        while inner.used > self.budget {
            let Some((&oldest, _)) = inner.entries.iter().min_by_key(|(_, e)| e.2) else {
                break;
            };
            if let Some(e) = inner.entries.remove(&oldest) {
                inner.used -= e.1;
            }
        }
    }

    pub fn remove(&self, id: ProfileId) {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(e) = inner.entries.remove(&id) {
            inner.used -= e.1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_least_recently_used() {
        let cache = ProfileCache::new(10_000);
        let ids: Vec<ProfileId> = (0..3).map(|_| ProfileId::new()).collect();
        cache.insert(ids[0], Arc::new(Profile::default()), 1000);
        cache.insert(ids[1], Arc::new(Profile::default()), 1000);
        assert!(cache.get(ids[0]).is_some());
        cache.insert(ids[2], Arc::new(Profile::default()), 1000);
        assert!(
            cache.get(ids[1]).is_none(),
            "least recently used goes first"
        );
        assert!(cache.get(ids[0]).is_some() && cache.get(ids[2]).is_some());
    }
}
