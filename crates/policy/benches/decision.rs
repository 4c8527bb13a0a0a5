//! One decision with 1, 10 and 100 statements, with and without conditions (context
//! built beforehand), building a request context, and parse + compile. Run: `cargo bench -p hourglass-policy --bench decision`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use hourglass_policy::*;

const SERVICES: &[&str] = &[
    "s3",
    "ec2",
    "iam",
    "dynamodb",
    "sqs",
    "sns",
    "lambda",
    "kms",
    "logs",
    "cloudwatch",
];

/// `n` statements spread over ten services; the request matches only the last `s3`
/// statement, so every candidate statement is examined.
fn policy_text(n: usize, conditions: bool) -> String {
    let statements: Vec<String> = (0..n)
        .map(|i| {
            let service = SERVICES[i % SERVICES.len()];
            let resource = if service == "s3" {
                format!("arn:aws:s3:::bucket-{i}/*")
            } else {
                // IAM is global: its ARNs carry no region.
                let region = if service == "iam" { "" } else { "us-east-1" };
                format!("arn:aws:{service}:{region}:111122223333:res-{i}/*")
            };
            let condition = if conditions {
                r#","Condition":{"StringEquals":{"aws:PrincipalTag/team":["blue","green"]},"IpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.0/16"]},"Bool":{"aws:SecureTransport":"true"}}"#
            } else {
                ""
            };
            format!(
                r#"{{"Sid":"S{i}","Effect":"Allow","Action":["{service}:Get*","{service}:List*","{service}:Describe*"],"Resource":["{resource}"]{condition}}}"#
            )
        })
        .collect();
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        statements.join(",")
    )
}

fn target_bucket(n: usize) -> usize {
    (0..n).rev().find(|i| i % SERVICES.len() == 0).unwrap_or(0)
}

fn bench_decisions(c: &mut Criterion) {
    let mut group = c.benchmark_group("decision");
    for conditions in [false, true] {
        for n in [1usize, 10, 100] {
            let text = policy_text(n, conditions);
            let policy = AttachedPolicy::new(
                "p",
                Arc::new(CompiledPolicy::from_text(&text, PolicyKind::Identity).unwrap()),
            );
            let identity = [policy];
            let resource = format!("arn:aws:s3:::bucket-{}/photos/cat.jpg", target_bucket(n));
            let principal = Principal::user(
                "111122223333",
                "arn:aws:iam::111122223333:user/alice",
                "AIDAALICEXXXXXXXXXXXX",
            );
            let name = format!(
                "{n}_statements{}",
                if conditions { "_with_conditions" } else { "" }
            );
            let ctx = RequestContext::new("s3:GetObject", Some(&resource), principal)
                .with("aws:PrincipalTag/team", "green")
                .with("aws:SourceIp", "10.1.2.3")
                .with("aws:SecureTransport", "true");
            let input = EvaluationInput {
                identity: &identity,
                ..Default::default()
            };
            assert!(evaluate(&input, &ctx).is_allowed());
            group.bench_function(name, |b| {
                b.iter(|| evaluate(black_box(&input), black_box(&ctx)))
            });
        }
    }
    group.finish();
}

/// Building the per-request context: the part of a decision the server pays once per
/// request, whatever the number of policies.
fn bench_context(c: &mut Criterion) {
    let principal = Principal::user(
        "111122223333",
        "arn:aws:iam::111122223333:user/alice",
        "AIDAALICEXXXXXXXXXXXX",
    );
    c.bench_function("context/build_3_keys", |b| {
        b.iter(|| {
            RequestContext::new(
                "s3:GetObject",
                Some("arn:aws:s3:::b/k"),
                black_box(principal),
            )
            .with("aws:PrincipalTag/team", "green")
            .with("aws:SourceIp", "10.1.2.3")
            .with("aws:SecureTransport", "true")
        })
    });
}

fn bench_parse_compile(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse_compile");
    for n in [1usize, 10, 100] {
        let text = policy_text(n, true);
        group.bench_function(format!("{n}_statements"), |b| {
            b.iter(|| CompiledPolicy::from_text(black_box(&text), PolicyKind::Identity).unwrap())
        });
    }
    let cache = PolicyCache::default();
    let text = policy_text(10, true);
    cache.get_or_compile(&text, PolicyKind::Identity).unwrap();
    group.bench_function("cache_hit_10_statements", |b| {
        b.iter(|| {
            cache
                .get_or_compile(black_box(&text), PolicyKind::Identity)
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, bench_decisions, bench_context, bench_parse_compile);
criterion_main!(benches);
