//! The Query decoder: URL query and form body (split at the first NUL), then every accessor
//! the operations use. Accepted lists must be dense.
#![no_main]

use hourglass_wire::query::Params;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (query, body) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&b""[..], data),
    };
    let query = String::from_utf8_lossy(query);
    let Ok(p) = Params::decode(&query, body) else {
        return;
    };
    let _ = p.action_and_version();
    let _ = p.check_declared(&["UserName", "Tags", "PolicyArns"]);
    for name in p
        .names()
        .map(|n| n.split('.').next().unwrap_or(n).to_owned())
        .collect::<Vec<_>>()
    {
        let listed = p.list(&name);
        for (i, v) in listed.iter().enumerate() {
            assert_eq!(p.get(&format!("{name}.member.{}", i + 1)), Some(*v));
        }
        let _ = p.struct_list(&name);
        let _ = p.tags(&name);
        let _ = p.map(&name);
    }
});
