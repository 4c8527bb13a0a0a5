//! The rotators: what runs the four rotation steps (createSecret, setSecret, testSecret,
//! finishSecret) for a secret, in place of AWS's Lambda function.
//!
//! - The built-in IAM access-key rotator (`function:hourglass-rotate-iam-access-key`): the
//!   secret holds `{"UserName", "AccessKeyId", "SecretAccessKey"}` (AWS's sample's
//!   lowercase `username`/`accesskey`/`secretkey` are accepted too). The current key must
//!   authenticate as the named user (the secret's proof of authority over that user).
//!   createSecret makes the user's second key (deleting the previous rotation's key, the
//!   one in AWSPREVIOUS, when the user already has two; never a key the secret does not
//!   know), setSecret has nothing to do (IAM already knows the
//!   key), testSecret signs a request with the pending key and authenticates it through
//!   the server's own gate, finishSecret moves AWSCURRENT; the key that left AWSCURRENT is
//!   deactivated after `secrets.previous_key_grace_secs` and deleted by the next rotation.
//! - Hooks (`function:NAME` with `[secrets.rotation_hooks.NAME]`): a command run once per
//!   step with the Lambda event on stdin, which calls this server back like a rotation
//!   Lambda does (see docs/secrets.md).

use std::net::{IpAddr, Ipv4Addr};
use std::process::Stdio;

use chrono::Utc;
use hourglass_iam::{Caller, IamError, Identity, Principal, RequestParts};
use hourglass_secrets::{AWSCURRENT, AWSPENDING, AWSPREVIOUS, PutInput};
use hourglass_sigv4 as sigv4;
use hourglass_store::Secret;
use hourglass_store::secrets::SecretValue;
use serde_json::{Map, Value};
use tokio::io::AsyncWriteExt;

use super::config::{RotationHook, SecretsConfig};
use super::runtime::SecretsRuntime;

/// The reserved function name of the built-in IAM access-key rotator.
pub const BUILTIN_IAM_KEYS: &str = "hourglass-rotate-iam-access-key";

/// The function name of `arn:aws:lambda:REGION:ACCOUNT:function:NAME` in this account.
pub fn function_name<'a>(arn: &'a str, account: &str) -> Option<&'a str> {
    let parts: Vec<&str> = arn.splitn(7, ':').collect();
    match parts.as_slice() {
        ["arn", "aws", "lambda", _region, acct, "function", name]
            if *acct == account && !name.is_empty() =>
        {
            Some(name.split(':').next().unwrap_or(name))
        }
        _ => None,
    }
}

pub fn is_known(name: &str, config: &SecretsConfig) -> bool {
    name == BUILTIN_IAM_KEYS || config.rotation_hooks.contains_key(name)
}

/// The account's root, acting for the service (the rotator needs no policy of its own,
/// like a service principal).
fn service_caller(identity: &Identity, region: &str) -> Caller {
    Caller {
        principal: Principal::Root {
            account_id: identity.account_id().to_owned(),
        },
        access_key_id: String::new(),
        region: region.to_owned(),
        source_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
        secure_transport: true,
        user_agent: Some("hourglass-secrets-rotation".to_owned()),
        session: None,
    }
}

/// The key pair a secret holds, and the member names it uses.
struct KeyPair {
    doc: Map<String, Value>,
    user_name: String,
    access_key_id: String,
    secret: Secret,
}

const USER_KEYS: [&str; 2] = ["UserName", "username"];
const ID_KEYS: [&str; 2] = ["AccessKeyId", "accesskey"];
const SECRET_KEYS: [&str; 2] = ["SecretAccessKey", "secretkey"];

fn member<'a>(
    doc: &'a Map<String, Value>,
    names: &[&'static str],
) -> Option<(&'static str, &'a str)> {
    names
        .iter()
        .find_map(|n| doc.get(*n).and_then(Value::as_str).map(|v| (*n, v)))
}

fn parse_pair(value: &SecretValue) -> Result<KeyPair, String> {
    let SecretValue::String(text) = value else {
        return Err("the secret holds a binary value, not an access key document".into());
    };
    let doc: Map<String, Value> = serde_json::from_str(text.expose())
        .map_err(|_| "the secret value is not a JSON object".to_owned())?;
    let user = member(&doc, &USER_KEYS)
        .ok_or("the secret value has no UserName")?
        .1;
    let id = member(&doc, &ID_KEYS)
        .ok_or("the secret value has no AccessKeyId")?
        .1;
    let secret = member(&doc, &SECRET_KEYS)
        .ok_or("the secret value has no SecretAccessKey")?
        .1;
    Ok(KeyPair {
        user_name: user.to_owned(),
        access_key_id: id.to_owned(),
        secret: Secret::new(secret),
        doc: doc.clone(),
    })
}

/// The new value: the current document with the key pair replaced (other members kept).
fn with_new_key(current: &KeyPair, id: &str, secret: &Secret) -> Result<Secret, String> {
    let mut doc = current.doc.clone();
    let id_name = member(&doc, &ID_KEYS).map_or("AccessKeyId", |m| m.0);
    let secret_name = member(&doc, &SECRET_KEYS).map_or("SecretAccessKey", |m| m.0);
    doc.insert(id_name.to_owned(), Value::from(id));
    doc.insert(secret_name.to_owned(), Value::from(secret.expose()));
    let text = serde_json::to_string(&doc).map_err(|_| "cannot encode the new value".to_owned())?;
    // The map held the secret too; clear its copy.
    if let Some(Value::String(s)) = doc.get_mut(secret_name) {
        zeroize::Zeroize::zeroize(s);
    }
    Ok(Secret::new(text))
}

/// testSecret: a request signed with the key must pass the server's authentication gate
/// as the expected user.
async fn test_key(identity: &Identity, region: &str, pair: &KeyPair) -> Result<(), String> {
    let body = b"Action=GetCallerIdentity&Version=2011-06-15";
    let payload = sigv4::sha256_hex(body);
    let base = [
        ("host", "hourglass.internal"),
        (
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        ),
    ];
    let req = sigv4::Request {
        method: "POST",
        path: "/",
        query: "",
        headers: &base,
    };
    let params = sigv4::SigningParams {
        credentials: sigv4::Credentials {
            access_key_id: &pair.access_key_id,
            secret_access_key: pair.secret.expose(),
            session_token: None,
        },
        region,
        service: "sts",
        time: Utc::now(),
        path_mode: sigv4::PathMode::Normalized,
        payload_hash: &payload,
        content_sha256_header: false,
    };
    let signed = sigv4::sign_v4(&req, &params);
    let mut headers: Vec<(String, String)> = base
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    headers.extend(
        signed
            .headers
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v)),
    );
    let parts = RequestParts {
        method: "POST",
        raw_path: "/",
        raw_query: "",
        headers: &headers,
        body,
        source_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
        secure_transport: true,
    };
    let caller = identity
        .authenticate(&parts, "sts")
        .await
        .map_err(|e| format!("the new key does not authenticate: {e}"))?;
    match caller.user() {
        Some(u) if u.name == pair.user_name => Ok(()),
        _ => Err("the new key authenticates as another principal".into()),
    }
}

fn iam_err(e: IamError) -> String {
    match e {
        IamError::Internal(_) => "internal error in IAM".to_owned(),
        other => other.to_string(),
    }
}

/// The built-in IAM access-key rotator, all four steps (or testSecret alone).
async fn rotate_iam_key(
    rt: &SecretsRuntime,
    identity: &Identity,
    arn: &str,
    token: &str,
    test_only: bool,
) -> Result<(), String> {
    let secrets = &rt.secrets;
    let region = rt.secrets.region();
    let s = secrets.load(arn).await.map_err(|e| e.message)?;
    let pending = s.version(token).ok_or("the rotation's version is gone")?;
    if pending.has(AWSCURRENT) {
        return Ok(());
    }
    if !pending.has(AWSPENDING) {
        return Err("the rotation's version is not AWSPENDING".into());
    }
    let (current_version, current_value) = secrets
        .get_value(&s, None, Some(AWSCURRENT))
        .await
        .map_err(|e| e.message)?;
    let current = parse_pair(&current_value)?;
    // The rotator acts for the service, so the secret must prove its authority over the
    // user: its current key has to authenticate as that user. Without this, anyone who may
    // write a secret could name another user and have keys minted for it.
    test_key(identity, region, &current).await.map_err(|e| {
        format!(
            "the secret's current key does not authenticate as {}: {e}",
            current.user_name
        )
    })?;
    if test_only {
        return Ok(());
    }
    let root = service_caller(identity, region);
    // createSecret
    if !pending.has_value {
        let keys = identity
            .list_access_keys(&root, Some(&current.user_name))
            .await
            .map_err(iam_err)?;
        if keys.len() >= 2 {
            // Only the key this secret rotated out last time may make room: a key the
            // secret does not know about belongs to someone else.
            let previous = match secrets.get_value(&s, None, Some(AWSPREVIOUS)).await {
                Ok((_, v)) => parse_pair(&v).ok().map(|p| p.access_key_id),
                Err(_) => None,
            };
            let others: Vec<_> = keys
                .iter()
                .filter(|k| k.metadata.access_key_id != current.access_key_id)
                .collect();
            if others
                .iter()
                .any(|k| Some(&k.metadata.access_key_id) != previous.as_ref())
            {
                return Err(format!(
                    "user {} already has two access keys and the other one is not the key \
                     this secret rotated out; delete it to let rotation proceed",
                    current.user_name
                ));
            }
            for k in others {
                identity
                    .delete_access_key(&root, Some(&current.user_name), &k.metadata.access_key_id)
                    .await
                    .map_err(iam_err)?;
                let _ = secrets
                    .deactivation_done(arn, &k.metadata.access_key_id)
                    .await;
            }
        }
        let created = identity
            .create_access_key(&root, Some(&current.user_name))
            .await
            .map_err(iam_err)?;
        let value = with_new_key(&current, &created.metadata.access_key_id, &created.secret)?;
        secrets
            .put_value(
                arn,
                PutInput {
                    token: Some(token.to_owned()),
                    value: SecretValue::String(value),
                    stages: Some(vec![AWSPENDING.to_owned()]),
                },
            )
            .await
            .map_err(|e| e.message)?;
    }
    // setSecret: IAM already holds the new key; nothing to do.
    // testSecret
    let s = secrets.load(arn).await.map_err(|e| e.message)?;
    let (_, pending_value) = secrets
        .get_value(&s, Some(token), Some(AWSPENDING))
        .await
        .map_err(|e| e.message)?;
    let new = parse_pair(&pending_value)?;
    test_key(identity, region, &new).await?;
    // finishSecret
    secrets
        .update_stage(arn, AWSCURRENT, Some(&current_version.id), Some(token))
        .await
        .map_err(|e| e.message)?;
    let grace = rt.config.grace();
    if grace <= chrono::Duration::zero() {
        deactivate(identity, region, &current.user_name, &current.access_key_id).await?;
    } else {
        secrets
            .schedule_deactivation(
                arn,
                &current.user_name,
                &current.access_key_id,
                Utc::now() + grace,
            )
            .await
            .map_err(|e| e.message)?;
    }
    Ok(())
}

/// Deactivates a rotated-out key; a key already deleted counts as done.
pub async fn deactivate(
    identity: &Identity,
    region: &str,
    user: &str,
    key: &str,
) -> Result<(), String> {
    let root = service_caller(identity, region);
    match identity
        .update_access_key(&root, Some(user), key, "Inactive")
        .await
    {
        Ok(()) | Err(IamError::NoSuchEntity(_)) => Ok(()),
        Err(e) => Err(iam_err(e)),
    }
}

const STEPS: [&str; 4] = ["createSecret", "setSecret", "testSecret", "finishSecret"];

/// One hook invocation: the Lambda event on stdin; success is exit status 0. The hook's
/// environment is only PATH, HOME, the region and endpoint, and what the hook's
/// configuration sets: never the server's own (root credentials, server key).
async fn run_step(
    rt: &SecretsRuntime,
    hook: &RotationHook,
    event: &Value,
    step: &str,
) -> Result<(), String> {
    let Some((program, args)) = hook.command.split_first() else {
        return Err("the hook has no command".into());
    };
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .env_clear()
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    for var in ["PATH", "HOME", "LANG", "TZ"] {
        if let Ok(v) = std::env::var(var) {
            cmd.env(var, v);
        }
    }
    let region = rt.secrets.region();
    cmd.env("AWS_REGION", region)
        .env("AWS_DEFAULT_REGION", region)
        .env("HOURGLASS_ROTATION_STEP", step);
    if let Some(e) = rt.endpoint.get() {
        cmd.env("AWS_ENDPOINT_URL", e);
    }
    cmd.envs(&hook.env);
    if let Some(dir) = &hook.working_dir {
        cmd.current_dir(dir);
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start the rotation hook: {e}"))?;
    let input = serde_json::to_vec(event).map_err(|_| "cannot encode the event".to_owned())?;
    if let Some(mut stdin) = child.stdin.take() {
        // A hook that does not read its input is not an error.
        let _ = stdin.write_all(&input).await;
    }
    match tokio::time::timeout(hook.timeout(), child.wait()).await {
        Ok(Ok(status)) if status.success() => Ok(()),
        Ok(Ok(status)) => Err(format!("step {step} failed ({status})")),
        Ok(Err(e)) => Err(format!("step {step}: {e}")),
        Err(_) => {
            let _ = child.kill().await;
            Err(format!(
                "step {step} timed out after {}s",
                hook.timeout().as_secs()
            ))
        }
    }
}

async fn rotate_with_hook(
    rt: &SecretsRuntime,
    hook: &RotationHook,
    arn: &str,
    token: &str,
    test_only: bool,
) -> Result<(), String> {
    let rotation_token = uuid::Uuid::new_v4().to_string();
    let steps: &[&str] = if test_only { &["testSecret"] } else { &STEPS };
    for step in steps {
        let event = serde_json::json!({
            "Step": step,
            "SecretId": arn,
            "ClientRequestToken": token,
            "RotationToken": rotation_token,
        });
        run_step(rt, hook, &event, step).await?;
    }
    if !test_only {
        let s = rt.secrets.load(arn).await.map_err(|e| e.message)?;
        if !s.version(token).is_some_and(|v| v.has(AWSCURRENT)) {
            return Err("finishSecret did not move AWSCURRENT to the new version".into());
        }
    }
    Ok(())
}

/// Runs a rotation of `arn` with its configured function.
pub async fn rotate(
    rt: &SecretsRuntime,
    identity: &Identity,
    arn: &str,
    function: &str,
    token: &str,
    test_only: bool,
) -> Result<(), String> {
    let name = function_name(function, rt.secrets.account())
        .ok_or_else(|| format!("rotation function {function} is not served here"))?;
    if name == BUILTIN_IAM_KEYS {
        return rotate_iam_key(rt, identity, arn, token, test_only).await;
    }
    match rt.config.rotation_hooks.get(name) {
        Some(hook) => rotate_with_hook(rt, hook, arn, token, test_only).await,
        None => Err(format!("no rotation hook named {name} is configured")),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn function_names() {
        let a = "123456789012";
        assert_eq!(
            function_name(
                "arn:aws:lambda:us-east-1:123456789012:function:hourglass-rotate-iam-access-key",
                a
            ),
            Some(BUILTIN_IAM_KEYS)
        );
        assert_eq!(
            function_name("arn:aws:lambda:us-east-1:123456789012:function:f:live", a),
            Some("f")
        );
        assert_eq!(
            function_name("arn:aws:lambda:us-east-1:999999999999:function:f", a),
            None
        );
        assert_eq!(function_name("nope", a), None);
    }

    #[test]
    fn key_documents() {
        let v = SecretValue::String(Secret::new(
            r#"{"username":"u","accesskey":"AKIAOLD","secretkey":"s","masterarn":"m"}"#,
        ));
        let p = parse_pair(&v).unwrap();
        assert_eq!(
            (p.user_name.as_str(), p.access_key_id.as_str()),
            ("u", "AKIAOLD")
        );
        let new = with_new_key(&p, "AKIANEW", &Secret::new("t")).unwrap();
        let doc: Map<String, Value> = serde_json::from_str(new.expose()).unwrap();
        assert_eq!(doc["accesskey"], "AKIANEW");
        assert_eq!(doc["secretkey"], "t");
        assert_eq!(doc["masterarn"], "m");
        assert!(parse_pair(&SecretValue::String(Secret::new("[]"))).is_err());
    }
}
