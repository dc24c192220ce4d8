//! Share links: a read-only snapshot of some of a session's profiles, addressed by an
//! unguessable id at `/s/{id}`, with its own expiry (`share-ttl-days`).
//!
//! A share id is a capability: whoever holds it reads the snapshot, so it is 192 random
//! bits (24 bytes from the OS, base64url without padding: 32 characters), never logged
//! at info level, and compared in constant time where the server looks one up by hand.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{CompareRequest, ProfileId, ProfileSummary, SessionId};

/// Random bytes in a share id.
const BYTES: usize = 24;
/// Characters of its base64url form (no padding).
pub const SHARE_ID_LEN: usize = BYTES * 4 / 3;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A share's id: 32 URL-safe characters carrying 192 random bits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ShareId([u8; SHARE_ID_LEN]);

impl ShareId {
    /// A fresh id from the operating system's random source.
    #[cfg(feature = "ssr")]
    pub fn random() -> ShareId {
        let mut random = [0u8; BYTES];
        getrandom::fill(&mut random).expect("the OS random source works");
        let mut out = [0u8; SHARE_ID_LEN];
        for (chunk, o) in random.chunks(3).zip(out.chunks_mut(4)) {
            let n = (u32::from(chunk[0]) << 16) | (u32::from(chunk[1]) << 8) | u32::from(chunk[2]);
            for (i, c) in o.iter_mut().enumerate() {
                *c = ALPHABET[(n >> (18 - 6 * i)) as usize & 63];
            }
        }
        ShareId(out)
    }

    /// Parses exactly 32 base64url characters; anything else (a path, padding, another
    /// length) is not an id, so storage never sees a string that could name another path.
    pub fn parse(s: &str) -> Result<ShareId, ShareIdError> {
        let b = s.as_bytes();
        if b.len() != SHARE_ID_LEN || !b.iter().all(|c| ALPHABET.contains(c)) {
            return Err(ShareIdError);
        }
        let mut out = [0u8; SHARE_ID_LEN];
        out.copy_from_slice(b);
        Ok(ShareId(out))
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("base64url is ASCII")
    }

    /// Equality that takes the same time wherever the ids differ, for lookups by hand
    /// (a session's list of shares), so timing tells nothing about a guessed id.
    pub fn ct_eq(&self, other: &ShareId) -> bool {
        let diff = self
            .0
            .iter()
            .zip(&other.0)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        std::hint::black_box(diff) == 0
    }
}

impl fmt::Display for ShareId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Not the whole id: logs and errors never carry the capability.
impl fmt::Debug for ShareId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ShareId({}…)", &self.as_str()[..4])
    }
}

impl Serialize for ShareId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ShareId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ShareId::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid share id: expected the 32 characters after /s/ in a share link")]
pub struct ShareIdError;

/// Whose profiles a read goes to: the tab's session, or a share (read-only). The compare
/// page and the profile view take one, so the same views serve both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    Session(SessionId),
    Share(ShareId),
}

impl Access {
    pub fn session(&self) -> Option<SessionId> {
        match self {
            Access::Session(id) => Some(*id),
            Access::Share(_) => None,
        }
    }
}

/// What a share opens on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ShareView {
    /// A comparison; `query` is the compare page's permalink query (view state) at the
    /// time of sharing.
    Compare { query: String },
    /// One profile's view.
    Profile { id: ProfileId },
}

/// What to share (the request of *Share*).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ShareTarget {
    /// The comparison `req` describes (its profiles are snapshotted), opening with the
    /// view state in `query`.
    Compare {
        req: CompareRequest,
        #[serde(default)]
        query: String,
    },
    Profile {
        id: ProfileId,
    },
}

/// A share as its owner and its readers see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShareInfo {
    pub id: ShareId,
    /// The link's path and query: `/s/{id}?{query}`.
    pub path: String,
    pub view: ShareView,
    pub created_ms: i64,
    pub expires_ms: i64,
    /// The snapshot's profiles (upload order).
    pub profiles: Vec<ProfileSummary>,
    pub bytes: u64,
}

impl ShareInfo {
    pub fn path_of(id: &ShareId, view: &ShareView) -> String {
        match view {
            ShareView::Compare { query } if !query.is_empty() => format!("/s/{id}?{query}"),
            _ => format!("/s/{id}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "ssr")]
    #[test]
    fn fresh_ids_parse_and_differ() {
        let a = ShareId::random();
        let b = ShareId::random();
        assert_eq!(a.as_str().len(), 32);
        assert_eq!(ShareId::parse(a.as_str()).unwrap(), a);
        assert!(a.ct_eq(&a) && !a.ct_eq(&b));
        assert!(!format!("{a:?}").contains(a.as_str()));
    }

    #[test]
    fn only_32_url_safe_characters() {
        assert!(ShareId::parse("abcdefghijklmnopqrstuvwxyz012345").is_ok());
        assert!(ShareId::parse("abcd-_ghijklmnopqrstuvwxyz012345").is_ok());
        for bad in [
            "",
            "abcdefghijklmnopqrstuvwxyz01234",
            "abcdefghijklmnopqrstuvwxyz0123456",
            "../../../../../../../../etc/pass",
            "abcdefghijklmnopqrstuvwxyz0123==",
            "abcdefghijklmnopqrstuvwxyz01234/",
            "abcdefghijklmnopqrstuvwxyz01234é",
        ] {
            assert!(ShareId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn access_serialises_tagged() {
        let s = SessionId::new();
        let json = serde_json::to_string(&Access::Session(s)).unwrap();
        assert_eq!(json, format!("{{\"session\":\"{s}\"}}"));
        let back: Access = serde_json::from_str(&json).unwrap();
        assert_eq!(back, Access::Session(s));
    }
}
