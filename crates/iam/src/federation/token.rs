//! Checks of a web-identity token (an OIDC ID token, a JWT), in the order that yields the
//! codes AWS returns: shape and algorithm, issuer → provider, key and signature, audience,
//! times, claims. Signatures are verified by `jsonwebtoken`; everything read before the
//! signature check only selects the provider and key and is trusted only after it.

use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

use super::FederationError;

/// AWS's allowed clock skew for `exp`, `nbf` and `iat` (five minutes).
pub const SKEW_SECS: i64 = 300;

/// The algorithms AWS accepts that `jsonwebtoken` implements (ES512 is not among them).
const ALGORITHMS: [Algorithm; 5] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::ES256,
    Algorithm::ES384,
];

fn invalid(message: impl Into<String>) -> FederationError {
    FederationError::InvalidIdentityToken(message.into())
}

const NOT_A_JWT: &str = "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)";

/// A token whose header and claims were read but not yet verified.
#[derive(Debug, Clone)]
pub struct Unverified {
    pub alg: Algorithm,
    pub kid: Option<String>,
    pub issuer: String,
    token: String,
}

/// Shape, algorithm and issuer. `raw` is the parameter as received: SDKs send the token
/// file verbatim, trailing newline included.
pub fn read(raw: &str) -> Result<Unverified, FederationError> {
    let token = raw.trim_matches(|c: char| c.is_ascii_whitespace());
    if token.split('.').count() != 3 {
        return Err(invalid(NOT_A_JWT));
    }
    let header = jsonwebtoken::decode_header(token).map_err(|_| {
        // An unknown `alg` (none, HS*, …) fails to parse as well: say which.
        if header_alg(token).is_some_and(|a| !a.is_empty()) {
            invalid("Unsupported or invalid token signing algorithm")
        } else {
            invalid(NOT_A_JWT)
        }
    })?;
    if !ALGORITHMS.contains(&header.alg) {
        return Err(invalid("Unsupported or invalid token signing algorithm"));
    }
    let claims: Map<String, Value> =
        jsonwebtoken::dangerous::insecure_decode_claims(token).map_err(|_| invalid(NOT_A_JWT))?;
    let issuer = claims
        .get("iss")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("The token is missing the iss claim"))?
        .to_owned();
    Ok(Unverified {
        alg: header.alg,
        kid: header.kid,
        issuer,
        token: token.to_owned(),
    })
}

/// The `alg` member of a header `jsonwebtoken` refused.
fn header_alg(token: &str) -> Option<String> {
    use base64::Engine;
    let part = token.split('.').next()?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .ok()?;
    let v: Value = serde_json::from_slice(&bytes).ok()?;
    v.get("alg")?.as_str().map(str::to_owned)
}

fn key_fits(jwk: &Jwk, alg: Algorithm) -> bool {
    let family_ok = matches!(
        (&jwk.algorithm, alg),
        (
            AlgorithmParameters::RSA(_),
            Algorithm::RS256 | Algorithm::RS384 | Algorithm::RS512
        ) | (
            AlgorithmParameters::EllipticCurve(_),
            Algorithm::ES256 | Algorithm::ES384
        )
    );
    let alg_ok = jwk
        .common
        .key_algorithm
        .is_none_or(|ka| format!("{ka:?}") == format!("{alg:?}"));
    // A key published for encryption is never a signing key.
    let use_ok = !matches!(
        jwk.common.public_key_use,
        Some(jsonwebtoken::jwk::PublicKeyUse::Encryption)
    );
    family_ok && alg_ok && use_ok
}

/// The keys the token may be signed with: the one named by `kid`, or every key of the
/// algorithm's family when the header names none.
pub fn candidates<'a>(u: &Unverified, set: &'a JwkSet) -> Vec<&'a Jwk> {
    match &u.kid {
        Some(kid) => set
            .keys
            .iter()
            .filter(|k| k.common.key_id.as_deref() == Some(kid.as_str()) && key_fits(k, u.alg))
            .collect(),
        None => set.keys.iter().filter(|k| key_fits(k, u.alg)).collect(),
    }
}

/// Verifies the signature with one of `keys` and returns the claims.
pub fn verify(u: &Unverified, keys: &[&Jwk]) -> Result<Map<String, Value>, FederationError> {
    let mut validation = Validation::new(u.alg);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    for jwk in keys {
        let Ok(key) = DecodingKey::from_jwk(jwk) else {
            continue;
        };
        if let Ok(data) = jsonwebtoken::decode::<Map<String, Value>>(&u.token, &key, &validation) {
            return Ok(data.claims);
        }
    }
    Err(invalid("The token signature is invalid"))
}

/// The client id the token is for: an `aud` value among `client_ids`, else `azp` when it is
/// (Keycloak-style tokens carry the client id there).
pub fn audience(
    claims: &Map<String, Value>,
    client_ids: &[String],
) -> Result<String, FederationError> {
    let auds: Vec<&str> = match claims.get("aud") {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let azp = claims.get("azp").and_then(Value::as_str);
    auds.into_iter()
        .chain(azp)
        .find(|a| client_ids.iter().any(|c| c == a))
        .map(str::to_owned)
        .ok_or_else(|| invalid("Incorrect token audience"))
}

fn int_claim(claims: &Map<String, Value>, name: &str) -> Result<Option<i64>, FederationError> {
    match claims.get(name) {
        None => Ok(None),
        Some(v) => v
            .as_i64()
            .map(Some)
            .ok_or_else(|| invalid(format!("The {name} claim must be an integer"))),
    }
}

/// `exp` (required), `nbf` and `iat`, against `now` (epoch seconds) with AWS's skew.
pub fn times(claims: &Map<String, Value>, now: i64) -> Result<(), FederationError> {
    let exp =
        int_claim(claims, "exp")?.ok_or_else(|| invalid("The token is missing the exp claim"))?;
    if now > exp.saturating_add(SKEW_SECS) {
        return Err(FederationError::ExpiredToken(format!(
            "Token expired: current date/time {now} must be before the expiration date/time {exp}"
        )));
    }
    for name in ["nbf", "iat"] {
        if let Some(t) = int_claim(claims, name)?
            && t > now.saturating_add(SKEW_SECS)
        {
            return Err(invalid(format!(
                "The token is not yet valid: {name} {t} is after the current date/time {now}"
            )));
        }
    }
    Ok(())
}

/// `sub`: required, 1–255 characters.
pub fn subject(claims: &Map<String, Value>) -> Result<String, FederationError> {
    match claims.get("sub").and_then(Value::as_str) {
        Some(s) if !s.is_empty() && s.chars().count() <= 255 => Ok(s.to_owned()),
        Some(_) => Err(invalid("The sub claim must have 1 to 255 characters")),
        None => Err(invalid("The token is missing the sub claim")),
    }
}

/// Session tags and transitive keys from `https://aws.amazon.com/tags`.
pub type TagClaim = (Vec<(String, String)>, Vec<String>);

/// Reads the session-tag claim: `principal_tags` values are a string or a one-element array.
pub fn session_tags(claims: &Map<String, Value>) -> Result<TagClaim, FederationError> {
    let Some(claim) = claims.get("https://aws.amazon.com/tags") else {
        return Ok((Vec::new(), Vec::new()));
    };
    let bad = || invalid("The https://aws.amazon.com/tags claim is malformed");
    let claim = claim.as_object().ok_or_else(bad)?;
    let mut tags = Vec::new();
    if let Some(pt) = claim.get("principal_tags") {
        for (k, v) in pt.as_object().ok_or_else(bad)? {
            let value = match v {
                Value::String(s) => s.clone(),
                Value::Array(a) if a.len() == 1 => a[0].as_str().ok_or_else(bad)?.to_owned(),
                _ => return Err(bad()),
            };
            tags.push((k.clone(), value));
        }
    }
    let mut transitive = Vec::new();
    if let Some(tt) = claim.get("transitive_tag_keys") {
        for k in tt.as_array().ok_or_else(bad)? {
            transitive.push(k.as_str().ok_or_else(bad)?.to_owned());
        }
    }
    Ok((tags, transitive))
}

/// `https://aws.amazon.com/source_identity`, when present.
pub fn source_identity(claims: &Map<String, Value>) -> Result<Option<String>, FederationError> {
    match claims.get("https://aws.amazon.com/source_identity") {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(invalid(
            "The https://aws.amazon.com/source_identity claim must be a string",
        )),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use base64::Engine;

    fn b64(v: &Value) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    }

    fn token(header: Value, claims: Value) -> String {
        format!("{}.{}.c2ln", b64(&header), b64(&claims))
    }

    fn claims(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn shapes_and_algorithms() {
        let iss = serde_json::json!({"iss": "https://i.example"});
        let ok = token(serde_json::json!({"alg": "RS256", "kid": "1"}), iss.clone());
        let u = read(&format!("{ok}\n")).unwrap();
        assert_eq!(u.issuer, "https://i.example");
        assert_eq!(u.kid.as_deref(), Some("1"));
        for alg in ["none", "HS256", "PS256", "EdDSA"] {
            let t = token(serde_json::json!({"alg": alg}), iss.clone());
            let e = read(&t).unwrap_err();
            assert!(e.to_string().contains("algorithm"), "{alg}: {e}");
        }
        for garbage in ["", "a.b", "a.b.c.d", "!!.!!.!!", "eyJ9.eyJ9.x"] {
            assert_eq!(read(garbage).unwrap_err(), invalid(NOT_A_JWT), "{garbage}");
        }
        let no_iss = token(serde_json::json!({"alg": "ES256"}), serde_json::json!({}));
        assert!(read(&no_iss).is_err());
    }

    #[test]
    fn audiences() {
        let ids = vec!["sts.amazonaws.com".to_owned()];
        let c = claims(serde_json::json!({"aud": ["x", "sts.amazonaws.com"]}));
        assert_eq!(audience(&c, &ids).unwrap(), "sts.amazonaws.com");
        let c = claims(serde_json::json!({"aud": "x", "azp": "sts.amazonaws.com"}));
        assert_eq!(audience(&c, &ids).unwrap(), "sts.amazonaws.com");
        let c = claims(serde_json::json!({"aud": "x"}));
        assert_eq!(
            audience(&c, &ids).unwrap_err().to_string(),
            "Incorrect token audience"
        );
        assert!(audience(&claims(serde_json::json!({})), &ids).is_err());
    }

    #[test]
    fn time_checks() {
        let now = 1_000_000;
        assert!(times(&claims(serde_json::json!({"exp": now + 10})), now).is_ok());
        assert!(times(&claims(serde_json::json!({"exp": now - 299})), now).is_ok());
        assert!(matches!(
            times(&claims(serde_json::json!({"exp": now - 301})), now),
            Err(FederationError::ExpiredToken(_))
        ));
        assert!(times(&claims(serde_json::json!({})), now).is_err());
        assert!(times(&claims(serde_json::json!({"exp": "1"})), now).is_err());
        assert!(times(&claims(serde_json::json!({"exp": 1.5})), now).is_err());
        assert!(times(&claims(serde_json::json!({"exp": i64::MAX})), now).is_ok());
        let future = serde_json::json!({"exp": now + 900, "nbf": now + 400});
        assert!(matches!(
            times(&claims(future), now),
            Err(FederationError::InvalidIdentityToken(_))
        ));
        let iat = serde_json::json!({"exp": now + 900, "iat": now + 200});
        assert!(times(&claims(iat), now).is_ok());
    }

    #[test]
    fn tag_claims() {
        let c = claims(serde_json::json!({"https://aws.amazon.com/tags": {
            "principal_tags": {"Project": ["Automation"], "Cost": "9"},
            "transitive_tag_keys": ["Project"]}}));
        let (mut tags, tt) = session_tags(&c).unwrap();
        tags.sort();
        assert_eq!(
            tags,
            vec![
                ("Cost".to_owned(), "9".to_owned()),
                ("Project".to_owned(), "Automation".to_owned())
            ]
        );
        assert_eq!(tt, vec!["Project"]);
        let c = claims(serde_json::json!({"https://aws.amazon.com/tags": {
            "principal_tags": {"P": ["a", "b"]}}}));
        assert!(session_tags(&c).is_err());
        assert!(subject(&claims(serde_json::json!({"sub": ""}))).is_err());
        assert!(subject(&claims(serde_json::json!({"sub": "x".repeat(256)}))).is_err());
    }
}
