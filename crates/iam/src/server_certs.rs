//! IAM server certificates: UploadServerCertificate and its siblings. The certificate body
//! must be one PEM X.509 certificate, the private key (RSA, PKCS#1 or PKCS#8; EC P-256,
//! P-384 or P-521, PKCS#8) must be the certificate's, and each certificate of the chain
//! must parse and name as its subject the issuer of the one before it. `Expiration` is the
//! certificate's notAfter. The private key is sealed at rest by the store and never
//! returned.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use der::Decode as _;
use hourglass_store::{Secret, ServerCertificate, ServerCertificateChange};
use x509_cert::Certificate;
use x509_cert::spki::SubjectPublicKeyInfoOwned;

use crate::authz::Access;
use crate::error::{IamError, IamResult};
use crate::ids::{IdKind, new_id};
use crate::principal::Caller;
use crate::tags::{Taggable, tags_of, to_tags};
use crate::user_credentials::{der_tlv, pem_certificate_der};
use crate::{Identity, validate};

const TAG_QUOTA: &str = "TagsPerServerCertificate";
const MALFORMED_CERT: &str =
    "Unable to parse certificate. Please ensure the certificate is in PEM format.";
const MALFORMED_KEY: &str = "Unable to parse private key.";
const MISMATCH: &str = "The private key does not match the public key in the certificate.";

/// UploadServerCertificate's input.
#[derive(Debug, Clone)]
pub struct UploadServerCertificate {
    pub path: Option<String>,
    pub name: String,
    pub body: String,
    pub private_key: Secret,
    pub chain: Option<String>,
    pub tags: Vec<(String, String)>,
}

/// `ServerCertificateName`: `[\w+=,.@-]+`, 1–128 characters.
fn check_name(name: &str, member: &str) -> IamResult<()> {
    validate::name(name, member, 128)
}

/// PEM text members: 1–`max` characters of `[\u0009\u000A\u000D\u0020-\u00FF]+`.
fn check_pem_member(value: &str, member: &str, max: usize) -> IamResult<()> {
    validate::unechoed_text(value, member, max)
}

fn parse_certificate(der: &[u8]) -> IamResult<Certificate> {
    Certificate::from_der(der).map_err(|_| IamError::MalformedCertificate(MALFORMED_CERT.into()))
}

/// Every `CERTIFICATE` block of a chain, in order.
fn chain_blocks(chain: &str) -> Vec<&str> {
    const END: &str = "-----END CERTIFICATE-----";
    let mut out = Vec::new();
    let mut rest = chain;
    while let Some(start) = rest.find("-----BEGIN CERTIFICATE-----") {
        let Some(end) = rest[start..].find(END) else {
            out.push(&rest[start..]);
            break;
        };
        let stop = start + end + END.len();
        out.push(&rest[start..stop]);
        rest = &rest[stop..];
    }
    out
}

fn chain_error(index: i64) -> IamError {
    IamError::MalformedCertificate(format!(
        "Unable to validate certificate chain. The certificate chain must start with the immediate signing certificate, followed by any intermediaries in order. The index within the chain of the invalid certificate is: {index}"
    ))
}

/// Each chain certificate parses and is the issuer of the certificate before it.
fn check_chain(leaf: &Certificate, chain: &str) -> IamResult<()> {
    let blocks = chain_blocks(chain);
    if blocks.is_empty() {
        return Err(chain_error(-1));
    }
    let mut previous = leaf.clone();
    for (i, block) in blocks.iter().enumerate() {
        let index = i64::try_from(i).unwrap_or(i64::MAX);
        let cert = pem_certificate_der(block)
            .and_then(|der| parse_certificate(&der))
            .map_err(|_| chain_error(index))?;
        if cert.tbs_certificate.subject != previous.tbs_certificate.issuer {
            return Err(chain_error(index));
        }
        previous = cert;
    }
    Ok(())
}

/// Splits one DER element off `input`: `(tag, content, rest)`.
fn der_take(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&len0, rest) = rest.split_first()?;
    let (len, rest) = if len0 < 0x80 {
        (usize::from(len0), rest)
    } else {
        let n = usize::from(len0 & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// The body of the PEM block labelled `label`, decoded.
fn pem_block(pem: &str, label: &str) -> Option<Vec<u8>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem.find(&begin)? + begin.len();
    let stop = start + pem[start..].find(&end)?;
    let b64: String = pem[start..stop]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD.decode(b64).ok()
}

/// A PKCS#8 `PrivateKeyInfo` PEM around a key of `algorithm` (an AlgorithmIdentifier).
fn pkcs8_pem(algorithm: &[u8], key: &[u8]) -> String {
    let info = der_tlv(
        0x30,
        &[&[0x02, 0x01, 0x00][..], algorithm, &der_tlv(0x04, key)].concat(),
    );
    let b64 = base64::engine::general_purpose::STANDARD.encode(info);
    let mut pem = String::from("-----BEGIN PRIVATE KEY-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(chunk));
        pem.push('\n');
    }
    pem.push_str("-----END PRIVATE KEY-----\n");
    pem
}

/// PKCS#1 (`RSA PRIVATE KEY`) and SEC1 (`EC PRIVATE KEY`) keys rewrapped as PKCS#8, which
/// the key loaders read; PKCS#8 keys as given.
fn as_pkcs8(pem: &str) -> Option<String> {
    if let Some(der) = pem_block(pem, "RSA PRIVATE KEY") {
        // rsaEncryption, NULL parameters.
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
        return Some(pkcs8_pem(&algorithm, &der));
    }
    if let Some(der) = pem_block(pem, "EC PRIVATE KEY") {
        // The curve is the `[0]` parameters of the ECPrivateKey.
        let (_, mut fields, _) = der_take(&der)?;
        let mut curve = None;
        while let Some((tag, content, rest)) = der_take(fields) {
            if tag == 0xa0 {
                curve = Some(content.to_vec());
            }
            fields = rest;
        }
        // id-ecPublicKey 1.2.840.10045.2.1.
        let algorithm = der_tlv(
            0x30,
            &[
                &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01][..],
                &curve?[..],
            ]
            .concat(),
        );
        return Some(pkcs8_pem(&algorithm, &der));
    }
    Some(pem.trim().to_owned())
}

/// The public key (SubjectPublicKeyInfo's bit string) of a PEM private key.
fn private_key_public_bits(pem: &str) -> IamResult<Vec<u8>> {
    use bergshamra_keys::loader;
    let bad = || IamError::MalformedCertificate(MALFORMED_KEY.into());
    let pkcs8 = zeroize::Zeroizing::new(as_pkcs8(pem).ok_or_else(bad)?);
    let data = pkcs8.as_bytes();
    let key = loader::load_rsa_private_pem(data)
        .or_else(|_| loader::load_ec_p256_private_pem(data))
        .or_else(|_| loader::load_ec_p384_private_pem(data))
        .or_else(|_| loader::load_ec_p521_private_pem(data))
        .map_err(|_| bad())?;
    let spki = key.to_spki_der().ok_or_else(bad)?;
    let spki = SubjectPublicKeyInfoOwned::from_der(&spki).map_err(|_| bad())?;
    Ok(spki.subject_public_key.raw_bytes().to_vec())
}

/// Validates the upload and returns the certificate's notAfter.
/// A certificate outside its validity period (expired, or not valid yet, e.g. made on a host
/// whose clock runs ahead) fails X.509 validation: AWS answers MalformedCertificate, with its
/// generic parse message.
fn check_upload(input: &UploadServerCertificate, now: DateTime<Utc>) -> IamResult<DateTime<Utc>> {
    let der = pem_certificate_der(&input.body)?;
    let cert = parse_certificate(&der)?;
    let cert_key = cert
        .tbs_certificate
        .subject_public_key_info
        .subject_public_key
        .raw_bytes()
        .to_vec();
    if private_key_public_bits(input.private_key.expose())? != cert_key {
        return Err(IamError::KeyPairMismatch(MISMATCH.into()));
    }
    if let Some(chain) = &input.chain {
        check_chain(&cert, chain)?;
    }
    let validity = &cert.tbs_certificate.validity;
    let at = |t: &x509_cert::time::Time| {
        let secs = t.to_unix_duration().as_secs();
        DateTime::<Utc>::from_timestamp(i64::try_from(secs).unwrap_or(i64::MAX), 0)
            .ok_or_else(|| IamError::MalformedCertificate(MALFORMED_CERT.into()))
    };
    let not_before = at(&validity.not_before)?;
    let not_after = at(&validity.not_after)?;
    if now < not_before || now > not_after {
        return Err(IamError::MalformedCertificate(MALFORMED_CERT.into()));
    }
    Ok(not_after)
}

impl Identity {
    /// `arn:aws:iam::ACCT:server-certificate{path}{name}`.
    fn server_certificate_arn(&self, path: &str, name: &str) -> String {
        format!(
            "arn:aws:iam::{}:server-certificate{path}{name}",
            self.account_id
        )
    }

    pub async fn upload_server_certificate(
        &self,
        caller: &Caller,
        input: UploadServerCertificate,
    ) -> IamResult<ServerCertificate> {
        let path = input.path.clone().unwrap_or_else(|| "/".to_owned());
        validate::path(&path, "Path")?;
        check_name(&input.name, "ServerCertificateName")?;
        check_pem_member(&input.body, "CertificateBody", 16_384)?;
        check_pem_member(input.private_key.expose(), "PrivateKey", 16_384)?;
        if let Some(chain) = &input.chain {
            check_pem_member(chain, "CertificateChain", 2_097_152)?;
        }
        validate::tags_with_quota(&input.tags, TAG_QUOTA)?;
        let arn = self.server_certificate_arn(&path, &input.name);
        self.authorize(
            caller,
            &Access::new("iam:UploadServerCertificate", &arn).with_request_tags(&input.tags),
        )
        .await?;
        self.authorize_create_tags(caller, Taggable::ServerCertificate, &arn, &input.tags)
            .await?;
        let expiration = check_upload(&input, self.clock.now())?;
        let certificate = ServerCertificate {
            account_id: self.account_id.clone(),
            certificate_id: new_id(IdKind::ServerCertificate),
            name: input.name,
            path,
            arn,
            body: input.body,
            chain: input.chain,
            upload_date: self.clock.now(),
            expiration,
            tags: to_tags(&input.tags),
        };
        let created = self
            .store
            .upload_server_certificate(certificate, &input.private_key)
            .await?;
        tracing::info!(caller = %caller.arn(), certificate = %created.arn, "uploaded server certificate");
        Ok(created)
    }

    /// The certificate `name`, once `action` on it is authorized (AWS checks permission
    /// before telling whether it exists).
    async fn authorized_server_certificate(
        &self,
        caller: &Caller,
        action: &str,
        name: &str,
    ) -> IamResult<ServerCertificate> {
        check_name(name, "ServerCertificateName")?;
        let (arn, found) = self.server_certificate_resource(name).await;
        let tags = tags_of(found.as_ref().ok());
        self.authorize(
            caller,
            &Access::new(action, &arn).with_resource_tags(Taggable::ServerCertificate, tags),
        )
        .await?;
        Ok(found?)
    }

    /// The ARN a request about certificate `name` is authorized against (the path-less one
    /// when it cannot be read), and the certificate or why it cannot be read.
    pub(crate) async fn server_certificate_resource(
        &self,
        name: &str,
    ) -> (String, hourglass_store::Result<ServerCertificate>) {
        let found = self
            .store
            .get_server_certificate(&self.account_id, name)
            .await;
        let arn = match &found {
            Ok(c) => c.arn.clone(),
            Err(_) => self.server_certificate_arn("/", name),
        };
        (arn, found)
    }

    pub async fn get_server_certificate(
        &self,
        caller: &Caller,
        name: &str,
    ) -> IamResult<ServerCertificate> {
        self.authorized_server_certificate(caller, "iam:GetServerCertificate", name)
            .await
    }

    pub async fn list_server_certificates(
        &self,
        caller: &Caller,
        path_prefix: Option<&str>,
    ) -> IamResult<Vec<ServerCertificate>> {
        let prefix = path_prefix.unwrap_or("/");
        validate::path_prefix(prefix)?;
        self.authorize(caller, &Access::new("iam:ListServerCertificates", "*"))
            .await?;
        Ok(self
            .store
            .list_server_certificates(&self.account_id, prefix)
            .await?)
    }

    pub async fn delete_server_certificate(&self, caller: &Caller, name: &str) -> IamResult<()> {
        self.authorized_server_certificate(caller, "iam:DeleteServerCertificate", name)
            .await?;
        self.store
            .delete_server_certificate(&self.account_id, name)
            .await?;
        tracing::info!(caller = %caller.arn(), certificate = %name, "deleted server certificate");
        Ok(())
    }

    /// UpdateServerCertificate: a new name and/or path. AWS requires permission on both
    /// the current and the new ARN.
    pub async fn update_server_certificate(
        &self,
        caller: &Caller,
        name: &str,
        new_name: Option<&str>,
        new_path: Option<&str>,
    ) -> IamResult<ServerCertificate> {
        if let Some(n) = new_name {
            check_name(n, "NewServerCertificateName")?;
        }
        if let Some(p) = new_path {
            validate::path(p, "NewPath")?;
        }
        let current = self
            .authorized_server_certificate(caller, "iam:UpdateServerCertificate", name)
            .await?;
        let target = self.server_certificate_arn(
            new_path.unwrap_or(&current.path),
            new_name.unwrap_or(&current.name),
        );
        if target != current.arn {
            // The certificate keeps its tags under the new name.
            self.authorize(
                caller,
                &Access::new("iam:UpdateServerCertificate", &target)
                    .with_resource_tags(Taggable::ServerCertificate, &current.tags),
            )
            .await?;
        }
        let updated = self
            .store
            .update_server_certificate(
                &self.account_id,
                name,
                ServerCertificateChange::Rename {
                    new_name: new_name.map(str::to_owned),
                    new_path: new_path.map(str::to_owned),
                },
            )
            .await?;
        tracing::info!(caller = %caller.arn(), certificate = %updated.arn, "updated server certificate");
        Ok(updated)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    #[test]
    fn chains_split_into_blocks() {
        let two = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n\
                   -----BEGIN CERTIFICATE-----\nBBBB\n-----END CERTIFICATE-----\n";
        assert_eq!(chain_blocks(two).len(), 2);
        assert!(chain_blocks("nothing").is_empty());
    }

    #[test]
    fn pem_members() {
        assert!(check_pem_member("x", "CertificateBody", 16_384).is_ok());
        assert!(check_pem_member("", "CertificateBody", 16_384).is_err());
        assert!(check_pem_member(&"x".repeat(16_385), "CertificateBody", 16_384).is_err());
        assert!(private_key_public_bits("not a key").is_err());
    }
}
