//! SimulateCustomPolicy, SimulatePrincipalPolicy, GetContextKeysForCustomPolicy and
//! GetContextKeysForPrincipalPolicy.

use hourglass_iam::simulator::{ContextEntry, EvaluationResult, Position, SimulationInput};

use super::page_request;
use crate::api::{ApiResult, Ctx};
use crate::query::xml::Xml;

fn owned(v: Vec<&str>) -> Vec<String> {
    v.into_iter().map(str::to_owned).collect()
}

fn input(ctx: &Ctx<'_>) -> SimulationInput {
    let context = ctx
        .params
        .struct_list("ContextEntries")
        .into_iter()
        .filter_map(|p| {
            Some(ContextEntry {
                key: ctx.get(&format!("{p}.ContextKeyName"))?.to_owned(),
                values: owned(ctx.params.list(&format!("{p}.ContextKeyValues"))),
                key_type: ctx.get(&format!("{p}.ContextKeyType")).map(str::to_owned),
            })
        })
        .collect();
    SimulationInput {
        policies: owned(ctx.params.list("PolicyInputList")),
        boundaries: owned(ctx.params.list("PermissionsBoundaryPolicyInputList")),
        actions: owned(ctx.params.list("ActionNames")),
        resources: owned(ctx.params.list("ResourceArns")),
        resource_policy: ctx.get("ResourcePolicy").map(str::to_owned),
        resource_owner: ctx.get("ResourceOwner").map(str::to_owned),
        caller_arn: ctx.get("CallerArn").map(str::to_owned),
        context,
    }
}

fn write_position(x: &mut Xml, name: &str, p: Position) {
    x.open(name)
        .num("Line", p.line)
        .num("Column", p.column)
        .close(name);
}

fn write_results(ctx: &Ctx<'_>, results: &[EvaluationResult]) -> ApiResult {
    let request = page_request(ctx)?;
    let std::ops::Range { start, end } = request.offset_window(results.len());
    let mut x = Xml::new();
    x.list("EvaluationResults", &results[start..end], |x, r| {
        x.text("EvalActionName", &r.action)
            .text("EvalResourceName", &r.resource)
            .text("EvalDecision", r.decision);
        x.list("MatchedStatements", &r.matched, |x, m| {
            x.text("SourcePolicyId", &m.source_policy_id)
                .text("SourcePolicyType", &m.source_policy_type);
            write_position(x, "StartPosition", m.start);
            write_position(x, "EndPosition", m.end);
        });
        x.open("MissingContextValues");
        for k in &r.missing_context {
            x.text("member", k);
        }
        x.close("MissingContextValues");
        x.open("OrganizationsDecisionDetail")
            .bool("AllowedByOrganizations", true)
            .close("OrganizationsDecisionDetail");
        if let Some(b) = r.allowed_by_boundary {
            x.open("PermissionsBoundaryDecisionDetail")
                .bool("AllowedByPermissionsBoundary", b)
                .close("PermissionsBoundaryDecisionDetail");
        }
    });
    x.bool("IsTruncated", end < results.len());
    if end < results.len() {
        x.text("Marker", &end.to_string());
    }
    Ok(Some(x.finish()))
}

pub async fn custom(ctx: &Ctx<'_>) -> ApiResult {
    let results = ctx
        .identity
        .simulate_custom_policy(ctx.caller()?, &input(ctx))
        .await?;
    write_results(ctx, &results)
}

pub async fn principal(ctx: &Ctx<'_>) -> ApiResult {
    let results = ctx
        .identity
        .simulate_principal_policy(ctx.caller()?, ctx.required("PolicySourceArn")?, &input(ctx))
        .await?;
    write_results(ctx, &results)
}

fn keys_result(keys: &[String]) -> ApiResult {
    let mut x = Xml::new();
    x.open("ContextKeyNames");
    for k in keys {
        x.text("member", k);
    }
    x.close("ContextKeyNames");
    Ok(Some(x.finish()))
}

pub async fn keys_custom(ctx: &Ctx<'_>) -> ApiResult {
    let keys = ctx
        .identity
        .context_keys_for_custom_policy(ctx.caller()?, &ctx.params.list("PolicyInputList"))
        .await?;
    keys_result(&keys)
}

pub async fn keys_principal(ctx: &Ctx<'_>) -> ApiResult {
    let keys = ctx
        .identity
        .context_keys_for_principal_policy(
            ctx.caller()?,
            ctx.required("PolicySourceArn")?,
            &ctx.params.list("PolicyInputList"),
        )
        .await?;
    keys_result(&keys)
}
