//! The HTTP front door: accepting connections and routing each request to a protocol.

pub mod body;
pub mod conn;
pub mod listener;
pub mod timed_body;
pub mod tls;
