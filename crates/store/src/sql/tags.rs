//! Tags of every taggable IAM resource: users, roles, managed policies, instance profiles
//! and virtual MFA devices in one table keyed by resource id (a device's is its serial
//! number); providers and server certificates in a JSON column of their own record.

use std::collections::HashMap;

use crate::error::{Quota, Result, StoreError};
use crate::federation::{OidcChange, SamlChange, saml_sql, sql as oidc_sql};
use crate::model::{EntityKind, Quotas, Tag, TagTarget};
use crate::server_certs::{ServerCertificateChange, sql as server_cert_sql};
use crate::sql::{Row, Tx, Val, entities, instance_profiles, mfa, policies};

/// Tags kept as a JSON column of their record (`[[key, value], …]`), for the records that
/// carry their tags with them (providers, server certificates).
pub(crate) fn to_json_column(tags: &[Tag]) -> Result<String> {
    let pairs: Vec<(&str, &str)> = tags
        .iter()
        .map(|t| (t.key.as_str(), t.value.as_str()))
        .collect();
    serde_json::to_string(&pairs)
        .map_err(|e| StoreError::Backend(format!("cannot encode tags: {e}")))
}

/// Reads the JSON tag column `i` of `row`; `column` names it in the corruption error.
pub(crate) fn from_json_column(row: &Row, i: usize, column: &str) -> Result<Vec<Tag>> {
    let pairs: Vec<(String, String)> = serde_json::from_str(&row.text(i)?)
        .map_err(|e| StoreError::corrupt(format!("{column}: bad JSON: {e}")))?;
    Ok(pairs.into_iter().map(|(k, v)| Tag::new(k, v)).collect())
}

/// Adds or replaces `new` in a record's tags (keys case-sensitively), refusing more than
/// `limit` with `LimitExceeded(quota)`.
pub(crate) fn merge_into_record(
    tags: &mut Vec<Tag>,
    new: &[Tag],
    limit: usize,
    quota: Quota,
) -> Result<()> {
    for t in new {
        tags.retain(|old| old.key != t.key);
        tags.push(t.clone());
    }
    if tags.len() > limit {
        return Err(StoreError::LimitExceeded {
            quota,
            limit: u32::try_from(limit).unwrap_or(u32::MAX),
        });
    }
    Ok(())
}

/// How a resource's tags behave.
#[derive(Clone, Copy)]
pub(crate) struct TagRules {
    /// User and role tag keys are case-insensitive; policy tag keys are not.
    pub case_insensitive: bool,
    pub quota: Quota,
}

pub(crate) const USER: TagRules = TagRules {
    case_insensitive: true,
    quota: Quota::TagsPerUser,
};
pub(crate) const ROLE: TagRules = TagRules {
    case_insensitive: true,
    quota: Quota::TagsPerRole,
};
pub(crate) const INSTANCE_PROFILE: TagRules = TagRules {
    case_insensitive: true,
    quota: Quota::TagsPerInstanceProfile,
};
pub(crate) const MFA_DEVICE: TagRules = TagRules {
    case_insensitive: true,
    quota: Quota::TagsPerMfaDevice,
};
pub(crate) const POLICY: TagRules = TagRules {
    case_insensitive: false,
    quota: Quota::TagsPerPolicy,
};

fn norm(key: &str, rules: TagRules) -> String {
    if rules.case_insensitive {
        key.to_lowercase()
    } else {
        key.to_owned()
    }
}

/// Tags of several resources at once, each list sorted by normalized key.
pub(crate) async fn load_many(
    tx: &mut dyn Tx,
    resource_ids: &[String],
) -> Result<HashMap<String, Vec<Tag>>> {
    let mut out: HashMap<String, Vec<Tag>> = HashMap::new();
    if resource_ids.is_empty() {
        return Ok(out);
    }
    let placeholders: Vec<String> = (1..=resource_ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT resource_id, key, value FROM tags WHERE resource_id IN ({}) \
         ORDER BY resource_id, key_norm",
        placeholders.join(", ")
    );
    let params: Vec<Val> = resource_ids.iter().map(Val::from).collect();
    for row in tx.query(&sql, &params).await? {
        out.entry(row.text(0)?).or_default().push(Tag {
            key: row.text(1)?,
            value: row.text(2)?,
        });
    }
    Ok(out)
}

pub(crate) async fn load(tx: &mut dyn Tx, resource_id: &str) -> Result<Vec<Tag>> {
    Ok(load_many(tx, &[resource_id.to_owned()])
        .await?
        .remove(resource_id)
        .unwrap_or_default())
}

/// Adds or replaces tags, then enforces the quota on the result (the caller's transaction
/// rolls the change back on error).
pub(crate) async fn put(
    tx: &mut dyn Tx,
    quotas: &Quotas,
    resource_id: &str,
    tags: &[Tag],
    rules: TagRules,
) -> Result<()> {
    for tag in tags {
        tx.execute(
            "INSERT INTO tags (resource_id, key_norm, key, value) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (resource_id, key_norm) \
             DO UPDATE SET key = excluded.key, value = excluded.value",
            &params![resource_id, norm(&tag.key, rules), &tag.key, &tag.value],
        )
        .await?;
    }
    let count = tx
        .count(
            "SELECT COUNT(*) FROM tags WHERE resource_id = $1",
            &params![resource_id],
        )
        .await?;
    if count > quotas.tags_per_resource {
        return Err(StoreError::LimitExceeded {
            quota: rules.quota,
            limit: quotas.tags_per_resource,
        });
    }
    Ok(())
}

pub(crate) async fn remove(
    tx: &mut dyn Tx,
    resource_id: &str,
    keys: &[String],
    rules: TagRules,
) -> Result<()> {
    for key in keys {
        tx.execute(
            "DELETE FROM tags WHERE resource_id = $1 AND key_norm = $2",
            &params![resource_id, norm(key, rules)],
        )
        .await?;
    }
    Ok(())
}

pub(crate) async fn remove_all(tx: &mut dyn Tx, resource_id: &str) -> Result<()> {
    tx.execute(
        "DELETE FROM tags WHERE resource_id = $1",
        &params![resource_id],
    )
    .await?;
    Ok(())
}

/// A change to a resource's tags: Tag{Kind} or Untag{Kind}.
pub(crate) enum TagEdit {
    /// Adds or replaces.
    Put(Vec<Tag>),
    /// Removes by key; absent keys are ignored.
    Remove(Vec<String>),
}

/// Applies `edit` to the tags of `target`. Resources that keep their tags in their record
/// go through their own update, so their errors are those of that update.
pub(crate) async fn edit(
    tx: &mut dyn Tx,
    quotas: &Quotas,
    account_id: &str,
    target: &TagTarget,
    edit: TagEdit,
) -> Result<()> {
    match target {
        TagTarget::OidcProvider(arn) => {
            let change = match edit {
                TagEdit::Put(tags) => OidcChange::Tag(tags),
                TagEdit::Remove(keys) => OidcChange::Untag(keys),
            };
            oidc_sql::update(tx, account_id, arn, &change).await?;
        }
        TagTarget::SamlProvider(arn) => {
            let change = match edit {
                TagEdit::Put(tags) => SamlChange::Tag(tags),
                TagEdit::Remove(keys) => SamlChange::Untag(keys),
            };
            saml_sql::update(tx, account_id, arn, &change).await?;
        }
        TagTarget::ServerCertificate(name) => {
            let change = match edit {
                TagEdit::Put(tags) => ServerCertificateChange::Tag(tags),
                TagEdit::Remove(keys) => ServerCertificateChange::Untag(keys),
            };
            server_cert_sql::update(tx, account_id, name, &change).await?;
        }
        TagTarget::User(_)
        | TagTarget::Role(_)
        | TagTarget::Policy(_)
        | TagTarget::InstanceProfile(_)
        | TagTarget::MfaDevice(_) => {
            let (id, rules) = resolve(tx, account_id, target, true).await?;
            match edit {
                TagEdit::Put(tags) => put(tx, quotas, &id, &tags, rules).await?,
                TagEdit::Remove(keys) => remove(tx, &id, &keys, rules).await?,
            }
        }
    }
    Ok(())
}

/// The tags of `target`, sorted by (for table-kept tags, lowercase) key.
pub(crate) async fn list(
    tx: &mut dyn Tx,
    account_id: &str,
    target: &TagTarget,
) -> Result<Vec<Tag>> {
    Ok(match target {
        TagTarget::OidcProvider(arn) => oidc_sql::TABLE.get(tx, account_id, arn).await?.tags,
        TagTarget::SamlProvider(arn) => saml_sql::TABLE.get(tx, account_id, arn).await?.tags,
        TagTarget::ServerCertificate(name) => {
            server_cert_sql::get(tx, account_id, name).await?.tags
        }
        TagTarget::User(_)
        | TagTarget::Role(_)
        | TagTarget::Policy(_)
        | TagTarget::InstanceProfile(_)
        | TagTarget::MfaDevice(_) => {
            let (id, _) = resolve(tx, account_id, target, false).await?;
            load(tx, &id).await?
        }
    })
}

/// Resolves a table-kept tag target to its resource id and rules. Tagging AWS-managed
/// policies is refused when `for_write`.
async fn resolve(
    tx: &mut dyn Tx,
    account_id: &str,
    target: &TagTarget,
    for_write: bool,
) -> Result<(String, TagRules)> {
    Ok(match target {
        TagTarget::User(name) => (
            entities::id_by_name(tx, account_id, EntityKind::User, name)
                .await?
                .0,
            USER,
        ),
        TagTarget::Role(name) => (
            entities::id_by_name(tx, account_id, EntityKind::Role, name)
                .await?
                .0,
            ROLE,
        ),
        TagTarget::InstanceProfile(name) => (
            instance_profiles::id_by_name(tx, account_id, name).await?,
            INSTANCE_PROFILE,
        ),
        TagTarget::MfaDevice(serial) => {
            mfa::require(tx, account_id, serial).await?;
            (serial.clone(), MFA_DEVICE)
        }
        TagTarget::Policy(arn) => {
            let id = if for_write {
                policies::writable_id(tx, account_id, arn).await?
            } else {
                policies::visible_id(tx, account_id, arn).await?
            };
            (id, POLICY)
        }
        // `edit` and `list` send these to their records' own updates and reads.
        TagTarget::OidcProvider(_)
        | TagTarget::SamlProvider(_)
        | TagTarget::ServerCertificate(_) => {
            return Err(StoreError::Backend(format!(
                "{target:?} keeps its tags in its record, not in the tags table"
            )));
        }
    })
}
