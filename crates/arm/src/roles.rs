//! `Microsoft.Authorization/roleAssignments`: the read side, for telling which identities
//! may pull from a registry (an AKS cluster's kubelet identity with `AcrPull`).

use replimap_types::SubscriptionId;
use serde::Deserialize;

use crate::resources::Listed;
use crate::{ArmClient, ArmError};

/// The api-version of RoleAssignments_ListForSubscription.
pub const ROLE_ASSIGNMENTS_API_VERSION: &str = "2022-04-01";

/// One role assignment as ARM returns it.
#[derive(Debug, Clone, Deserialize)]
pub struct RoleAssignment {
    /// Full id of the assignment.
    pub id: String,
    /// Its name (a GUID).
    #[serde(default)]
    pub name: String,
    /// Properties.
    #[serde(default)]
    pub properties: RoleAssignmentProperties,
}

/// `properties` of a role assignment.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoleAssignmentProperties {
    /// `/subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}`.
    #[serde(default)]
    pub role_definition_id: String,
    /// Object id of the identity the role is given to.
    #[serde(default)]
    pub principal_id: String,
    /// `User`, `Group`, `ServicePrincipal`, … when ARM says.
    #[serde(default)]
    pub principal_type: Option<String>,
    /// The resource id the role applies at (and below).
    #[serde(default)]
    pub scope: String,
}

impl RoleAssignment {
    /// Whether the assignment gives the role with this definition GUID (compared without
    /// regard to case; ARM spells definition ids in either).
    pub fn is_role(&self, definition_guid: &str) -> bool {
        let id = &self.properties.role_definition_id;
        id.rsplit('/').next().is_some_and(|g| g.eq_ignore_ascii_case(definition_guid))
    }
}

impl ArmClient {
    /// RoleAssignments_ListForSubscription: every assignment at and below the subscription,
    /// every page.
    pub async fn list_role_assignments(&self, sub: &SubscriptionId) -> Result<Listed<RoleAssignment>, ArmError> {
        let path = format!("/subscriptions/{sub}/providers/Microsoft.Authorization/roleAssignments");
        self.list_pages(self.url(&path, ROLE_ASSIGNMENTS_API_VERSION)?).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_assignment_decodes_and_names_its_role() {
        let a: RoleAssignment = serde_json::from_str(
            r#"{"id":"/subscriptions/s/providers/Microsoft.Authorization/roleAssignments/a1","name":"a1",
                "type":"Microsoft.Authorization/roleAssignments",
                "properties":{"roleDefinitionId":"/subscriptions/s/providers/Microsoft.Authorization/roleDefinitions/7F951DDA-4ED3-4680-A7CA-43FE172D538D",
                "principalId":"11111111-1111-1111-1111-111111111111","principalType":"ServicePrincipal",
                "scope":"/subscriptions/s/resourceGroups/g"}}"#,
        )
        .unwrap();
        assert!(a.is_role(replimap_types::ACR_PULL_ROLE));
        assert!(!a.is_role("acdd72a7-3385-48ef-bd42-f606fba81ae7"));
        assert_eq!(a.properties.scope, "/subscriptions/s/resourceGroups/g");
    }
}
