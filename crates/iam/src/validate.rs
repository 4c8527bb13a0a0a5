//! Model constraints of IAM and STS inputs, with AWS's `ValidationError` wording:
//! `1 validation error detected: Value 'x' at 'userName' failed to satisfy constraint: …`.

use crate::error::IamError;

/// Lower-cases the first letter of a member name, as AWS does in validation messages.
fn field(member: &str) -> String {
    let mut c = member.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

fn violation(value: &str, member: &str, constraint: &str) -> IamError {
    IamError::Validation(format!(
        "1 validation error detected: Value '{value}' at '{}' failed to satisfy constraint: {constraint}",
        field(member)
    ))
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
    if tags.len() > 50 {
        return Err(IamError::LimitExceeded(
            "Cannot exceed quota for TagsPerUser: 50".into(),
        ));
    }
    Ok(())
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
}
