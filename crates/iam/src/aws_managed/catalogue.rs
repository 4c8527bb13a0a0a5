//! The catalogue of every AWS managed policy: `data/aws-managed-policies.jsonl.gz`, compiled
//! into the binary still compressed (~0.6 MB; see `data/PROVENANCE.md` and
//! `docs/aws-managed-policies.md`).
//!
//! Idle cost matters more than lookup speed here: nothing is decoded until the first request
//! that names an AWS managed policy or lists them. Then one streaming pass keeps only the
//! metadata (a few hundred kilobytes for ~1,600 policies); documents (5 MB uncompressed)
//! are never held: fetching one streams the file again up to its line, once per policy and
//! process (the store keeps it from then on).

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use flate2::read::GzDecoder;
use hourglass_store::{AWS_ACCOUNT, AwsManagedPolicy, ManagedPolicy};
use serde::Deserialize;

use crate::error::{IamError, IamResult};

static DATA: &[u8] = include_bytes!("../../data/aws-managed-policies.jsonl.gz");

static CATALOGUE: OnceLock<Result<Catalogue, String>> = OnceLock::new();

/// One policy's metadata (its document stays in the compressed file).
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    /// `name` lowercased: with `arn`, the listing order the store pages by.
    pub name_lower: String,
    pub path: String,
    pub arn: String,
    pub policy_id: String,
    /// `v3` → 3.
    pub default_version: i64,
    pub description: Option<String>,
    pub create_date: DateTime<Utc>,
    pub update_date: DateTime<Utc>,
    /// Line of the data file holding the document.
    line: usize,
}

impl Entry {
    /// The policy as ListPolicies shows it before any account has used it (no attachments).
    pub fn to_policy(&self) -> ManagedPolicy {
        ManagedPolicy {
            account_id: AWS_ACCOUNT.to_owned(),
            policy_id: self.policy_id.clone(),
            name: self.name.clone(),
            path: self.path.clone(),
            arn: self.arn.clone(),
            description: self.description.clone(),
            default_version_id: format!("v{}", self.default_version),
            attachment_count: 0,
            permissions_boundary_usage_count: 0,
            is_attachable: true,
            create_date: self.create_date,
            update_date: self.update_date,
            tags: Vec::new(),
        }
    }

    /// The store's definition of the policy, with its default version's `document`.
    pub fn definition(&self, document: String) -> AwsManagedPolicy {
        AwsManagedPolicy {
            policy_id: self.policy_id.clone(),
            name: self.name.clone(),
            path: self.path.clone(),
            arn: self.arn.clone(),
            description: self.description.clone(),
            document,
            default_version: self.default_version,
            create_date: self.create_date,
            update_date: self.update_date,
        }
    }
}

#[derive(Deserialize)]
struct Line {
    name: String,
    path: String,
    arn: String,
    policy_id: String,
    default_version: String,
    create_date: DateTime<Utc>,
    update_date: DateTime<Utc>,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Deserialize)]
struct DocumentLine {
    arn: String,
    document: String,
}

/// Every AWS managed policy, sorted as the store lists policies (lowercased name, ARN).
#[derive(Debug)]
pub struct Catalogue {
    entries: Vec<Entry>,
    by_arn: HashMap<String, usize>,
}

fn lines() -> impl Iterator<Item = std::io::Result<String>> {
    BufReader::new(GzDecoder::new(DATA)).lines()
}

fn load() -> Result<Catalogue, String> {
    let mut entries = Vec::new();
    for (n, line) in lines().enumerate() {
        let line = line.map_err(|e| format!("line {}: {e}", n + 1))?;
        if line.is_empty() {
            continue;
        }
        let l: Line = serde_json::from_str(&line).map_err(|e| format!("line {}: {e}", n + 1))?;
        let default_version = l
            .default_version
            .strip_prefix('v')
            .and_then(|v| v.parse::<i64>().ok())
            .filter(|v| *v > 0)
            .ok_or_else(|| format!("line {}: bad version {}", n + 1, l.default_version))?;
        entries.push(Entry {
            name_lower: l.name.to_lowercase(),
            name: l.name,
            path: l.path,
            arn: l.arn,
            policy_id: l.policy_id,
            default_version,
            description: l.description,
            create_date: l.create_date,
            update_date: l.update_date,
            line: n,
        });
    }
    entries.sort_by(|a, b| (&a.name_lower, &a.arn).cmp(&(&b.name_lower, &b.arn)));
    entries.shrink_to_fit();
    let by_arn = entries
        .iter()
        .enumerate()
        .map(|(i, e)| (e.arn.clone(), i))
        .collect();
    Ok(Catalogue { entries, by_arn })
}

/// The catalogue, decoded on first use.
pub fn catalogue() -> IamResult<&'static Catalogue> {
    CATALOGUE
        .get_or_init(load)
        .as_ref()
        .map_err(|e| IamError::Internal(format!("AWS managed policy catalogue: {e}")))
}

impl Catalogue {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn get(&self, arn: &str) -> Option<&Entry> {
        self.by_arn.get(arn).and_then(|&i| self.entries.get(i))
    }

    /// Every entry, in listing order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Entries strictly after the listing key (`name_lower`, `arn`), in listing order.
    pub fn after(&self, name_lower: &str, arn: &str) -> &[Entry] {
        let start = self
            .entries
            .partition_point(|e| (e.name_lower.as_str(), e.arn.as_str()) <= (name_lower, arn));
        self.entries.get(start..).unwrap_or_default()
    }

    /// The default documents of `wanted` (one streaming pass over the file), by ARN.
    pub fn documents(&self, wanted: &[&Entry]) -> IamResult<HashMap<String, String>> {
        let mut lines_wanted: HashSet<usize> = wanted.iter().map(|e| e.line).collect();
        let mut out = HashMap::with_capacity(wanted.len());
        let broken = |e: String| IamError::Internal(format!("AWS managed policy catalogue: {e}"));
        for (n, line) in lines().enumerate() {
            if lines_wanted.is_empty() {
                break;
            }
            let line = line.map_err(|e| broken(e.to_string()))?;
            if !lines_wanted.remove(&n) {
                continue;
            }
            let d: DocumentLine = serde_json::from_str(&line).map_err(|e| broken(e.to_string()))?;
            out.insert(d.arn, d.document);
        }
        Ok(out)
    }
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]
mod tests {
    use std::collections::HashSet;

    use hourglass_policy::{PolicyKind, parse};

    use super::*;

    #[test]
    fn every_document_parses_and_compiles() {
        let cat = catalogue().expect("catalogue loads");
        assert!(cat.len() > 1000, "{}", cat.len());
        let all: Vec<&Entry> = cat.entries().iter().collect();
        let docs = cat.documents(&all).expect("documents");
        assert_eq!(docs.len(), cat.len());
        let cache = hourglass_policy::PolicyCache::default();
        let mut failures = Vec::new();
        for e in cat.entries() {
            let doc = &docs[&e.arn];
            // AWS-managed documents are exempt from the customer size quota, but they must
            // parse as managed policies and compile for the authorizer. Service-linked role
            // policies are never attached to customer entities (never evaluated); a few are
            // longer than the parser accepts, so they need only be JSON.
            if e.path == "/aws-service-role/"
                && doc.len() > hourglass_policy::limits::MAX_DOCUMENT_BYTES
            {
                assert!(
                    serde_json::from_str::<serde_json::Value>(doc).is_ok(),
                    "{}",
                    e.arn
                );
                continue;
            }
            if let Err(err) = parse(doc, PolicyKind::Managed) {
                failures.push(format!("{}: {}", e.arn, err.message));
            } else if let Err(err) = cache.get_or_compile(doc, PolicyKind::Identity) {
                failures.push(format!("{}: compile: {err}", e.arn));
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
    }

    #[test]
    fn metadata_is_consistent() {
        let cat = catalogue().expect("catalogue loads");
        let mut ids = HashSet::new();
        for e in cat.entries() {
            assert_eq!(
                e.arn,
                format!("arn:aws:iam::aws:policy{}{}", e.path, e.name)
            );
            assert!(
                e.path.starts_with('/') && e.path.ends_with('/'),
                "{}",
                e.arn
            );
            assert_eq!(e.policy_id.len(), 21, "{}", e.arn);
            assert!(e.policy_id.starts_with("ANPA"), "{}", e.arn);
            assert!(
                ids.insert(e.policy_id.clone()),
                "duplicate id {}",
                e.policy_id
            );
            assert!(e.create_date <= e.update_date, "{}", e.arn);
        }
        let lambda = cat
            .get("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
            .expect("lambda");
        assert_eq!(lambda.policy_id, "ANPAJNCQGXC42545SKXIK");
        assert!(
            cat.get("arn:aws:iam::aws:policy/job-function/ViewOnlyAccess")
                .is_some()
        );
        let admin = cat
            .get("arn:aws:iam::aws:policy/AdministratorAccess")
            .expect("admin");
        let docs = cat.documents(&[admin]).expect("doc");
        assert!(docs[&admin.arn].contains("\"Action\" : \"*\""));
        // Paging keys: strictly after.
        let first = &cat.entries()[0];
        assert_eq!(
            cat.after(&first.name_lower, &first.arn).len(),
            cat.len() - 1
        );
        assert!(cat.after("\u{10ffff}", "").is_empty());
    }
}
