//! Temporary credentials (DESIGN principle 5: stateless credentials).
//!
//! A temporary credential is an `ASIA…` access key id, a 40-character secret and a session
//! token. Nothing is written to the store when one is issued: the session token is the
//! session. It is the JSON [`SessionClaims`] sealed by the server key ring
//! (ChaCha20-Poly1305 under the ring's current key, `v1.<key id>.<base64url>`), with the
//! associated data `hourglass-sts-session-v1:` + the access key id, so a token opens only
//! together with the key id it was issued for. The secret travels inside the sealed claims:
//! any node holding the ring recovers it from the token to verify the signature, without a
//! store read. Tampering, a token presented with another key id, or a token sealed by a key
//! the ring does not hold all fail the AEAD check and read as an invalid token.
//!
//! Rotation: a new ring key becomes current for new tokens; tokens sealed before stay
//! readable while their key remains in the ring (removing a key from the ring revokes every
//! session sealed with it).
//!
//! What is frozen at issue time is what AWS freezes: the session name, issue and expiry
//! time, source identity, session tags and transitive tag keys, session policies (inline
//! text and managed policy ARNs), chain depth and MFA state. The role's or user's own
//! policies are read at request time, so a policy change, a revocation deny on
//! `aws:TokenIssueTime`, or a deleted role applies to live sessions at once.

use std::fmt;

use chrono::{DateTime, TimeZone, Utc};
use hourglass_store::{KeyRing, Secret};
use serde::{Deserialize, Serialize};

use crate::error::AuthError;

/// The longest session token accepted; anything longer is refused before decryption.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;

const AAD_PREFIX: &[u8] = b"hourglass-sts-session-v1:";

/// How the session was created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SessionKind {
    /// AssumeRole.
    #[serde(rename = "role")]
    Role,
    /// GetSessionToken by an IAM user.
    #[serde(rename = "user")]
    User,
    /// GetSessionToken by the root user.
    #[serde(rename = "root")]
    Root,
    /// GetFederationToken: a federated user named `session_name`, whose parent is the user
    /// `user_id` (or the root user when `user_id` is absent).
    #[serde(rename = "fed")]
    FederatedUser,
}

/// Everything a session token carries.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionClaims {
    #[serde(rename = "k")]
    pub kind: SessionKind,
    #[serde(rename = "a")]
    pub account_id: String,
    /// The secret access key of the `ASIA…` key.
    #[serde(rename = "s")]
    pub(crate) secret: String,
    /// Role sessions: the role's unique id (`AROA…`); a role deleted and re-created under
    /// the same name is another role, so its old sessions stop working.
    #[serde(rename = "r", default, skip_serializing_if = "Option::is_none")]
    pub role_id: Option<String>,
    /// GetSessionToken sessions of users and federated users: the (parent) user's unique
    /// id (`AIDA…`).
    #[serde(rename = "u", default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Role sessions: RoleSessionName. Federated users: the federated user's name.
    #[serde(rename = "n", default, skip_serializing_if = "Option::is_none")]
    pub session_name: Option<String>,
    /// Issue time, milliseconds since the epoch (`aws:TokenIssueTime`).
    #[serde(rename = "i")]
    pub issued_ms: i64,
    /// Expiry, milliseconds since the epoch.
    #[serde(rename = "e")]
    pub expires_ms: i64,
    #[serde(rename = "si", default, skip_serializing_if = "Option::is_none")]
    pub source_identity: Option<String>,
    /// Session tags: inherited transitive tags overridden by the tags passed to AssumeRole.
    #[serde(rename = "t", default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<(String, String)>,
    /// Keys of `tags` that pass on to chained sessions.
    #[serde(rename = "tt", default, skip_serializing_if = "Vec::is_empty")]
    pub transitive_tag_keys: Vec<String>,
    /// Inline session policy, as passed.
    #[serde(rename = "p", default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// Managed session policy ARNs, as passed (their documents are read at request time).
    #[serde(rename = "pa", default, skip_serializing_if = "Vec::is_empty")]
    pub policy_arns: Vec<String>,
    /// 0 for a session made from long-term credentials, +1 per chained AssumeRole.
    #[serde(rename = "d", default)]
    pub chain_depth: u8,
    /// Whether the session was created with MFA (never, until MFA devices are modelled).
    #[serde(rename = "m", default)]
    pub mfa: bool,
    /// Web-identity sessions: the provider and the token's keys that stay available to
    /// later requests (`aws:FederatedProvider`, `{provider}:aud|sub|…`).
    #[serde(rename = "f", default, skip_serializing_if = "Option::is_none")]
    pub federated: Option<FederatedSession>,
    /// The long-term access key the session descends from, directly or through a chain of
    /// AssumeRole calls: what makes the leaked-key response's revocation exact.
    #[serde(rename = "o", default, skip_serializing_if = "Option::is_none")]
    pub origin_key_id: Option<String>,
}

/// What a web-identity or SAML session keeps of its token or assertion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FederatedSession {
    /// The provider ARN (`aws:FederatedProvider`).
    #[serde(rename = "p")]
    pub provider: String,
    /// `{provider}:aud`, `{provider}:sub`, … as evaluated at AssumeRoleWithWebIdentity.
    #[serde(rename = "k", default)]
    pub keys: Vec<(String, Vec<String>)>,
    /// An AssumeRoleWithSAML session: its keys are `saml:*`, and AWS neither sets
    /// `aws:FederatedProvider` nor records `webIdFederationData` for it.
    #[serde(rename = "s", default, skip_serializing_if = "std::ops::Not::not")]
    pub saml: bool,
}

impl fmt::Debug for SessionClaims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionClaims")
            .field("kind", &self.kind)
            .field("account_id", &self.account_id)
            .field("secret", &"***")
            .field("role_id", &self.role_id)
            .field("user_id", &self.user_id)
            .field("session_name", &self.session_name)
            .field("issued_ms", &self.issued_ms)
            .field("expires_ms", &self.expires_ms)
            .field("source_identity", &self.source_identity)
            .field("tags", &self.tags)
            .field("transitive_tag_keys", &self.transitive_tag_keys)
            .field("policy", &self.policy)
            .field("policy_arns", &self.policy_arns)
            .field("chain_depth", &self.chain_depth)
            .field("mfa", &self.mfa)
            .field("origin_key_id", &self.origin_key_id)
            .finish()
    }
}

fn at_ms(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

impl SessionClaims {
    pub fn issued_at(&self) -> DateTime<Utc> {
        at_ms(self.issued_ms)
    }

    pub fn expires_at(&self) -> DateTime<Utc> {
        at_ms(self.expires_ms)
    }

    /// `aws:TokenIssueTime`, ISO-8601 at second precision as AWS renders it.
    pub fn token_issue_time(&self) -> String {
        hourglass_sigv4::time::format_iso8601(self.issued_at())
    }

    /// Whether the session was created with session policies (which then must allow).
    pub fn has_session_policies(&self) -> bool {
        self.policy.is_some() || !self.policy_arns.is_empty()
    }

    /// The secret access key of the session.
    pub fn secret(&self) -> Secret {
        Secret::new(self.secret.clone())
    }

    /// Session tags that pass on to a session chained from this one.
    pub fn transitive_tags(&self) -> Vec<(String, String)> {
        self.tags
            .iter()
            .filter(|(k, _)| {
                self.transitive_tag_keys
                    .iter()
                    .any(|t| t.eq_ignore_ascii_case(k))
            })
            .cloned()
            .collect()
    }
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A fresh `ASIA…` key id (20 characters) that names its account the way AWS key ids do:
/// 80 bits, 40 random then the 12-digit account id in 40 bits, in base32. GetAccessKeyInfo
/// reads the account back without any lookup.
pub fn new_temporary_key_id(account_id: &str) -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 10];
    rand::rng().fill_bytes(&mut bytes[..5]);
    match account_id.parse::<u64>() {
        Ok(n) if account_id.len() == 12 => bytes[5..].copy_from_slice(&n.to_be_bytes()[3..]),
        _ => rand::rng().fill_bytes(&mut bytes[5..]),
    }
    let mut bits: u128 = 0;
    for b in bytes {
        bits = (bits << 8) | u128::from(b);
    }
    let mut id = String::with_capacity(20);
    id.push_str("ASIA");
    for i in (0..16).rev() {
        id.push(char::from(BASE32[((bits >> (i * 5)) & 31) as usize]));
    }
    id
}

/// The account id encoded in a key id made by [`new_temporary_key_id`].
pub fn account_of_temporary_key(access_key_id: &str) -> Option<String> {
    let body = access_key_id.strip_prefix("ASIA")?;
    if body.len() != 16 {
        return None;
    }
    let mut bits: u128 = 0;
    for c in body.bytes() {
        let v = BASE32.iter().position(|&a| a == c)?;
        bits = (bits << 5) | v as u128;
    }
    let account = (bits & 0xff_ffff_ffff) as u64;
    (account < 1_000_000_000_000).then(|| format!("{account:012}"))
}

fn aad(access_key_id: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(AAD_PREFIX.len() + access_key_id.len());
    aad.extend_from_slice(AAD_PREFIX);
    aad.extend_from_slice(access_key_id.as_bytes());
    aad
}

/// Seals `claims` into the session token of `access_key_id`.
pub fn seal(ring: &KeyRing, access_key_id: &str, claims: &SessionClaims) -> Result<String, String> {
    let json =
        serde_json::to_vec(claims).map_err(|e| format!("cannot encode session claims: {e}"))?;
    ring.seal(&json, &aad(access_key_id))
        .map_err(|e| format!("cannot seal a session token: {e}"))
}

/// Opens the session token presented with `access_key_id`. Every failure reads as an
/// invalid token: a caller cannot tell a tampered token from one of another server.
pub fn open(ring: &KeyRing, access_key_id: &str, token: &str) -> Result<SessionClaims, AuthError> {
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return Err(AuthError::InvalidToken);
    }
    let plain = ring
        .open(token, &aad(access_key_id))
        .map_err(|_| AuthError::InvalidToken)?;
    serde_json::from_slice(&plain).map_err(|_| AuthError::InvalidToken)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn claims() -> SessionClaims {
        SessionClaims {
            kind: SessionKind::Role,
            account_id: "123456789012".into(),
            secret: "s".repeat(40),
            role_id: Some("AROAEXAMPLE".into()),
            user_id: None,
            session_name: Some("s1".into()),
            issued_ms: 1_700_000_000_123,
            expires_ms: 1_700_003_600_123,
            source_identity: Some("alice".into()),
            tags: vec![("Team".into(), "blue".into()), ("x".into(), "y".into())],
            transitive_tag_keys: vec!["team".into()],
            policy: Some("{}".into()),
            policy_arns: vec![],
            chain_depth: 1,
            mfa: false,
            federated: None,
            origin_key_id: None,
        }
    }

    #[test]
    fn roundtrip_and_binding() {
        let ring = KeyRing::generate("k1").unwrap();
        let c = claims();
        let token = seal(&ring, "ASIAAAAAAAAAAAAAAAAA", &c).unwrap();
        assert!(!token.contains(&c.secret));
        assert_eq!(open(&ring, "ASIAAAAAAAAAAAAAAAAA", &token).unwrap(), c);
        // Another key id: the associated data differs.
        assert_eq!(
            open(&ring, "ASIABBBBBBBBBBBBBBBB", &token),
            Err(AuthError::InvalidToken)
        );
        // Another server's ring.
        let other = KeyRing::generate("k1").unwrap();
        assert_eq!(
            open(&other, "ASIAAAAAAAAAAAAAAAAA", &token),
            Err(AuthError::InvalidToken)
        );
        // Tampering anywhere.
        let mut bytes = token.clone().into_bytes();
        let mid = bytes.len() / 2;
        bytes[mid] = if bytes[mid] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        assert_eq!(
            open(&ring, "ASIAAAAAAAAAAAAAAAAA", &tampered),
            Err(AuthError::InvalidToken)
        );
        assert_eq!(
            open(&ring, "ASIAAAAAAAAAAAAAAAAA", ""),
            Err(AuthError::InvalidToken)
        );
        assert!(!format!("{c:?}").contains(&c.secret));
    }

    #[test]
    fn every_single_character_change_is_refused() {
        let ring = KeyRing::generate("k1").unwrap();
        let token = seal(&ring, "ASIAAAAAAAAAAAAAAAAA", &claims()).unwrap();
        let bytes = token.as_bytes();
        for i in 0..bytes.len() {
            for replacement in [b'A', b'z', b'.', b'-'] {
                if bytes[i] == replacement {
                    continue;
                }
                let mut changed = bytes.to_vec();
                changed[i] = replacement;
                let changed = String::from_utf8(changed).unwrap();
                assert!(
                    open(&ring, "ASIAAAAAAAAAAAAAAAAA", &changed).is_err(),
                    "position {i} -> {}",
                    replacement as char
                );
            }
        }
        // Truncation and extension too.
        assert!(open(&ring, "ASIAAAAAAAAAAAAAAAAA", &token[..token.len() - 1]).is_err());
        assert!(open(&ring, "ASIAAAAAAAAAAAAAAAAA", &format!("{token}A")).is_err());
        assert!(
            open(
                &ring,
                "ASIAAAAAAAAAAAAAAAAA",
                &"A".repeat(MAX_TOKEN_LEN + 1)
            )
            .is_err()
        );
    }

    #[test]
    fn survives_rotation() {
        use base64::Engine as _;
        let k1 = base64::engine::general_purpose::STANDARD.encode([1u8; 32]);
        let k2 = base64::engine::general_purpose::STANDARD.encode([2u8; 32]);
        let old = KeyRing::from_env_value(&format!("k1:{k1}")).unwrap();
        let token = seal(&old, "ASIAAAAAAAAAAAAAAAAA", &claims()).unwrap();
        let rotated = KeyRing::from_env_value(&format!("k1:{k1},k2:{k2}")).unwrap();
        assert_eq!(rotated.current_key_id(), "k2");
        assert!(open(&rotated, "ASIAAAAAAAAAAAAAAAAA", &token).is_ok());
        let fresh = seal(&rotated, "ASIAAAAAAAAAAAAAAAAA", &claims()).unwrap();
        assert!(fresh.starts_with("v1.k2."));
        // A ring without k1 no longer opens the old token.
        let dropped = KeyRing::from_env_value(&format!("k2:{k2}")).unwrap();
        assert!(open(&dropped, "ASIAAAAAAAAAAAAAAAAA", &token).is_err());
    }

    #[test]
    fn key_ids_carry_their_account() {
        let id = new_temporary_key_id("123456789012");
        assert_eq!(id.len(), 20);
        assert!(id.starts_with("ASIA"));
        assert_eq!(
            account_of_temporary_key(&id).as_deref(),
            Some("123456789012")
        );
        assert_ne!(new_temporary_key_id("123456789012"), id);
        assert_eq!(
            account_of_temporary_key(&new_temporary_key_id("000000000001")).as_deref(),
            Some("000000000001")
        );
        assert_eq!(account_of_temporary_key("AKIAIOSFODNN7EXAMPLE"), None);
        assert_eq!(account_of_temporary_key("ASIA1"), None);
    }

    #[test]
    fn transitive_tags_and_issue_time() {
        let c = claims();
        assert_eq!(
            c.transitive_tags(),
            vec![("Team".to_owned(), "blue".to_owned())]
        );
        assert_eq!(c.token_issue_time(), "2023-11-14T22:13:20Z");
    }
}
