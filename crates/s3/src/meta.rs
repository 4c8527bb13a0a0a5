//! The S3 metadata store now lives in `hourglass-store` (`hourglass_store::s3`).

pub use hourglass_store::s3::*;
