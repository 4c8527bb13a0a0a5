//! A program built with the AWS SDK for Rust that gets its credentials from the SDK's own
//! default chain, as a workload in CI or Kubernetes does: with `AWS_WEB_IDENTITY_TOKEN_FILE`
//! and `AWS_ROLE_ARN` set (and `AWS_ENDPOINT_URL` naming Hourglass), the chain's
//! web-identity provider calls AssumeRoleWithWebIdentity itself. The program then prints
//! the caller's ARN (GetCallerIdentity) and how many roles it can list, as JSON on stdout.
//!
//! Only the HTTP transport is chosen here (plain HTTP, as the test server speaks it); the
//! credential chain is the SDK's default. Used by `tests/e2e/test_federation_oidc.py`.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use aws_config::BehaviorVersion;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let config = aws_config::defaults(BehaviorVersion::latest())
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .load()
        .await;
    let sts = aws_sdk_sts::Client::new(&config);
    let identity = match sts.get_caller_identity().send().await {
        Ok(i) => i,
        Err(e) => {
            eprintln!("GetCallerIdentity failed: {e:?}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let iam = aws_sdk_iam::Client::new(&config);
    let roles = match iam.list_roles().send().await {
        Ok(r) => r.roles().len().to_string(),
        Err(e) => format!(
            "\"{}\"",
            aws_sdk_iam::error::DisplayErrorContext(e)
                .to_string()
                .replace('"', "'")
        ),
    };
    println!(
        "{{\"Arn\": \"{}\", \"Roles\": {roles}}}",
        identity.arn().unwrap_or_default()
    );
    std::process::ExitCode::SUCCESS
}
