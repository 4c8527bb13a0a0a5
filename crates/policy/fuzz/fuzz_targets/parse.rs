//! The policy parser must refuse or accept any input without panicking or hanging; what
//! it accepts must compile and evaluate.
#![no_main]

use std::sync::Arc;

use hourglass_policy::{
    AttachedPolicy, CompiledPolicy, EvaluationInput, PolicyKind, Principal, RequestContext,
    evaluate, parse,
};
use libfuzzer_sys::fuzz_target;

const KINDS: [PolicyKind; 5] = [
    PolicyKind::Identity,
    PolicyKind::Managed,
    PolicyKind::Trust,
    PolicyKind::Resource,
    PolicyKind::Scp,
];

fuzz_target!(|data: &[u8]| {
    let Some((selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let kind = KINDS[usize::from(*selector) % KINDS.len()];
    let Ok(policy) = parse(text, kind) else {
        return;
    };
    let compiled = AttachedPolicy::new("fuzz", Arc::new(CompiledPolicy::compile(&policy)));
    let principal = Principal::user("111122223333", "arn:aws:iam::111122223333:user/a", "AIDAAXXXXXXXXXXXXXXXX");
    let ctx = RequestContext::new("s3:GetObject", Some("arn:aws:s3:::b/k"), principal)
        .with("aws:SourceIp", "10.0.0.1")
        .with("aws:CurrentTime", "2024-01-01T00:00:00Z")
        .with("aws:PrincipalTag/team", "x*y");
    let identity = [compiled.clone()];
    let input = if matches!(kind, PolicyKind::Resource | PolicyKind::Trust) {
        EvaluationInput { resource_policy: Some(&compiled), ..Default::default() }
    } else {
        EvaluationInput { identity: &identity, ..Default::default() }
    };
    let _ = evaluate(&input, &ctx);
});
