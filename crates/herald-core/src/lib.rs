//! Herald's domain: the types of the incident and maintenance workflows and the rules that
//! keep them honest.
//!
//! Everything here is pure: functions take `now` as an argument, never read a clock and never
//! do I/O. The store loads state, calls into this crate, and persists what comes back.
#![forbid(unsafe_code)]

pub mod access;
pub mod adherence;
pub mod branding;
pub mod broadcast;
pub mod cadence;
pub mod checklist;
pub mod colour;
pub mod component;
pub mod error;
pub mod event;
pub mod incident;
pub mod lint;
pub mod maintenance;
pub mod nudge;
pub mod page;
pub mod planned_time;
pub mod preview;
pub mod session;
pub mod status;
pub mod subscriber;
pub mod template;
pub mod text;
pub mod token;
pub mod user;

pub use error::DomainError;

/// Identifiers are 24 lowercase hex characters (the shape Status.io clients expect).
pub type Id = String;

/// Who did something, as recorded in the audit log (`token:<id>`, `cli:<user>`, `system`).
pub type Actor = String;
