//! Integration tests of the `firedrill` binary: one test binary, a module per command.

mod plan;
mod schema;
mod support;
mod validate;
