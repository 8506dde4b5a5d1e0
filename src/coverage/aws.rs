//! The resources AWS Backup protects in one region: ListProtectedResources (every
//! resource with a recovery point), then each vault's (ListBackupVaults and
//! ListProtectedResourcesByBackupVault), so that each resource says which vaults hold
//! its backups. Read-only; every list is paged to its end.

use std::collections::BTreeMap;

use aws_sdk_backup::Client;

use super::ProtectedResource;
use crate::cloud::CloudError;
use crate::cloud::aws::classify;

/// Every protected resource of the client's region, by ARN order.
pub async fn protected_resources(client: &Client, region: &str) -> Result<Vec<ProtectedResource>, CloudError> {
    let mut found: BTreeMap<String, ProtectedResource> = BTreeMap::new();
    let mut pages = client.list_protected_resources().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| classify("backup:ListProtectedResources", &e))?;
        for listed in page.results() {
            let Some(arn) = listed.resource_arn() else { continue };
            let resource = entry(&mut found, arn, listed.resource_type(), region);
            resource.name = listed.resource_name().map(str::to_owned).or(resource.name.take());
            resource.last_backup = to_timestamp(listed.last_backup_time()).max(resource.last_backup);
            if let Some(vault) = listed.last_backup_vault_arn().and_then(vault_name) {
                add_vault(resource, vault);
            }
        }
    }
    let mut vaults = client.list_backup_vaults().into_paginator().send();
    while let Some(page) = vaults.next().await {
        let page = page.map_err(|e| classify("backup:ListBackupVaults", &e))?;
        for vault in page.backup_vault_list() {
            let Some(name) = vault.backup_vault_name() else {
                continue;
            };
            let mut pages = client
                .list_protected_resources_by_backup_vault()
                .backup_vault_name(name)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| classify("backup:ListProtectedResourcesByBackupVault", &e))?;
                for listed in page.results() {
                    let Some(arn) = listed.resource_arn() else { continue };
                    let resource = entry(&mut found, arn, listed.resource_type(), region);
                    resource.last_backup = to_timestamp(listed.last_backup_time()).max(resource.last_backup);
                    add_vault(resource, name);
                }
            }
        }
    }
    Ok(found.into_values().collect())
}

fn entry<'a>(
    found: &'a mut BTreeMap<String, ProtectedResource>,
    arn: &str,
    resource_type: Option<&str>,
    region: &str,
) -> &'a mut ProtectedResource {
    found.entry(arn.to_owned()).or_insert_with(|| ProtectedResource {
        arn: arn.to_owned(),
        resource_type: resource_type.unwrap_or("unknown").to_owned(),
        name: None,
        region: region.to_owned(),
        vaults: Vec::new(),
        last_backup: None,
    })
}

fn add_vault(resource: &mut ProtectedResource, vault: &str) {
    if !resource.vaults.iter().any(|v| v == vault) {
        resource.vaults.push(vault.to_owned());
        resource.vaults.sort();
    }
}

/// `arn:aws:backup:REGION:ACCOUNT:backup-vault:NAME` → `NAME`.
fn vault_name(arn: &str) -> Option<&str> {
    arn.rsplit_once(":backup-vault:").map(|(_, name)| name)
}

fn to_timestamp(value: Option<&aws_sdk_backup::primitives::DateTime>) -> Option<jiff::Timestamp> {
    let value = value?;
    jiff::Timestamp::new(value.secs(), value.subsec_nanos() as i32).ok()
}
