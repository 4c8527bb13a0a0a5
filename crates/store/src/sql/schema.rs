//! Schema migrations shared by both backends: one list for the IAM and S3 tables, one
//! recorded version per database.
//!
//! Each migration is one SQL template applied once, in order, inside the transaction that
//! also records the new version as the single row of `schema_version`. Templates use `{ts}`
//! for a timestamp column type and `{text}` for a text column that is compared or sorted
//! (byte order on both engines, so pagination order is the same everywhere). Never edit a
//! released migration: add a new one.

use crate::error::{Result, StoreError};

/// Column types for one SQL dialect.
pub(crate) struct Dialect {
    pub ts: &'static str,
    pub text: &'static str,
    pub blob: &'static str,
}

pub(crate) const SQLITE: Dialect = Dialect {
    ts: "TEXT",
    text: "TEXT",
    blob: "BLOB",
};

pub(crate) const POSTGRES: Dialect = Dialect {
    ts: "TIMESTAMPTZ",
    text: "TEXT COLLATE \"C\"",
    blob: "BYTEA",
};

/// `(version, template)`, ascending.
pub(crate) const MIGRATIONS: &[(i64, &str)] = &[
    (1, V1_INITIAL),
    (2, V2_S3),
    (3, V3_IAM_CREDENTIALS),
    (4, V4_FEDERATION),
    (5, V5_S3_VERSIONS),
    (6, V6_AUDIT),
    (7, V7_ORGANIZATIONS),
    (8, V8_SECRETS),
    (12, V12_SAML),
    (13, V13_SERVER_CERTIFICATES),
    (14, V14_CLOUDTRAIL_TRAILS),
    (15, V15_INLINE_OBJECT_DATA),
    (16, V16_AUDIT_INDEXES),
];

/// The version that added the S3 tables: a SQLite database migrating to it imports v0.1's
/// separate S3 file (see `sqlite::legacy`).
pub(crate) const S3_TABLES_VERSION: i64 = 2;

/// The version from which a SQLite database keeps its audit log in a file of its own (see
/// `sqlite::audit_log`): migrating to it drops the main file's audit tables, whose rows
/// were copied into the log's file just before.
pub(crate) const AUDIT_LOG_FILE_VERSION: i64 = 16;

pub(crate) const CREATE_VERSION_TABLE: &str =
    "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL PRIMARY KEY)";

pub(crate) const CURRENT_VERSION: &str = "SELECT MAX(version) FROM schema_version";

/// Run in order with the new version: the table keeps one row, the current version (v0.1
/// databases hold the row `1`, which the first later migration replaces).
pub(crate) const RECORD_VERSION: [&str; 2] = [
    "DELETE FROM schema_version",
    "INSERT INTO schema_version (version) VALUES ($1)",
];

/// Renders a template for a dialect.
pub(crate) fn render(template: &str, dialect: &Dialect) -> String {
    template
        .replace("{ts}", dialect.ts)
        .replace("{text}", dialect.text)
        .replace("{blob}", dialect.blob)
}

/// The latest schema version this build knows.
pub(crate) fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |(v, _)| *v)
}

/// The migrations a database at version `current` still needs, in order. A database a newer
/// build has migrated is refused rather than run against tables this build does not know.
pub(crate) fn pending(current: i64) -> Result<impl Iterator<Item = &'static (i64, &'static str)>> {
    if current > latest_version() {
        return Err(StoreError::Backend(format!(
            "database schema version {current} is newer than this build supports ({})",
            latest_version()
        )));
    }
    Ok(MIGRATIONS.iter().filter(move |(v, _)| *v > current))
}

const V1_INITIAL: &str = r#"
CREATE TABLE accounts (
    account_id  {text} PRIMARY KEY,
    create_date {ts} NOT NULL
);
-- AWS-managed policies belong to the pseudo-account "aws".
INSERT INTO accounts (account_id, create_date) VALUES ('aws', CAST('1970-01-01T00:00:00.000000Z' AS {ts}));

CREATE TABLE policies (
    policy_id       {text} PRIMARY KEY,
    account_id      {text} NOT NULL REFERENCES accounts (account_id),
    name            {text} NOT NULL,
    name_lower      {text} NOT NULL,
    path            {text} NOT NULL,
    arn             {text} NOT NULL UNIQUE,
    description     TEXT,
    default_version BIGINT NOT NULL,
    next_version    BIGINT NOT NULL,
    create_date     {ts} NOT NULL,
    update_date     {ts} NOT NULL,
    UNIQUE (account_id, name)
);
CREATE INDEX policies_list ON policies (account_id, name_lower, arn);

CREATE TABLE policy_versions (
    policy_id   {text} NOT NULL REFERENCES policies (policy_id) ON DELETE CASCADE,
    version     BIGINT NOT NULL,
    document    TEXT NOT NULL,
    create_date {ts} NOT NULL,
    PRIMARY KEY (policy_id, version)
);

CREATE TABLE users (
    user_id            {text} PRIMARY KEY,
    account_id         {text} NOT NULL REFERENCES accounts (account_id),
    name               {text} NOT NULL,
    name_lower         {text} NOT NULL,
    path               {text} NOT NULL,
    arn                {text} NOT NULL,
    create_date        {ts} NOT NULL,
    boundary_policy_id {text} REFERENCES policies (policy_id),
    UNIQUE (account_id, name_lower)
);
CREATE INDEX users_boundary ON users (boundary_policy_id);

CREATE TABLE roles (
    role_id              {text} PRIMARY KEY,
    account_id           {text} NOT NULL REFERENCES accounts (account_id),
    name                 {text} NOT NULL,
    name_lower           {text} NOT NULL,
    path                 {text} NOT NULL,
    arn                  {text} NOT NULL,
    create_date          {ts} NOT NULL,
    trust_policy         TEXT NOT NULL,
    description          TEXT,
    max_session_duration BIGINT NOT NULL,
    boundary_policy_id   {text} REFERENCES policies (policy_id),
    last_used_date       {ts},
    last_used_region     TEXT,
    UNIQUE (account_id, name_lower)
);
CREATE INDEX roles_boundary ON roles (boundary_policy_id);

CREATE TABLE iam_groups (
    group_id    {text} PRIMARY KEY,
    account_id  {text} NOT NULL REFERENCES accounts (account_id),
    name        {text} NOT NULL,
    name_lower  {text} NOT NULL,
    path        {text} NOT NULL,
    arn         {text} NOT NULL,
    create_date {ts} NOT NULL,
    UNIQUE (account_id, name_lower)
);

CREATE TABLE group_members (
    group_id {text} NOT NULL REFERENCES iam_groups (group_id),
    user_id  {text} NOT NULL REFERENCES users (user_id),
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

-- user_id NULL = the account's root user.
CREATE TABLE access_keys (
    access_key_id     {text} PRIMARY KEY,
    account_id        {text} NOT NULL REFERENCES accounts (account_id),
    user_id           {text} REFERENCES users (user_id),
    secret_sealed     TEXT NOT NULL,
    status            TEXT NOT NULL,
    create_date       {ts} NOT NULL,
    last_used_date    {ts},
    last_used_service TEXT,
    last_used_region  TEXT
);
CREATE INDEX access_keys_owner ON access_keys (account_id, user_id);

-- entity_id is a user, role or group id (their prefixes never collide).
CREATE TABLE attachments (
    entity_id   {text} NOT NULL,
    policy_id   {text} NOT NULL REFERENCES policies (policy_id),
    account_id  {text} NOT NULL REFERENCES accounts (account_id),
    entity_kind TEXT NOT NULL,
    PRIMARY KEY (entity_id, policy_id)
);
CREATE INDEX attachments_policy ON attachments (policy_id, account_id);

CREATE TABLE inline_policies (
    entity_id {text} NOT NULL,
    name      {text} NOT NULL,
    document  TEXT NOT NULL,
    size      BIGINT NOT NULL,
    PRIMARY KEY (entity_id, name)
);

-- resource_id is a user, role or policy id; key_norm is the lowercase key for users and
-- roles (case-insensitive keys) and the key itself for policies.
CREATE TABLE tags (
    resource_id {text} NOT NULL,
    key_norm    {text} NOT NULL,
    key         TEXT NOT NULL,
    value       TEXT NOT NULL,
    PRIMARY KEY (resource_id, key_norm)
);

CREATE TABLE settings (
    key   {text} PRIMARY KEY,
    value TEXT NOT NULL
);
"#;

/// The S3 metadata (v0.1 kept it in `s3.db` on SQLite, and created these same tables outside
/// any migration on PostgreSQL: `IF NOT EXISTS` adopts them there). Timestamps are Unix
/// milliseconds, JSON documents text, as v0.1 wrote them.
const V2_S3: &str = r#"
CREATE TABLE IF NOT EXISTS s3_buckets (
    name    TEXT PRIMARY KEY,
    owner   TEXT NOT NULL,
    created BIGINT NOT NULL,
    region  TEXT NOT NULL,
    policy  TEXT,
    tags    TEXT
);
CREATE TABLE IF NOT EXISTS s3_objects (
    bucket   TEXT NOT NULL,
    key      {text} NOT NULL,
    size     BIGINT NOT NULL,
    etag     TEXT NOT NULL,
    modified BIGINT NOT NULL,
    headers  TEXT NOT NULL,
    checksum TEXT,
    tags     TEXT NOT NULL,
    segments TEXT NOT NULL,
    parts    TEXT NOT NULL,
    PRIMARY KEY (bucket, key)
);
CREATE TABLE IF NOT EXISTS s3_uploads (
    upload_id          TEXT PRIMARY KEY,
    bucket             TEXT NOT NULL,
    key                {text} NOT NULL,
    initiated          BIGINT NOT NULL,
    headers            TEXT NOT NULL,
    checksum_algorithm TEXT,
    tags               TEXT NOT NULL,
    initiator          TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS s3_uploads_by_key ON s3_uploads (bucket, key, upload_id);
CREATE TABLE IF NOT EXISTS s3_parts (
    upload_id TEXT NOT NULL,
    number    INTEGER NOT NULL,
    size      BIGINT NOT NULL,
    etag      TEXT NOT NULL,
    modified  BIGINT NOT NULL,
    checksum  TEXT,
    segment   TEXT NOT NULL,
    PRIMARY KEY (upload_id, number)
);
"#;

/// Instance profiles, account settings (alias, password policy), MFA devices, login profiles
/// and the other credentials kept on users (signing certificates, SSH keys, service-specific
/// credentials), server certificates.
const V3_IAM_CREDENTIALS: &str = r#"
CREATE TABLE instance_profiles (
    profile_id  {text} PRIMARY KEY,
    account_id  {text} NOT NULL REFERENCES accounts (account_id),
    name        {text} NOT NULL,
    name_lower  {text} NOT NULL,
    path        {text} NOT NULL,
    arn         {text} NOT NULL,
    create_date {ts} NOT NULL,
    -- AWS allows one role per instance profile.
    role_id     {text} REFERENCES roles (role_id),
    UNIQUE (account_id, name_lower)
);
CREATE INDEX instance_profiles_role ON instance_profiles (role_id);

CREATE TABLE account_aliases (
    account_id {text} PRIMARY KEY REFERENCES accounts (account_id),
    alias      {text} NOT NULL UNIQUE
);

-- The policy as JSON (see the password policy module).
CREATE TABLE password_policies (
    account_id {text} PRIMARY KEY REFERENCES accounts (account_id),
    policy     TEXT NOT NULL
);

-- serial is the device ARN; user_id NULL = virtual device not yet enabled; last_step is the
-- newest accepted TOTP time step (replay protection).
CREATE TABLE mfa_devices (
    serial      {text} PRIMARY KEY,
    account_id  {text} NOT NULL REFERENCES accounts (account_id),
    name        {text} NOT NULL,
    path        {text} NOT NULL,
    seed_sealed TEXT NOT NULL,
    create_date {ts} NOT NULL,
    user_id     {text} REFERENCES users (user_id),
    enable_date {ts},
    last_step   BIGINT NOT NULL
);
CREATE INDEX mfa_devices_user ON mfa_devices (user_id);
CREATE INDEX mfa_devices_account ON mfa_devices (account_id, serial);

-- history: JSON list of the previous password hashes (reuse prevention).
CREATE TABLE login_profiles (
    user_id        {text} PRIMARY KEY REFERENCES users (user_id),
    account_id     {text} NOT NULL REFERENCES accounts (account_id),
    password_hash  TEXT NOT NULL,
    history        TEXT NOT NULL,
    reset_required BIGINT NOT NULL,
    create_date    {ts} NOT NULL,
    changed_date   {ts} NOT NULL,
    last_used_date {ts}
);

-- Signing certificates (kind 'cert'), SSH public keys ('ssh') and service-specific
-- credentials ('service') of users.
CREATE TABLE user_credentials (
    credential_id     {text} PRIMARY KEY,
    account_id        {text} NOT NULL REFERENCES accounts (account_id),
    user_id           {text} NOT NULL REFERENCES users (user_id),
    kind              {text} NOT NULL,
    status            TEXT NOT NULL,
    body              TEXT NOT NULL,
    fingerprint       {text},
    service_name      {text},
    service_user_name TEXT,
    secret_sealed     TEXT,
    upload_date       {ts} NOT NULL
);
CREATE INDEX user_credentials_user ON user_credentials (user_id, kind, credential_id);

CREATE TABLE server_certificates (
    certificate_id {text} PRIMARY KEY,
    account_id     {text} NOT NULL REFERENCES accounts (account_id),
    name           {text} NOT NULL,
    name_lower     {text} NOT NULL,
    path           {text} NOT NULL,
    arn            {text} NOT NULL,
    body           TEXT NOT NULL,
    chain          TEXT,
    upload_date    {ts} NOT NULL,
    expiration     {ts} NOT NULL,
    UNIQUE (account_id, name_lower)
);
"#;

/// Federation (issue 13): IAM OIDC providers. List columns hold JSON arrays (see
/// `crate::federation`).
const V4_FEDERATION: &str = r#"
CREATE TABLE oidc_providers (
    arn         {text} PRIMARY KEY,
    account_id  {text} NOT NULL REFERENCES accounts (account_id),
    url         {text} NOT NULL,
    client_ids  TEXT NOT NULL,
    thumbprints TEXT NOT NULL,
    create_date {ts} NOT NULL,
    tags        TEXT NOT NULL
);
CREATE INDEX oidc_providers_account ON oidc_providers (account_id, arn);
"#;

/// S3 versioning and bucket/account configuration documents. `s3_objects` keeps the current
/// version of each key (its id and per-key sequence added here); `s3_versions` holds every
/// noncurrent version and every delete marker, ordered within a key by `seq` (newest
/// highest). Bucket and account sub-resources (CORS, ownership, public access block,
/// lifecycle, encryption, ACLs) are documents keyed by name, so later ones need no migration.
const V5_S3_VERSIONS: &str = r#"
ALTER TABLE s3_buckets ADD COLUMN versioning TEXT;
ALTER TABLE s3_objects ADD COLUMN version_id TEXT NOT NULL DEFAULT 'null';
ALTER TABLE s3_objects ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE s3_objects ADD COLUMN acl TEXT;
CREATE TABLE s3_versions (
    bucket        TEXT NOT NULL,
    key           {text} NOT NULL,
    version_id    TEXT NOT NULL,
    seq           BIGINT NOT NULL,
    delete_marker INTEGER NOT NULL,
    size          BIGINT NOT NULL,
    etag          TEXT NOT NULL,
    modified      BIGINT NOT NULL,
    headers       TEXT NOT NULL,
    checksum      TEXT,
    tags          TEXT NOT NULL,
    segments      TEXT NOT NULL,
    parts         TEXT NOT NULL,
    acl           TEXT,
    PRIMARY KEY (bucket, key, version_id)
);
CREATE INDEX s3_versions_by_seq ON s3_versions (bucket, key, seq);
CREATE TABLE s3_bucket_config (
    bucket TEXT NOT NULL,
    name   TEXT NOT NULL,
    value  TEXT NOT NULL,
    PRIMARY KEY (bucket, name)
);
CREATE TABLE s3_account_config (
    account TEXT NOT NULL,
    name    TEXT NOT NULL,
    value   TEXT NOT NULL,
    PRIMARY KEY (account, name)
);
"#;

/// AWS Organizations: the server's one organization, its accounts (rows of `accounts`), OUs,
/// create-account requests and organization policies with their attachments.
const V7_ORGANIZATIONS: &str = r#"
CREATE TABLE IF NOT EXISTS org_organization (
    org_id              {text} PRIMARY KEY,
    feature_set         TEXT NOT NULL,
    management_account  {text} NOT NULL REFERENCES accounts (account_id),
    management_email    TEXT NOT NULL,
    root_id             {text} NOT NULL UNIQUE,
    created             {ts} NOT NULL
);
CREATE TABLE IF NOT EXISTS org_policy_types (
    policy_type {text} PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS org_accounts (
    account_id     {text} PRIMARY KEY REFERENCES accounts (account_id),
    name           TEXT NOT NULL,
    email          TEXT NOT NULL,
    email_lower    {text} NOT NULL UNIQUE,
    joined_method  TEXT NOT NULL,
    joined         {ts} NOT NULL,
    parent_id      {text} NOT NULL
);
CREATE INDEX IF NOT EXISTS org_accounts_parent ON org_accounts (parent_id, account_id);
CREATE TABLE IF NOT EXISTS org_units (
    ou_id      {text} PRIMARY KEY,
    name       {text} NOT NULL,
    parent_id  {text} NOT NULL,
    created    {ts} NOT NULL
);
CREATE INDEX IF NOT EXISTS org_units_parent ON org_units (parent_id, ou_id);
CREATE TABLE IF NOT EXISTS org_create_account_status (
    request_id      {text} PRIMARY KEY,
    account_name    TEXT NOT NULL,
    state           TEXT NOT NULL,
    requested       {ts} NOT NULL,
    completed       {ts},
    account_id      TEXT,
    failure_reason  TEXT
);
CREATE TABLE IF NOT EXISTS org_policies (
    policy_id    {text} PRIMARY KEY,
    policy_type  {text} NOT NULL,
    name         {text} NOT NULL,
    description  TEXT NOT NULL,
    content      TEXT NOT NULL,
    aws_managed  BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS org_policy_targets (
    policy_id  {text} NOT NULL REFERENCES org_policies (policy_id),
    target_id  {text} NOT NULL,
    PRIMARY KEY (policy_id, target_id)
);
CREATE INDEX IF NOT EXISTS org_policy_targets_target ON org_policy_targets (target_id, policy_id);
"#;

/// Secrets Manager: one row per secret (metadata as a JSON document the secrets domain owns,
/// plus the columns queries need) and one per version. Values are sealed with the server key
/// ring (bound to the secret ARN and version id); a version without a value is a rotation's
/// placeholder. `due_at` is the earliest time background work (rotation, deactivation of a
/// rotated key, purge) is due; `lease_*` let one node of a cluster claim that work.
/// `IF NOT EXISTS`: a database rewound to an earlier version (as the v0.1 adoption test
/// does) re-runs this migration harmlessly.
const V8_SECRETS: &str = r#"
CREATE TABLE IF NOT EXISTS sm_secrets (
    arn           {text} PRIMARY KEY,
    account_id    {text} NOT NULL,
    name          {text} NOT NULL,
    meta          TEXT NOT NULL,
    created       BIGINT NOT NULL,
    last_accessed BIGINT,
    due_at        BIGINT,
    lease_owner   TEXT,
    lease_until   BIGINT,
    revision      BIGINT NOT NULL,
    UNIQUE (account_id, name)
);
CREATE INDEX IF NOT EXISTS sm_secrets_due ON sm_secrets (due_at);
CREATE TABLE IF NOT EXISTS sm_versions (
    arn           {text} NOT NULL,
    version_id    {text} NOT NULL,
    seq           BIGINT NOT NULL,
    created       BIGINT NOT NULL,
    last_accessed BIGINT,
    stages        TEXT NOT NULL,
    value_kind    TEXT,
    value_sealed  TEXT,
    PRIMARY KEY (arn, version_id)
);
"#;

/// The audit log (CloudTrail records), the key origins revoked by the leaked-key response,
/// and the stored credential reports. Event times are Unix milliseconds so that ordering and
/// range scans are integer comparisons on both engines; `record` is the CloudTrail JSON text
/// as LookupEvents returns it, `resources` the derived LookupEvents resources as JSON.
const V6_AUDIT: &str = r#"
CREATE TABLE IF NOT EXISTS audit_events (
    event_id      {text} PRIMARY KEY,
    account_id    {text} NOT NULL,
    event_time    BIGINT NOT NULL,
    event_name    {text} NOT NULL,
    event_source  {text} NOT NULL,
    read_only     INTEGER NOT NULL,
    management    INTEGER NOT NULL,
    access_key_id {text},
    username      {text},
    origin_key_id {text},
    resources     TEXT NOT NULL,
    record        TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_events_by_time ON audit_events (account_id, event_time, event_id);
CREATE INDEX IF NOT EXISTS audit_events_by_name ON audit_events (account_id, event_name, event_time, event_id);
CREATE INDEX IF NOT EXISTS audit_events_by_source ON audit_events (account_id, event_source, event_time, event_id);
CREATE INDEX IF NOT EXISTS audit_events_by_key ON audit_events (account_id, access_key_id, event_time, event_id);
CREATE INDEX IF NOT EXISTS audit_events_by_user ON audit_events (account_id, username, event_time, event_id);
CREATE INDEX IF NOT EXISTS audit_events_by_read_only ON audit_events (account_id, read_only, event_time, event_id);
CREATE INDEX IF NOT EXISTS audit_events_by_origin ON audit_events (origin_key_id, event_time);
CREATE INDEX IF NOT EXISTS audit_events_by_age ON audit_events (event_time);
CREATE TABLE IF NOT EXISTS audit_event_resources (
    event_id      {text} NOT NULL,
    account_id    {text} NOT NULL,
    event_time    BIGINT NOT NULL,
    resource_type {text} NOT NULL,
    resource_name {text} NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_resources_by_name ON audit_event_resources (account_id, resource_name, event_time, event_id);
CREATE INDEX IF NOT EXISTS audit_resources_by_type ON audit_event_resources (account_id, resource_type, event_time, event_id);
CREATE INDEX IF NOT EXISTS audit_resources_by_age ON audit_event_resources (event_time);
CREATE TABLE IF NOT EXISTS revoked_key_origins (
    access_key_id {text} PRIMARY KEY,
    revoked_at    BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS credential_reports (
    account_id   {text} PRIMARY KEY,
    generated_at BIGINT NOT NULL,
    content      TEXT NOT NULL
);
"#;

/// SAML providers (issue 13). The metadata document is kept whole, as given (GetSAMLProvider
/// returns it verbatim); the entity id and signing certificates are parsed from it again
/// when an assertion is checked. Tags are a JSON list like the OIDC providers'.
const V12_SAML: &str = r#"
CREATE TABLE saml_providers (
    arn         {text} PRIMARY KEY,
    account_id  {text} NOT NULL REFERENCES accounts (account_id),
    name        {text} NOT NULL,
    uuid        TEXT NOT NULL,
    metadata    TEXT NOT NULL,
    create_date {ts} NOT NULL,
    valid_until {ts} NOT NULL,
    tags        TEXT NOT NULL
);
CREATE INDEX saml_providers_account ON saml_providers (account_id, arn);
"#;

/// Server certificates (the table of v3) gain their sealed private key and their tags.
const V13_SERVER_CERTIFICATES: &str = r#"
ALTER TABLE server_certificates ADD COLUMN private_key_sealed TEXT NOT NULL DEFAULT '';
ALTER TABLE server_certificates ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';
"#;

/// CloudTrail trails (issue 15): the configuration, logging state, selectors and tags are
/// one JSON document of the CloudTrail front; delivery positions are settings.
const V14_CLOUDTRAIL_TRAILS: &str = r#"
CREATE TABLE IF NOT EXISTS cloudtrail_trails (
    account_id {text} NOT NULL,
    name       {text} NOT NULL,
    arn        TEXT NOT NULL,
    document   TEXT NOT NULL,
    PRIMARY KEY (account_id, name)
);
"#;

/// Small objects keep their (sealed) bytes in their own row (issue 10: one commit makes
/// data and metadata durable together; no file, no extra fsync). NULL for objects whose
/// data is in files.
const V15_INLINE_OBJECT_DATA: &str = r#"
ALTER TABLE s3_objects ADD COLUMN data {blob};
ALTER TABLE s3_versions ADD COLUMN data {blob};
"#;

/// A ReadOnly lookup walks the time index and filters on the flag: every event is one or
/// the other, so a page of the rarer kind scans a few thousand index entries at worst, and
/// the flag's own index cost every event one more insert.
const V16_AUDIT_INDEXES: &str = r#"
DROP INDEX IF EXISTS audit_events_by_read_only;
"#;
