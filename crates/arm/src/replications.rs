//! `Microsoft.ContainerRegistry/registries/replications`.

use replimap_types::{RegistryKey, ReplicationName};
use reqwest::Method;

use crate::{ArmClient, ArmError, ArmReplication, LroPoller, ReplicationPatch, ReplicationPut};

impl ArmClient {
    fn replication_path(reg: &RegistryKey, name: Option<&ReplicationName>) -> String {
        let base = format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.ContainerRegistry/registries/{}/replications",
            reg.subscription_id, reg.resource_group, reg.name
        );
        match name {
            Some(n) => format!("{base}/{n}"),
            None => base,
        }
    }

    fn replication_url(&self, reg: &RegistryKey, name: Option<&ReplicationName>) -> Result<url::Url, ArmError> {
        self.url(&Self::replication_path(reg, name), &self.options.acr_api_version)
    }

    /// Replications_List, all pages.
    pub async fn list_replications(&self, reg: &RegistryKey) -> Result<Vec<ArmReplication>, ArmError> {
        self.list_all(self.replication_url(reg, None)?).await
    }

    /// Replications_Get.
    pub async fn get_replication(&self, reg: &RegistryKey, name: &ReplicationName) -> Result<ArmReplication, ArmError> {
        self.get_json(self.replication_url(reg, Some(name))?).await
    }

    /// Replications_Create: the resource as first returned (usually `Creating`) and the
    /// poller when ARM started a long-running operation.
    pub async fn create_replication(
        &self,
        reg: &RegistryKey,
        name: &ReplicationName,
        body: &ReplicationPut,
    ) -> Result<(ArmReplication, Option<LroPoller>), ArmError> {
        self.write_replication(Method::PUT, reg, name, body).await
    }

    /// Replications_Update (PATCH of tags and routing).
    pub async fn update_replication(
        &self,
        reg: &RegistryKey,
        name: &ReplicationName,
        patch: &ReplicationPatch,
    ) -> Result<(ArmReplication, Option<LroPoller>), ArmError> {
        self.write_replication(Method::PATCH, reg, name, patch).await
    }

    /// PUT or PATCH: both answer with the resource and, when long-running, `Azure-AsyncOperation`.
    async fn write_replication(
        &self,
        method: Method,
        reg: &RegistryKey,
        name: &ReplicationName,
        body: &impl serde::Serialize,
    ) -> Result<(ArmReplication, Option<LroPoller>), ArmError> {
        let body = serde_json::to_value(body).map_err(|e| ArmError::Decode(e.to_string()))?;
        let resp = self.send(method, self.replication_url(reg, Some(name))?, Some(&body)).await?;
        Ok((resp.json()?, LroPoller::from_response(self, &resp)?))
    }

    /// Replications_Delete: `None` when ARM answered 200/204 (done, or nothing to delete).
    pub async fn delete_replication(
        &self,
        reg: &RegistryKey,
        name: &ReplicationName,
    ) -> Result<Option<LroPoller>, ArmError> {
        let resp = self.send(Method::DELETE, self.replication_url(reg, Some(name))?, None).await?;
        if resp.status == 202 {
            LroPoller::from_response(self, &resp)
        } else {
            Ok(None)
        }
    }
}
