//! AddTags / RemoveTags / ListTags on trails, and the parsing of tag lists and event
//! selectors shared with CreateTrail and PutEventSelectors.

use serde_json::{Map, Value, json};

use super::trail_model::{Selector, parse_arn};
use super::trails::{Trail, err, opt_str, save, stored_trail};
use crate::json::{JsonApiError, JsonCtx, JsonResult};

/// AWS's limit of tags on a trail.
const MAX_TAGS: usize = 50;
const MAX_SELECTORS: usize = 5;
const MAX_DATA_VALUES: usize = 250;

fn tag_error(message: impl Into<String>) -> JsonApiError {
    err("InvalidTagParameterException", message)
}

fn serialization(member: &str) -> JsonApiError {
    err(
        "SerializationException",
        format!("Unexpected value type for member {member}."),
    )
}

/// A `TagsList` of `{Key, Value}`; `Value` optional (RemoveTags needs only keys).
pub fn parse_tags(
    input: &Map<String, Value>,
    member: &str,
) -> Result<Vec<(String, String)>, JsonApiError> {
    let items = match input.get(member) {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) => a,
        Some(_) => return Err(serialization(member)),
    };
    let mut out = Vec::new();
    for item in items {
        let Value::Object(o) = item else {
            return Err(serialization(member));
        };
        let key = opt_str(o, "Key")?.unwrap_or_default();
        let value = opt_str(o, "Value")?.unwrap_or_default();
        if key.is_empty() || key.chars().count() > 128 {
            return Err(tag_error("Tag key must be between 1 and 128 characters."));
        }
        if value.chars().count() > 256 {
            return Err(tag_error("Tag value must be at most 256 characters."));
        }
        if key.starts_with("aws:") {
            return Err(tag_error("Tag keys cannot start with the aws: prefix."));
        }
        out.push((key.to_owned(), value.to_owned()));
    }
    Ok(out)
}

/// Adds or overwrites `new` in `tags`, within the limit.
pub fn merge(
    tags: &mut Vec<(String, String)>,
    new: Vec<(String, String)>,
) -> Result<(), JsonApiError> {
    for (k, v) in new {
        match tags.iter_mut().find(|(tk, _)| *tk == k) {
            Some(t) => t.1 = v,
            None => tags.push((k, v)),
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(err(
            "TagsLimitExceededException",
            format!("The number of tags exceeds the limit of {MAX_TAGS}."),
        ));
    }
    Ok(())
}

/// The trail a `ResourceId`/`ResourceIdList` entry names (a trail ARN of the caller's
/// account).
async fn by_resource_id(ctx: &JsonCtx<'_>, id: &str) -> Result<Trail, JsonApiError> {
    let account = ctx.caller.account_id();
    let Some((_, acct, name)) = parse_arn(id) else {
        return Err(err(
            "CloudTrailARNInvalidException",
            format!("Invalid resource ID format: {id}"),
        ));
    };
    let missing = || {
        err(
            "ResourceNotFoundException",
            format!("Resource {id} does not exist."),
        )
    };
    if acct != account {
        return Err(missing());
    }
    let row = stored_trail(ctx, account, name)
        .await?
        .filter(|r| r.arn == id)
        .ok_or_else(missing)?;
    Trail::from_row(row)
}

fn resource_id(ctx: &JsonCtx<'_>) -> Result<String, JsonApiError> {
    opt_str(ctx.input, "ResourceId")?
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| err("ResourceNotFoundException", "ResourceId must be specified."))
}

pub async fn add_tags(ctx: &JsonCtx<'_>) -> JsonResult {
    let id = resource_id(ctx)?;
    let mut trail = by_resource_id(ctx, &id).await?;
    ctx.authorize(&trail.row.arn).await?;
    let tags = parse_tags(ctx.input, "TagsList")?;
    merge(&mut trail.doc.tags, tags)?;
    save(ctx, &trail).await?;
    Ok(json!({}))
}

pub async fn remove_tags(ctx: &JsonCtx<'_>) -> JsonResult {
    let id = resource_id(ctx)?;
    let mut trail = by_resource_id(ctx, &id).await?;
    ctx.authorize(&trail.row.arn).await?;
    let gone = parse_tags(ctx.input, "TagsList")?;
    trail
        .doc
        .tags
        .retain(|(k, _)| !gone.iter().any(|(g, _)| g == k));
    save(ctx, &trail).await?;
    Ok(json!({}))
}

pub async fn list_tags(ctx: &JsonCtx<'_>) -> JsonResult {
    let ids: Vec<String> = match ctx.input.get("ResourceIdList") {
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| serialization("ResourceIdList"))
            })
            .collect::<Result<_, _>>()?,
        None | Some(Value::Null) => Vec::new(),
        Some(_) => return Err(serialization("ResourceIdList")),
    };
    if ids.len() > 20 {
        return Err(err(
            "InvalidParameterException",
            "ResourceIdList can hold at most 20 trail ARNs.",
        ));
    }
    let mut list = Vec::new();
    for id in ids {
        let trail = by_resource_id(ctx, &id).await?;
        ctx.authorize(&trail.row.arn).await?;
        let tags: Vec<Value> = trail
            .doc
            .tags
            .iter()
            .map(|(k, v)| json!({"Key": k, "Value": v}))
            .collect();
        list.push(json!({"ResourceId": trail.row.arn, "TagsList": tags}));
    }
    Ok(json!({"ResourceTagList": list}))
}

fn selector_error(message: impl Into<String>) -> JsonApiError {
    err("InvalidEventSelectorsException", message)
}

fn strings(v: Option<&Value>, member: &str) -> Result<Vec<String>, JsonApiError> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| serialization(member))
            })
            .collect(),
        Some(_) => Err(serialization(member)),
    }
}

/// PutEventSelectors' `EventSelectors`: at most 5, `ReadWriteType` `ReadOnly`/`WriteOnly`/
/// `All`, data resources of S3 objects (`arn:aws:s3`, `arn:aws:s3:::` or
/// `arn:aws:s3:::BUCKET/[PREFIX]`), Lambda functions or DynamoDB tables (stored; only S3
/// events exist here), at most 250 values in all.
pub fn parse_selectors(input: &Map<String, Value>) -> Result<Vec<Selector>, JsonApiError> {
    let items = match input.get("EventSelectors") {
        Some(Value::Array(a)) => a,
        None | Some(Value::Null) => {
            return Err(selector_error(
                "Either EventSelectors or AdvancedEventSelectors must be specified.",
            ));
        }
        Some(_) => return Err(serialization("EventSelectors")),
    };
    if items.len() > MAX_SELECTORS {
        return Err(selector_error(format!(
            "The number of event selectors exceeds the limit of {MAX_SELECTORS}."
        )));
    }
    let mut values = 0usize;
    let mut out = Vec::new();
    for item in items {
        let Value::Object(o) = item else {
            return Err(serialization("EventSelectors"));
        };
        let read_write = opt_str(o, "ReadWriteType")?.unwrap_or("All");
        if !matches!(read_write, "ReadOnly" | "WriteOnly" | "All") {
            return Err(selector_error(format!(
                "Invalid ReadWriteType: {read_write}"
            )));
        }
        let include_management = match o.get("IncludeManagementEvents") {
            None | Some(Value::Null) => true,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(serialization("IncludeManagementEvents")),
        };
        let mut data_resources = Vec::new();
        let resources = match o.get("DataResources") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a.clone(),
            Some(_) => return Err(serialization("DataResources")),
        };
        for r in &resources {
            let Value::Object(r) = r else {
                return Err(serialization("DataResources"));
            };
            let kind = opt_str(r, "Type")?.unwrap_or_default();
            let vals = strings(r.get("Values"), "Values")?;
            match kind {
                "AWS::S3::Object" => {
                    for v in &vals {
                        if !(v == "arn:aws:s3" || v.starts_with("arn:aws:s3:::")) {
                            return Err(selector_error(format!(
                                "Value {v} for key DataResources.Values is invalid."
                            )));
                        }
                    }
                }
                "AWS::Lambda::Function" | "AWS::DynamoDB::Table" => {}
                other => {
                    return Err(selector_error(format!(
                        "Value {other} for key DataResources.Type is invalid."
                    )));
                }
            }
            values = values.saturating_add(vals.len());
            data_resources.push((kind.to_owned(), vals));
        }
        if values > MAX_DATA_VALUES {
            return Err(selector_error(format!(
                "The number of data resource values exceeds the limit of {MAX_DATA_VALUES}."
            )));
        }
        out.push(Selector {
            read_write: read_write.to_owned(),
            include_management,
            data_resources,
            exclude_sources: strings(
                o.get("ExcludeManagementEventSources"),
                "ExcludeManagementEventSources",
            )?,
        });
    }
    Ok(out)
}
