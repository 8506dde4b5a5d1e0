//! firedrill: disaster-recovery drills for AWS. Restores backups into an isolated VPC,
//! checks the restored copies through SSM, measures RTO and RPO against targets, tears
//! everything down, and reports on the history of drills.
//!
//! The binary is a thin shell over this library: `cli` parses the command line and calls
//! into `scenario` (load and validate) and `plan` (scenario → DAG of steps); `measure`
//! holds the definitions of RTO, RPO and the outcome that the runner will use.

pub mod cli;
pub mod cloud;
pub mod coverage;
pub mod due;
pub mod exit_code;
pub mod expect;
pub mod fuzzing;
pub mod history;
pub mod interrupts;
pub mod journal;
pub mod measure;
pub mod notify;
pub mod parallel;
pub mod plan;
pub mod report;
pub mod result;
pub mod runner;
pub mod scenario;
pub mod schedule;
pub mod stable_hash;
pub mod teardown;
pub mod validator;
