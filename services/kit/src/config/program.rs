//! The training program's own rules: the council's quorum, course
//! evaluations, and what certificates say and who signs them.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The council's approval rule.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct CouncilConfig {
    /// Approvals a submission needs in one round to be approved.
    pub required_approvals: u32,
}

impl Default for CouncilConfig {
    fn default() -> Self {
        Self {
            required_approvals: 2,
        }
    }
}

/// Course evaluations.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct EvaluationsConfig {
    /// Answers a group needs before its results (averages, comments,
    /// satisfaction and response rate) are shown; fewer say "too few answers".
    pub min_answers: u32,
    /// Days after the first submission during which an evaluation may be edited.
    pub edit_days: u32,
}

impl Default for EvaluationsConfig {
    fn default() -> Self {
        Self {
            min_answers: 5,
            edit_days: 14,
        }
    }
}

/// The certificates' issuer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct CredentialsConfig {
    /// The Ed25519 private key (PKCS#8 PEM) that signs new certificates; a
    /// compose secret in production. Unset with `auth.allow_dev_issuer` means
    /// a development key in the data directory. Swapping the file rotates the
    /// key: keys used before stay published, so old certificates still verify.
    pub signing_key_file: Option<PathBuf>,
    /// The issuer's name in every credential.
    pub issuer_name: String,
    /// Where the public web app answers (the credential's issuer id and the
    /// base of verification links), e.g. `https://training.imidro.example`.
    pub public_base_url: String,
    /// Who signs the certificate documents, in order (at most four).
    pub signatories: Vec<Signatory>,
    /// Other signatories for the certificates of one course or program,
    /// keyed by its id, in place of `signatories`.
    pub signatories_by_course: std::collections::BTreeMap<String, Vec<Signatory>>,
}

/// Text in Persian and English.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Bilingual {
    /// Persian.
    pub fa: String,
    /// English.
    pub en: String,
}

impl Bilingual {
    /// Both languages.
    pub fn new(fa: &str, en: &str) -> Self {
        Self {
            fa: fa.to_owned(),
            en: en.to_owned(),
        }
    }
}

/// One signature on a certificate document: a name (empty for a blank line
/// to sign on), a title, and an organization — or the trainee's own company
/// when `trainee_organization` is set (e.g. "the company's PR manager").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Signatory {
    /// The person's name.
    pub name: Bilingual,
    /// Their title.
    pub title: Bilingual,
    /// Their organization.
    pub organization: Bilingual,
    /// Whether the organization is the trainee's company.
    pub trainee_organization: bool,
}

impl Default for CredentialsConfig {
    fn default() -> Self {
        Self {
            signing_key_file: None,
            issuer_name: "IMIDRO — Hamafza training program (ایمیدرو — هم‌افزا)".to_owned(),
            public_base_url: "http://127.0.0.1:8080".to_owned(),
            signatories: vec![
                Signatory {
                    name: Bilingual::new("محمد سپهر", "Mohammad Sepehr"),
                    title: Bilingual::new("مدیر روابط عمومی", "Director of Public Relations"),
                    organization: Bilingual::new("ایمیدرو", "IMIDRO"),
                    trainee_organization: false,
                },
                Signatory {
                    name: Bilingual::default(),
                    title: Bilingual::new("مدیر روابط عمومی", "Public Relations Manager"),
                    organization: Bilingual::default(),
                    trainee_organization: true,
                },
            ],
            signatories_by_course: std::collections::BTreeMap::new(),
        }
    }
}
