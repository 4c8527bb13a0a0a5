//! Schema migrations shared by both backends: one list for the IAM and S3 tables, one
//! recorded version per database.
//!
//! Each migration is one SQL template applied once, in order, inside the transaction that
//! also records the new version as the single row of `schema_version`. Templates use `{ts}`
//! for a timestamp column type and `{text}` for a text column that is compared or sorted
//! (byte order on both engines, so pagination order is the same everywhere). Never edit a
//! released migration: add a new one.

/// Column types for one SQL dialect.
pub(crate) struct Dialect {
    pub ts: &'static str,
    pub text: &'static str,
}

pub(crate) const SQLITE: Dialect = Dialect {
    ts: "TEXT",
    text: "TEXT",
};

pub(crate) const POSTGRES: Dialect = Dialect {
    ts: "TIMESTAMPTZ",
    text: "TEXT COLLATE \"C\"",
};

/// `(version, template)`, ascending.
pub(crate) const MIGRATIONS: &[(i64, &str)] = &[(1, V1_INITIAL), (2, V2_S3), (8, V8_SECRETS)];

/// The version that added the S3 tables: a SQLite database migrating to it imports v0.1's
/// separate S3 file (see `sqlite::legacy`).
pub(crate) const S3_TABLES_VERSION: i64 = 2;

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
}

/// The latest schema version this build knows.
pub(crate) fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |(v, _)| *v)
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
