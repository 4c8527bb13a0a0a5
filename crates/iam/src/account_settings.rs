//! Account-wide settings: the account alias (Create/Delete/ListAccountAliases) and the
//! password policy (Update/Get/DeleteAccountPasswordPolicy), which login profiles enforce.

use hourglass_store::StoreError;
use serde::{Deserialize, Serialize};

use crate::authz::Access;
use crate::error::{IamError, IamResult};
use crate::{Caller, Identity, validate};

/// The account password policy, as stored (JSON) and reported. Absent numbers are AWS's
/// "not set" (no expiry, no reuse prevention).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordPolicy {
    pub minimum_password_length: u32,
    pub require_symbols: bool,
    pub require_numbers: bool,
    pub require_uppercase_characters: bool,
    pub require_lowercase_characters: bool,
    pub allow_users_to_change_password: bool,
    pub max_password_age: Option<u32>,
    pub password_reuse_prevention: Option<u32>,
    pub hard_expiry: Option<bool>,
}

/// What applies when the account has no policy: AWS's default (any 8+ characters of at
/// least three of the four character classes is the console's rule; the API's is a
/// minimum of 6 with nothing else required).
impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy {
            minimum_password_length: 6,
            require_symbols: false,
            require_numbers: false,
            require_uppercase_characters: false,
            require_lowercase_characters: false,
            allow_users_to_change_password: false,
            max_password_age: None,
            password_reuse_prevention: None,
            hard_expiry: None,
        }
    }
}

/// UpdateAccountPasswordPolicy's parameters, as received.
#[derive(Debug, Clone, Default)]
pub struct UpdatePasswordPolicy<'a> {
    pub minimum_password_length: Option<&'a str>,
    pub require_symbols: Option<&'a str>,
    pub require_numbers: Option<&'a str>,
    pub require_uppercase_characters: Option<&'a str>,
    pub require_lowercase_characters: Option<&'a str>,
    pub allow_users_to_change_password: Option<&'a str>,
    pub max_password_age: Option<&'a str>,
    pub password_reuse_prevention: Option<&'a str>,
    pub hard_expiry: Option<&'a str>,
}

/// The symbols AWS counts for `RequireSymbols`.
pub const SYMBOLS: &str = "!@#$%^&*()_+-=[]{}|'";

impl PasswordPolicy {
    /// The rules `password` breaks (empty when it satisfies this policy).
    pub fn broken_rules(&self, password: &str) -> Vec<String> {
        let mut missing = Vec::new();
        if password.chars().count() < self.minimum_password_length as usize {
            missing.push(format!(
                "Password should have at least {} characters",
                self.minimum_password_length
            ));
        }
        if self.require_symbols && !password.chars().any(|c| SYMBOLS.contains(c)) {
            missing.push("Password should have at least one symbol".to_owned());
        }
        if self.require_numbers && !password.chars().any(|c| c.is_ascii_digit()) {
            missing.push("Password should have at least one number".to_owned());
        }
        if self.require_uppercase_characters && !password.chars().any(|c| c.is_ascii_uppercase()) {
            missing.push("Password should have at least one uppercase letter".to_owned());
        }
        if self.require_lowercase_characters && !password.chars().any(|c| c.is_ascii_lowercase()) {
            missing.push("Password should have at least one lowercase letter".to_owned());
        }
        missing
    }
}

fn alias_is_valid(alias: &str) -> bool {
    let b = alias.as_bytes();
    let ok = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    (3..=63).contains(&b.len())
        && b.first().copied().is_some_and(ok)
        && b.last().copied().is_some_and(ok)
        && b.iter().all(|&c| ok(c) || c == b'-')
        && !alias.contains("--")
}

fn check_alias(alias: &str) -> IamResult<()> {
    validate::length(alias, "AccountAlias", 3, 63)?;
    if !alias_is_valid(alias) {
        return Err(IamError::Validation(format!(
            "1 validation error detected: Value '{alias}' at 'accountAlias' failed to satisfy \
             constraint: Member must satisfy regular expression pattern: \
             ^[a-z0-9]([a-z0-9]|-(?!-)){{1,61}}[a-z0-9]$"
        )));
    }
    Ok(())
}

fn opt_int(value: Option<&str>, member: &str, min: i64, max: i64) -> IamResult<Option<u32>> {
    value
        .map(|v| validate::int_range(v, member, min, max).map(|n| u32::try_from(n).unwrap_or(0)))
        .transpose()
}

impl Identity {
    pub async fn create_account_alias(&self, caller: &Caller, alias: &str) -> IamResult<()> {
        check_alias(alias)?;
        self.authorize(caller, &Access::new("iam:CreateAccountAlias", "*"))
            .await?;
        Ok(self
            .store
            .set_account_alias(&self.account_id, alias)
            .await?)
    }

    pub async fn delete_account_alias(&self, caller: &Caller, alias: &str) -> IamResult<()> {
        validate::length(alias, "AccountAlias", 3, 63)?;
        self.authorize(caller, &Access::new("iam:DeleteAccountAlias", "*"))
            .await?;
        Ok(self
            .store
            .delete_account_alias(&self.account_id, alias)
            .await?)
    }

    pub async fn list_account_aliases(&self, caller: &Caller) -> IamResult<Vec<String>> {
        self.authorize(caller, &Access::new("iam:ListAccountAliases", "*"))
            .await?;
        Ok(self.store.account_aliases(&self.account_id).await?)
    }

    /// UpdateAccountPasswordPolicy: every parameter left out returns to its default, as on
    /// AWS.
    pub async fn update_password_policy(
        &self,
        caller: &Caller,
        input: &UpdatePasswordPolicy<'_>,
    ) -> IamResult<()> {
        let policy = PasswordPolicy {
            minimum_password_length: opt_int(
                input.minimum_password_length,
                "MinimumPasswordLength",
                6,
                128,
            )?
            .unwrap_or(6),
            require_symbols: validate::boolean(input.require_symbols, "RequireSymbols")?,
            require_numbers: validate::boolean(input.require_numbers, "RequireNumbers")?,
            require_uppercase_characters: validate::boolean(
                input.require_uppercase_characters,
                "RequireUppercaseCharacters",
            )?,
            require_lowercase_characters: validate::boolean(
                input.require_lowercase_characters,
                "RequireLowercaseCharacters",
            )?,
            allow_users_to_change_password: validate::boolean(
                input.allow_users_to_change_password,
                "AllowUsersToChangePassword",
            )?,
            max_password_age: opt_int(input.max_password_age, "MaxPasswordAge", 1, 1095)?,
            password_reuse_prevention: opt_int(
                input.password_reuse_prevention,
                "PasswordReusePrevention",
                1,
                24,
            )?,
            hard_expiry: input
                .hard_expiry
                .map(|v| validate::boolean(Some(v), "HardExpiry"))
                .transpose()?,
        };
        self.authorize(caller, &Access::new("iam:UpdateAccountPasswordPolicy", "*"))
            .await?;
        let json = serde_json::to_string(&policy)
            .map_err(|e| IamError::Internal(format!("password policy: {e}")))?;
        Ok(self
            .store
            .put_password_policy(&self.account_id, &json)
            .await?)
    }

    /// The stored policy, if any (no authorization: used by the login-profile checks).
    pub(crate) async fn stored_password_policy(&self) -> IamResult<Option<PasswordPolicy>> {
        match self.store.password_policy(&self.account_id).await? {
            Some(json) => serde_json::from_str(&json)
                .map(Some)
                .map_err(|e| IamError::Internal(format!("stored password policy: {e}"))),
            None => Ok(None),
        }
    }

    pub async fn get_password_policy(&self, caller: &Caller) -> IamResult<PasswordPolicy> {
        self.authorize(caller, &Access::new("iam:GetAccountPasswordPolicy", "*"))
            .await?;
        self.stored_password_policy().await?.ok_or_else(|| {
            IamError::NoSuchEntity(format!(
                "The Password Policy with domain name {} cannot be found.",
                self.account_id
            ))
        })
    }

    pub async fn delete_password_policy(&self, caller: &Caller) -> IamResult<()> {
        self.authorize(caller, &Access::new("iam:DeleteAccountPasswordPolicy", "*"))
            .await?;
        match self.store.delete_password_policy(&self.account_id).await {
            Ok(()) => Ok(()),
            Err(e @ StoreError::NotFound { .. }) => Err(IamError::NoSuchEntity(e.to_string())),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases() {
        for ok in ["abc", "my-org-1", "a1b"] {
            assert!(alias_is_valid(ok), "{ok}");
        }
        for bad in ["ab", "-abc", "abc-", "a--b", "ABC", "a_b", &"a".repeat(64)] {
            assert!(!alias_is_valid(bad), "{bad}");
        }
    }

    #[test]
    fn policy_violations() {
        let p = PasswordPolicy {
            minimum_password_length: 10,
            require_symbols: true,
            require_numbers: true,
            require_uppercase_characters: true,
            require_lowercase_characters: true,
            ..PasswordPolicy::default()
        };
        assert!(p.broken_rules("Abcdefgh1!x").is_empty());
        let msg = p.broken_rules("abc").join(", ");
        assert!(msg.contains("at least 10 characters"), "{msg}");
        assert!(msg.contains("one symbol"), "{msg}");
        assert!(msg.contains("one number"), "{msg}");
        assert!(msg.contains("one uppercase"), "{msg}");
        assert!(!msg.contains("lowercase"), "{msg}");
    }
}
