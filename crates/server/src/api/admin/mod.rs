//! Hourglass's own operator API (JSON 1.1, `HourglassAdmin_20261201`, signing name
//! `hourglass`): what the operator commands do, for the console to call later. Authorized
//! like any AWS operation, with IAM actions of the `hourglass` service prefix
//! (`hourglass:RespondToLeakedKey`), so root or principals allowed by policy may call them.

use hourglass_iam::IamError;
use hourglass_wire::json::JsonVersion;
use serde_json::Value;

use crate::json::{JsonApiError, JsonCtx, JsonResult, ServiceSpec, json_operations, output};

json_operations! {
    /// The operator API.
    pub enum AdminOperation, pub static ADMIN: AdminApi = ServiceSpec {
        target_prefixes: &["HourglassAdmin_20261201"],
        signing_name: "hourglass",
        version: JsonVersion::V1_1,
    }, "hourglass" {
        RespondToLeakedKey => respond_to_leaked_key;
    }
}

/// An access key id as IAM accepts them: 16 to 128 word characters.
fn valid_key_id(id: &str) -> bool {
    (16..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// RespondToLeakedKey `{"AccessKeyId": "AKIA…"}`: deactivates a long-term key of the caller's
/// account, revokes every session descending from it and answers the blast radius (the
/// report `hourglass respond-to-leaked-key --json` prints). Authorized on the key's owner
/// (`arn:aws:iam::ACCT:user/NAME` or the root ARN) before anything changes.
pub async fn respond_to_leaked_key(ctx: &JsonCtx<'_>) -> JsonResult {
    for member in ctx.input.keys() {
        if member != "AccessKeyId" {
            return Err(JsonApiError::new(
                400,
                "SerializationException",
                format!("Unknown member {member}"),
            ));
        }
    }
    let key = match ctx.input.get("AccessKeyId") {
        Some(Value::String(k)) => k.as_str(),
        Some(_) => {
            return Err(JsonApiError::new(
                400,
                "SerializationException",
                "AccessKeyId must be a string",
            ));
        }
        None => {
            return Err(JsonApiError::validation(
                "1 validation error detected: Value null at 'accessKeyId' failed to satisfy constraint: Member must not be null",
            ));
        }
    };
    if !valid_key_id(key) {
        return Err(JsonApiError::validation(format!(
            "1 validation error detected: Value '{key}' at 'accessKeyId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w]+ and have length between 16 and 128"
        )));
    }
    let owner = ctx
        .identity
        .leaked_key_owner(ctx.caller.account_id(), key)
        .await
        .map_err(not_found)?;
    ctx.authorize(&owner).await?;
    // The blast radius must include the calls made up to now, still queued or not.
    ctx.state.audit.flush().await;
    let response = ctx
        .identity
        .respond_to_leaked_key(key)
        .await
        .map_err(not_found)?;
    output(&response)
}

fn not_found(e: IamError) -> JsonApiError {
    match e {
        IamError::NoSuchEntity(m) => JsonApiError::new(400, "NoSuchEntityException", m),
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn key_ids() {
        assert!(valid_key_id("AKIAABCDEFGHIJKLMNOP"));
        assert!(!valid_key_id("AKIA"));
        assert!(!valid_key_id("AKIA/BCDEFGHIJKLMNOP"));
        assert_eq!(
            AdminOperation::RespondToLeakedKey.iam_action(),
            "hourglass:RespondToLeakedKey"
        );
    }
}
