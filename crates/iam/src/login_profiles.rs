//! Login profiles (console passwords without a console yet): Create/Get/Update/Delete
//! LoginProfile and ChangePassword. Passwords are hashed with Argon2id (memory-hard) and
//! never stored, logged or returned; the account password policy is enforced on every new
//! password, including its reuse prevention.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use hourglass_store::{LoginProfile, LoginProfileUpdate, StoreError};
use zeroize::Zeroizing;

use crate::account_settings::PasswordPolicy;
use crate::authz::Access;
use crate::error::{IamError, IamResult};
use crate::principal::Principal;
use crate::tags::Taggable;
use crate::{Caller, Identity, validate};

const POLICY_VIOLATION: &str = "Password does not conform to the account password policy.";

/// `[\u0009\u000A\u000D\u0020-\u00FF]+`, 1–128 characters. The value is never echoed.
fn check_password(password: &str, member: &str) -> IamResult<()> {
    validate::unechoed_text(password, member, 128)
}

/// Hashes off the async threads: Argon2 is deliberately slow.
async fn hash(password: &str) -> IamResult<String> {
    let password = Zeroizing::new(password.to_owned());
    tokio::task::spawn_blocking(move || {
        let salt_bytes: [u8; 16] = rand::random();
        let salt = SaltString::encode_b64(&salt_bytes)
            .map_err(|e| IamError::Internal(format!("salt: {e}")))?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| IamError::Internal(format!("argon2: {e}")))
    })
    .await
    .map_err(|e| IamError::Internal(format!("hashing task: {e}")))?
}

/// Whether `password` matches any of `hashes`.
async fn matches_any(password: &str, hashes: Vec<String>) -> IamResult<bool> {
    let password = Zeroizing::new(password.to_owned());
    tokio::task::spawn_blocking(move || {
        Ok(hashes.iter().any(|h| {
            PasswordHash::new(h).is_ok_and(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
        }))
    })
    .await
    .map_err(|e| IamError::Internal(format!("hashing task: {e}")))?
}

impl Identity {
    async fn effective_password_policy(&self) -> IamResult<(PasswordPolicy, bool)> {
        Ok(match self.stored_password_policy().await? {
            Some(p) => (p, true),
            None => (PasswordPolicy::default(), false),
        })
    }

    /// The policy check of a new password, and (with `previous`) reuse prevention.
    async fn acceptable_password(
        &self,
        password: &str,
        previous: Option<&LoginProfile>,
    ) -> IamResult<usize> {
        let (policy, _) = self.effective_password_policy().await?;
        if !policy.broken_rules(password).is_empty() {
            return Err(IamError::PasswordPolicyViolation(POLICY_VIOLATION.into()));
        }
        let keep = policy.password_reuse_prevention.unwrap_or(0) as usize;
        if let (Some(p), true) = (previous, keep > 0) {
            let mut recent = vec![p.password_hash.clone()];
            recent.extend(p.history.iter().take(keep.saturating_sub(1)).cloned());
            if matches_any(password, recent).await? {
                return Err(IamError::PasswordPolicyViolation(format!(
                    "{POLICY_VIOLATION} Password must not be one of the last {keep} passwords."
                )));
            }
        }
        // The current password joins the history, which keeps what reuse prevention needs.
        Ok(keep.saturating_sub(1))
    }

    async fn authorized_user_for(
        &self,
        caller: &Caller,
        user: &str,
        action: &str,
    ) -> IamResult<()> {
        validate::name(user, "UserName", 128)?;
        self.authorized_user(caller, action, user).await.map(drop)
    }

    pub async fn create_login_profile(
        &self,
        caller: &Caller,
        user: &str,
        password: &str,
        reset_required: Option<&str>,
    ) -> IamResult<LoginProfile> {
        check_password(password, "Password")?;
        let reset = validate::boolean(reset_required, "PasswordResetRequired")?;
        self.authorized_user_for(caller, user, "iam:CreateLoginProfile")
            .await?;
        self.acceptable_password(password, None).await?;
        let hashed = hash(password).await?;
        Ok(self
            .store
            .create_login_profile(&self.account_id, user, &hashed, reset, self.clock.now())
            .await?)
    }

    pub async fn get_login_profile(&self, caller: &Caller, user: &str) -> IamResult<LoginProfile> {
        self.authorized_user_for(caller, user, "iam:GetLoginProfile")
            .await?;
        Ok(self.store.get_login_profile(&self.account_id, user).await?)
    }

    pub async fn update_login_profile(
        &self,
        caller: &Caller,
        user: &str,
        password: Option<&str>,
        reset_required: Option<&str>,
    ) -> IamResult<()> {
        if let Some(p) = password {
            check_password(p, "Password")?;
        }
        let reset = reset_required
            .map(|r| validate::boolean(Some(r), "PasswordResetRequired"))
            .transpose()?;
        self.authorized_user_for(caller, user, "iam:UpdateLoginProfile")
            .await?;
        let current = self.store.get_login_profile(&self.account_id, user).await?;
        let mut update = LoginProfileUpdate {
            password_reset_required: reset,
            ..Default::default()
        };
        if let Some(p) = password {
            update.keep_history = self.acceptable_password(p, Some(&current)).await?;
            update.password_hash = Some(hash(p).await?);
        }
        self.store
            .update_login_profile(&self.account_id, user, update, self.clock.now())
            .await?;
        Ok(())
    }

    pub async fn delete_login_profile(&self, caller: &Caller, user: &str) -> IamResult<()> {
        self.authorized_user_for(caller, user, "iam:DeleteLoginProfile")
            .await?;
        Ok(self
            .store
            .delete_login_profile(&self.account_id, user)
            .await?)
    }

    /// ChangePassword: the calling IAM user changes its own password, proving the old one.
    /// Allowed by the password policy's AllowUsersToChangePassword, or by `iam:ChangePassword`
    /// on the user.
    pub async fn change_password(
        &self,
        caller: &Caller,
        old_password: &str,
        new_password: &str,
    ) -> IamResult<()> {
        check_password(old_password, "OldPassword")?;
        check_password(new_password, "NewPassword")?;
        let Principal::User(user) = &caller.principal else {
            return Err(IamError::InvalidUserType(
                "Only IAM users can change their own password with ChangePassword.".into(),
            ));
        };
        let (policy, _) = self.effective_password_policy().await?;
        if !policy.allow_users_to_change_password {
            self.authorize(
                caller,
                &Access::new("iam:ChangePassword", &user.arn)
                    .with_resource_tags(Taggable::User, &user.tags),
            )
            .await?;
        }
        let current = match self
            .store
            .get_login_profile(&self.account_id, &user.name)
            .await
        {
            Ok(p) => p,
            Err(e @ StoreError::NotFound { .. }) => {
                return Err(IamError::NoSuchEntity(e.to_string()));
            }
            Err(e) => return Err(e.into()),
        };
        if !matches_any(old_password, vec![current.password_hash.clone()]).await? {
            return Err(IamError::access_denied(
                "The old password provided is incorrect.",
            ));
        }
        let keep_history = self
            .acceptable_password(new_password, Some(&current))
            .await?;
        let update = LoginProfileUpdate {
            password_hash: Some(hash(new_password).await?),
            keep_history,
            // A changed password satisfies a pending reset.
            password_reset_required: Some(false),
        };
        self.store
            .update_login_profile(&self.account_id, &user.name, update, self.clock.now())
            .await?;
        tracing::info!(user = %user.arn, "password changed");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_differ() {
        let a = hash("correct horse").await.unwrap();
        let b = hash("correct horse").await.unwrap();
        assert_ne!(a, b, "salted");
        assert!(a.starts_with("$argon2id$"));
        assert!(!a.contains("correct horse"));
        assert!(matches_any("correct horse", vec![a.clone()]).await.unwrap());
        assert!(!matches_any("wrong", vec![a]).await.unwrap());
    }

    #[test]
    fn password_shape() {
        assert!(check_password("a b\tc", "Password").is_ok());
        assert!(check_password("", "Password").is_err());
        assert!(check_password(&"x".repeat(129), "Password").is_err());
        let e = check_password("snow\u{2603}man", "Password").unwrap_err();
        assert!(!e.to_string().contains("snow"), "{e}");
    }
}
