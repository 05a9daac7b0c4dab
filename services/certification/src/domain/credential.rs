//! The signed credential: a W3C Verifiable Credential (data model 2.0) shaped
//! as an Open Badges 3.0 `OpenBadgeCredential`, secured as a JWT (VC-JOSE:
//! `typ: vc+jwt`, EdDSA, with the signing key's `kid`). The JWT claims are the
//! credential itself plus the registered claims verifiers expect.

use chrono::{DateTime, SecondsFormat, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};
use uuid::Uuid;

/// The media type of the credential JWT, used as its `typ`.
pub const JWT_TYPE: &str = "vc+jwt";

/// What a credential states.
#[derive(Debug, Clone)]
pub struct CredentialFacts<'a> {
    /// The certificate id (the credential is `urn:uuid:<id>`).
    pub id: Uuid,
    /// The human-readable serial.
    pub serial: &'a str,
    /// Who issues: an id (URL) and a name.
    pub issuer_id: &'a str,
    /// The issuer's display name.
    pub issuer_name: &'a str,
    /// The trainee's `sub`.
    pub trainee_subject: &'a str,
    /// The trainee's name.
    pub trainee_name: &'a str,
    /// The trainee's organization id.
    pub organization_id: &'a str,
    /// The course or program id.
    pub achievement_id: String,
    /// "course" or "program".
    pub achievement_kind: &'a str,
    /// Title in Persian.
    pub title_fa: &'a str,
    /// Title in English.
    pub title_en: &'a str,
    /// Hours of training.
    pub hours: u32,
    /// The score, if any.
    pub score: Option<u32>,
    /// When it was earned.
    pub completion_time: DateTime<Utc>,
    /// When it was issued.
    pub issue_time: DateTime<Utc>,
    /// Until when it is valid.
    pub valid_until: Option<DateTime<Utc>>,
    /// The public verification page.
    pub verification_url: &'a str,
}

fn iso(instant: DateTime<Utc>) -> String {
    instant.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The JWT claims of a credential.
pub fn claims(facts: &CredentialFacts<'_>) -> Value {
    let id = format!("urn:uuid:{}", facts.id);
    let mut result = vec![json!({
        "type": ["Result"],
        "value": facts.hours.to_string(),
        "resultDescription": "hours"
    })];
    if let Some(score) = facts.score {
        result.push(
            json!({ "type": ["Result"], "value": score.to_string(), "resultDescription": "score" }),
        );
    }
    let mut claims = json!({
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
        ],
        "id": id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": facts.title_en,
        "issuer": { "id": facts.issuer_id, "type": ["Profile"], "name": facts.issuer_name },
        "validFrom": iso(facts.issue_time),
        "credentialSubject": {
            "id": format!("urn:hamafza:person:{}", facts.trainee_subject),
            "type": ["AchievementSubject"],
            "name": facts.trainee_name,
            "organization": facts.organization_id,
            "achievement": {
                "id": facts.achievement_id,
                "type": ["Achievement"],
                "achievementType":
                    if facts.achievement_kind == "program" { "Certificate" } else { "Course" },
                "name": facts.title_en,
                "nameFa": facts.title_fa,
                "description": format!("{} ({} h)", facts.title_en, facts.hours),
                "criteria": {
                    "narrative": format!(
                        "Completed the {} on {}",
                        facts.achievement_kind,
                        iso(facts.completion_time)
                    )
                }
            },
            "activityEndDate": iso(facts.completion_time),
            "result": result,
            "identifier": [{
                "type": "IdentityObject",
                "identityHash": facts.serial,
                "identityType": "identifier",
                "hashed": false
            }]
        },
        "evidence": [{
            "id": facts.verification_url,
            "type": ["Evidence"],
            "name": "Verification"
        }],
        // Registered JWT claims (VC-JOSE): verifiers check these.
        "iss": facts.issuer_id,
        "sub": format!("urn:hamafza:person:{}", facts.trainee_subject),
        "jti": id,
        "iat": facts.issue_time.timestamp(),
        "nbf": facts.issue_time.timestamp(),
    });
    if let Some(until) = facts.valid_until {
        claims["validUntil"] = json!(iso(until));
        claims["exp"] = json!(until.timestamp());
    }
    claims
}

/// The certificate id a credential names in `jti` (or `id`).
pub fn certificate_id(claims: &Value) -> Option<Uuid> {
    let id = claims.get("jti").or_else(|| claims.get("id"))?.as_str()?;
    Uuid::parse_str(id.strip_prefix("urn:uuid:")?).ok()
}

/// The `kid` in a credential JWT's header; `None` when the header is not
/// readable or names no key of the form this issuer gives (1 to 100
/// printable ASCII characters): anything else, a NUL byte say, is no key
/// of ours and never reaches the database.
pub fn key_id(jwt: &str) -> Option<String> {
    jsonwebtoken::decode_header(jwt)
        .ok()?
        .kid
        .filter(|kid| (1..=100).contains(&kid.len()) && kid.chars().all(|c| c.is_ascii_graphic()))
}

/// The claims of a credential JWT whose EdDSA signature `jwk` (a public JWK,
/// as JSON) verifies; `None` when it does not. Expiry and audience are not
/// checked: whether the certificate still stands is its standing's to say.
pub fn verified_claims(jwt: &str, jwk: &str) -> Option<Value> {
    let jwk = serde_json::from_str::<jsonwebtoken::jwk::Jwk>(jwk).ok()?;
    let decoding = DecodingKey::from_jwk(&jwk).ok()?;
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<Value>(jwt, &decoding, &validation).ok()?;
    Some(data.claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credential_names_itself_and_its_subject() {
        let id = Uuid::now_v7();
        let now = Utc::now();
        let facts = CredentialFacts {
            id,
            serial: "HMZ-0000-0000-0000",
            issuer_id: "https://hamafza.example",
            issuer_name: "IMIDRO",
            trainee_subject: "u-1",
            trainee_name: "سارا",
            organization_id: "msc",
            achievement_id: "urn:hamafza:course:x".to_owned(),
            achievement_kind: "course",
            title_fa: "الف",
            title_en: "A",
            hours: 12,
            score: Some(90),
            completion_time: now,
            issue_time: now,
            valid_until: Some(now + chrono::Duration::days(30)),
            verification_url: "https://hamafza.example/verify/HMZ-0000-0000-0000",
        };
        let claims = claims(&facts);
        assert_eq!(certificate_id(&claims), Some(id));
        assert_eq!(claims["type"][1], "OpenBadgeCredential");
        assert_eq!(claims["credentialSubject"]["name"], "سارا");
        assert!(claims.get("exp").is_some());
    }
}
