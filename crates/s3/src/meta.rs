//! The S3 metadata records, kept by the one [`Store`](hourglass_store::Store) (IAM and S3 in
//! one database): re-exported here so the operations name them locally.

pub use hourglass_store::s3::*;
