//! STS model validation, all members at once: AWS checks every member's model constraints
//! before doing anything else (authorization included) and reports every failure in one
//! `ValidationError`: `1 validation error detected: Value 'x' at 'roleArn' failed to
//! satisfy constraint: …`, or `2 validation errors detected: Value …; Value …`. Within a
//! member the pattern is checked before the length (an empty RoleArn fails both).

use crate::error::{IamError, IamResult};
use crate::validate::field;

/// `arnType`'s pattern: any printable text (and tab, newline, carriage return).
pub(crate) const ARN_PATTERN: &str = "[\\u0009\\u000A\\u000D\\u0020-\\u007E\\u0085\\u00A0-\\uD7FF\\uE000-\\uFFFD\\u10000-\\u10FFFF]+";
/// RoleSessionName, Name, SourceIdentity.
pub(crate) const NAME_PATTERN: &str = "[\\w+=,.@-]*";

/// Whether `c` is in `arnType`'s character set.
fn arn_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7e}' | '\u{85}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..='\u{10ffff}')
}

/// `[\w+=,.@-]`.
pub(crate) fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_+=,.@-".contains(c)
}

/// The failures found so far, in member order.
#[derive(Debug, Default)]
pub(crate) struct Violations(Vec<String>);

impl Violations {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// A failure of `member` whose value AWS echoes.
    pub(crate) fn value(&mut self, value: &str, member: &str, constraint: &str) {
        self.0.push(format!(
            "Value '{value}' at '{}' failed to satisfy constraint: {constraint}",
            field(member)
        ));
    }

    /// A failure of `member` whose value AWS does not echo (policies, lists).
    pub(crate) fn unechoed(&mut self, member: &str, constraint: &str) {
        self.0.push(format!(
            "Value at '{}' failed to satisfy constraint: {constraint}",
            field(member)
        ));
    }

    /// Length bounds in characters.
    pub(crate) fn length(&mut self, value: &str, member: &str, min: usize, max: usize) {
        let n = value.chars().count();
        if n < min {
            self.value(
                value,
                member,
                &format!("Member must have length greater than or equal to {min}"),
            );
        } else if n > max {
            self.value(
                value,
                member,
                &format!("Member must have length less than or equal to {max}"),
            );
        }
    }

    /// `arnType`: the pattern, then 20–2048 characters.
    pub(crate) fn arn(&mut self, value: &str, member: &str) {
        if value.is_empty() || !value.chars().all(arn_char) {
            self.value(
                value,
                member,
                &format!("Member must satisfy regular expression pattern: {ARN_PATTERN}"),
            );
        }
        self.length(value, member, 20, 2048);
    }

    /// `[\w+=,.@-]*` then length bounds (RoleSessionName, SourceIdentity, Name).
    pub(crate) fn name_like(&mut self, value: &str, member: &str, min: usize, max: usize) {
        if !value.chars().all(name_char) {
            self.value(
                value,
                member,
                &format!("Member must satisfy regular expression pattern: {NAME_PATTERN}"),
            );
        }
        self.length(value, member, min, max);
    }

    /// An integer within `min..=max`; a value that is not an integer is reported as such.
    pub(crate) fn int_range(&mut self, value: &str, member: &str, min: i64, max: i64) {
        match value.parse::<i64>() {
            Ok(n) if n < min => self.value(
                value,
                member,
                &format!("Member must have value greater than or equal to {min}"),
            ),
            Ok(n) if n > max => self.value(
                value,
                member,
                &format!("Member must have value less than or equal to {max}"),
            ),
            Ok(_) => {}
            Err(_) => self.0.push(format!("Invalid value '{value}' for {member}")),
        }
    }

    /// A list of at most `max` members.
    pub(crate) fn max_members(&mut self, count: usize, member: &str, max: usize) {
        if count > max {
            self.unechoed(
                member,
                &format!("Member must have length less than or equal to {max}"),
            );
        }
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok` without failures, else AWS's ValidationError listing them all.
    pub(crate) fn finish(self) -> IamResult<()> {
        match self.0.len() {
            0 => Ok(()),
            1 => Err(IamError::Validation(format!(
                "1 validation error detected: {}",
                self.0.concat()
            ))),
            n => Err(IamError::Validation(format!(
                "{n} validation errors detected: {}",
                self.0.join("; ")
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn message(v: Violations) -> String {
        v.finish().err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn one_and_many() {
        let mut v = Violations::new();
        v.arn("arn:aws:iam::123456789012:role/r", "RoleArn");
        assert!(v.is_empty());
        v.arn("bad", "RoleArn");
        assert_eq!(
            message(v),
            "1 validation error detected: Value 'bad' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20"
        );
        let mut v = Violations::new();
        v.arn("", "RoleArn");
        v.name_like("a b", "RoleSessionName", 2, 64);
        assert_eq!(
            message(v),
            format!(
                "3 validation errors detected: Value '' at 'roleArn' failed to satisfy constraint: Member must satisfy regular expression pattern: {ARN_PATTERN}; \
                 Value '' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20; \
                 Value 'a b' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"
            )
        );
        let mut v = Violations::new();
        v.int_range("899", "DurationSeconds", 900, 43200);
        v.max_members(11, "PolicyArns", 10);
        assert_eq!(
            message(v),
            "2 validation errors detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900; \
             Value at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to 10"
        );
    }
}
