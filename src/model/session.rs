//! A session's numbers: what the badge shows and what `GET /api/session-info` answers.

use serde::{Deserialize, Serialize, Serializer};

use super::ids::SessionId;
use crate::engine::pyfmt::rfc3339_ms;

/// Serialised with RFC 3339 times (`created_at`, `last_used_at`, `expires_at`) beside the
/// milliseconds; reading ignores the `_at` fields.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct SessionInfo {
    #[serde(rename = "session_id")]
    pub id: SessionId,
    pub created_ms: i64,
    pub last_used_ms: i64,
    /// When the session expires unless used again (each use moves this on).
    pub expires_ms: i64,
    /// The server's clock when it answered: the badge counts down from here, so a wrong
    /// client clock does not matter.
    pub server_now_ms: i64,
    pub profiles: usize,
    pub bytes_used: u64,
    /// `"filesystem"` or `"redis"`.
    pub storage: String,
    pub max_profiles: u64,
    pub max_session_bytes: u64,
    pub max_upload_bytes: u64,
}

impl Serialize for SessionInfo {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("SessionInfo", 14)?;
        st.serialize_field("session_id", &self.id)?;
        st.serialize_field("created_at", &rfc3339_ms(self.created_ms))?;
        st.serialize_field("last_used_at", &rfc3339_ms(self.last_used_ms))?;
        st.serialize_field("expires_at", &rfc3339_ms(self.expires_ms))?;
        st.serialize_field("created_ms", &self.created_ms)?;
        st.serialize_field("last_used_ms", &self.last_used_ms)?;
        st.serialize_field("expires_ms", &self.expires_ms)?;
        st.serialize_field("server_now_ms", &self.server_now_ms)?;
        st.serialize_field("profiles", &self.profiles)?;
        st.serialize_field("bytes_used", &self.bytes_used)?;
        st.serialize_field("storage", &self.storage)?;
        st.serialize_field("max_profiles", &self.max_profiles)?;
        st.serialize_field("max_session_bytes", &self.max_session_bytes)?;
        st.serialize_field("max_upload_bytes", &self.max_upload_bytes)?;
        st.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_its_json() {
        let info = SessionInfo {
            id: SessionId::new(),
            created_ms: 1_700_000_000_000,
            last_used_ms: 1_700_000_001_000,
            expires_ms: 1_700_086_401_000,
            server_now_ms: 1_700_000_001_500,
            profiles: 2,
            bytes_used: 1234,
            storage: "filesystem".into(),
            max_profiles: 100,
            max_session_bytes: 512 << 20,
            max_upload_bytes: 32 << 20,
        };
        let json = serde_json::to_value(&info).unwrap();
        assert_eq!(json["created_at"], "2023-11-14T22:13:20.000Z");
        assert_eq!(serde_json::from_value::<SessionInfo>(json).unwrap(), info);
    }
}
