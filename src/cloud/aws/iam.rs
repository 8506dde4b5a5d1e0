//! The runner's identity: an instance profile and a role of the same name, under the path
//! `/firedrill/`, trusted by EC2 only, with `AmazonSSMManagedInstanceCore` and nothing
//! else, both tagged at creation. The profile is made first and the role second, so a
//! crash between the two leaves a profile whose deletion also finds the role by name.

use aws_sdk_iam::types::Tag;

use super::AwsCloud;
use super::errors::classify;
use crate::cloud::{CloudError, Tags, may_delete};

/// The path of everything IAM holds for firedrill: listing it is how cleanup finds
/// profiles and roles (the tagging API does not list IAM).
pub const PATH: &str = "/firedrill/";

/// The permissions boundary every runner role is created with (docs/iam-runner-boundary.json,
/// installed by the deployment recipes): the drill identity may create roles only with it,
/// so no role it makes can do more than a runner needs (docs/iam.md).
pub fn runner_boundary_arn(partition: &str, account: &str) -> String {
    format!("arn:{partition}:iam::{account}:policy/firedrill/firedrill-runner-boundary")
}

const TRUST_POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

/// The runner role's one inline policy, when checks write their output to S3.
const OUTPUT_POLICY: &str = "firedrill-check-output";

/// Put objects under the output prefix, nothing else.
fn output_policy(partition: &str, output: &crate::scenario::CheckOutput) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": "s3:PutObject",
            "Resource": format!("arn:{partition}:s3:::{}/{}*", output.s3_bucket, output.s3_prefix),
        }]
    })
    .to_string()
}

/// The AWS partition of a region (managed policy ARNs differ in China and GovCloud).
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The name of a run's runner profile and role (IAM role names: at most 64 characters).
pub fn runner_role_name(run_id: &str) -> String {
    super::fit(&format!("{run_id}-runner"), 64)
}

fn iam_tags(tags: &Tags) -> Vec<Tag> {
    tags.iter()
        .filter_map(|(k, v)| Tag::builder().key(k).value(v).build().ok())
        .collect()
}

fn tag_map(tags: &[Tag]) -> Tags {
    tags.iter()
        .map(|t| (t.key().to_owned(), t.value().to_owned()))
        .collect()
}

impl AwsCloud {
    /// Creates the runner's profile and role; `on_profile` hears of the profile as soon
    /// as it exists.
    pub async fn create_runner_identity(
        &self,
        run_id: &str,
        tags: &Tags,
        on_profile: &dyn Fn(&str),
    ) -> Result<String, CloudError> {
        let iam = &self.clients.iam;
        let name = runner_role_name(run_id);
        iam.create_instance_profile()
            .instance_profile_name(&name)
            .path(PATH)
            .set_tags(Some(iam_tags(tags)))
            .send()
            .await
            .map_err(|e| classify("iam:CreateInstanceProfile", &e))?;
        on_profile(&name);
        let account = self.account().await?;
        iam.create_role()
            .role_name(&name)
            .path(PATH)
            .permissions_boundary(runner_boundary_arn(partition(&self.region), &account))
            .assume_role_policy_document(TRUST_POLICY)
            .description("firedrill drill runner: SSM only")
            .set_tags(Some(iam_tags(tags)))
            .send()
            .await
            .map_err(|e| classify("iam:CreateRole", &e))?;
        iam.attach_role_policy()
            .role_name(&name)
            .policy_arn(format!(
                "arn:{}:iam::aws:policy/AmazonSSMManagedInstanceCore",
                partition(&self.region)
            ))
            .send()
            .await
            .map_err(|e| classify("iam:AttachRolePolicy", &e))?;
        if let Some(output) = &self.check_output {
            iam.put_role_policy()
                .role_name(&name)
                .policy_name(OUTPUT_POLICY)
                .policy_document(output_policy(partition(&self.region), output))
                .send()
                .await
                .map_err(|e| classify("iam:PutRolePolicy", &e))?;
        }
        iam.add_role_to_instance_profile()
            .instance_profile_name(&name)
            .role_name(&name)
            .send()
            .await
            .map_err(|e| classify("iam:AddRoleToInstanceProfile", &e))?;
        Ok(name)
    }

    /// The profile's tags, or `None` when it is gone (GetInstanceProfile carries them).
    pub async fn profile_tags(&self, name: &str) -> Result<Option<Tags>, CloudError> {
        let answer = self
            .clients
            .iam
            .get_instance_profile()
            .instance_profile_name(name)
            .send()
            .await;
        match answer.map_err(|e| classify("iam:GetInstanceProfile", &e)) {
            Ok(found) => Ok(found.instance_profile().map(|p| tag_map(p.tags()))),
            Err(CloudError::NotFound(_)) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Every firedrill instance profile (under `/firedrill/`), and roles left without one.
    pub async fn runner_profiles(&self) -> Result<Vec<String>, CloudError> {
        let iam = &self.clients.iam;
        let mut names = Vec::new();
        let mut profiles = iam.list_instance_profiles().path_prefix(PATH).into_paginator().send();
        while let Some(page) = profiles.next().await {
            let page = page.map_err(|e| classify("iam:ListInstanceProfiles", &e))?;
            names.extend(
                page.instance_profiles()
                    .iter()
                    .map(|p| p.instance_profile_name().to_owned()),
            );
        }
        let mut roles = iam.list_roles().path_prefix(PATH).into_paginator().send();
        while let Some(page) = roles.next().await {
            let page = page.map_err(|e| classify("iam:ListRoles", &e))?;
            names.extend(page.roles().iter().map(|r| r.role_name().to_owned()));
        }
        names.sort();
        names.dedup();
        Ok(names)
    }

    /// The tags of a profile, or, when only its role is left, of the role.
    pub async fn identity_tags(&self, name: &str) -> Result<Option<Tags>, CloudError> {
        if let Some(tags) = self.profile_tags(name).await? {
            return Ok(Some(tags));
        }
        self.role_tags(name).await
    }

    async fn role_tags(&self, name: &str) -> Result<Option<Tags>, CloudError> {
        let answer = self.clients.iam.get_role().role_name(name).send().await;
        match answer.map_err(|e| classify("iam:GetRole", &e)) {
            Ok(found) => Ok(found.role().map(|r| tag_map(r.tags()))),
            Err(CloudError::NotFound(_)) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Deletes the profile and its role, each only if its own tags allow it: the role is
    /// taken out of the profile, its policies detached, then both deleted.
    pub async fn delete_runner_identity(&self, name: &str, run_id: &str) -> Result<(), CloudError> {
        let iam = &self.clients.iam;
        let now = jiff::Timestamp::now();
        let resource = crate::cloud::ResourceRef::new(crate::cloud::ResourceType::InstanceProfile, name);
        let role_tags = self.role_tags(name).await?;
        if let Some(tags) = &role_tags {
            may_delete(&resource, tags, run_id, now)?;
        }
        let profile = self
            .clients
            .iam
            .get_instance_profile()
            .instance_profile_name(name)
            .send()
            .await;
        let profile = match profile.map_err(|e| classify("iam:GetInstanceProfile", &e)) {
            Ok(found) => found.instance_profile().cloned(),
            Err(CloudError::NotFound(_)) => None,
            Err(error) => return Err(error),
        };
        if let Some(profile) = profile {
            may_delete(&resource, &tag_map(profile.tags()), run_id, now)?;
            // Only a role the profile holds is taken out (a crash may have left it out).
            for role in profile.roles().iter().filter(|r| r.role_name() == name) {
                let removed = iam
                    .remove_role_from_instance_profile()
                    .instance_profile_name(name)
                    .role_name(role.role_name())
                    .send()
                    .await
                    .map_err(|e| classify("iam:RemoveRoleFromInstanceProfile", &e));
                ignore_not_found(removed.map(drop))?;
            }
            let deleted = iam.delete_instance_profile().instance_profile_name(name).send().await;
            ignore_not_found(deleted.map(drop).map_err(|e| classify("iam:DeleteInstanceProfile", &e)))?;
        }
        if role_tags.is_some() {
            let attached = iam
                .list_attached_role_policies()
                .role_name(name)
                .send()
                .await
                .map_err(|e| classify("iam:ListAttachedRolePolicies", &e))?;
            for policy in attached.attached_policies() {
                let detached = iam
                    .detach_role_policy()
                    .role_name(name)
                    .set_policy_arn(policy.policy_arn().map(str::to_owned))
                    .send()
                    .await;
                ignore_not_found(detached.map(drop).map_err(|e| classify("iam:DetachRolePolicy", &e)))?;
            }
            let inline = iam
                .list_role_policies()
                .role_name(name)
                .send()
                .await
                .map_err(|e| classify("iam:ListRolePolicies", &e))?;
            for policy in inline.policy_names() {
                let deleted = iam
                    .delete_role_policy()
                    .role_name(name)
                    .policy_name(policy)
                    .send()
                    .await;
                ignore_not_found(deleted.map(drop).map_err(|e| classify("iam:DeleteRolePolicy", &e)))?;
            }
            let deleted = iam.delete_role().role_name(name).send().await;
            ignore_not_found(deleted.map(drop).map_err(|e| classify("iam:DeleteRole", &e)))?;
        }
        Ok(())
    }
}

fn ignore_not_found(result: Result<(), CloudError>) -> Result<(), CloudError> {
    match result {
        Err(CloudError::NotFound(_)) => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fit_iam_and_partitions_follow_the_region() {
        assert_eq!(
            runner_role_name("fd-demo-20261125T102113Z-abcdef"),
            "fd-demo-20261125T102113Z-abcdef-runner"
        );
        let long = |random: &str| runner_role_name(&format!("fd-{}-20261125T102113Z-{random}", "x".repeat(40)));
        assert!(long("abcdef").len() <= 64);
        assert_ne!(long("abcdef"), long("ghijkl"), "two runs never share a role");
        assert_eq!(partition("eu-west-1"), "aws");
        assert_eq!(partition("cn-north-1"), "aws-cn");
        assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
    }
}
