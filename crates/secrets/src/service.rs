//! [`Secrets`]: the operations on stored secrets. Each change is a read-modify-write of one
//! secret (metadata and versions) guarded by the secret's revision: a writer that lost a
//! race reloads and applies its change again, so concurrent callers never see a secret
//! without `AWSCURRENT` or a label on two versions, on either engine or across nodes.

use std::sync::Arc;

use chrono::{DateTime, Duration, DurationRound, Utc};
use hourglass_store::secrets::{SecretRow, SecretValue, VersionWrite};
use hourglass_store::{Store, StoreError};
use rand::Rng;

use crate::AWSCURRENT;
use crate::error::{SmError, SmResult};
use crate::labels;
use crate::model::{Loaded, Meta, Tag, Version};
use crate::validate;

/// How often a writer that keeps losing races retries before giving up (with a growing,
/// jittered pause, so writers contending for one secret spread out instead of colliding
/// again).
const MAX_ATTEMPTS: u32 = 64;
/// A failed rotation is retried this many times in all, then left until the next schedule.
pub const MAX_ROTATION_ATTEMPTS: u32 = 3;

pub struct CreateInput {
    pub arn: String,
    pub name: String,
    pub token: Option<String>,
    pub description: Option<String>,
    pub kms_key_id: Option<String>,
    pub value: Option<SecretValue>,
    pub tags: Vec<Tag>,
}

pub struct PutInput {
    pub token: Option<String>,
    pub value: SecretValue,
    pub stages: Option<Vec<String>>,
}

pub struct UpdateInput {
    pub token: Option<String>,
    pub description: Option<String>,
    pub kms_key_id: Option<String>,
    pub value: Option<SecretValue>,
}

/// What a successful write names.
#[derive(Debug, Clone)]
pub struct Written {
    pub arn: String,
    pub name: String,
    pub version_id: Option<String>,
    pub stages: Vec<String>,
}

pub struct Secrets {
    store: Arc<Store>,
    account: String,
    region: String,
}

fn now() -> DateTime<Utc> {
    Utc::now()
}

pub(crate) fn new_token() -> String {
    uuid::Uuid::new_v4().to_string()
}

fn value_len(v: &SecretValue) -> usize {
    match v {
        SecretValue::String(s) => s.expose().len(),
        SecretValue::Binary(b) => b.len(),
    }
}

fn same_value(a: &SecretValue, b: &SecretValue) -> bool {
    match (a, b) {
        (SecretValue::String(x), SecretValue::String(y)) => x.expose() == y.expose(),
        (SecretValue::Binary(x), SecretValue::Binary(y)) => x.as_slice() == y.as_slice(),
        _ => false,
    }
}

fn check_value(v: &SecretValue) -> SmResult<()> {
    let field = match v {
        SecretValue::String(_) => "secretString",
        SecretValue::Binary(_) => "secretBinary",
    };
    validate::value_size(value_len(v), field)
}

impl Secrets {
    pub fn new(store: Arc<Store>, account: impl Into<String>, region: impl Into<String>) -> Self {
        Secrets {
            store,
            account: account.into(),
            region: region.into(),
        }
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    pub fn account(&self) -> &str {
        &self.account
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    /// `arn:aws:secretsmanager:REGION:ACCT:secret:`
    pub fn arn_prefix(&self) -> String {
        format!(
            "arn:aws:secretsmanager:{}:{}:secret:",
            self.region, self.account
        )
    }

    /// The ARN a new secret named `name` gets: a fresh random six-character suffix, so
    /// grants on an earlier secret of the same name do not carry over.
    pub fn new_arn(&self, name: &str) -> String {
        const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let mut rng = rand::rng();
        let suffix: String = (0..6)
            .map(|_| char::from(ALNUM[rng.random_range(0..ALNUM.len())]))
            .collect();
        format!("{}{name}-{suffix}", self.arn_prefix())
    }

    /// The ARN a request names for authorization when the secret does not exist: the id
    /// as an ARN when it is one, else the name under this account.
    pub fn arn_for_id(&self, id: &str) -> String {
        if id.starts_with("arn:") {
            id.to_owned()
        } else {
            format!("{}{id}", self.arn_prefix())
        }
    }

    /// Resolves a SecretId (full ARN, partial ARN without the suffix, or name).
    pub async fn resolve(&self, id: &str) -> SmResult<Option<Loaded>> {
        validate::secret_id(id)?;
        let found = if let Some(rest) = id.strip_prefix("arn:") {
            let prefix = self.arn_prefix();
            let Some(name_part) = id.strip_prefix(prefix.as_str()) else {
                // Another account, region or partition: not served here.
                let _ = rest;
                return Ok(None);
            };
            let by_arn = if validate::looks_suffixed(name_part) {
                self.store.secret_get(&self.account, id).await?
            } else {
                None
            };
            match by_arn {
                Some(f) => Some(f),
                None => self.store.secret_by_name(&self.account, name_part).await?,
            }
        } else {
            self.store.secret_by_name(&self.account, id).await?
        };
        found
            .map(|(row, versions)| Loaded::from_rows(row, versions))
            .transpose()
    }

    pub async fn load(&self, arn: &str) -> SmResult<Loaded> {
        let (row, versions) = self
            .store
            .secret_get(&self.account, arn)
            .await?
            .ok_or_else(SmError::not_found)?;
        Loaded::from_rows(row, versions)
    }

    /// Every secret of the account.
    pub async fn all(&self) -> SmResult<Vec<Loaded>> {
        self.store
            .secret_list(&self.account)
            .await?
            .into_iter()
            .map(|(r, v)| Loaded::from_rows(r, v))
            .collect()
    }

    /// Applies `f` to the stored secret and writes the result, retrying on a lost race.
    /// `f` must be a pure function of the secret it is given (it may run more than once).
    pub async fn modify<T>(
        &self,
        arn: &str,
        mut f: impl FnMut(&mut Loaded, DateTime<Utc>) -> SmResult<T>,
    ) -> SmResult<T> {
        for attempt in 0..MAX_ATTEMPTS {
            if attempt > 0 {
                let cap = 1u64 << attempt.min(7);
                let pause = rand::rng().random_range(0..=cap);
                tokio::time::sleep(std::time::Duration::from_millis(pause)).await;
            }
            let before = self.load(arn).await?;
            let mut after = before.clone();
            let out = f(&mut after, now())?;
            if let Err(why) = labels::check_invariants(&after.versions) {
                tracing::error!(%why, "secret change would break label invariants");
                return Err(SmError::internal());
            }
            let upserts: Vec<VersionWrite> = after
                .versions
                .iter()
                .filter(|v| {
                    v.value.is_some()
                        || before
                            .version(&v.id)
                            .is_none_or(|old| old.stages != v.stages)
                })
                .map(|v| VersionWrite {
                    row: v.row(),
                    value: v.value.clone(),
                })
                .collect();
            let deletes: Vec<String> = before
                .versions
                .iter()
                .filter(|v| after.version(&v.id).is_none())
                .map(|v| v.id.clone())
                .collect();
            if upserts.is_empty() && deletes.is_empty() && after.meta == before.meta {
                return Ok(out);
            }
            let meta = serde_json::to_string(&after.meta).map_err(|_| SmError::internal())?;
            let row = SecretRow {
                meta,
                due_at: after.meta.due_at(),
                revision: before.row.revision.saturating_add(1),
                ..before.row.clone()
            };
            match self
                .store
                .secret_save(&row, before.row.revision, &upserts, &deletes)
                .await
            {
                Ok(()) => return Ok(out),
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        tracing::warn!(%arn, "secret change kept losing races");
        Err(SmError::internal())
    }

    /// CreateSecret. The caller authorized `input.arn` (from [`Self::new_arn`]).
    pub async fn create(&self, input: CreateInput) -> SmResult<Written> {
        validate::name(&input.name)?;
        if let Some(d) = &input.description {
            validate::description(d)?;
        }
        validate::tags(&input.tags)?;
        if let Some(t) = &input.token {
            validate::token(t)?;
        }
        if let Some(v) = &input.value {
            check_value(v)?;
        }
        if let Some(existing) = self.resolve_name(&input.name).await? {
            return self.create_again(existing, &input).await;
        }
        let t = now();
        let mut meta = Meta::new(t);
        meta.description = input.description.clone();
        meta.kms_key_id = input.kms_key_id.clone().filter(|k| !k.is_empty());
        meta.tags = input.tags.clone();
        let mut versions = Vec::new();
        let mut version_id = None;
        if let Some(value) = &input.value {
            let id = input.token.clone().unwrap_or_else(new_token);
            version_id = Some(id.clone());
            versions.push(VersionWrite {
                row: hourglass_store::secrets::VersionRow {
                    version_id: id,
                    seq: 1,
                    created: t,
                    last_accessed: None,
                    stages: vec![AWSCURRENT.to_owned()],
                    has_value: true,
                },
                value: Some(value.clone()),
            });
        }
        let row = SecretRow {
            arn: input.arn.clone(),
            account_id: self.account.clone(),
            name: input.name.clone(),
            meta: serde_json::to_string(&meta).map_err(|_| SmError::internal())?,
            created: t,
            last_accessed: None,
            due_at: None,
            revision: 1,
        };
        match self.store.secret_create(&row, &versions).await {
            Ok(()) => Ok(Written {
                arn: input.arn,
                name: input.name,
                stages: if version_id.is_some() {
                    vec![AWSCURRENT.to_owned()]
                } else {
                    Vec::new()
                },
                version_id,
            }),
            Err(StoreError::AlreadyExists { .. }) => match self.resolve_name(&input.name).await? {
                Some(existing) => self.create_again(existing, &input).await,
                None => Err(SmError::internal()),
            },
            Err(e) => Err(e.into()),
        }
    }

    async fn resolve_name(&self, name: &str) -> SmResult<Option<Loaded>> {
        self.store
            .secret_by_name(&self.account, name)
            .await?
            .map(|(r, v)| Loaded::from_rows(r, v))
            .transpose()
    }

    /// CreateSecret of a name that exists: an idempotent retry (same token, same value)
    /// succeeds; anything else is an error.
    async fn create_again(&self, existing: Loaded, input: &CreateInput) -> SmResult<Written> {
        if existing.is_deleted() {
            return Err(SmError::invalid_request(
                "You can't create this secret because a secret with this name is already \
                 scheduled for deletion.",
            ));
        }
        if let Some(token) = &input.token
            && let Some(v) = existing.version(token)
        {
            let stored = self.store.secret_value(existing.arn(), token).await?;
            let same = match (&stored, &input.value) {
                (Some(a), Some(b)) => same_value(a, b),
                (None, None) => true,
                _ => false,
            };
            if same {
                return Ok(Written {
                    arn: existing.arn().to_owned(),
                    name: existing.name().to_owned(),
                    version_id: Some(v.id.clone()),
                    stages: v.stages.clone(),
                });
            }
            return Err(SmError::exists(format!(
                "You can't use ClientRequestToken {token} because that value is already in use \
                 for a version of secret {}.",
                existing.arn()
            )));
        }
        Err(SmError::exists(format!(
            "The operation failed because the secret {} already exists.",
            input.name
        )))
    }

    /// The version GetSecretValue answers with, and its value.
    pub async fn get_value(
        &self,
        s: &Loaded,
        version_id: Option<&str>,
        stage: Option<&str>,
    ) -> SmResult<(Version, SecretValue)> {
        if s.is_deleted() {
            return Err(SmError::marked_for_deletion());
        }
        let missing_id = |id: &str| {
            SmError::new(
                "ResourceNotFoundException",
                format!(
                    "Secrets Manager can't find the specified secret value for VersionId: {id}"
                ),
            )
        };
        let missing_stage = |st: &str| {
            SmError::new(
                "ResourceNotFoundException",
                format!(
                    "Secrets Manager can't find the specified secret value for staging label: {st}"
                ),
            )
        };
        let v = match (version_id, stage) {
            (Some(id), st) => {
                let v = s.version(id).ok_or_else(|| missing_id(id))?;
                if let Some(st) = st
                    && !v.has(st)
                {
                    return Err(SmError::invalid_request(
                        "You provided a VersionStage that is not associated to the provided \
                         VersionId.",
                    ));
                }
                if !v.has_value {
                    return Err(match st {
                        Some(st) => missing_stage(st),
                        None => missing_id(id),
                    });
                }
                v
            }
            (None, st) => {
                let st = st.unwrap_or(AWSCURRENT);
                match s.with_stage(st) {
                    Some(v) if v.has_value => v,
                    _ => return Err(missing_stage(st)),
                }
            }
        };
        let value = self
            .store
            .secret_value(s.arn(), &v.id)
            .await?
            .ok_or_else(|| missing_id(&v.id))?;
        let today = now()
            .duration_trunc(Duration::days(1))
            .unwrap_or_else(|_| now());
        if s.row.last_accessed.is_none_or(|d| d < today)
            || v.last_accessed.is_none_or(|d| d < today)
        {
            // Bookkeeping only: a failed write must not fail the read.
            if let Err(e) = self.store.secret_touch(s.arn(), &v.id, today).await {
                tracing::warn!(error = %e, "could not record secret access");
            }
        }
        Ok((v.clone(), value))
    }

    /// PutSecretValue (and UpdateSecret with a value).
    pub async fn put_value(&self, arn: &str, input: PutInput) -> SmResult<Written> {
        check_value(&input.value)?;
        if let Some(t) = &input.token {
            validate::token(t)?;
        }
        if let Some(st) = &input.stages {
            validate::stages(st)?;
        }
        let token = input.token.clone().unwrap_or_else(new_token);
        // A retry with the same token: same value is a no-op, another value an error.
        let current = self.load(arn).await?;
        if current.is_deleted() {
            return Err(SmError::marked_for_deletion());
        }
        if let Some(v) = current.version(&token)
            && v.has_value
        {
            let stored = self.store.secret_value(arn, &token).await?;
            if stored.is_some_and(|s| same_value(&s, &input.value)) {
                return Ok(Written {
                    arn: current.arn().to_owned(),
                    name: current.name().to_owned(),
                    version_id: Some(token),
                    stages: v.stages.clone(),
                });
            }
            return Err(SmError::exists(
                "You can't modify an existing version, you can only create a new version.",
            ));
        }
        self.modify(arn, |s, t| {
            if s.is_deleted() {
                return Err(SmError::marked_for_deletion());
            }
            let first_value = !s.versions.iter().any(|v| v.has_value);
            match s.versions.iter_mut().find(|v| v.id == token) {
                Some(v) if v.has_value => {
                    return Err(SmError::exists(
                        "You can't modify an existing version, you can only create a new version.",
                    ));
                }
                // A rotation's placeholder: the rotator fills it.
                Some(v) => {
                    v.has_value = true;
                    v.value = Some(input.value.clone());
                }
                None => {
                    labels::room_for_one_more(&s.versions, t)?;
                    let seq = s.versions.iter().map(|v| v.seq).max().unwrap_or(0) + 1;
                    s.versions.push(Version {
                        id: token.clone(),
                        seq,
                        created: t,
                        last_accessed: None,
                        stages: Vec::new(),
                        has_value: true,
                        value: Some(input.value.clone()),
                    });
                }
            }
            let mut wanted = input
                .stages
                .clone()
                .unwrap_or_else(|| vec![AWSCURRENT.to_owned()]);
            if first_value && !wanted.iter().any(|w| w == AWSCURRENT) {
                wanted.push(AWSCURRENT.to_owned());
            }
            for st in &wanted {
                labels::attach(&mut s.versions, st, &token)?;
            }
            labels::purge(&mut s.versions, t);
            s.meta.last_changed = t;
            Ok(Written {
                arn: s.arn().to_owned(),
                name: s.name().to_owned(),
                version_id: Some(token.clone()),
                stages: s
                    .version(&token)
                    .map(|v| v.stages.clone())
                    .unwrap_or_default(),
            })
        })
        .await
    }

    /// UpdateSecret: metadata, and a new `AWSCURRENT` version when a value is given.
    pub async fn update(&self, arn: &str, input: UpdateInput) -> SmResult<Written> {
        if let Some(d) = &input.description {
            validate::description(d)?;
        }
        let s = self.load(arn).await?;
        if s.is_deleted() {
            return Err(SmError::marked_for_deletion());
        }
        let mut written = Written {
            arn: s.arn().to_owned(),
            name: s.name().to_owned(),
            version_id: None,
            stages: Vec::new(),
        };
        if input.description.is_some() || input.kms_key_id.is_some() {
            self.modify(arn, |s, t| {
                if s.is_deleted() {
                    return Err(SmError::marked_for_deletion());
                }
                if let Some(d) = &input.description {
                    s.meta.description = Some(d.clone());
                }
                if let Some(k) = &input.kms_key_id {
                    s.meta.kms_key_id = Some(k.clone()).filter(|k| !k.is_empty());
                }
                s.meta.last_changed = t;
                Ok(())
            })
            .await?;
        }
        if let Some(value) = input.value {
            written = self
                .put_value(
                    arn,
                    PutInput {
                        token: input.token,
                        value,
                        stages: None,
                    },
                )
                .await?;
        }
        Ok(written)
    }

    pub async fn update_stage(
        &self,
        arn: &str,
        stage: &str,
        remove_from: Option<&str>,
        move_to: Option<&str>,
    ) -> SmResult<()> {
        validate::stage(stage)?;
        self.modify(arn, |s, t| {
            if s.is_deleted() {
                return Err(SmError::marked_for_deletion());
            }
            if stage == AWSCURRENT
                && let Some(to) = move_to
                && s.version(to).is_some_and(|v| !v.has_value)
            {
                return Err(SmError::invalid_request(
                    "You can't attach AWSCURRENT to a version that has no secret value.",
                ));
            }
            labels::update_stage(&mut s.versions, stage, remove_from, move_to)?;
            s.meta.last_changed = t;
            Ok(())
        })
        .await
    }

    /// DeleteSecret: schedules deletion (returns the purge date) or, forced, deletes now.
    pub async fn delete(
        &self,
        arn: &str,
        window_days: Option<i64>,
        force: bool,
    ) -> SmResult<DateTime<Utc>> {
        if force {
            self.store.secret_delete(arn).await?;
            return Ok(now());
        }
        let days = window_days.unwrap_or(30);
        self.modify(arn, |s, t| {
            if s.is_deleted() {
                return Err(SmError::invalid_request(
                    "You can't perform this operation on the secret because it was already \
                     scheduled for deletion.",
                ));
            }
            let purge = t + Duration::days(days);
            s.meta.deleted = Some(t);
            s.meta.purge_at = Some(purge);
            s.meta.rotation = None;
            Ok(purge)
        })
        .await
    }

    pub async fn restore(&self, arn: &str) -> SmResult<()> {
        self.modify(arn, |s, _| {
            s.meta.deleted = None;
            s.meta.purge_at = None;
            Ok(())
        })
        .await
    }

    pub async fn tag(&self, arn: &str, tags: &[Tag]) -> SmResult<()> {
        validate::tags(tags)?;
        self.modify(arn, |s, _| {
            validate::merge_tags(&mut s.meta.tags, tags);
            if s.meta.tags.len() > validate::MAX_TAGS {
                return Err(SmError::limit(format!(
                    "A secret can have at most {} tags.",
                    validate::MAX_TAGS
                )));
            }
            Ok(())
        })
        .await
    }

    pub async fn untag(&self, arn: &str, keys: &[String]) -> SmResult<()> {
        validate::tag_keys(keys)?;
        self.modify(arn, |s, _| {
            s.meta.tags.retain(|t| !keys.contains(&t.key));
            Ok(())
        })
        .await
    }

    pub async fn set_policy(&self, arn: &str, policy: Option<&str>) -> SmResult<()> {
        self.modify(arn, |s, _| {
            s.meta.policy = policy.map(str::to_owned);
            Ok(())
        })
        .await
    }
}
