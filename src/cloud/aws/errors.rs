//! SDK errors as `CloudError`s: throttling is retryable, access denied and not found are
//! told apart by their AWS error codes, and every message keeps the code and the call.

use aws_sdk_ec2::error::ProvideErrorMetadata;

use crate::cloud::CloudError;

/// Codes AWS uses for throttling, across services.
const THROTTLING: [&str; 6] = [
    "Throttling",
    "ThrottlingException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "RequestThrottled",
    "SlowDown",
];

/// Codes of a delete refused because something still depends on the resource: EC2's
/// (a subnet, security group or VPC with network interfaces in it,
/// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html) and RDS's
/// (a DB subnet group still used by a database being deleted).
const IN_USE: [&str; 2] = ["DependencyViolation", "InvalidDBSubnetGroupStateFault"];

/// Classifies a failed call named `what` (e.g. "ec2:CreateVpc").
pub fn classify<E: ProvideErrorMetadata + std::fmt::Debug>(what: &str, error: &E) -> CloudError {
    let code = error.code().unwrap_or("");
    let message = error.message().unwrap_or("");
    let text = if code.is_empty() {
        format!("{what}: {error:?}")
    } else {
        format!("{what}: {code}: {message}")
    };
    if THROTTLING.contains(&code) {
        CloudError::Throttled(text)
    } else if code.contains("AccessDenied") || code == "UnauthorizedOperation" || code == "AuthFailure" {
        CloudError::AccessDenied(text)
    } else if code.contains("NotFound") || code == "NoSuchEntity" || code == "InvalidVolume.NotFound" {
        CloudError::NotFound(text)
    } else if IN_USE.contains(&code) {
        CloudError::InUse(text)
    } else {
        CloudError::Failed(text)
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_ec2::error::ErrorMetadata;
    use aws_sdk_ec2::operation::delete_subnet::DeleteSubnetError;

    use super::*;

    fn ec2(code: &str) -> CloudError {
        let error = DeleteSubnetError::generic(ErrorMetadata::builder().code(code).message("…").build());
        classify("ec2:DeleteSubnet", &error)
    }

    #[test]
    fn a_delete_held_by_a_dependency_is_in_use_and_other_codes_keep_their_kind() {
        assert!(matches!(ec2("DependencyViolation"), CloudError::InUse(_)));
        assert!(matches!(ec2("InvalidDBSubnetGroupStateFault"), CloudError::InUse(_)));
        assert!(matches!(ec2("InvalidSubnetID.NotFound"), CloudError::NotFound(_)));
        assert!(matches!(ec2("RequestLimitExceeded"), CloudError::Throttled(_)));
        assert!(matches!(ec2("UnauthorizedOperation"), CloudError::AccessDenied(_)));
        assert!(matches!(ec2("InvalidParameterValue"), CloudError::Failed(_)));
    }
}
