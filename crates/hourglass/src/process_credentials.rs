//! `hourglass credentials`: a `credential_process` for SDK profiles. It reads the workload's
//! token file, asks the server's container credential endpoint, and prints the process
//! credential JSON (`Version: 1` with `Expiration`, so SDKs re-run it before expiry). Plain
//! HTTP to a loopback address only: the token must not cross a network in clear text.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

/// Largest answer read from the endpoint.
const MAX_RESPONSE: u64 = 64 * 1024;

#[derive(Debug, Args)]
pub struct CredentialsArgs {
    /// The container credential endpoint, e.g. http://127.0.0.1:8080/_hourglass/credentials.
    #[arg(long, env = "AWS_CONTAINER_CREDENTIALS_FULL_URI")]
    url: String,
    /// File holding the workload's token.
    #[arg(long, env = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")]
    token_file: PathBuf,
}

pub fn run(args: CredentialsArgs) -> Result<(), String> {
    let token = std::fs::read_to_string(&args.token_file)
        .map_err(|e| format!("cannot read {}: {e}", args.token_file.display()))?;
    let token = token.trim();
    if token.is_empty() || token.contains(['\r', '\n']) {
        return Err("the token file must hold one non-empty line".into());
    }
    let rest = args
        .url
        .strip_prefix("http://")
        .ok_or("only http:// URLs on a loopback address are supported")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let addrs: Vec<_> = authority
        .to_socket_addrs()
        .or_else(|_| format!("{authority}:80").to_socket_addrs())
        .map_err(|e| format!("cannot resolve {authority}: {e}"))?
        .collect();
    let addr = addrs
        .iter()
        .find(|a| a.ip().is_loopback())
        .filter(|_| addrs.iter().all(|a| a.ip().is_loopback()))
        .ok_or_else(|| format!("{authority} is not a loopback address"))?;
    let mut stream = TcpStream::connect_timeout(addr, Duration::from_secs(2))
        .map_err(|e| format!("cannot connect to {authority}: {e}"))?;
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(10)));
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nAuthorization: {token}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| format!("request failed: {e}"))?;
    let mut raw = Vec::new();
    stream
        .take(MAX_RESPONSE)
        .read_to_end(&mut raw)
        .map_err(|e| format!("reading the answer failed: {e}"))?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").ok_or("malformed HTTP answer")?;
    let status = head.split_whitespace().nth(1).unwrap_or_default();
    let chunked = head
        .lines()
        .any(|l| l.to_ascii_lowercase().starts_with("transfer-encoding:") && l.contains("chunked"));
    let body = if chunked {
        dechunk(body)?
    } else {
        body.to_owned()
    };
    let v: serde_json::Value =
        serde_json::from_str(&body).map_err(|_| format!("endpoint answered {status}: {body}"))?;
    if status != "200" {
        return Err(format!(
            "endpoint answered {status}: {} {}",
            v["Code"].as_str().unwrap_or_default(),
            v["Message"].as_str().unwrap_or_default()
        ));
    }
    let field = |k: &str| {
        v.get(k)
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| format!("endpoint answer lacks {k}"))
    };
    let mut out = serde_json::json!({
        "Version": 1,
        "AccessKeyId": field("AccessKeyId")?,
        "SecretAccessKey": field("SecretAccessKey")?,
        "SessionToken": field("Token")?,
        "Expiration": field("Expiration")?,
    });
    if let Ok(account) = field("AccountId") {
        out["AccountId"] = serde_json::Value::String(account);
    }
    println!("{out}");
    Ok(())
}

fn dechunk(mut body: &str) -> Result<String, String> {
    let mut out = String::new();
    loop {
        let (size, rest) = body.split_once("\r\n").ok_or("malformed chunked body")?;
        let n = usize::from_str_radix(size.trim(), 16).map_err(|_| "malformed chunk size")?;
        if n == 0 {
            return Ok(out);
        }
        out.push_str(rest.get(..n).ok_or("truncated chunk")?);
        body = rest.get(n + 2..).ok_or("truncated chunk")?;
    }
}
