//! Input checks with AWS's limits and messages (spec §4.2, §4.8).

use crate::error::{SmError, SmResult};
use crate::model::Tag;

pub const MAX_NAME: usize = 512;
pub const MAX_DESCRIPTION: usize = 2048;
pub const MAX_VALUE_BYTES: usize = 65_536;
pub const MAX_TAGS: usize = 50;
pub const MAX_POLICY: usize = 20_480;
pub const MAX_STAGE: usize = 256;

/// `Value '…' at 'field' failed to satisfy constraint: …` (the framework's form).
fn constraint(field: &str, what: &str) -> SmError {
    SmError::validation(format!(
        "1 validation error detected: Value at '{field}' failed to satisfy constraint: {what}"
    ))
}

pub fn secret_id(id: &str) -> SmResult<()> {
    if id.is_empty() || id.len() > 2048 {
        return Err(constraint(
            "secretId",
            "Member must have length between 1 and 2048",
        ));
    }
    Ok(())
}

/// A new secret's name: 1–512 of ASCII letters, digits and `/_+=.@-`. AWS advises against
/// (but accepts) names ending in a hyphen and six characters, which read like an ARN
/// suffix; resolution then tries the full ARN first and the name second.
pub fn name(name: &str) -> SmResult<()> {
    if name.is_empty() || name.len() > MAX_NAME {
        return Err(constraint(
            "name",
            "Member must have length between 1 and 512",
        ));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"/_+=.@-".contains(&b))
    {
        return Err(SmError::invalid_parameter(
            "Invalid name. Must be a valid name containing alphanumeric characters, or any of \
             the following: -/_+=.@!",
        ));
    }
    Ok(())
}

/// Whether a name's last segment reads like an ARN's `-XXXXXX` suffix.
pub fn looks_suffixed(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 7
        && b.get(b.len() - 7) == Some(&b'-')
        && b[b.len() - 6..].iter().all(u8::is_ascii_alphanumeric)
}

pub fn description(d: &str) -> SmResult<()> {
    if d.chars().count() > MAX_DESCRIPTION {
        return Err(constraint(
            "description",
            "Member must have length less than or equal to 2048",
        ));
    }
    Ok(())
}

/// ClientRequestToken: 32–64 characters.
pub fn token(t: &str) -> SmResult<()> {
    if !(32..=64).contains(&t.len()) {
        return Err(SmError::invalid_parameter(
            "ClientRequestToken must be 32-64 characters long.",
        ));
    }
    if !t.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(SmError::invalid_parameter(
            "ClientRequestToken must contain printable ASCII characters only.",
        ));
    }
    Ok(())
}

pub fn stage(s: &str) -> SmResult<()> {
    if s.is_empty() || s.len() > MAX_STAGE {
        return Err(constraint(
            "versionStage",
            "Member must have length between 1 and 256",
        ));
    }
    Ok(())
}

pub fn stages(list: &[String]) -> SmResult<()> {
    if list.is_empty() || list.len() > crate::labels::MAX_LABELS_PER_VERSION {
        return Err(constraint(
            "versionStages",
            "Member must have length between 1 and 20",
        ));
    }
    list.iter().try_for_each(|s| stage(s))
}

pub fn value_size(len: usize, field: &str) -> SmResult<()> {
    if len == 0 || len > MAX_VALUE_BYTES {
        return Err(constraint(
            field,
            "Member must have length between 1 and 65536",
        ));
    }
    Ok(())
}

pub fn tag_keys(keys: &[String]) -> SmResult<()> {
    for k in keys {
        if k.is_empty() || k.chars().count() > 128 {
            return Err(constraint(
                "tagKeys",
                "Member must have length between 1 and 128",
            ));
        }
    }
    Ok(())
}

pub fn tags(tags: &[Tag]) -> SmResult<()> {
    if tags.len() > MAX_TAGS {
        return Err(SmError::invalid_parameter(format!(
            "Number of tags exceeds the limit of {MAX_TAGS}."
        )));
    }
    for t in tags {
        if t.key.is_empty() || t.key.chars().count() > 128 {
            return Err(constraint(
                "tags.key",
                "Member must have length between 1 and 128",
            ));
        }
        if t.value.chars().count() > 256 {
            return Err(constraint(
                "tags.value",
                "Member must have length less than or equal to 256",
            ));
        }
        if t.key.to_ascii_lowercase().starts_with("aws:") {
            return Err(SmError::invalid_parameter(
                "Invalid tag key: the aws: prefix is reserved for AWS use.",
            ));
        }
    }
    Ok(())
}

/// Merges `new` into `into` (keys case-sensitive; a new value replaces the old one).
pub fn merge_tags(into: &mut Vec<Tag>, new: &[Tag]) {
    for t in new {
        match into.iter_mut().find(|o| o.key == t.key) {
            Some(o) => o.value.clone_from(&t.value),
            None => into.push(t.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn names() {
        assert!(name("prod/db/password").is_ok());
        assert!(name("a-b").is_ok());
        assert!(name("app-abcdef").is_ok(), "AWS accepts it");
        assert!(name("bad name").is_err());
        assert!(name("").is_err());
        assert!(name(&"x".repeat(513)).is_err());
        assert!(looks_suffixed("demo-AbC123"));
        assert!(!looks_suffixed("demo-AbC12"));
    }

    #[test]
    fn tokens_and_tags() {
        assert!(token(&"a".repeat(31)).is_err());
        assert!(token(&"a".repeat(32)).is_ok());
        assert!(token(&"a".repeat(65)).is_err());
        let t = |k: &str| Tag {
            key: k.into(),
            value: "v".into(),
        };
        assert!(tags(&[t("aws:x")]).is_err());
        assert!(tags(&[t("team")]).is_ok());
        let mut base = vec![t("a")];
        merge_tags(
            &mut base,
            &[Tag {
                key: "a".into(),
                value: "2".into(),
            }],
        );
        assert_eq!(base.len(), 1);
        assert_eq!(base[0].value, "2");
    }
}
