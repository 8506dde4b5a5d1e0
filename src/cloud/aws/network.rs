//! The isolated environment on EC2 and RDS: a VPC made for the run (DNS on), private
//! subnets in N zones, a security group that allows only the VPC's own traffic and HTTPS
//! to the S3 prefix list, interface endpoints with private DNS, an S3 gateway endpoint
//! and a DB subnet group, each tagged at creation; then the check that nothing routes
//! out of it (DESIGN.md, invariant 2).

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use aws_sdk_ec2::types::{
    Filter, IpPermission, IpRange, PrefixListId, ResourceType as Ec2Type, Tag, TagSpecification, VpcEndpointType,
};

use super::AwsCloud;
use super::consistency::on_fresh_id;
use super::errors::classify;
use crate::cloud::{CloudError, Environment, IsolationReport, ResourceRef, ResourceType, TAG_RUN_ID, Tags};
use crate::scenario::Isolation;

/// Splits a VPC's CIDR into `count` equal subnets, the smallest power of two that fits
/// (a /16 in 2 zones gives two /17s), in order.
pub fn subnet_cidrs(vpc_cidr: &str, count: u8) -> Result<Vec<String>, String> {
    let (address, prefix) = vpc_cidr
        .split_once('/')
        .ok_or_else(|| format!("`{vpc_cidr}` is not a CIDR"))?;
    let address: Ipv4Addr = address
        .parse()
        .map_err(|_| format!("`{vpc_cidr}` is not an IPv4 CIDR"))?;
    let prefix: u32 = prefix
        .parse()
        .map_err(|_| format!("`{vpc_cidr}` has no prefix length"))?;
    let count = u32::from(count.max(1));
    let extra_bits = u32::BITS - (count - 1).leading_zeros();
    let subnet_prefix = prefix + extra_bits;
    if prefix > 28 || subnet_prefix > 28 {
        return Err(format!(
            "`{vpc_cidr}` is too small for {count} subnets (AWS subnets are /28 at the smallest)"
        ));
    }
    let base = u32::from(address) & (u32::MAX << (32 - prefix));
    let size = 1u32 << (32 - subnet_prefix);
    Ok((0..count)
        .map(|i| format!("{}/{subnet_prefix}", Ipv4Addr::from(base + i * size)))
        .collect())
}

fn ec2_tags(tags: &Tags) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

/// Tags given at creation (TagSpecifications), never by a later CreateTags.
fn spec(kind: Ec2Type, tags: &Tags) -> TagSpecification {
    TagSpecification::builder()
        .resource_type(kind)
        .set_tags(Some(ec2_tags(tags)))
        .build()
}

fn filter(name: &str, value: &str) -> Filter {
    Filter::builder().name(name).values(value).build()
}

impl AwsCloud {
    /// Creates the environment; each resource is reported to `on_created` as soon as it
    /// exists, so a failure half-way loses none.
    pub async fn create_network(
        &self,
        isolation: &Isolation,
        databases: bool,
        tags: &Tags,
        on_created: &dyn Fn(&ResourceRef),
    ) -> Result<Environment, CloudError> {
        let ec2 = &self.clients.ec2;
        let run_id = tags.get(TAG_RUN_ID).cloned().unwrap_or_default();
        let mut resources = Vec::new();
        let mut created = |kind: ResourceType, id: &str| {
            let resource = ResourceRef::new(kind, id);
            on_created(&resource);
            resources.push(resource);
        };
        let vpc = ec2
            .create_vpc()
            .cidr_block(&isolation.vpc_cidr)
            .tag_specifications(spec(Ec2Type::Vpc, tags))
            .send()
            .await
            .map_err(|e| classify("ec2:CreateVpc", &e))?;
        let vpc_id = vpc.vpc().and_then(|v| v.vpc_id()).unwrap_or_default().to_owned();
        created(ResourceType::Vpc, &vpc_id);
        // Every call below names an id EC2 has just returned (consistency.rs).
        let fresh = self.waits.poll;
        for attribute in ["dns-support", "dns-hostnames"] {
            on_fresh_id(fresh, || async {
                let request = ec2.modify_vpc_attribute().vpc_id(&vpc_id);
                let on = aws_sdk_ec2::types::AttributeBooleanValue::builder().value(true).build();
                let request = if attribute == "dns-support" {
                    request.enable_dns_support(on)
                } else {
                    request.enable_dns_hostnames(on)
                };
                request.send().await.map_err(|e| classify("ec2:ModifyVpcAttribute", &e))
            })
            .await?;
        }
        let zones = self.zones(isolation).await?;
        let cidrs = subnet_cidrs(&isolation.vpc_cidr, isolation.az_count).map_err(CloudError::Failed)?;
        let mut subnet_ids = Vec::new();
        for (zone, cidr) in zones.iter().zip(&cidrs) {
            let subnet = on_fresh_id(fresh, || async {
                ec2.create_subnet()
                    .vpc_id(&vpc_id)
                    .cidr_block(cidr)
                    .availability_zone(zone)
                    .tag_specifications(spec(Ec2Type::Subnet, tags))
                    .send()
                    .await
                    .map_err(|e| classify("ec2:CreateSubnet", &e))
            })
            .await?;
            let id = subnet
                .subnet()
                .and_then(|s| s.subnet_id())
                .unwrap_or_default()
                .to_owned();
            created(ResourceType::Subnet, &id);
            subnet_ids.push(id);
        }
        let group = on_fresh_id(fresh, || async {
            ec2.create_security_group()
                .group_name(format!("{run_id}-isolated"))
                .description("firedrill drill: traffic inside the VPC and HTTPS to S3 only")
                .vpc_id(&vpc_id)
                .tag_specifications(spec(Ec2Type::SecurityGroup, tags))
                .send()
                .await
                .map_err(|e| classify("ec2:CreateSecurityGroup", &e))
        })
        .await?;
        let group_id = group.group_id().unwrap_or_default().to_owned();
        created(ResourceType::SecurityGroup, &group_id);
        self.restrict_group(&group_id, &isolation.vpc_cidr).await?;
        let route_table = on_fresh_id(fresh, || self.main_route_table(&vpc_id)).await?;
        for endpoint in &isolation.endpoints {
            let service = self.endpoint_service(endpoint.service_name());
            let made = on_fresh_id(fresh, || async {
                ec2.create_vpc_endpoint()
                    .vpc_id(&vpc_id)
                    .vpc_endpoint_type(VpcEndpointType::Interface)
                    .service_name(&service)
                    .set_subnet_ids(Some(subnet_ids.clone()))
                    .security_group_ids(&group_id)
                    .private_dns_enabled(true)
                    .tag_specifications(spec(Ec2Type::VpcEndpoint, tags))
                    .send()
                    .await
                    .map_err(|e| classify("ec2:CreateVpcEndpoint", &e))
            })
            .await?;
            let id = made
                .vpc_endpoint()
                .and_then(|v| v.vpc_endpoint_id())
                .unwrap_or_default();
            created(ResourceType::VpcEndpoint, id);
        }
        let s3 = on_fresh_id(fresh, || async {
            ec2.create_vpc_endpoint()
                .vpc_id(&vpc_id)
                .vpc_endpoint_type(VpcEndpointType::Gateway)
                .service_name(self.endpoint_service("s3"))
                .route_table_ids(&route_table)
                .tag_specifications(spec(Ec2Type::VpcEndpoint, tags))
                .send()
                .await
                .map_err(|e| classify("ec2:CreateVpcEndpoint", &e))
        })
        .await?;
        let id = s3.vpc_endpoint().and_then(|v| v.vpc_endpoint_id()).unwrap_or_default();
        created(ResourceType::VpcEndpoint, id);
        let subnet_group = if databases {
            // RDS keeps names in lower case: use that form, so the id we journal is its id.
            let name = format!("{}-subnets", run_id.to_lowercase());
            let made = self
                .clients
                .rds
                .create_db_subnet_group()
                .db_subnet_group_name(&name)
                .db_subnet_group_description("firedrill drill: the isolated VPC's private subnets")
                .set_subnet_ids(Some(subnet_ids.clone()))
                .set_tags(Some(rds_tags(tags)))
                .send()
                .await
                .map_err(|e| classify("rds:CreateDBSubnetGroup", &e));
            // Named from the run: one that exists is this run's, made by a call whose
            // answer was lost and that the SDK sent again.
            super::rds::ours_already(made)?;
            created(ResourceType::DbSubnetGroup, &name);
            Some(name)
        } else {
            None
        };
        Ok(Environment {
            vpc_id,
            subnet_ids,
            security_group_id: group_id,
            db_subnet_group: subnet_group,
            instance_profile: None,
            resources,
        })
    }

    /// The name of the region's endpoint service `name` (`ssm`, `s3`): what an endpoint
    /// is made for, and the S3 prefix list's name.
    fn endpoint_service(&self, name: &str) -> String {
        format!("com.amazonaws.{}.{name}", self.region)
    }

    /// The first `az_count` available Availability Zones of the region in which every
    /// interface endpoint the drill makes is offered (`pick_zones`).
    async fn zones(&self, isolation: &Isolation) -> Result<Vec<String>, CloudError> {
        let zones = self
            .clients
            .ec2
            .describe_availability_zones()
            .filters(filter("state", "available"))
            .filters(filter("zone-type", "availability-zone"))
            .send()
            .await
            .map_err(|e| classify("ec2:DescribeAvailabilityZones", &e))?;
        let listed: Vec<(String, String)> = zones
            .availability_zones()
            .iter()
            .filter_map(|z| Some((z.zone_name()?.to_owned(), z.zone_type().unwrap_or_default().to_owned())))
            .collect();
        let offered = self.endpoint_zones(&isolation.endpoints).await?;
        pick_zones(&listed, isolation.az_count, &offered).map_err(CloudError::Failed)
    }

    /// The zones each interface endpoint service is offered in: "not all services are
    /// available in every Availability Zone" (DescribeVpcEndpointServices' ServiceDetail
    /// AvailabilityZones, https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ServiceDetail.html),
    /// and an endpoint cannot have a subnet in a zone its service lacks.
    async fn endpoint_zones(
        &self,
        endpoints: &[crate::scenario::Endpoint],
    ) -> Result<Vec<(String, BTreeSet<String>)>, CloudError> {
        if endpoints.is_empty() {
            return Ok(Vec::new());
        }
        let names: Vec<String> = endpoints
            .iter()
            .map(|e| self.endpoint_service(e.service_name()))
            .collect();
        let found = self
            .clients
            .ec2
            .describe_vpc_endpoint_services()
            .set_service_names(Some(names.clone()))
            .send()
            .await
            .map_err(|e| classify("ec2:DescribeVpcEndpointServices", &e))?;
        Ok(names
            .into_iter()
            .map(|name| {
                let zones = found
                    .service_details()
                    .iter()
                    .filter(|d| d.service_name() == Some(name.as_str()))
                    .flat_map(|d| d.availability_zones().iter().cloned())
                    .collect();
                (name, zones)
            })
            .collect())
    }

    /// Replaces the group's default allow-all egress: in and out only within the VPC,
    /// plus HTTPS out to the S3 prefix list (the gateway endpoint).
    async fn restrict_group(&self, group_id: &str, vpc_cidr: &str) -> Result<(), CloudError> {
        let ec2 = &self.clients.ec2;
        let everywhere = IpPermission::builder()
            .ip_protocol("-1")
            .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
            .build();
        let fresh = self.waits.poll;
        on_fresh_id(fresh, || async {
            ec2.revoke_security_group_egress()
                .group_id(group_id)
                .ip_permissions(everywhere.clone())
                .send()
                .await
                .map_err(|e| classify("ec2:RevokeSecurityGroupEgress", &e))
        })
        .await?;
        let inside = IpPermission::builder()
            .ip_protocol("-1")
            .ip_ranges(
                IpRange::builder()
                    .cidr_ip(vpc_cidr)
                    .description("the drill's VPC")
                    .build(),
            )
            .build();
        on_fresh_id(fresh, || async {
            ec2.authorize_security_group_ingress()
                .group_id(group_id)
                .ip_permissions(inside.clone())
                .send()
                .await
                .map_err(|e| classify("ec2:AuthorizeSecurityGroupIngress", &e))
        })
        .await?;
        let mut egress = vec![inside];
        if let Some(s3) = self.s3_prefix_list().await? {
            egress.push(
                IpPermission::builder()
                    .ip_protocol("tcp")
                    .from_port(443)
                    .to_port(443)
                    .prefix_list_ids(PrefixListId::builder().prefix_list_id(s3).description("S3").build())
                    .build(),
            );
        }
        on_fresh_id(fresh, || async {
            ec2.authorize_security_group_egress()
                .group_id(group_id)
                .set_ip_permissions(Some(egress.clone()))
                .send()
                .await
                .map_err(|e| classify("ec2:AuthorizeSecurityGroupEgress", &e))
        })
        .await?;
        Ok(())
    }

    async fn s3_prefix_list(&self) -> Result<Option<String>, CloudError> {
        let lists = self
            .clients
            .ec2
            .describe_prefix_lists()
            .filters(filter("prefix-list-name", &self.endpoint_service("s3")))
            .send()
            .await
            .map_err(|e| classify("ec2:DescribePrefixLists", &e))?;
        Ok(lists
            .prefix_lists()
            .first()
            .and_then(|l| l.prefix_list_id())
            .map(str::to_owned))
    }

    async fn main_route_table(&self, vpc_id: &str) -> Result<String, CloudError> {
        let tables = self
            .clients
            .ec2
            .describe_route_tables()
            .filters(filter("vpc-id", vpc_id))
            .filters(filter("association.main", "true"))
            .send()
            .await
            .map_err(|e| classify("ec2:DescribeRouteTables", &e))?;
        tables
            .route_tables()
            .first()
            .and_then(|t| t.route_table_id())
            .map(str::to_owned)
            // Filters answer a VPC EC2 does not know yet with nothing: NotFound, so that
            // a fresh VPC is asked again (consistency.rs).
            .ok_or_else(|| CloudError::NotFound(format!("{vpc_id} has no main route table")))
    }

    /// Everything that could let traffic out of the VPC; any finding fails the drill
    /// closed before a restore starts.
    pub async fn verify_network(&self, environment: &Environment) -> Result<IsolationReport, CloudError> {
        let ec2 = &self.clients.ec2;
        let vpc = environment.vpc_id.as_str();
        let mut violations = Vec::new();
        let gateways = ec2
            .describe_internet_gateways()
            .filters(filter("attachment.vpc-id", vpc))
            .send()
            .await
            .map_err(|e| classify("ec2:DescribeInternetGateways", &e))?;
        for gateway in gateways.internet_gateways() {
            violations.push(format!(
                "internet gateway {} attached",
                gateway.internet_gateway_id().unwrap_or("?")
            ));
        }
        let nats = ec2
            .describe_nat_gateways()
            .filter(filter("vpc-id", vpc))
            .send()
            .await
            .map_err(|e| classify("ec2:DescribeNatGateways", &e))?;
        for nat in nats.nat_gateways() {
            let state = nat.state().map(|s| s.as_str()).unwrap_or("");
            if state != "deleted" && state != "failed" {
                violations.push(format!("NAT gateway {}", nat.nat_gateway_id().unwrap_or("?")));
            }
        }
        for side in ["requester-vpc-info.vpc-id", "accepter-vpc-info.vpc-id"] {
            let peerings = ec2
                .describe_vpc_peering_connections()
                .filters(filter(side, vpc))
                .send()
                .await
                .map_err(|e| classify("ec2:DescribeVpcPeeringConnections", &e))?;
            for peering in peerings.vpc_peering_connections() {
                let state = peering
                    .status()
                    .and_then(|s| s.code())
                    .map(|c| c.as_str())
                    .unwrap_or("");
                if !matches!(state, "deleted" | "rejected" | "failed" | "expired") {
                    violations.push(format!(
                        "VPC peering {}",
                        peering.vpc_peering_connection_id().unwrap_or("?")
                    ));
                }
            }
        }
        let attachments = ec2
            .describe_transit_gateway_vpc_attachments()
            .filters(filter("vpc-id", vpc))
            .send()
            .await
            .map_err(|e| classify("ec2:DescribeTransitGatewayVpcAttachments", &e))?;
        for attachment in attachments.transit_gateway_vpc_attachments() {
            let state = attachment.state().map(|s| s.as_str()).unwrap_or("");
            if state != "deleted" && state != "deleting" {
                violations.push(format!(
                    "transit gateway attachment {}",
                    attachment.transit_gateway_attachment_id().unwrap_or("?")
                ));
            }
        }
        let tables = ec2
            .describe_route_tables()
            .filters(filter("vpc-id", vpc))
            .send()
            .await
            .map_err(|e| classify("ec2:DescribeRouteTables", &e))?;
        let own = |target: &str| environment.resources.iter().any(|r| r.id == target);
        for table in tables.route_tables() {
            for route in table.routes() {
                // Only the VPC's own (local) route and the run's S3 gateway endpoint may
                // be there: anything else (a gateway, peering, a propagated VPN route, an
                // instance or interface) leads out.
                let target = route
                    .gateway_id()
                    .or(route.nat_gateway_id())
                    .or(route.transit_gateway_id())
                    .or(route.vpc_peering_connection_id())
                    .or(route.egress_only_internet_gateway_id())
                    .or(route.network_interface_id())
                    .or(route.instance_id())
                    .or(route.local_gateway_id())
                    .or(route.carrier_gateway_id())
                    .unwrap_or("?");
                if target != "local" && !own(target) {
                    let destination = route
                        .destination_cidr_block()
                        .or(route.destination_ipv6_cidr_block())
                        .or(route.destination_prefix_list_id())
                        .unwrap_or("?");
                    violations.push(format!(
                        "route table {} routes {destination} to {target}",
                        table.route_table_id().unwrap_or("?")
                    ));
                }
            }
        }
        let vpn = ec2
            .describe_vpn_gateways()
            .filters(filter("attachment.vpc-id", vpc))
            .send()
            .await
            .map_err(|e| classify("ec2:DescribeVpnGateways", &e))?;
        for gateway in vpn.vpn_gateways() {
            let state = gateway.state().map(|s| s.as_str()).unwrap_or("");
            if state != "deleted" && state != "deleting" {
                violations.push(format!(
                    "virtual private gateway {} attached",
                    gateway.vpn_gateway_id().unwrap_or("?")
                ));
            }
        }
        let subnets = ec2
            .describe_subnets()
            .filters(filter("vpc-id", vpc))
            .send()
            .await
            .map_err(|e| classify("ec2:DescribeSubnets", &e))?;
        for subnet in subnets.subnets() {
            if subnet.map_public_ip_on_launch() == Some(true) {
                violations.push(format!("subnet {} gives public IPs", subnet.subnet_id().unwrap_or("?")));
            }
        }
        let interfaces = ec2
            .describe_network_interfaces()
            .filters(filter("vpc-id", vpc))
            .send()
            .await
            .map_err(|e| classify("ec2:DescribeNetworkInterfaces", &e))?;
        for interface in interfaces.network_interfaces() {
            if let Some(ip) = interface.association().and_then(|a| a.public_ip()) {
                violations.push(format!(
                    "network interface {} has public IP {ip}",
                    interface.network_interface_id().unwrap_or("?")
                ));
            }
        }
        if let Some(group) = &environment.db_subnet_group {
            violations.extend(self.public_databases(group).await?);
        }
        Ok(IsolationReport { violations })
    }

    /// DB instances in the environment's subnet group that are publicly accessible.
    async fn public_databases(&self, subnet_group: &str) -> Result<Vec<String>, CloudError> {
        let mut pages = self.clients.rds.describe_db_instances().into_paginator().items().send();
        let mut violations = Vec::new();
        while let Some(instance) = pages.next().await {
            let instance = instance.map_err(|e| classify("rds:DescribeDBInstances", &e))?;
            let inside = instance.db_subnet_group().and_then(|g| g.db_subnet_group_name()) == Some(subnet_group);
            if inside && instance.publicly_accessible() == Some(true) {
                violations.push(format!(
                    "DB instance {} is publicly accessible",
                    instance.db_instance_identifier().unwrap_or("?")
                ));
            }
        }
        Ok(violations)
    }
}

/// The first `count` of the listed `(name, zone type)` zones by name that are
/// Availability Zones proper and offer every `(service, its zones)` of `offered`. An
/// account's opted-in Local Zones and Wavelength Zones are listed by
/// DescribeAvailabilityZones too (ZoneType `local-zone`, `wavelength-zone`:
/// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AvailabilityZone.html) and
/// sort first (`us-east-1-bos-1a` < `us-east-1a`), but offer few instance types and no
/// interface endpoints; the request filters them out and this keeps them out whatever
/// the answer.
pub fn pick_zones(
    zones: &[(String, String)],
    count: u8,
    offered: &[(String, BTreeSet<String>)],
) -> Result<Vec<String>, String> {
    let mut names: Vec<String> = zones
        .iter()
        .filter(|(_, kind)| kind.is_empty() || kind == "availability-zone")
        .map(|(name, _)| name.clone())
        .collect();
    names.sort();
    let available = names.len();
    names.retain(|zone| offered.iter().all(|(_, zones)| zones.contains(zone)));
    if names.len() < usize::from(count) {
        return Err(if names.len() == available {
            format!("the region has {available} available Availability Zones; the scenario asks for {count}")
        } else {
            let where_offered: Vec<String> = offered
                .iter()
                .map(|(service, zones)| {
                    format!("{service} in {}", zones.iter().cloned().collect::<Vec<_>>().join(", "))
                })
                .collect();
            format!(
                "only {} of the region's {available} Availability Zones offer every endpoint the drill makes \
                 ({}); the scenario asks for {count}",
                names.len(),
                where_offered.join("; ")
            )
        });
    }
    names.truncate(usize::from(count));
    Ok(names)
}

pub(super) fn rds_tags(tags: &Tags) -> Vec<aws_sdk_rds::types::Tag> {
    tags.iter()
        .map(|(k, v)| aws_sdk_rds::types::Tag::builder().key(k).value(v).build())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_and_wavelength_zones_are_never_picked_though_they_sort_first() {
        let listed = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs.iter().map(|(n, t)| ((*n).to_owned(), (*t).to_owned())).collect()
        };
        let zones = listed(&[
            ("us-east-1b", "availability-zone"),
            ("us-east-1-bos-1a", "local-zone"),
            ("us-east-1-wl1-bos-wlz-1", "wavelength-zone"),
            ("us-east-1a", "availability-zone"),
        ]);
        assert_eq!(pick_zones(&zones, 2, &[]).unwrap(), ["us-east-1a", "us-east-1b"]);
        let short = pick_zones(&zones, 3, &[]).unwrap_err();
        assert!(short.contains("2 available Availability Zones"), "{short}");
    }

    #[test]
    fn only_zones_every_endpoint_service_is_offered_in_are_picked() {
        let zones: Vec<(String, String)> = ["us-east-1a", "us-east-1b", "us-east-1c"]
            .map(|z| (z.to_owned(), "availability-zone".to_owned()))
            .to_vec();
        let offered =
            |service: &str, zones: &[&str]| (service.to_owned(), zones.iter().map(|z| (*z).to_owned()).collect());
        let services = [
            offered("com.amazonaws.us-east-1.ssm", &["us-east-1b", "us-east-1c"]),
            offered(
                "com.amazonaws.us-east-1.kms",
                &["us-east-1a", "us-east-1b", "us-east-1c"],
            ),
        ];
        assert_eq!(pick_zones(&zones, 2, &services).unwrap(), ["us-east-1b", "us-east-1c"]);
        let short = pick_zones(&zones, 3, &services).unwrap_err();
        assert!(
            short.contains("only 2 of the region's 3") && short.contains("ssm in us-east-1b, us-east-1c"),
            "{short}"
        );
    }

    #[test]
    fn subnets_split_the_vpc_evenly_in_order() {
        assert_eq!(
            subnet_cidrs("10.250.0.0/16", 2).unwrap(),
            ["10.250.0.0/17", "10.250.128.0/17"]
        );
        assert_eq!(
            subnet_cidrs("10.250.0.0/16", 3).unwrap(),
            ["10.250.0.0/18", "10.250.64.0/18", "10.250.128.0/18"]
        );
        assert_eq!(subnet_cidrs("192.168.4.0/24", 1).unwrap(), ["192.168.4.0/24"]);
        assert_eq!(
            subnet_cidrs("192.168.4.7/24", 2).unwrap(),
            ["192.168.4.0/25", "192.168.4.128/25"]
        );
        assert!(subnet_cidrs("10.0.0.0/27", 4).is_err());
        assert!(subnet_cidrs("nonsense", 2).is_err());
    }
}
