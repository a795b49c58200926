//! Microsoft.ContainerRegistry: registries, replications and the polling
//! endpoints of their long-running operations.

pub(crate) mod operations;
pub(crate) mod registries;
pub(crate) mod registry_write;
pub(crate) mod replication_write;
pub(crate) mod replications;

use crate::docs::PROVIDER;

/// `Location` target of a delete: `/subscriptions/{sub}/providers/Microsoft.ContainerRegistry/locations/{region}/operationResults/{op}`.
pub(crate) fn operation_result_path(sub: &str, region: &str, op: &str) -> String {
    format!("/subscriptions/{sub}/providers/{PROVIDER}/locations/{region}/operationResults/{op}")
}

/// ARM's not-found type path for a replication, e.g. `Microsoft.ContainerRegistry/registries/r/replications/x`.
pub(crate) fn replication_type_name(reg: &str, rep: &str) -> String {
    format!("{}/{reg}/replications/{rep}", crate::docs::REGISTRY_TYPE)
}
