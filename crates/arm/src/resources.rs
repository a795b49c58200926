//! Generic resources: listing a subscription's resources with `$filter` (Resources_List,
//! the generic envelope without `properties`), listing any child collection, and reading
//! any resource by id with its own api-version. Workload discovery uses these where
//! Resource Graph is refused.

use std::collections::BTreeMap;

use replimap_types::SubscriptionId;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use url::Url;

use crate::client::Page;
use crate::{ArmClient, ArmError};

/// The api-version of Resources_List (`/subscriptions/{id}/resources`).
pub const RESOURCES_API_VERSION: &str = "2021-04-01";

/// One resource as Resources_List returns it: the envelope only, no `properties`.
#[derive(Debug, Clone, Deserialize)]
pub struct GenericResource {
    /// Full resource id.
    pub id: String,
    /// Resource name.
    #[serde(default)]
    pub name: String,
    /// Resource type, as ARM spells it (`Microsoft.App/containerApps`).
    #[serde(default, rename = "type")]
    pub resource_type: String,
    /// `kind`, for the types that have one (sites: `app,linux,container`).
    #[serde(default)]
    pub kind: Option<String>,
    /// Region.
    #[serde(default)]
    pub location: Option<String>,
    /// Tags.
    #[serde(default)]
    pub tags: Option<BTreeMap<String, String>>,
    /// Managed identity block, as ARM sent it.
    #[serde(default)]
    pub identity: Option<serde_json::Value>,
    /// SKU block, as ARM sent it.
    #[serde(default)]
    pub sku: Option<serde_json::Value>,
}

/// The items of a paged list and how many pages (requests) it took.
#[derive(Debug, Clone)]
pub struct Listed<T> {
    /// Every item of every page.
    pub items: Vec<T>,
    /// Pages read, each one ARM request.
    pub pages: u64,
}

/// Percent-encodes a query value the way ARM's own SDKs do (`%20`, not `+`, for spaces).
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'\'' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl ArmClient {
    /// Resources_List of a subscription narrowed by an OData `$filter` (e.g.
    /// `resourceType eq 'Microsoft.App/containerApps' or resourceType eq '…'`, or
    /// `tagName eq 'replimap.io/pulls-from'`), 1000 a page, every page.
    pub async fn list_resources(
        &self,
        sub: &SubscriptionId,
        filter: &str,
    ) -> Result<Listed<GenericResource>, ArmError> {
        let mut url = self.url(&format!("/subscriptions/{sub}/resources"), RESOURCES_API_VERSION)?;
        let query = format!("{}&$filter={}&$top=1000", url.query().unwrap_or_default(), encode(filter));
        url.set_query(Some(&query));
        self.list_pages(url).await
    }

    /// Every item of the collection at `path` (`{batchAccountId}/pools`), every page.
    pub async fn list_at<T: DeserializeOwned>(&self, path: &str, api_version: &str) -> Result<Listed<T>, ArmError> {
        self.list_pages(self.url(path, api_version)?).await
    }

    /// GET of any resource by its id, with the api-version of its type; the JSON as ARM
    /// sent it.
    pub async fn get_resource(&self, id: &str, api_version: &str) -> Result<serde_json::Value, ArmError> {
        if !id.starts_with('/') {
            return Err(ArmError::Decode(format!("not a resource id: '{id}'")));
        }
        self.get_json(self.url(id, api_version)?).await
    }

    /// GET a list and follow `nextLink`, counting the pages.
    pub(crate) async fn list_pages<T: DeserializeOwned>(&self, url: Url) -> Result<Listed<T>, ArmError> {
        let mut listed = Listed { items: Vec::new(), pages: 0 };
        let mut next = Some(url);
        while let Some(url) = next.take() {
            let page: Page<T> = self.get_json(url).await?;
            listed.pages += 1;
            listed.items.extend(page.value);
            next = match page.next_link.filter(|l| !l.is_empty()) {
                Some(link) => Some(self.follow(&link)?),
                None => None,
            };
        }
        Ok(listed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Auth;
    use azure_core::credentials::Secret;

    #[test]
    fn filters_are_encoded_with_percent_twenty() {
        assert_eq!(
            encode("resourceType eq 'Microsoft.App/jobs' or tagName eq 'replimap.io/pulls-from'"),
            "resourceType%20eq%20'Microsoft.App/jobs'%20or%20tagName%20eq%20'replimap.io/pulls-from'"
        );
        assert_eq!(encode("a&b=c"), "a%26b%3Dc");
    }

    #[test]
    fn the_generic_envelope_decodes_without_properties() {
        let page: Page<GenericResource> = serde_json::from_str(
            r#"{"value":[{"id":"/subscriptions/s/resourceGroups/g/providers/Microsoft.Web/sites/w","name":"w",
                "type":"Microsoft.Web/sites","kind":"app,linux,container","location":"westeurope",
                "tags":{"env":"prod"}}],"nextLink":"https://management.azure.com/next"}"#,
        )
        .unwrap();
        let r = &page.value[0];
        assert_eq!(r.resource_type, "Microsoft.Web/sites");
        assert_eq!(r.kind.as_deref(), Some("app,linux,container"));
        assert_eq!(r.tags.as_ref().unwrap()["env"], "prod");
        assert!(page.next_link.is_some());
    }

    #[test]
    fn a_get_needs_a_resource_id() {
        let c = ArmClient::new("https://management.azure.com", Auth::Static(Secret::new("t")), None).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let e = rt.block_on(c.get_resource("relative/path", "2024-01-01")).unwrap_err();
        assert!(matches!(e, ArmError::Decode(_)));
    }
}
