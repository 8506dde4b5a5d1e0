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
    } else {
        CloudError::Failed(text)
    }
}
