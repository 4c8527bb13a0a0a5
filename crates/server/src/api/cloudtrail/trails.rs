//! Trail management: CreateTrail, GetTrail, DescribeTrails, ListTrails, UpdateTrail,
//! DeleteTrail, StartLogging/StopLogging, GetTrailStatus and Get/PutEventSelectors
//! (tags: `trail_tags`). Each is authorized by `cloudtrail:<Action>` on the trail's ARN
//! (`*` for the listings). A logging trail's files are written by `trail_delivery`.

use hourglass_store::TrailRow;
use serde_json::{Map, Value, json};

use super::trail_model::{
    Selector, TrailDoc, check_name, parse_arn, policy_allows_delivery, trail_arn,
};
use crate::json::{JsonApiError, JsonCtx, JsonResult};

pub(super) fn err(code: &'static str, message: impl Into<String>) -> JsonApiError {
    JsonApiError::new(400, code, message)
}

fn serialization(member: &str) -> JsonApiError {
    err(
        "SerializationException",
        format!("Unexpected value type for member {member}."),
    )
}

pub(super) fn store_failed(e: impl std::fmt::Display) -> JsonApiError {
    tracing::error!(error = %e, "trail store operation failed");
    JsonApiError::internal()
}

pub(super) fn opt_str<'a>(
    input: &'a Map<String, Value>,
    member: &str,
) -> Result<Option<&'a str>, JsonApiError> {
    match input.get(member) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(serialization(member)),
    }
}

fn opt_bool(input: &Map<String, Value>, member: &str) -> Result<Option<bool>, JsonApiError> {
    match input.get(member) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(serialization(member)),
    }
}

fn unsupported(what: &str) -> JsonApiError {
    err(
        "UnsupportedOperationException",
        format!("{what} is not supported by this server."),
    )
}

/// Refuses the delivery features this server does not have (KMS encryption of log files,
/// SNS notifications, CloudWatch Logs, organization trails) rather than ignoring them.
fn refuse_unsupported(input: &Map<String, Value>) -> Result<(), JsonApiError> {
    if opt_str(input, "KmsKeyId")?.is_some_and(|k| !k.is_empty()) {
        return Err(unsupported("KMS encryption of log files (KmsKeyId)"));
    }
    if opt_str(input, "SnsTopicName")?.is_some_and(|k| !k.is_empty()) {
        return Err(unsupported("SNS notification of log files (SnsTopicName)"));
    }
    for m in ["CloudWatchLogsLogGroupArn", "CloudWatchLogsRoleArn"] {
        if opt_str(input, m)?.is_some_and(|k| !k.is_empty()) {
            return Err(unsupported(&format!("CloudWatch Logs delivery ({m})")));
        }
    }
    if opt_bool(input, "IsOrganizationTrail")? == Some(true) {
        return Err(unsupported("An organization trail (IsOrganizationTrail)"));
    }
    Ok(())
}

pub(super) fn not_found(arn: &str, account: &str) -> JsonApiError {
    err(
        "TrailNotFoundException",
        format!("Unknown trail: {arn} for the user: {account}"),
    )
}

/// The stored trail `name` of `account`, if there is one.
pub(super) async fn stored_trail(
    ctx: &JsonCtx<'_>,
    account: &str,
    name: &str,
) -> Result<Option<TrailRow>, JsonApiError> {
    ctx.identity
        .store()
        .get_trail(account, name)
        .await
        .map_err(store_failed)
}

/// A loaded trail.
pub(super) struct Trail {
    pub row: TrailRow,
    pub doc: TrailDoc,
}

impl Trail {
    pub(super) fn from_row(row: TrailRow) -> Result<Trail, JsonApiError> {
        let doc = serde_json::from_str(&row.document).map_err(store_failed)?;
        Ok(Trail { row, doc })
    }

    /// GetTrail's and DescribeTrails' `Trail`.
    fn describe(&self) -> Value {
        let mut t = Map::new();
        t.insert("Name".into(), self.row.name.clone().into());
        t.insert("S3BucketName".into(), self.doc.bucket.clone().into());
        if let Some(p) = &self.doc.prefix {
            t.insert("S3KeyPrefix".into(), p.clone().into());
        }
        t.insert(
            "IncludeGlobalServiceEvents".into(),
            self.doc.include_global.into(),
        );
        t.insert("IsMultiRegionTrail".into(), self.doc.multi_region.into());
        t.insert("HomeRegion".into(), self.doc.home_region.clone().into());
        t.insert("TrailARN".into(), self.row.arn.clone().into());
        t.insert(
            "LogFileValidationEnabled".into(),
            self.doc.log_file_validation.into(),
        );
        t.insert(
            "HasCustomEventSelectors".into(),
            self.doc.selectors.is_some().into(),
        );
        t.insert("HasInsightSelectors".into(), false.into());
        t.insert("IsOrganizationTrail".into(), false.into());
        Value::Object(t)
    }

    /// CreateTrail's and UpdateTrail's answer.
    fn written(&self) -> Value {
        let mut t = self.describe();
        if let Value::Object(o) = &mut t {
            for m in [
                "HomeRegion",
                "HasCustomEventSelectors",
                "HasInsightSelectors",
            ] {
                o.remove(m);
            }
        }
        t
    }
}

/// Resolves a `Name`/`TrailName` (a name or an ARN) of the caller's account and loads the
/// trail. A single-Region trail is found only from its home Region, as on AWS.
pub(super) async fn load(ctx: &JsonCtx<'_>, member: &str) -> Result<Trail, JsonApiError> {
    let account = ctx.caller.account_id();
    let given = opt_str(ctx.input, member)?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| err("InvalidTrailNameException", "Trail name cannot be blank."))?;
    let (name, arn_given) = if given.starts_with("arn:") {
        let (_, acct, name) = parse_arn(given).ok_or_else(|| {
            err(
                "CloudTrailARNInvalidException",
                format!("Invalid trail ARN: {given}"),
            )
        })?;
        if acct != account {
            return Err(not_found(given, account));
        }
        (name, true)
    } else {
        (given, false)
    };
    check_name(name).map_err(|m| err("InvalidTrailNameException", m))?;
    let shown = if arn_given {
        given.to_owned()
    } else {
        trail_arn(&ctx.caller.region, account, name)
    };
    let row = stored_trail(ctx, account, name)
        .await?
        .ok_or_else(|| not_found(&shown, account))?;
    let trail = Trail::from_row(row)?;
    if !trail.doc.multi_region && !arn_given && trail.doc.home_region != ctx.caller.region {
        return Err(not_found(&shown, account));
    }
    Ok(trail)
}

/// Changes are made from the trail's home Region only.
fn require_home(ctx: &JsonCtx<'_>, trail: &Trail) -> Result<(), JsonApiError> {
    if trail.doc.home_region != ctx.caller.region {
        return Err(err(
            "InvalidHomeRegionException",
            format!(
                "This operation must be called from the trail's home region: {}",
                trail.doc.home_region
            ),
        ));
    }
    Ok(())
}

pub(super) async fn save(ctx: &JsonCtx<'_>, trail: &Trail) -> Result<(), JsonApiError> {
    let doc = serde_json::to_string(&trail.doc).map_err(store_failed)?;
    let found = ctx
        .identity
        .store()
        .update_trail(&trail.row.account_id, &trail.row.name, &doc)
        .await
        .map_err(store_failed)?;
    if found {
        Ok(())
    } else {
        Err(not_found(&trail.row.arn, &trail.row.account_id))
    }
}

/// The bucket must exist on this server and its policy must let CloudTrail write the
/// trail's files (see [`policy_allows_delivery`]).
async fn check_bucket(
    ctx: &JsonCtx<'_>,
    bucket: &str,
    prefix: Option<&str>,
) -> Result<(), JsonApiError> {
    if bucket.is_empty() {
        return Err(err(
            "InvalidS3BucketNameException",
            "S3 bucket name cannot be blank.",
        ));
    }
    let found = ctx
        .state
        .s3
        .bucket_owner_and_policy(bucket)
        .await
        .map_err(store_failed)?;
    let Some((_, policy)) = found else {
        return Err(err(
            "S3BucketDoesNotExistException",
            format!("S3 bucket {bucket} does not exist."),
        ));
    };
    if !policy_allows_delivery(policy.as_deref(), bucket, prefix, ctx.caller.account_id()) {
        return Err(err(
            "InsufficientS3BucketPolicyException",
            format!("Incorrect S3 bucket policy is detected for bucket: {bucket}"),
        ));
    }
    Ok(())
}

fn check_prefix(prefix: Option<&str>) -> Result<Option<String>, JsonApiError> {
    match prefix {
        None | Some("") => Ok(None),
        Some(p) if p.chars().count() > 200 => Err(err(
            "InvalidS3PrefixException",
            "S3 prefix is longer than the maximum length of 200 characters.",
        )),
        Some(p) => Ok(Some(p.to_owned())),
    }
}

fn check_combination(doc: &TrailDoc) -> Result<(), JsonApiError> {
    if doc.multi_region && !doc.include_global {
        return Err(err(
            "InvalidParameterCombinationException",
            "Multi-Region trail must include global service events.",
        ));
    }
    Ok(())
}

pub async fn create_trail(ctx: &JsonCtx<'_>) -> JsonResult {
    let account = ctx.caller.account_id();
    let name = opt_str(ctx.input, "Name")?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| err("InvalidTrailNameException", "Trail name cannot be blank."))?;
    check_name(name).map_err(|m| err("InvalidTrailNameException", m))?;
    let arn = trail_arn(&ctx.caller.region, account, name);
    ctx.authorize(&arn).await?;
    refuse_unsupported(ctx.input)?;
    let tags = super::trail_tags::parse_tags(ctx.input, "TagsList")?;
    let mut doc = TrailDoc {
        home_region: ctx.caller.region.clone(),
        bucket: opt_str(ctx.input, "S3BucketName")?
            .unwrap_or_default()
            .to_owned(),
        prefix: check_prefix(opt_str(ctx.input, "S3KeyPrefix")?)?,
        include_global: opt_bool(ctx.input, "IncludeGlobalServiceEvents")?.unwrap_or(true),
        multi_region: opt_bool(ctx.input, "IsMultiRegionTrail")?.unwrap_or(false),
        log_file_validation: opt_bool(ctx.input, "EnableLogFileValidation")?.unwrap_or(false),
        ..TrailDoc::default()
    };
    super::trail_tags::merge(&mut doc.tags, tags)?;
    check_combination(&doc)?;
    check_bucket(ctx, &doc.bucket, doc.prefix.as_deref()).await?;
    let row = TrailRow {
        account_id: account.to_owned(),
        name: name.to_owned(),
        arn,
        document: serde_json::to_string(&doc).map_err(store_failed)?,
    };
    let created = ctx
        .identity
        .store()
        .create_trail(row.clone())
        .await
        .map_err(store_failed)?;
    if !created {
        return Err(err(
            "TrailAlreadyExistsException",
            format!("Trail {name} already exists for customer: {account}"),
        ));
    }
    Ok(Trail { row, doc }.written())
}

pub async fn update_trail(ctx: &JsonCtx<'_>) -> JsonResult {
    let mut trail = load(ctx, "Name").await?;
    ctx.authorize(&trail.row.arn).await?;
    require_home(ctx, &trail)?;
    refuse_unsupported(ctx.input)?;
    let old = trail.doc.clone();
    if let Some(b) = opt_str(ctx.input, "S3BucketName")? {
        trail.doc.bucket = b.to_owned();
    }
    if let Some(p) = opt_str(ctx.input, "S3KeyPrefix")? {
        trail.doc.prefix = check_prefix(Some(p))?;
    }
    if let Some(g) = opt_bool(ctx.input, "IncludeGlobalServiceEvents")? {
        trail.doc.include_global = g;
    }
    if let Some(m) = opt_bool(ctx.input, "IsMultiRegionTrail")? {
        trail.doc.multi_region = m;
    }
    if let Some(v) = opt_bool(ctx.input, "EnableLogFileValidation")? {
        trail.doc.log_file_validation = v;
    }
    check_combination(&trail.doc)?;
    if trail.doc.bucket != old.bucket || trail.doc.prefix != old.prefix {
        check_bucket(ctx, &trail.doc.bucket, trail.doc.prefix.as_deref()).await?;
    }
    save(ctx, &trail).await?;
    Ok(trail.written())
}

pub async fn get_trail(ctx: &JsonCtx<'_>) -> JsonResult {
    let trail = load(ctx, "Name").await?;
    ctx.authorize(&trail.row.arn).await?;
    Ok(json!({"Trail": trail.describe()}))
}

pub async fn delete_trail(ctx: &JsonCtx<'_>) -> JsonResult {
    let trail = load(ctx, "Name").await?;
    ctx.authorize(&trail.row.arn).await?;
    require_home(ctx, &trail)?;
    let store = ctx.identity.store();
    let deleted = store
        .delete_trail(&trail.row.account_id, &trail.row.name)
        .await
        .map_err(store_failed)?;
    if !deleted {
        return Err(not_found(&trail.row.arn, &trail.row.account_id));
    }
    // A trail created again under this name starts afresh.
    for key in [
        super::trail_delivery::cursor_setting(&trail.row.arn),
        super::trail_delivery::status_setting(&trail.row.arn),
    ] {
        store.put_setting(&key, "").await.map_err(store_failed)?;
    }
    Ok(json!({}))
}

/// The caller's trails (every Region's), as `(row, doc)`.
async fn account_trails(ctx: &JsonCtx<'_>) -> Result<Vec<Trail>, JsonApiError> {
    ctx.identity
        .store()
        .list_trails(ctx.caller.account_id())
        .await
        .map_err(store_failed)?
        .into_iter()
        .map(Trail::from_row)
        .collect()
}

pub async fn list_trails(ctx: &JsonCtx<'_>) -> JsonResult {
    ctx.authorize("*").await?;
    let trails: Vec<Value> = account_trails(ctx)
        .await?
        .iter()
        .map(
            |t| json!({"TrailARN": t.row.arn, "Name": t.row.name, "HomeRegion": t.doc.home_region}),
        )
        .collect();
    Ok(json!({"Trails": trails}))
}

pub async fn describe_trails(ctx: &JsonCtx<'_>) -> JsonResult {
    ctx.authorize("*").await?;
    let shadows = opt_bool(ctx.input, "includeShadowTrails")?.unwrap_or(true);
    let names: Option<Vec<String>> = match ctx.input.get("trailNameList") {
        None | Some(Value::Null) => None,
        Some(Value::Array(a)) => Some(
            a.iter()
                .map(|v| {
                    v.as_str()
                        .map(str::to_owned)
                        .ok_or_else(|| serialization("trailNameList"))
                })
                .collect::<Result<_, _>>()?,
        ),
        Some(_) => return Err(serialization("trailNameList")),
    };
    let region = ctx.caller.region.as_str();
    let visible = |t: &Trail| t.doc.home_region == region || (shadows && t.doc.multi_region);
    let list: Vec<Value> = account_trails(ctx)
        .await?
        .iter()
        .filter(|t| visible(t))
        .filter(|t| match &names {
            None => true,
            Some(n) if n.is_empty() => true,
            Some(n) => n.iter().any(|x| *x == t.row.name || *x == t.row.arn),
        })
        .map(Trail::describe)
        .collect();
    Ok(json!({"trailList": list}))
}

pub async fn start_logging(ctx: &JsonCtx<'_>) -> JsonResult {
    let mut trail = load(ctx, "Name").await?;
    ctx.authorize(&trail.row.arn).await?;
    require_home(ctx, &trail)?;
    if !trail.doc.logging {
        let now = chrono::Utc::now().timestamp_millis();
        // Events from now on are the trail's: its position starts here.
        ctx.identity
            .store()
            .put_setting(
                &super::trail_delivery::cursor_setting(&trail.row.arn),
                &hourglass_audit::delivery::cursor_text(&(now, String::new())),
            )
            .await
            .map_err(store_failed)?;
        trail.doc.logging = true;
        trail.doc.start_logging_ms = Some(now);
        save(ctx, &trail).await?;
    }
    Ok(json!({}))
}

pub async fn stop_logging(ctx: &JsonCtx<'_>) -> JsonResult {
    let mut trail = load(ctx, "Name").await?;
    ctx.authorize(&trail.row.arn).await?;
    require_home(ctx, &trail)?;
    if trail.doc.logging {
        trail.doc.logging = false;
        trail.doc.stop_logging_ms = Some(chrono::Utc::now().timestamp_millis());
        save(ctx, &trail).await?;
    }
    Ok(json!({}))
}

fn secs(ms: i64) -> Value {
    json!(ms as f64 / 1000.0)
}

fn iso(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

pub async fn get_trail_status(ctx: &JsonCtx<'_>) -> JsonResult {
    let trail = load(ctx, "Name").await?;
    ctx.authorize(&trail.row.arn).await?;
    let status = super::trail_delivery::read_status(ctx.identity.store(), &trail.row.arn).await?;
    let mut out = Map::new();
    out.insert("IsLogging".into(), trail.doc.logging.into());
    if let Some(t) = status.delivered_ms {
        out.insert("LatestDeliveryTime".into(), secs(t));
    }
    if let Some(e) = &status.error {
        out.insert("LatestDeliveryError".into(), e.clone().into());
    }
    if let Some(t) = status.attempt_ms {
        out.insert("LatestDeliveryAttemptTime".into(), iso(t).into());
        out.insert(
            "LatestDeliveryAttemptSucceeded".into(),
            status.delivered_ms.map(iso).unwrap_or_default().into(),
        );
    }
    if let Some(t) = trail.doc.start_logging_ms {
        out.insert("StartLoggingTime".into(), secs(t));
        out.insert("TimeLoggingStarted".into(), iso(t).into());
    }
    if let Some(t) = trail.doc.stop_logging_ms {
        out.insert("StopLoggingTime".into(), secs(t));
        out.insert("TimeLoggingStopped".into(), iso(t).into());
    }
    Ok(Value::Object(out))
}

pub async fn get_event_selectors(ctx: &JsonCtx<'_>) -> JsonResult {
    let trail = load(ctx, "TrailName").await?;
    ctx.authorize(&trail.row.arn).await?;
    let selectors: Vec<Value> = trail
        .doc
        .selectors()
        .iter()
        .map(Selector::to_json)
        .collect();
    Ok(json!({"TrailARN": trail.row.arn, "EventSelectors": selectors}))
}

pub async fn put_event_selectors(ctx: &JsonCtx<'_>) -> JsonResult {
    let mut trail = load(ctx, "TrailName").await?;
    ctx.authorize(&trail.row.arn).await?;
    require_home(ctx, &trail)?;
    if ctx
        .input
        .get("AdvancedEventSelectors")
        .is_some_and(|v| !v.is_null())
    {
        return Err(unsupported("AdvancedEventSelectors"));
    }
    let selectors = super::trail_tags::parse_selectors(ctx.input)?;
    trail.doc.selectors = Some(selectors);
    save(ctx, &trail).await?;
    let out: Vec<Value> = trail
        .doc
        .selectors()
        .iter()
        .map(Selector::to_json)
        .collect();
    Ok(json!({"TrailARN": trail.row.arn, "EventSelectors": out}))
}
