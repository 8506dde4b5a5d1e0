//! `coverage::aws::protected_resources` on mocked AWS Backup (moto has no protected
//! resources): ListProtectedResources paged to its end, each vault's resources merged
//! in, and a denied call named with its permission.

use aws_sdk_backup::operation::list_backup_vaults::ListBackupVaultsOutput;
use aws_sdk_backup::operation::list_protected_resources::ListProtectedResourcesOutput;
use aws_sdk_backup::operation::list_protected_resources_by_backup_vault::ListProtectedResourcesByBackupVaultOutput;
use aws_sdk_backup::primitives::DateTime;
use aws_sdk_backup::types::{BackupVaultListMember, ProtectedResource};
use aws_smithy_mocks::{Rule, mock};
use firedrill::cloud::CloudError;
use firedrill::coverage::aws::protected_resources;

use crate::moto;

const DB: &str = "arn:aws:rds:us-east-1:123456789012:db:orders-prod";
const VOLUME: &str = "arn:aws:ec2:us-east-1:123456789012:volume/vol-0abc12345678def01";
const TABLE: &str = "arn:aws:dynamodb:us-east-1:123456789012:table/carts";
const CLUSTER: &str = "arn:aws:rds:us-east-1:123456789012:cluster:shop-aurora";

fn listed(arn: &str, kind: &str, name: Option<&str>, vault: Option<&str>, at: i64) -> ProtectedResource {
    ProtectedResource::builder()
        .resource_arn(arn)
        .resource_type(kind)
        .set_resource_name(name.map(str::to_owned))
        .set_last_backup_vault_arn(vault.map(|v| format!("arn:aws:backup:us-east-1:123456789012:backup-vault:{v}")))
        .last_backup_time(DateTime::from_secs(at))
        .build()
}

fn rules() -> Vec<Rule> {
    vec![
        mock!(aws_sdk_backup::Client::list_protected_resources)
            .match_requests(|r| r.next_token().is_none())
            .then_output(|| {
                ListProtectedResourcesOutput::builder()
                    .results(listed(DB, "RDS", Some("orders-prod"), Some("Default"), 1_764_000_000))
                    .results(listed(VOLUME, "EBS", None, Some("Default"), 1_764_100_000))
                    .next_token("page-2")
                    .build()
            }),
        mock!(aws_sdk_backup::Client::list_protected_resources)
            .match_requests(|r| r.next_token() == Some("page-2"))
            .then_output(|| {
                ListProtectedResourcesOutput::builder()
                    .results(listed(TABLE, "DynamoDB", Some("carts"), Some("Default"), 1_764_200_000))
                    .build()
            }),
        mock!(aws_sdk_backup::Client::list_backup_vaults).then_output(|| {
            ListBackupVaultsOutput::builder()
                .backup_vault_list(BackupVaultListMember::builder().backup_vault_name("Default").build())
                .backup_vault_list(BackupVaultListMember::builder().backup_vault_name("eu-copies").build())
                .build()
        }),
        mock!(aws_sdk_backup::Client::list_protected_resources_by_backup_vault)
            .match_requests(|r| r.backup_vault_name() == Some("Default"))
            .then_output(|| {
                ListProtectedResourcesByBackupVaultOutput::builder()
                    .results(listed(DB, "RDS", None, None, 1_764_000_000))
                    .build()
            }),
        mock!(aws_sdk_backup::Client::list_protected_resources_by_backup_vault)
            .match_requests(|r| r.backup_vault_name() == Some("eu-copies"))
            .then_output(|| {
                ListProtectedResourcesByBackupVaultOutput::builder()
                    .results(listed(DB, "RDS", None, None, 1_764_300_000))
                    // Only in this vault (a copy job's target): still protected.
                    .results(listed(CLUSTER, "Aurora", None, None, 1_764_050_000))
                    .build()
            }),
    ]
}

#[tokio::test]
async fn every_page_and_every_vault_is_read_and_merged() {
    let rules = rules();
    let rules: Vec<&Rule> = rules.iter().collect();
    let client = moto::backup_with_mocks(None, &rules);
    let found = protected_resources(&client, "us-east-1").await.unwrap();
    let summary: Vec<(&str, &str, Option<&str>, Vec<&str>)> = found
        .iter()
        .map(|r| {
            (
                r.arn.as_str(),
                r.resource_type.as_str(),
                r.name.as_deref(),
                r.vaults.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (TABLE, "DynamoDB", Some("carts"), vec!["Default"]),
            (VOLUME, "EBS", None, vec!["Default"]),
            (CLUSTER, "Aurora", None, vec!["eu-copies"]),
            (DB, "RDS", Some("orders-prod"), vec!["Default", "eu-copies"]),
        ],
        "in ARN order"
    );
    let db = found.iter().find(|r| r.arn == DB).unwrap();
    assert_eq!(
        db.last_backup,
        Some(jiff::Timestamp::from_second(1_764_300_000).unwrap()),
        "the newest backup of any vault"
    );
    assert!(found.iter().all(|r| r.region == "us-east-1"));
}

#[tokio::test]
async fn a_denied_list_names_the_permission() {
    let denied = mock!(aws_sdk_backup::Client::list_protected_resources).then_error(|| {
        aws_sdk_backup::operation::list_protected_resources::ListProtectedResourcesError::generic(
            aws_sdk_backup::error::ErrorMetadata::builder()
                .code("AccessDeniedException")
                .message("not authorized to perform backup:ListProtectedResources")
                .build(),
        )
    });
    let client = moto::backup_with_mocks(None, &[&denied]);
    let error = protected_resources(&client, "us-east-1").await.unwrap_err();
    assert!(matches!(error, CloudError::AccessDenied(_)), "{error:?}");
    assert!(error.to_string().contains("backup:ListProtectedResources"), "{error}");
}
