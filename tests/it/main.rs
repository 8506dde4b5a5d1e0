//! Integration tests of the `firedrill` binary: one test binary, a module per command.

mod aws_backup;
mod aws_coverage;
mod aws_drill;
mod aws_ec2;
mod aws_kill;
mod aws_network;
mod aws_observe;
mod aws_preflight;
mod aws_rds;
mod crash;
mod deploy;
mod drill;
mod due;
mod fuzz_corpus;
mod moto;
mod notify;
mod plan;
mod races;
mod report;
mod report_fixture;
mod report_s3;
mod run;
mod schema;
mod signals;
mod support;
mod validate;
