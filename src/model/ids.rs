//! Session and profile ids. Both can only be built from a canonical UUID (lowercase,
//! hyphenated), so storage never sees a string that could name another path.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

macro_rules! id_type {
    ($name:ident, $what:literal) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh random (v4) id.
            pub fn new() -> Self {
                $name(Uuid::new_v4())
            }

            /// Parses the canonical form only: 36 characters, lowercase hex, hyphenated.
            pub fn parse(s: &str) -> Result<Self, IdError> {
                let uuid = Uuid::try_parse(s).map_err(|_| IdError($what))?;
                if uuid.hyphenated().to_string() != s {
                    return Err(IdError($what));
                }
                Ok($name(uuid))
            }

            /// The first 8 characters, for logs and the debug listing.
            pub fn short(&self) -> String {
                self.0.hyphenated().to_string()[..8].to_string()
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0.hyphenated())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $name::parse(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

id_type!(SessionId, "session id");
id_type!(ProfileId, "profile id");

/// Not a canonical UUID; says which kind of id was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {0}: expected a UUID like 0f8fad5b-d9cb-469f-a165-70867728950e")]
pub struct IdError(pub &'static str);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_canonical_uuids() {
        let id = SessionId::new().to_string();
        assert_eq!(SessionId::parse(&id).unwrap().to_string(), id);
        for bad in [
            "",
            "../etc/passwd",
            "0F8FAD5B-D9CB-469F-A165-70867728950E",
            "{0f8fad5b-d9cb-469f-a165-70867728950e}",
            "urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e",
            "0f8fad5bd9cb469fa16570867728950e",
            "0f8fad5b-d9cb-469f-a165-70867728950e/..",
            "0f8fad5b-d9cb-469f-a165-70867728950",
        ] {
            assert!(SessionId::parse(bad).is_err(), "{bad}");
        }
    }
}
