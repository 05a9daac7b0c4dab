//! Issuance rules, free of I/O: what a new certificate states, what its
//! credential says, and when a trainee's course certificates complete a program.

use chrono::{DateTime, Utc};
use hamafza_kit::ids::Person;
use uuid::Uuid;

use super::credential::CredentialFacts;
use super::status::{Kind, Source, add_months};

/// Everything a new certificate states.
#[derive(Debug, Clone)]
pub struct NewCertificate {
    /// Course or program.
    pub kind: Kind,
    /// How it came to be.
    pub source: Source,
    /// The trainee.
    pub trainee: Person,
    /// The trainee's organization's name: Persian and English.
    pub organization_name: (String, String),
    /// The course, for a course certificate.
    pub course_id: Option<Uuid>,
    /// The program, for a program certificate.
    pub program_id: Option<Uuid>,
    /// Title: Persian and English.
    pub title: (String, String),
    /// Hours of training.
    pub hours: u32,
    /// The score, if any.
    pub score: Option<u32>,
    /// When it was earned.
    pub completion_time: DateTime<Utc>,
    /// How many calendar months it stays valid; `None` for ever.
    pub validity_months: Option<u32>,
    /// What it certifies once (see the certificate's `completion_key`).
    pub completion_key: Option<String>,
    /// The session completed, if any.
    pub session_id: Option<Uuid>,
    /// Why it was issued by hand; empty otherwise.
    pub manual_reason: String,
    /// Who issued it.
    pub issued_by: Person,
    /// The course certificates a program certificate rests on.
    pub basis: Vec<Uuid>,
}

/// What issuing stamps on a new certificate before its credential is signed.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The certificate id.
    pub id: Uuid,
    /// The human-readable serial.
    pub serial: String,
    /// When it is issued.
    pub issue_time: DateTime<Utc>,
    /// Until when it is valid.
    pub valid_until: Option<DateTime<Utc>>,
}

impl NewCertificate {
    /// The certificate of a completed program: issued by the service itself,
    /// with no score and no expiry, resting on the course certificates that
    /// complete it.
    pub fn for_program(
        trainee: Person,
        organization_name: (String, String),
        program_id: Uuid,
        title: (String, String),
        completion: ProgramCompletion,
        completion_key: String,
    ) -> Self {
        Self {
            kind: Kind::Program,
            source: Source::Program,
            trainee,
            organization_name,
            course_id: None,
            program_id: Some(program_id),
            title,
            hours: completion.hours,
            score: None,
            completion_time: completion.completion_time,
            validity_months: None,
            completion_key: Some(completion_key),
            session_id: None,
            manual_reason: String::new(),
            issued_by: Person {
                subject: "certification".to_owned(),
                name: "Hamafza".to_owned(),
                organization_id: String::new(),
            },
            basis: completion.basis,
        }
    }

    /// Until when it is valid: its validity in calendar months from the
    /// completion, if it has one.
    pub fn valid_until(&self) -> Option<DateTime<Utc>> {
        self.validity_months
            .map(|months| add_months(self.completion_time, months))
    }

    /// What the credential says was achieved: the course, else the program.
    pub fn achievement_id(&self) -> String {
        match (self.course_id, self.program_id) {
            (Some(course), _) => format!("urn:hamafza:course:{course}"),
            (None, Some(program)) => format!("urn:hamafza:program:{program}"),
            (None, None) => "urn:hamafza:achievement".to_owned(),
        }
    }

    /// What the signed credential states, as `issuer_id` (named `issuer_name`)
    /// issues it with `issued`'s stamp.
    pub fn credential_facts<'a>(
        &'a self,
        issued: &'a Issued,
        issuer_id: &'a str,
        issuer_name: &'a str,
        verification_url: &'a str,
    ) -> CredentialFacts<'a> {
        CredentialFacts {
            id: issued.id,
            serial: &issued.serial,
            issuer_id,
            issuer_name,
            trainee_subject: &self.trainee.subject,
            trainee_name: &self.trainee.name,
            organization_id: &self.trainee.organization_id,
            achievement_id: self.achievement_id(),
            achievement_kind: match self.kind {
                Kind::Course => "course",
                Kind::Program => "program",
            },
            title_fa: &self.title.0,
            title_en: &self.title.1,
            hours: self.hours,
            score: self.score,
            completion_time: self.completion_time,
            issue_time: issued.issue_time,
            valid_until: issued.valid_until,
            verification_url,
        }
    }
}

/// What a program certificate certifies once: the program, for the trainee,
/// on the course certificates `basis` (so the same completion delivered twice
/// is one certificate, and a program earned again, on new course
/// certificates after the first was revoked or ran out, is another).
pub fn program_completion_key(program: Uuid, trainee: &str, basis: &[Uuid]) -> String {
    use sha2::Digest as _;
    let mut sorted = basis.to_vec();
    sorted.sort_unstable();
    let mut hash = sha2::Sha256::new();
    for id in &sorted {
        hash.update(id.as_bytes());
    }
    let digest = hash.finalize();
    let short: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    format!("program:{program}:{trainee}:{short}")
}

/// A trainee's course certificate, as the program rule reads it.
#[derive(Debug, Clone)]
pub struct HeldCertificate {
    /// The certificate id.
    pub id: Uuid,
    /// Its course.
    pub course_id: Option<Uuid>,
    /// Hours of training.
    pub hours: u32,
    /// When it was earned.
    pub completion_time: DateTime<Utc>,
    /// Until when it is valid.
    pub valid_until: Option<DateTime<Utc>>,
}

/// The course certificates that complete a program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramCompletion {
    /// The course certificates it rests on, one per required course.
    pub basis: Vec<Uuid>,
    /// Their hours, added up.
    pub hours: u32,
    /// The latest of their completions.
    pub completion_time: DateTime<Utc>,
}

/// Whether the certificates a trainee `held` (unrevoked, newest first)
/// complete a program requiring the courses `required`: every required course
/// needs a certificate still valid at `now`, and the first such one is the
/// basis.
pub fn program_completion(
    required: &[Uuid],
    held: &[HeldCertificate],
    now: DateTime<Utc>,
) -> Option<ProgramCompletion> {
    let mut basis = Vec::new();
    for required in required {
        let best = held.iter().find(|c| {
            c.course_id == Some(*required) && c.valid_until.is_none_or(|until| until > now)
        });
        match best {
            Some(certificate) => basis.push(certificate),
            None => break,
        }
    }
    if basis.len() != required.len() {
        return None;
    }
    let hours = basis.iter().map(|c| c.hours).sum();
    let completion_time = basis.iter().map(|c| c.completion_time).max().unwrap_or(now);
    Some(ProgramCompletion {
        basis: basis.iter().map(|c| c.id).collect(),
        hours,
        completion_time,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held(
        course: Uuid,
        hours: u32,
        days_ago: i64,
        valid_for_days: Option<i64>,
    ) -> HeldCertificate {
        let now = Utc::now();
        HeldCertificate {
            id: Uuid::now_v7(),
            course_id: Some(course),
            hours,
            completion_time: now - chrono::Duration::days(days_ago),
            valid_until: valid_for_days.map(|days| now + chrono::Duration::days(days)),
        }
    }

    #[test]
    fn a_program_is_complete_when_every_required_course_is_held() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let newer = held(a, 10, 1, None);
        let older = held(a, 99, 30, None);
        let other = held(b, 5, 3, Some(30));
        let completion =
            program_completion(&[a, b], &[newer.clone(), older, other.clone()], Utc::now());
        assert_eq!(
            completion,
            Some(ProgramCompletion {
                basis: vec![newer.id, other.id],
                hours: 15,
                completion_time: newer.completion_time,
            })
        );
    }

    #[test]
    fn an_expired_or_missing_course_leaves_the_program_incomplete() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let expired = held(b, 5, 3, Some(-1));
        assert_eq!(
            program_completion(&[a, b], &[held(a, 10, 1, None), expired], Utc::now()),
            None
        );
        assert_eq!(
            program_completion(&[a, b], &[held(a, 10, 1, None)], Utc::now()),
            None
        );
    }

    #[test]
    fn the_achievement_is_the_course_else_the_program() {
        let program = Uuid::now_v7();
        let completion = ProgramCompletion {
            basis: Vec::new(),
            hours: 0,
            completion_time: Utc::now(),
        };
        let new = NewCertificate::for_program(
            Person {
                subject: "u".to_owned(),
                name: "n".to_owned(),
                organization_id: "o".to_owned(),
            },
            ("".to_owned(), "".to_owned()),
            program,
            ("".to_owned(), "".to_owned()),
            completion,
            program_completion_key(program, "u", &[Uuid::nil()]),
        );
        assert_eq!(
            new.achievement_id(),
            format!("urn:hamafza:program:{program}")
        );
        let key = new.completion_key.clone().unwrap();
        assert!(key.starts_with(&format!("program:{program}:u:")), "{key}");
        assert_eq!(key.len(), format!("program:{program}:u:").len() + 16);
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        assert_eq!(
            program_completion_key(program, "u", &[a, b]),
            program_completion_key(program, "u", &[b, a]),
            "the basis in any order"
        );
        assert_ne!(
            program_completion_key(program, "u", &[a]),
            program_completion_key(program, "u", &[b])
        );
        assert_eq!(new.valid_until(), None);
    }
}
