//! Value types that cross modules and services: typed ids (a `SessionId` is
//! never passed where a `CourseId` is meant), the organization id with its
//! one validation rule, and a person as the services know them.

use std::fmt;

use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub Uuid);

        impl $name {
            /// What it names, for messages (`"session"`).
            pub const KIND: &'static str = $kind;

            /// Parses the wire form; the error describes the problem for a
            /// field violation.
            pub fn parse(value: &str) -> Result<Self, &'static str> {
                if value.is_empty() {
                    return Err("is required");
                }
                Uuid::parse_str(value)
                    .map(Self)
                    .map_err(|_| "is not a valid id")
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl From<$name> for Uuid {
            fn from(id: $name) -> Uuid {
                id.0
            }
        }
    };
}

uuid_id!(
    /// A course of the catalog.
    CourseId,
    "course"
);
uuid_id!(
    /// A session (a run of a course).
    SessionId,
    "session"
);
uuid_id!(
    /// A program (a set of courses).
    ProgramId,
    "program"
);
uuid_id!(
    /// An enrolment of a person in a session.
    EnrolmentId,
    "enrolment"
);
uuid_id!(
    /// A certificate.
    CertificateId,
    "certificate"
);

/// An organization id: 2-32 of `a-z`, `0-9`, `-`, starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrganizationId(String);

impl OrganizationId {
    /// Parses an organization id.
    pub fn parse(value: &str) -> Result<Self, &'static str> {
        let ok_len = (2..=32).contains(&value.len());
        let ok_chars = value
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        let starts_with_letter = value.bytes().next().is_some_and(|b| b.is_ascii_lowercase());
        if value.is_empty() {
            Err("is required")
        } else if ok_len && ok_chars && starts_with_letter {
            Ok(Self(value.to_owned()))
        } else {
            Err("must be 2-32 lowercase letters, digits or '-', starting with a letter")
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for OrganizationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A person as the services know them: the identity provider's subject,
/// their display name, and their organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// The token's `sub`.
    pub subject: String,
    /// Display name.
    pub name: String,
    /// Organization id.
    pub organization_id: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_once_and_name_their_kind() {
        let id = Uuid::now_v7();
        assert_eq!(SessionId::parse(&id.to_string()), Ok(SessionId(id)));
        assert_eq!(SessionId::parse(""), Err("is required"));
        assert_eq!(CourseId::parse("PR-101"), Err("is not a valid id"));
        assert_eq!(SessionId::KIND, "session");
        assert_eq!(SessionId(id).to_string(), id.to_string());
    }

    #[test]
    fn organization_ids() {
        assert!(OrganizationId::parse("msc").is_ok());
        assert!(OrganizationId::parse("gol-gohar-2").is_ok());
        for bad in ["", "m", "MSC", "2msc", "m sc", &"a".repeat(33)] {
            assert!(OrganizationId::parse(bad).is_err(), "{bad}");
        }
    }
}
