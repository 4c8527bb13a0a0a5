//! The other credentials users keep on IAM: signing certificates, SSH public keys and
//! service-specific credentials (CodeCommit/Keyspaces passwords), with AWS's limits,
//! status changes and listings.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hourglass_store::{CredentialKind, NewUserCredential, Secret, StoreError, UserCredential};
use md5::{Digest as _, Md5};
use sha2::Sha256;

use crate::error::{IamError, IamResult};
use crate::ids::random_alnum;
use crate::principal::Principal;
use crate::{Caller, Identity, validate};

/// Services that issue service-specific credentials.
pub const SERVICES: &[&str] = &["codecommit.amazonaws.com", "cassandra.amazonaws.com"];

const INVALID_KEY: &str = "The specified public key is not valid.";
const MALFORMED_CERT: &str =
    "Unable to parse certificate. Please ensure the certificate is in PEM format.";

/// Reads one SSH wire-format string (u32 length + bytes).
fn ssh_string<'a>(blob: &mut &'a [u8]) -> Option<&'a [u8]> {
    let (len, rest) = blob.split_first_chunk::<4>()?;
    let len = usize::try_from(u32::from_be_bytes(*len)).ok()?;
    if rest.len() < len {
        return None;
    }
    let (s, rest) = rest.split_at(len);
    *blob = rest;
    Some(s)
}

/// An `ssh-rsa` public key: `(e, n, blob)`; AWS requires at least 2048 bits.
fn parse_ssh_rsa(body: &str) -> IamResult<(Vec<u8>, Vec<u8>, Vec<u8>)> {
    let bad = || IamError::InvalidPublicKey(INVALID_KEY.into());
    let mut parts = body.split_whitespace();
    if parts.next() != Some("ssh-rsa") {
        return Err(bad());
    }
    let blob = STANDARD
        .decode(parts.next().ok_or_else(bad)?)
        .map_err(|_| bad())?;
    let mut rest = blob.as_slice();
    if ssh_string(&mut rest) != Some(b"ssh-rsa".as_slice()) {
        return Err(bad());
    }
    let e = ssh_string(&mut rest).ok_or_else(bad)?.to_vec();
    let n = ssh_string(&mut rest).ok_or_else(bad)?.to_vec();
    if !rest.is_empty() {
        return Err(bad());
    }
    let n_trimmed: &[u8] = {
        let first = n.iter().position(|&b| b != 0).unwrap_or(n.len());
        &n[first..]
    };
    let bits = n_trimmed.len().saturating_mul(8)
        - n_trimmed.first().map_or(8, |b| b.leading_zeros() as usize);
    if bits < 2048 || e.is_empty() {
        return Err(IamError::InvalidPublicKey(
            "The specified public key is not valid: RSA keys need at least 2048 bits.".into(),
        ));
    }
    Ok((e, n, blob))
}

/// One DER element: `tag`, the definite length, `content`.
pub(crate) fn der_tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(u8::try_from(len).unwrap_or(0));
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
        out.push(0x80 | u8::try_from(bytes.len() - skip).unwrap_or(0));
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

fn der_uint(bytes: &[u8]) -> Vec<u8> {
    let first = bytes
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(bytes.len().saturating_sub(1));
    let mut v = bytes[first..].to_vec();
    if v.first().is_some_and(|b| b & 0x80 != 0) {
        v.insert(0, 0);
    }
    der_tlv(0x02, &v)
}

/// The key as a PEM SubjectPublicKeyInfo (GetSSHPublicKey with `Encoding=PEM`).
fn ssh_rsa_to_pem(e: &[u8], n: &[u8]) -> String {
    // rsaEncryption OID 1.2.840.113549.1.1.1 and NULL parameters.
    let algorithm = der_tlv(
        0x30,
        &[
            &[
                0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
            ][..],
            &[0x05, 0x00][..],
        ]
        .concat(),
    );
    let rsa_key = der_tlv(0x30, &[der_uint(n), der_uint(e)].concat());
    let bit_string = der_tlv(0x03, &[&[0u8][..], &rsa_key[..]].concat());
    let spki = der_tlv(0x30, &[algorithm, bit_string].concat());
    let b64 = STANDARD.encode(spki);
    let mut pem = String::from("-----BEGIN PUBLIC KEY-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(chunk));
        pem.push('\n');
    }
    pem.push_str("-----END PUBLIC KEY-----\n");
    pem
}

/// The DER of a PEM certificate (one `CERTIFICATE` block; its outer SEQUENCE must span the
/// whole decoded body).
pub(crate) fn pem_certificate_der(body: &str) -> IamResult<Vec<u8>> {
    let bad = || IamError::MalformedCertificate(MALFORMED_CERT.into());
    let start = body.find("-----BEGIN CERTIFICATE-----").ok_or_else(bad)?;
    let rest = &body[start + "-----BEGIN CERTIFICATE-----".len()..];
    let end = rest.find("-----END CERTIFICATE-----").ok_or_else(bad)?;
    let b64: String = rest[..end].chars().filter(|c| !c.is_whitespace()).collect();
    let der = STANDARD.decode(b64).map_err(|_| bad())?;
    let (&tag, after) = der.split_first().ok_or_else(bad)?;
    let (&len0, after) = after.split_first().ok_or_else(bad)?;
    let (len, header) = if len0 < 0x80 {
        (usize::from(len0), 2)
    } else {
        let n = usize::from(len0 & 0x7f);
        if n == 0 || n > 4 || after.len() < n {
            return Err(bad());
        }
        let len = after[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, 2 + n)
    };
    if tag != 0x30 || header.checked_add(len) != Some(der.len()) || len < 64 {
        return Err(bad());
    }
    Ok(der)
}

fn colon_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn credential_id() -> String {
    random_alnum(24).to_ascii_uppercase()
}

impl Identity {
    /// The user a call is about: `UserName`, or the calling IAM user itself.
    fn target_user(&self, caller: &Caller, user: Option<&str>) -> IamResult<String> {
        match (user, &caller.principal) {
            (Some(u), _) => {
                validate::name(u, "UserName", 128)?;
                Ok(u.to_owned())
            }
            (None, Principal::User(u)) => Ok(u.name.clone()),
            _ => Err(IamError::Validation(
                "1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null".into(),
            )),
        }
    }

    /// UploadSSHPublicKey / UploadSigningCertificate.
    pub async fn upload_user_key(
        &self,
        caller: &Caller,
        kind: CredentialKind,
        user: Option<&str>,
        body: &str,
    ) -> IamResult<UserCredential> {
        let (action, member, max) = match kind {
            CredentialKind::SshPublicKey => ("iam:UploadSSHPublicKey", "SSHPublicKeyBody", 16384),
            _ => ("iam:UploadSigningCertificate", "CertificateBody", 16384),
        };
        validate::length(body, member, 1, max)?;
        let user = self.target_user(caller, user)?;
        let fingerprint = match kind {
            CredentialKind::SshPublicKey => {
                let (_, _, blob) = parse_ssh_rsa(body)?;
                colon_hex(&Md5::digest(&blob))
            }
            _ => hex::encode(Sha256::digest(pem_certificate_der(body)?)),
        };
        self.authorized_user(caller, action, &user).await?;
        let id = match kind {
            CredentialKind::SshPublicKey => {
                format!("APKA{}", random_alnum(17).to_ascii_uppercase())
            }
            _ => credential_id(),
        };
        let new = NewUserCredential {
            account_id: self.account_id.clone(),
            user_name: user,
            kind,
            credential_id: id,
            body: body.to_owned(),
            fingerprint: Some(fingerprint),
            service_name: None,
            service_user_name: None,
            secret: None,
            upload_date: self.clock.now(),
        };
        match self.store.create_user_credential(new).await {
            Err(e @ StoreError::AlreadyExists { .. }) => Err(match kind {
                CredentialKind::SshPublicKey => IamError::DuplicateSSHPublicKey(e.to_string()),
                _ => IamError::DuplicateCertificate(e.to_string()),
            }),
            other => Ok(other?),
        }
    }

    /// GetSSHPublicKey (`Encoding` SSH or PEM).
    pub async fn get_ssh_public_key(
        &self,
        caller: &Caller,
        user: &str,
        id: &str,
        encoding: &str,
    ) -> IamResult<UserCredential> {
        validate::name(user, "UserName", 128)?;
        validate::length(id, "SSHPublicKeyId", 20, 128)?;
        if encoding != "SSH" && encoding != "PEM" {
            return Err(IamError::UnrecognizedPublicKeyEncoding(format!(
                "Unrecognized encoding {encoding}"
            )));
        }
        self.authorized_user(caller, "iam:GetSSHPublicKey", user)
            .await?;
        let mut key = self
            .store
            .get_user_credential(&self.account_id, user, CredentialKind::SshPublicKey, id)
            .await?;
        if encoding == "PEM" {
            let (e, n, _) = parse_ssh_rsa(&key.body)?;
            key.body = ssh_rsa_to_pem(&e, &n);
        }
        Ok(key)
    }

    pub async fn list_user_credentials(
        &self,
        caller: &Caller,
        kind: CredentialKind,
        user: Option<&str>,
        service: Option<&str>,
    ) -> IamResult<Vec<UserCredential>> {
        let action = match kind {
            CredentialKind::SshPublicKey => "iam:ListSSHPublicKeys",
            CredentialKind::SigningCertificate => "iam:ListSigningCertificates",
            CredentialKind::ServiceSpecific => "iam:ListServiceSpecificCredentials",
        };
        let user = self.target_user(caller, user)?;
        if let Some(s) = service {
            validate::one_of(s, "ServiceName", SERVICES)?;
        }
        self.authorized_user(caller, action, &user).await?;
        Ok(self
            .store
            .list_user_credentials(&self.account_id, &user, kind, service)
            .await?)
    }

    pub async fn update_user_credential(
        &self,
        caller: &Caller,
        kind: CredentialKind,
        user: Option<&str>,
        id: &str,
        status: &str,
    ) -> IamResult<()> {
        let action = match kind {
            CredentialKind::SshPublicKey => "iam:UpdateSSHPublicKey",
            CredentialKind::SigningCertificate => "iam:UpdateSigningCertificate",
            CredentialKind::ServiceSpecific => "iam:UpdateServiceSpecificCredential",
        };
        validate::one_of(status, "Status", &["Active", "Inactive"])?;
        validate::length(id, "Id", 20, 128)?;
        let user = self.target_user(caller, user)?;
        self.authorized_user(caller, action, &user).await?;
        Ok(self
            .store
            .set_user_credential_status(&self.account_id, &user, kind, id, status)
            .await?)
    }

    pub async fn delete_user_credential(
        &self,
        caller: &Caller,
        kind: CredentialKind,
        user: Option<&str>,
        id: &str,
    ) -> IamResult<()> {
        let action = match kind {
            CredentialKind::SshPublicKey => "iam:DeleteSSHPublicKey",
            CredentialKind::SigningCertificate => "iam:DeleteSigningCertificate",
            CredentialKind::ServiceSpecific => "iam:DeleteServiceSpecificCredential",
        };
        validate::length(id, "Id", 20, 128)?;
        let user = self.target_user(caller, user)?;
        self.authorized_user(caller, action, &user).await?;
        Ok(self
            .store
            .delete_user_credential(&self.account_id, &user, kind, id)
            .await?)
    }

    /// CreateServiceSpecificCredential: the password is returned this once.
    pub async fn create_service_credential(
        &self,
        caller: &Caller,
        user: &str,
        service: &str,
    ) -> IamResult<(UserCredential, Secret)> {
        validate::name(user, "UserName", 64)?;
        if !SERVICES.contains(&service) {
            return Err(IamError::NotSupportedService(format!(
                "No such service {service} is supported for Service-Specific Credentials"
            )));
        }
        self.authorized_user(caller, "iam:CreateServiceSpecificCredential", user)
            .await?;
        let stored = self.store.get_user(&self.account_id, user).await?;
        let password = Secret::new(format!("{}{}", crate::ids::new_secret(), random_alnum(4)));
        let new = NewUserCredential {
            account_id: self.account_id.clone(),
            user_name: stored.name.clone(),
            kind: CredentialKind::ServiceSpecific,
            credential_id: format!("ACCA{}", random_alnum(17).to_ascii_uppercase()),
            body: String::new(),
            fingerprint: None,
            service_name: Some(service.to_owned()),
            service_user_name: Some(format!("{}-at-{}", stored.name, self.account_id)),
            secret: Some(password.clone()),
            upload_date: self.clock.now(),
        };
        Ok((self.store.create_user_credential(new).await?, password))
    }

    pub async fn reset_service_credential(
        &self,
        caller: &Caller,
        user: Option<&str>,
        id: &str,
    ) -> IamResult<(UserCredential, Secret)> {
        validate::length(id, "ServiceSpecificCredentialId", 20, 128)?;
        let user = self.target_user(caller, user)?;
        self.authorized_user(caller, "iam:ResetServiceSpecificCredential", &user)
            .await?;
        let password = Secret::new(format!("{}{}", crate::ids::new_secret(), random_alnum(4)));
        let c = self
            .store
            .reset_service_credential(&self.account_id, &user, id, &password)
            .await?;
        Ok((c, password))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn ssh_key(bits: usize) -> String {
        let mut blob = Vec::new();
        for part in [b"ssh-rsa".to_vec(), vec![1, 0, 1], {
            let mut n = vec![0u8];
            n.push(0xc1);
            n.extend(std::iter::repeat_n(0x5a, bits / 8 - 1));
            n
        }] {
            blob.extend_from_slice(&u32::try_from(part.len()).unwrap().to_be_bytes());
            blob.extend_from_slice(&part);
        }
        format!("ssh-rsa {} me@host", STANDARD.encode(blob))
    }

    #[test]
    fn ssh_keys() {
        let (e, n, _) = parse_ssh_rsa(&ssh_key(2048)).unwrap();
        assert_eq!(e, [1, 0, 1]);
        let pem = ssh_rsa_to_pem(&e, &n);
        assert!(pem.starts_with(
            "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"
        ));
        assert!(parse_ssh_rsa(&ssh_key(1024)).is_err());
        assert!(parse_ssh_rsa("ssh-ed25519 AAAA").is_err());
        assert!(parse_ssh_rsa("ssh-rsa !!!").is_err());
    }

    #[test]
    fn certificates() {
        assert!(pem_certificate_der("not a cert").is_err());
        let body = [vec![0x30, 0x81, 0x80], vec![0u8; 0x80]].concat();
        let pem = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            STANDARD.encode(&body)
        );
        assert_eq!(pem_certificate_der(&pem).unwrap(), body);
        let short = format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            STANDARD.encode([0x30, 0x05, 1, 2])
        );
        assert!(pem_certificate_der(&short).is_err());
    }
}
