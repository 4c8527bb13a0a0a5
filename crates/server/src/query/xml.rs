//! The Query responses' XML writer is the shared one in `hourglass-wire`, under the name the
//! operation modules use.

pub use hourglass_wire::xml::{Writer as Xml, escape, iso8601};
