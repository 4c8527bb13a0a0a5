use chrono::{DateTime, Utc};
use hourglass_sigv4::{
    Auth, Request, SigningKeyCache, VerifyOptions, EMPTY_SHA256, parse_auth, verify_v2, verify_v4,
};

/// Parses, then verifies with every option set: nothing may panic, whatever the input.
pub fn parse_and_verify(req: &Request<'_>) {
    let now = DateTime::<Utc>::from_timestamp(1_440_938_160, 0).unwrap_or_default();
    let cache = SigningKeyCache::new(4);
    match parse_auth(req) {
        Ok(Auth::V4(auth)) => {
            for opts in [VerifyOptions::s3(now), VerifyOptions::query(EMPTY_SHA256, now)] {
                if let Err(e) = verify_v4(req, &auth, "secret", &opts, &cache) {
                    let _ = (e.to_string(), e.s3_code(), e.query_code(), e.skew_details());
                }
            }
        }
        Ok(Auth::V2(auth)) => {
            let _ = verify_v2(req, &auth, "secret", now);
        }
        Ok(Auth::Anonymous) => {}
        Err(e) => {
            let _ = (e.to_string(), e.s3_code(), e.s3_status(), e.query_status());
        }
    }
}
