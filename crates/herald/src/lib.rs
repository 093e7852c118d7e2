//! The `herald` binary's library half: configuration, the server's wiring, and the command
//! line, so integration tests can start a real server on a port of their choosing.
#![forbid(unsafe_code)]

pub mod cli;
pub mod config;
pub mod demo;
pub mod export;
pub mod metrics;
pub mod server;
