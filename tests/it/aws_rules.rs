//! AWS's documented behaviours that moto lacks, as rules for the emulator
//! (tests/aws-emulator/emulator.py): each answers the first calls of one operation as AWS
//! does, without passing them to moto; the AWS page each follows is cited beside it.

use serde::Serialize;

/// One rule: the first `times` calls of `action` whose request contains `matching` are
/// answered with `status` and `body`.
#[derive(Debug, Clone, Serialize)]
pub struct Rule {
    pub rule: String,
    pub action: String,
    pub matching: String,
    pub times: u32,
    pub status: u16,
    pub body: String,
    /// moto carries the call out before the answer is replaced (an answer lost).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub acted: bool,
}

impl Rule {
    /// The rule, for only the calls whose request contains `text`.
    pub fn matching(mut self, text: &str) -> Self {
        self.matching = text.to_owned();
        self
    }
}

/// EC2's error answer (the query protocol's `Response/Errors/Error`).
fn ec2_error(code: &str, message: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}</Code>\
         <Message>{message}</Message></Error></Errors><RequestID>emulated</RequestID></Response>"
    )
}

/// "Eventual consistency in the Amazon EC2 API"
/// (https://docs.aws.amazon.com/ec2/latest/devguide/eventual-consistency.html): a call
/// naming an id EC2 has just returned "might not have propagated throughout the system,
/// and you will get an error responding that the resource does not exist", e.g.
/// `InvalidGroup.NotFound` right after CreateSecurityGroup. The first `times` calls of
/// `action` get `code`.
pub fn ec2_id_not_yet_visible(action: &str, code: &str, times: u32) -> Rule {
    Rule {
        rule: format!("{action} before its id has propagated"),
        action: action.to_owned(),
        matching: String::new(),
        times,
        status: 400,
        body: ec2_error(code, "The ID does not exist (it has not propagated yet)"),
        acted: false,
    }
}

/// The same page, seen through a filter: a filtered describe of a fresh id matches
/// nothing (`<set>` is the answer's empty list, `matching` picks the filtered call).
pub fn ec2_filter_sees_nothing_yet(action: &str, matching: &str, set: &str) -> Rule {
    Rule {
        rule: format!("{action} filtered on a fresh id"),
        action: action.to_owned(),
        matching: matching.to_owned(),
        times: 1,
        status: 200,
        body: format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{action}Response \
             xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>emulated</requestId><{set}/></{action}Response>"
        ),
        acted: false,
    }
}

/// IAM → EC2 propagation: IAM is eventually consistent ("Changes that I make are not
/// always immediately visible",
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html#troubleshoot_general_eventual-consistency),
/// and RunInstances with a profile created moments ago answers as for a profile that
/// does not exist, in these words.
pub fn instance_profile_not_propagated(times: u32) -> Rule {
    Rule {
        rule: "RunInstances with a just-created instance profile".into(),
        action: "RunInstances".into(),
        matching: "IamInstanceProfile".into(),
        times,
        status: 400,
        body: ec2_error(
            "InvalidParameterValue",
            "Value (fd-runner) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name",
        ),
        acted: false,
    }
}

/// DescribeAvailabilityZones of an account that opted in to a Local Zone: it is listed
/// with the region's zones ("Available zones" are those "that are available to you",
/// opted-in Local Zones included:
/// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeAvailabilityZones.html),
/// with ZoneType `local-zone`, and its name sorts before theirs. The answer lists it
/// first, whatever the request's filters, as a check that the caller does not rely on
/// them alone.
pub fn local_zone_listed_first() -> Rule {
    let zone = |name: &str, id: &str, kind: &str| {
        format!(
            "<item><zoneName>{name}</zoneName><zoneId>{id}</zoneId><zoneState>available</zoneState>\
             <regionName>us-east-1</regionName><zoneType>{kind}</zoneType><messageSet/></item>"
        )
    };
    Rule {
        rule: "DescribeAvailabilityZones with an opted-in Local Zone".into(),
        action: "DescribeAvailabilityZones".into(),
        matching: String::new(),
        times: 1,
        status: 200,
        body: format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DescribeAvailabilityZonesResponse \
             xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>emulated</requestId>\
             <availabilityZoneInfo>{}{}{}</availabilityZoneInfo></DescribeAvailabilityZonesResponse>",
            zone("us-east-1-bos-1a", "use1-bos1-az1", "local-zone"),
            zone("us-east-1a", "use1-az6", "availability-zone"),
            zone("us-east-1b", "use1-az1", "availability-zone"),
        ),
        acted: false,
    }
}

/// RDS's error answer (the query protocol's `ErrorResponse/Error`).
fn rds_error(code: &str, message: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\">\
         <Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>\
         <RequestId>emulated</RequestId></ErrorResponse>"
    )
}

/// Aurora: "you can create DB instances only after the DB cluster is available"
/// (https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBClusterFromSnapshot.html);
/// CreateDBInstance into a restored cluster that is not yet available answers
/// InvalidDBClusterStateFault. moto's clusters are available at once: the first `times`
/// such calls get the fault, as if made while the cluster was still creating.
pub fn cluster_not_yet_available(times: u32) -> Rule {
    Rule {
        rule: "CreateDBInstance into a cluster still creating".into(),
        action: "CreateDBInstance".into(),
        matching: "DBClusterIdentifier=".into(),
        times,
        status: 400,
        body: rds_error(
            "InvalidDBClusterStateFault",
            "DB cluster is not in a valid state: creating",
        ),
        acted: false,
    }
}

/// A create that took effect but whose answer was lost (a timeout, a reset connection):
/// moto carries the first `times` calls of `action` out, and the caller hears RDS's
/// `Throttling` instead, so that it asks again with the same name and meets
/// `…AlreadyExists`, as after an SDK retry of a call that had succeeded (the SDK retries
/// timeouts and transient errors by itself: https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html).
pub fn rds_answer_lost(action: &str, times: u32) -> Rule {
    Rule {
        rule: format!("{action} acted, its answer lost"),
        action: action.to_owned(),
        matching: String::new(),
        times,
        status: 400,
        body: rds_error("Throttling", "Rate exceeded"),
        acted: true,
    }
}

/// Endpoint services are not offered in every Availability Zone ("not all services are
/// available in every Availability Zone": DescribeVpcEndpointServices' ServiceDetail,
/// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ServiceDetail.html): the
/// answer offers `missing_from` no `service` (of `services`, all of the drill's, which
/// are otherwise offered in us-east-1a to 1c).
pub fn endpoint_service_not_in_zone(services: &[&str], service: &str, missing_from: &str) -> Rule {
    let detail = |name: &str| {
        let zones: String = ["us-east-1a", "us-east-1b", "us-east-1c"]
            .iter()
            .filter(|z| !(name == service && **z == missing_from))
            .map(|z| format!("<item>{z}</item>"))
            .collect();
        format!(
            "<item><serviceName>com.amazonaws.us-east-1.{name}</serviceName><serviceType><item>\
             <serviceType>Interface</serviceType></item></serviceType><availabilityZoneSet>{zones}\
             </availabilityZoneSet><owner>amazon</owner></item>"
        )
    };
    Rule {
        rule: format!("DescribeVpcEndpointServices: {service} not offered in {missing_from}"),
        action: "DescribeVpcEndpointServices".into(),
        matching: String::new(),
        times: 1,
        status: 200,
        body: format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DescribeVpcEndpointServicesResponse \
             xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>emulated</requestId>\
             <serviceDetailSet>{}</serviceDetailSet></DescribeVpcEndpointServicesResponse>",
            services.iter().map(|s| detail(s)).collect::<String>()
        ),
        acted: false,
    }
}
