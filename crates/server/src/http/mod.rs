//! HTTP building blocks every front shares: bounded body reading with its read timeout,
//! response bodies, and TLS. The accept loop that uses them is [`crate::listener`].

pub mod body;
pub mod timed_body;
pub mod tls;
