//! The people directory's rules: what a person's record holds and how a
//! sign-in or a directory edit changes it.

use hamafza_kit::auth::Role;

use super::values::Bilingual;

/// A person as a caller gives them, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonDraft {
    /// The identity provider's subject.
    pub subject: String,
    /// Name; at least one language.
    pub name: Bilingual,
    /// Organization id (exists: checked by the store).
    pub organization_id: String,
    /// Email, possibly empty.
    pub email: String,
    /// Job title, possibly empty.
    pub job_title: String,
    /// Still working there.
    pub active: bool,
    /// The platform roles they hold, sorted, each once; empty keeps the
    /// stored ones.
    pub roles: Vec<Role>,
}

/// The roles an org manager may give their people: none that reaches past
/// their company.
pub const MANAGER_GIVES: [Role; 3] = [Role::OrgManager, Role::Instructor, Role::Trainee];

/// Roles as the directory stores them: claim values between commas
/// (`,council,org_manager,`), empty when none.
pub fn roles_column(roles: &[Role]) -> String {
    if roles.is_empty() {
        return String::new();
    }
    let names: Vec<&str> = roles.iter().map(|role| role.as_str()).collect();
    format!(",{},", names.join(","))
}

/// The roles of a stored column (unknown names are skipped).
pub fn roles_of(column: &str) -> Vec<Role> {
    column.split(',').filter_map(Role::parse).collect()
}

/// Who is writing a person, which decides how the record changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Writer {
    /// The gateway recording a sign-in from the identity provider's claims:
    /// name, organization and email are taken, empty parts keep what is
    /// stored, `active` is kept.
    SignIn,
    /// A platform admin: every field replaced, any organization.
    Admin,
    /// An org manager of this organization: every field replaced (of the
    /// roles, those in [`MANAGER_GIVES`]; the holding's are kept), only for
    /// people of it who are not known under another organization.
    Manager(String),
}

/// What an upsert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upserted {
    /// A new person.
    Created,
    /// An existing person changed.
    Updated,
    /// An existing person, already as given.
    Unchanged,
}

/// Lengths.
pub const NAME_CHARS: usize = 200;
/// Longest email address (RFC 5321's path limit).
pub const EMAIL_CHARS: usize = 254;
/// Longest subject.
pub const SUBJECT_CHARS: usize = 256;

/// Checks an email address's shape: one `@` with text either side, a dot in
/// the domain, no spaces. Empty is allowed (unknown).
pub fn check_email(email: &str) -> Result<(), &'static str> {
    if email.is_empty() {
        return Ok(());
    }
    if email.chars().count() > EMAIL_CHARS {
        return Err("must be at most 254 characters");
    }
    let mut parts = email.split('@');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(local), Some(domain), None)
            if !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.chars().any(char::is_whitespace) =>
        {
            Ok(())
        }
        _ => Err("must be an email address like name@example.com"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert!(check_email("").is_ok());
        assert!(check_email("zahra.noori@msc.ir").is_ok());
        assert!(check_email("zahra").is_err());
        assert!(check_email("a@b@c.ir").is_err());
        assert!(check_email("a b@c.ir").is_err());
        assert!(check_email("a@localhost").is_err());
        assert!(check_email("@c.ir").is_err());
    }
}
