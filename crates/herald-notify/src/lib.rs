//! Herald's delivery. Publishing writes one broadcast row and one fan-out job in the same
//! transaction; workers here claim due jobs, walk the subscribers by keyset cursor, and send
//! each subscriber the announcement on its channel: email, webhook, Slack or Teams. Every
//! delivery carries a stable id, so at-least-once is safe for receivers.
#![forbid(unsafe_code)]

/// The broadcast channels this installation delivers on. The others (social, IRC, SMS) are
/// not configured: the console shows them so, unticked.
pub const DELIVERS: [&str; 4] = ["email", "webhook", "slack", "teams"];

pub mod announcement;
pub mod build;
pub mod email;
mod h1;
pub mod http;
pub mod links;
pub mod mail;
pub mod progress;
pub mod retry;
pub mod slack;
pub mod teams;
pub mod webhook;
pub mod worker;

mod text;

#[cfg(test)]
pub(crate) mod fixtures;
