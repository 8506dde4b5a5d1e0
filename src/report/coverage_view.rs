//! The report's coverage page: every resource AWS Backup protects, worst first, with
//! the scenarios that drill it (linked) and when one last passed; and the overview's
//! one-line summary of it. Built from what `firedrill coverage --out` wrote.

use serde::Serialize;

use super::text::utc_text;
use super::view::scenario_page;
use crate::coverage::{Coverage, Status};

/// The file name of the coverage page, relative to the site's root.
pub const COVERAGE_PAGE: &str = "coverage.html";

/// The overview's line about coverage.
#[derive(Debug, Clone, Serialize)]
pub struct CoverageSummary {
    pub page: String,
    pub as_of: String,
    pub restore_tested: usize,
    pub drillable: usize,
    pub never_tested: usize,
    pub never_passed: usize,
    pub not_drillable: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct CoveragePage {
    pub summary: CoverageSummary,
    pub regions: String,
    /// The resources no drill restores, alone, for the auditors' first question.
    pub never_tested: Vec<CoverageRow>,
    pub rows: Vec<CoverageRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CoverageRow {
    pub status: &'static str,
    /// The badge's class: passed, failed, overdue or aborted (not judged).
    pub class: &'static str,
    pub resource_type: String,
    pub arn: String,
    pub name: Option<String>,
    pub vaults: String,
    pub last_backup: Option<String>,
    pub drilled_by: Vec<Link>,
    pub last_passed: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Link {
    pub name: String,
    pub page: String,
}

pub fn summary(coverage: &Coverage) -> CoverageSummary {
    let not_drillable = coverage.count(Status::NotDrillable);
    CoverageSummary {
        page: COVERAGE_PAGE.to_owned(),
        as_of: utc_text(coverage.as_of),
        restore_tested: coverage.count(Status::Passed),
        drillable: coverage.resources.len() - not_drillable,
        never_tested: coverage.count(Status::NeverDrilled),
        never_passed: coverage.count(Status::NeverPassed),
        not_drillable,
    }
}

pub fn page(coverage: &Coverage) -> CoveragePage {
    let rows: Vec<CoverageRow> = coverage
        .resources
        .iter()
        .map(|c| CoverageRow {
            status: c.status.text(),
            class: match c.status {
                Status::Passed => "passed",
                Status::NeverPassed => "failed",
                Status::NeverDrilled => "overdue",
                Status::NotDrillable => "aborted",
            },
            resource_type: c.resource.resource_type.clone(),
            arn: c.resource.arn.clone(),
            name: c.resource.name.clone(),
            vaults: c.resource.vaults.join(", "),
            last_backup: c.resource.last_backup.map(utc_text),
            drilled_by: c
                .drilled_by
                .iter()
                .map(|name| Link {
                    name: name.clone(),
                    page: scenario_page(name),
                })
                .collect(),
            last_passed: c.last_passed.map(utc_text),
        })
        .collect();
    CoveragePage {
        summary: summary(coverage),
        regions: coverage.regions.join(", "),
        never_tested: rows.iter().filter(|r| r.class == "overdue").cloned().collect(),
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::coverage::{Covered, ProtectedResource};
    use crate::report::text::slug;

    fn covered(arn: &str, status: Status, by: &[&str]) -> Covered {
        Covered {
            resource: ProtectedResource {
                arn: arn.into(),
                resource_type: "RDS".into(),
                name: None,
                region: "eu-west-1".into(),
                vaults: vec!["Default".into(), "copies".into()],
                last_backup: None,
            },
            status,
            drilled_by: by.iter().map(|s| (*s).to_owned()).collect(),
            last_passed: None,
        }
    }

    #[test]
    fn the_page_puts_never_tested_backups_first_and_links_the_scenarios() {
        let coverage = Coverage {
            as_of: "2026-12-01T00:00:00Z".parse().unwrap(),
            regions: vec!["eu-west-1".into(), "us-east-1".into()],
            resources: vec![
                covered("arn:a", Status::NeverDrilled, &[]),
                covered("arn:b", Status::Passed, &["orders db"]),
                covered("arn:c", Status::NotDrillable, &[]),
            ],
        };
        let page = page(&coverage);
        assert_eq!(page.never_tested.len(), 1);
        assert_eq!(page.never_tested[0].arn, "arn:a");
        assert_eq!(
            page.rows[1].drilled_by[0].page,
            format!("scenarios/{}.html", slug("orders db"))
        );
        assert_eq!(page.rows[1].vaults, "Default, copies");
        let s = &page.summary;
        assert_eq!(
            (s.restore_tested, s.drillable, s.never_tested, s.not_drillable),
            (1, 2, 1, 1)
        );
        assert_eq!(page.regions, "eu-west-1, us-east-1");
    }
}
