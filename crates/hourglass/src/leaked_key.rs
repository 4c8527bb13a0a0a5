//! The text report of `hourglass respond-to-leaked-key`.

use std::fmt::Write;

use hourglass_iam::leaked_key::LeakedKeyResponse;

/// The runbook's first screen: what was done, then the blast radius.
pub fn render(r: &LeakedKeyResponse) -> String {
    let b = &r.blast_radius;
    let mut s = String::new();
    let _ = writeln!(s, "access key {} (owner {})", r.access_key_id, r.owner_arn);
    let _ = writeln!(
        s,
        "  key: {}",
        if r.deactivated {
            "deactivated now"
        } else {
            "was already inactive"
        }
    );
    let _ = writeln!(
        s,
        "  sessions: every session created from this key (directly or through role chains) and issued before {} is revoked",
        r.sessions_revoked_before.format("%Y-%m-%dT%H:%M:%SZ")
    );
    let _ = writeln!(
        s,
        "blast radius: {} events ({} with the key, {} with {} derived session key(s)){}",
        b.events,
        b.by_key,
        b.by_sessions,
        b.session_keys.len(),
        if b.truncated { ", list truncated" } else { "" }
    );
    if let (Some(first), Some(last)) = (&b.first_event, &b.last_event) {
        let _ = writeln!(s, "  from {first} to {last}");
    }
    for k in &b.session_keys {
        let _ = writeln!(s, "  session key {k}");
    }
    for (service, resources) in &b.services {
        let _ = writeln!(s, "{service}");
        for (resource, actions) in resources {
            let _ = writeln!(s, "  {resource}");
            for (action, n) in actions {
                let _ = writeln!(s, "    {action} x{n}");
            }
        }
    }
    s
}
