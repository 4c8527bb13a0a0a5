//! S3 object storage where every request is signed and authorized.
