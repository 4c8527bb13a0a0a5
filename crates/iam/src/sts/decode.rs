//! Encoded authorization messages and DecodeAuthorizationMessage (spec §3.8).
//!
//! Every IAM/STS denial carries, besides AWS's message, an encoded message: the decision
//! as JSON in AWS's DecodeAuthorizationMessage shape (`allowed`, `explicitDeny`,
//! `matchedStatements`, `failures`, `context` with the principal, action, resource and
//! every condition key of the request), sealed by the server key ring and bound to the
//! account, so only this server can read it and only for a caller of that account who is
//! allowed `sts:DecodeAuthorizationMessage`.

use hourglass_policy::{Decision, DecisionEffect, Reason, RequestContext};
use serde_json::{Value, json};

use crate::authz::Access;
use crate::error::{IamError, IamResult};
use crate::principal::Caller;
use crate::{Identity, validate};

const AAD_PREFIX: &str = "hourglass-authorization-message-v1:";

/// Keys derived from the principal, reported with the others.
const DERIVED_KEYS: &[&str] = &[
    "aws:username",
    "aws:userid",
    "aws:PrincipalType",
    "aws:PrincipalArn",
    "aws:PrincipalAccount",
];

/// Budget of the serialized conditions, so the whole message seals to < 10,240 characters.
const MAX_CONDITIONS_JSON: usize = 5_000;

fn items(values: Vec<Value>) -> Value {
    json!({ "items": values })
}

/// The decision and its request as DecodeAuthorizationMessage reports them.
pub(crate) fn message_json(
    decision: &Decision,
    ctx: &RequestContext<'_>,
    keys: &[&[(String, Vec<String>)]],
    message: Option<&str>,
) -> Value {
    let statements: Vec<Value> = decision
        .statements()
        .map(|s| {
            json!({
                "statementId": s.sid.as_deref().unwrap_or(""),
                "effect": if decision.effect == DecisionEffect::Allow { "ALLOW" } else { "DENY" },
                "policyType": s.policy_type.name(),
                "policyId": &*s.policy_id,
                "statementIndex": s.index,
            })
        })
        .collect();
    let missing: Vec<Value> = decision
        .reasons
        .iter()
        .filter_map(|r| match r {
            Reason::NoAllow(t) => {
                Some(json!({ "value": format!("no {} allows the action", t.name()) }))
            }
            Reason::RootCannotAssumeRole => {
                Some(json!({ "value": "roles may not be assumed by root accounts" }))
            }
            Reason::FederatedUserCannotAssumeRole => {
                Some(json!({ "value": "federated users may not assume roles" }))
            }
            _ => None,
        })
        .collect();
    let mut names: Vec<&str> = Vec::new();
    for set in keys {
        for (k, _) in *set {
            if !names.iter().any(|n| n.eq_ignore_ascii_case(k)) {
                names.push(k);
            }
        }
    }
    for k in DERIVED_KEYS {
        if !names.iter().any(|n| n.eq_ignore_ascii_case(k)) {
            names.push(k);
        }
    }
    let mut conditions: Vec<Value> = names
        .iter()
        .filter_map(|k| {
            let values = ctx.values(k);
            if values.is_empty() {
                return None;
            }
            let vs: Vec<Value> = values.iter().map(|v| json!({ "value": v })).collect();
            Some(json!({ "key": k, "values": items(vs) }))
        })
        .collect();
    // EncodedMessage is at most 10,240 characters: keep the sealed form under it by
    // dropping the last condition keys of an unusually large context.
    while conditions.len() > 1
        && conditions
            .iter()
            .map(|c| c.to_string().len())
            .sum::<usize>()
            > MAX_CONDITIONS_JSON
    {
        conditions.pop();
    }
    json!({
        "allowed": decision.is_allowed(),
        "explicitDeny": decision.effect == DecisionEffect::ExplicitDeny,
        "matchedStatements": items(statements),
        "failures": items(Vec::new()),
        "implicitDenyReasons": items(missing),
        "message": message.unwrap_or(""),
        "context": {
            "principal": {
                "id": ctx.principal.user_id,
                "arn": ctx.principal.arn,
            },
            "action": ctx.action,
            "resource": ctx.resource.unwrap_or("*"),
            "conditions": items(conditions),
        }
    })
}

impl Identity {
    /// The sealed authorization message of a denial (`None` if sealing fails, which is
    /// logged: the denial itself must still be reported).
    pub(crate) fn encode_denial(
        &self,
        decision: &Decision,
        ctx: &RequestContext<'_>,
        keys: &[&[(String, Vec<String>)]],
        message: Option<&str>,
    ) -> Option<String> {
        let json = message_json(decision, ctx, keys, message).to_string();
        let ring = self.key_ring().ok()?;
        let aad = format!("{AAD_PREFIX}{}", self.account_id);
        match ring.seal(json.as_bytes(), aad.as_bytes()) {
            Ok(sealed) => Some(sealed),
            Err(e) => {
                tracing::warn!(error = %e, "cannot seal an authorization message");
                None
            }
        }
    }

    /// DecodeAuthorizationMessage: needs `sts:DecodeAuthorizationMessage`; returns the JSON
    /// text of the decision.
    pub async fn decode_authorization_message(
        &self,
        caller: &Caller,
        encoded: &str,
    ) -> IamResult<String> {
        validate::length(encoded, "EncodedMessage", 1, 10240)?;
        self.authorize(caller, &Access::new("sts:DecodeAuthorizationMessage", "*"))
            .await?;
        let invalid = || {
            IamError::InvalidAuthorizationMessage(
                "The message is not a valid encoded authorization message.".into(),
            )
        };
        let aad = format!("{AAD_PREFIX}{}", caller.account_id());
        let plain = self
            .key_ring()?
            .open(encoded.trim(), aad.as_bytes())
            .map_err(|_| invalid())?;
        String::from_utf8(plain.to_vec()).map_err(|_| invalid())
    }
}
