//! Integration tests of the `firedrill` binary: one test binary, a module per command.

mod drill;
mod plan;
mod run;
mod schema;
mod support;
mod validate;
