//! `Microsoft.ContainerRegistry/registries` (read side).

use replimap_types::{RegistryKey, SubscriptionId};

use crate::{ArmClient, ArmError, ArmRegistry};

impl ArmClient {
    /// Registries_List for a subscription, all pages.
    pub async fn list_registries(&self, sub: &SubscriptionId) -> Result<Vec<ArmRegistry>, ArmError> {
        let path = format!("/subscriptions/{sub}/providers/Microsoft.ContainerRegistry/registries");
        self.list_all(self.url(&path, &self.options.acr_api_version)?).await
    }

    /// Registries_Get.
    pub async fn get_registry(&self, key: &RegistryKey) -> Result<ArmRegistry, ArmError> {
        let path = format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.ContainerRegistry/registries/{}",
            key.subscription_id, key.resource_group, key.name
        );
        self.get_json(self.url(&path, &self.options.acr_api_version)?).await
    }

    /// Subscriptions the credential can see (`GET /subscriptions`), as ids.
    pub async fn list_subscriptions(&self) -> Result<Vec<SubscriptionId>, ArmError> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Sub {
            subscription_id: String,
        }
        let url = self.url("/subscriptions", &self.options.subscriptions_api_version)?;
        let subs: Vec<Sub> = self.list_all(url).await?;
        Ok(subs.into_iter().filter_map(|s| s.subscription_id.parse().ok()).collect())
    }
}
