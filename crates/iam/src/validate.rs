//! Model constraints of IAM and STS inputs, with AWS's `ValidationError` wording:
//! `1 validation error detected: Value 'x' at 'userName' failed to satisfy constraint: …`.

use crate::error::IamError;

/// Lower-cases the first letter of a member name, as AWS does in validation messages.
pub(crate) fn field(member: &str) -> String {
    let mut c = member.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

pub(crate) fn violation(value: &str, member: &str, constraint: &str) -> IamError {
    IamError::Validation(format!(
        "1 validation error detected: Value '{value}' at '{}' failed to satisfy constraint: {constraint}",
        field(member)
    ))
}

const ONE: &str = "1 validation error detected: ";

/// The model checks of several members, reported together as AWS does:
/// `2 validation errors detected: Value 'a' at 'path' failed …; Value 'b' at 'userName' …`
/// (in the order given: the request shape's member order). A single violation keeps the
/// `1 validation error detected: …` form; other errors (InvalidInput, limits) come only after
/// every member passed its model checks.
pub fn all<const N: usize>(checks: [Result<(), IamError>; N]) -> Result<(), IamError> {
    let mut violations = Vec::new();
    let mut other = None;
    for check in checks {
        match check {
            Ok(()) => {}
            Err(IamError::Validation(m)) => match m.strip_prefix(ONE) {
                Some(detail) => violations.push(detail.to_owned()),
                None => return Err(IamError::Validation(m)),
            },
            Err(e) => {
                other.get_or_insert(e);
            }
        }
    }
    match violations.len() {
        0 => other.map_or(Ok(()), Err),
        1 => Err(IamError::Validation(format!("{ONE}{}", violations[0]))),
        n => Err(IamError::Validation(format!(
            "{n} validation errors detected: {}",
            violations.join("; ")
        ))),
    }
}

/// A required parameter.
pub fn required<'a>(value: Option<&'a str>, member: &str) -> Result<&'a str, IamError> {
    value.ok_or_else(|| {
        IamError::Validation(format!(
            "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
            field(member)
        ))
    })
}

/// Length bounds in characters.
pub fn length(value: &str, member: &str, min: usize, max: usize) -> Result<(), IamError> {
    let n = value.chars().count();
    if n < min {
        return Err(violation(
            value,
            member,
            &format!("Member must have length greater than or equal to {min}"),
        ));
    }
    if n > max {
        return Err(violation(
            value,
            member,
            &format!("Member must have length less than or equal to {max}"),
        ));
    }
    Ok(())
}

/// `[\w+=,.@-]+`: names of users, roles, groups, policies, sessions.
pub fn name(value: &str, member: &str, max: usize) -> Result<(), IamError> {
    length(value, member, 1, max)?;
    if !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c))
    {
        return Err(violation(
            value,
            member,
            "Member must satisfy regular expression pattern: [\\w+=,.@-]+",
        ));
    }
    Ok(())
}

/// Entity paths: `/` or `/…/` with printable ASCII, 1–512 characters.
pub fn path(value: &str, member: &str) -> Result<(), IamError> {
    length(value, member, 1, 512)?;
    let ok = value == "/"
        || (value.len() >= 2
            && value.starts_with('/')
            && value.ends_with('/')
            && value.bytes().all(|b| (0x21..=0x7e).contains(&b)));
    if !ok {
        return Err(violation(
            value,
            member,
            "Member must satisfy regular expression pattern: (\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)",
        ));
    }
    Ok(())
}

/// `PathPrefix` of list calls: `\u002F[\u0021-\u007F]*`.
pub fn path_prefix(value: &str) -> Result<(), IamError> {
    length(value, "PathPrefix", 1, 512)?;
    if !value.starts_with('/') || !value.bytes().all(|b| (0x21..=0x7f).contains(&b)) {
        return Err(violation(
            value,
            "PathPrefix",
            "Member must satisfy regular expression pattern: \\u002F[\\u0021-\\u007F]*",
        ));
    }
    Ok(())
}

/// `MaxItems` 1–1000, default 100.
pub fn max_items(value: Option<&str>) -> Result<usize, IamError> {
    let Some(v) = value else { return Ok(100) };
    let n: i64 = v
        .parse()
        .map_err(|_| IamError::Validation(format!("Invalid value '{v}' for MaxItems")))?;
    if n < 1 {
        return Err(violation(
            v,
            "MaxItems",
            "Member must have value greater than or equal to 1",
        ));
    }
    if n > 1000 {
        return Err(violation(
            v,
            "MaxItems",
            "Member must have value less than or equal to 1000",
        ));
    }
    Ok(n as usize)
}

/// `Marker` 1–320 characters of `[\u0020-\u00FF]`.
pub fn marker(value: Option<&str>) -> Result<Option<&str>, IamError> {
    if let Some(m) = value {
        length(m, "Marker", 1, 320)?;
    }
    Ok(value)
}

/// Access key ids: 16–128 word characters.
pub fn access_key_id(value: &str, member: &str) -> Result<(), IamError> {
    length(value, member, 16, 128)?;
    if !value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(violation(
            value,
            member,
            "Member must satisfy regular expression pattern: [\\w]+",
        ));
    }
    Ok(())
}

/// Tag keys and values (§4.1): key 1–128, value 0–256, `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`, and
/// keys may not start with `aws:`.
pub fn tags(tags: &[(String, String)]) -> Result<(), IamError> {
    tags_with_quota(tags, "TagsPerUser")
}

/// As [`tags`], naming `quota` (`TagsPerRole`, `TagsPerPolicy`) when there are more than 50.
pub fn tags_with_quota(tags: &[(String, String)], quota: &str) -> Result<(), IamError> {
    let allowed = |c: char| c.is_alphanumeric() || c.is_whitespace() || "_.:/=+-@".contains(c);
    for (i, (k, v)) in tags.iter().enumerate() {
        let n = i + 1;
        length(k, &format!("tags.{n}.member.key"), 1, 128)?;
        length(v, &format!("tags.{n}.member.value"), 0, 256)?;
        if !k.chars().all(allowed) {
            return Err(violation(
                k,
                &format!("tags.{n}.member.key"),
                "Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+",
            ));
        }
        if !v.chars().all(allowed) {
            return Err(violation(
                v,
                &format!("tags.{n}.member.value"),
                "Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*",
            ));
        }
        if k.to_ascii_lowercase().starts_with("aws:") {
            return Err(IamError::InvalidInput(
                "User-defined tags can't start with 'aws:'. This prefix is reserved for AWS-generated tags."
                    .into(),
            ));
        }
    }
    // One request may not name a key twice. Keys of users, roles and the other entities are
    // case-insensitive (`Env` and `env` collide); managed policies' keys are case-sensitive.
    let fold = quota != "TagsPerPolicy";
    let mut seen = std::collections::HashSet::with_capacity(tags.len());
    let key = |k: &str| if fold { k.to_lowercase() } else { k.to_owned() };
    if !tags.iter().all(|(k, _)| seen.insert(key(k))) {
        return Err(IamError::InvalidInput(
            "Duplicate tag keys found. Please note that Tag keys are case insensitive.".into(),
        ));
    }
    if tags.len() > 50 {
        return Err(IamError::LimitExceeded(format!(
            "Cannot exceed quota for {quota}: 50"
        )));
    }
    Ok(())
}

/// `TagKeys` of the Untag calls: at most 50 keys of 1–128 characters.
pub fn tag_keys(keys: &[String]) -> Result<(), IamError> {
    if keys.len() > 50 {
        return Err(IamError::Validation(
            "1 validation error detected: Value at 'tagKeys' failed to satisfy constraint: Member must have length less than or equal to 50".into(),
        ));
    }
    for k in keys {
        length(k, "TagKeys", 1, 128)?;
    }
    Ok(())
}

/// The Tag calls need at least one tag.
pub fn non_empty_tags(tags: &[(String, String)]) -> Result<(), IamError> {
    if tags.is_empty() {
        return Err(IamError::Validation(
            "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null".into(),
        ));
    }
    Ok(())
}

/// Policy documents (`policyDocumentType`): 1–131072 characters of
/// `[\u0009\u000A\u000D\u0020-\u00FF]+`.
pub fn policy_document(value: &str, member: &str) -> Result<(), IamError> {
    unechoed_text(value, member, 131_072)
}

/// 1–`max` characters of `[\u0009\u000A\u000D\u0020-\u00FF]+` (policy documents,
/// passwords, PEM blocks). The value is not echoed: it is long or secret.
pub(crate) fn unechoed_text(value: &str, member: &str, max: usize) -> Result<(), IamError> {
    let n = value.chars().count();
    let constraint = if n < 1 {
        "Member must have length greater than or equal to 1".to_owned()
    } else if n > max {
        format!("Member must have length less than or equal to {max}")
    } else if !value
        .chars()
        .all(|c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{ff}'))
    {
        "Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+"
            .to_owned()
    } else {
        return Ok(());
    };
    Err(IamError::Validation(format!(
        "1 validation error detected: Value at '{}' failed to satisfy constraint: {constraint}",
        field(member)
    )))
}

/// Role descriptions: up to 1000 characters of
/// `[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*`.
pub fn role_description(value: &str, member: &str) -> Result<(), IamError> {
    length(value, member, 0, 1000)?;
    if !value
        .chars()
        .all(|c| matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7e}' | '\u{a1}'..='\u{ff}'))
    {
        return Err(violation(
            value,
            member,
            "Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u007E\\u00A1-\\u00FF]*",
        ));
    }
    Ok(())
}

/// An integer parameter within `min..=max`.
pub fn int_range(value: &str, member: &str, min: i64, max: i64) -> Result<i64, IamError> {
    let n: i64 = value
        .parse()
        .map_err(|_| IamError::Validation(format!("Invalid value '{value}' for {member}")))?;
    if n < min {
        return Err(violation(
            value,
            member,
            &format!("Member must have value greater than or equal to {min}"),
        ));
    }
    if n > max {
        return Err(violation(
            value,
            member,
            &format!("Member must have value less than or equal to {max}"),
        ));
    }
    Ok(n)
}

/// A boolean parameter (`true`/`false`, as botocore sends them).
pub fn boolean(value: Option<&str>, member: &str) -> Result<bool, IamError> {
    match value {
        None => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(v) => Err(IamError::Validation(format!(
            "Invalid value '{v}' for {member}"
        ))),
    }
}

/// An enumerated parameter; returns the value when it is one of `allowed`.
pub fn one_of<'a>(value: &'a str, member: &str, allowed: &[&str]) -> Result<&'a str, IamError> {
    if allowed.contains(&value) {
        return Ok(value);
    }
    Err(violation(
        value,
        member,
        &format!(
            "Member must satisfy enum value set: [{}]",
            allowed.join(", ")
        ),
    ))
}

/// ARN parameters (`arnType`): 20–2048 characters.
pub fn arn(value: &str, member: &str) -> Result<(), IamError> {
    length(value, member, 20, 2048)
}

/// Managed-policy paths: `((/[A-Za-z0-9\.,\+@=_-]+)*)/`, 1–512 characters.
pub fn policy_path(value: &str, member: &str) -> Result<(), IamError> {
    length(value, member, 1, 512)?;
    let segment_ok = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".,+@=_-".contains(c))
    };
    let ok = value.starts_with('/')
        && value.ends_with('/')
        && (value == "/" || value[1..value.len() - 1].split('/').all(segment_ok));
    if !ok {
        return Err(violation(
            value,
            member,
            "Member must satisfy regular expression pattern: ((/[A-Za-z0-9\\.,\\+@=_-]+)*)/",
        ));
    }
    Ok(())
}

/// Policy version ids: `v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`.
pub fn version_id(value: &str, member: &str) -> Result<(), IamError> {
    let (main, suffix) = match value.split_once('.') {
        Some((m, s)) => (m, Some(s)),
        None => (value, None),
    };
    let digits = main.strip_prefix('v').unwrap_or("");
    let ok = !digits.is_empty()
        && !digits.starts_with('0')
        && digits.bytes().all(|b| b.is_ascii_digit())
        && suffix.is_none_or(|s| s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    if !ok {
        return Err(violation(
            value,
            member,
            "Member must satisfy regular expression pattern: v[1-9][0-9]*(\\.[A-Za-z0-9-]*)?",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod all_tests {
    use super::*;

    #[test]
    fn several_violations_are_reported_together() {
        let one = all([path("/ok/", "Path"), name("bad name", "UserName", 64)]);
        assert_eq!(
            one.err().map(|e| e.to_string()).as_deref(),
            Some(
                "1 validation error detected: Value 'bad name' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+"
            )
        );
        let two = all([path("nope", "Path"), name("bad name", "UserName", 64)]);
        let text = two.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            text.starts_with("2 validation errors detected: Value 'nope' at 'path' failed to satisfy constraint: "),
            "{text}"
        );
        assert!(
            text.contains("; Value 'bad name' at 'userName' failed to satisfy constraint: "),
            "{text}"
        );
        assert!(all([path("/", "Path"), name("ok", "UserName", 64)]).is_ok());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages() {
        let e = name("a b", "UserName", 64).err().map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some(
                "1 validation error detected: Value 'a b' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+"
            )
        );
        assert!(name(&"a".repeat(65), "UserName", 64).is_err());
        assert!(path("/eng/", "Path").is_ok());
        assert!(path("eng", "Path").is_err());
        assert!(path("/eng", "Path").is_err());
        assert_eq!(max_items(None).ok(), Some(100));
        assert!(max_items(Some("0")).is_err());
        assert!(max_items(Some("1001")).is_err());
    }

    #[test]
    fn extended_constraints() {
        assert!(policy_path("/", "Path").is_ok());
        assert!(policy_path("/a/b.c/", "Path").is_ok());
        assert!(policy_path("/a//", "Path").is_err());
        assert!(policy_path("/a b/", "Path").is_err());
        assert!(policy_path("a/", "Path").is_err());
        assert!(version_id("v1", "VersionId").is_ok());
        assert!(version_id("v12.x-1", "VersionId").is_ok());
        assert!(version_id("v0", "VersionId").is_err());
        assert!(version_id("1", "VersionId").is_err());
        assert!(version_id("v", "VersionId").is_err());
        assert_eq!(
            int_range("100", "MaxSessionDuration", 3600, 43200)
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some(
                "1 validation error detected: Value '100' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600"
            )
        );
        assert_eq!(
            int_range("7200", "MaxSessionDuration", 3600, 43200).ok(),
            Some(7200)
        );
        assert!(boolean(Some("true"), "SetAsDefault").is_ok_and(|b| b));
        assert!(boolean(None, "SetAsDefault").is_ok_and(|b| !b));
        assert!(boolean(Some("yes"), "SetAsDefault").is_err());
        assert_eq!(
            one_of("Foo", "Scope", &["All", "AWS", "Local"])
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some(
                "1 validation error detected: Value 'Foo' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]"
            )
        );
        assert!(policy_document("{}", "PolicyDocument").is_ok());
        assert!(policy_document("", "PolicyDocument").is_err());
        assert!(policy_document("{\"a\":\"\u{2603}\"}", "PolicyDocument").is_err());
        assert!(role_description("ok desc", "Description").is_ok());
        assert!(role_description(&"d".repeat(1001), "Description").is_err());
        let too_many: Vec<(String, String)> =
            (0..51).map(|i| (format!("k{i}"), String::new())).collect();
        assert_eq!(
            tags_with_quota(&too_many, "TagsPerRole")
                .err()
                .map(|e| e.to_string())
                .as_deref(),
            Some("Cannot exceed quota for TagsPerRole: 50")
        );
    }
}
