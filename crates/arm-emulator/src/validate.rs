//! Request validation shared by the resource handlers: resource names,
//! locations, tags (ARM's tag limits) and typed body fields.

use serde_json::{Map, Value};

use crate::assumptions as a;
use crate::error::{ArmError, ArmResult};
use crate::regions;

/// Registry and replication names: 5–50 characters, `^[a-zA-Z0-9]*$` (spec).
pub(crate) fn acr_name(name: &str) -> ArmResult<()> {
    let ok = (5..=50).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(ArmError::bad_request(
            a::INVALID_NAME_CODE,
            format!(
                "Resource name '{name}' is invalid. The name must be between 5 and 50 characters \
                 and can contain only alphanumeric characters."
            ),
        ))
    }
}

/// Resource group names: 1–90 of `[-\w._()]`, not ending in a period.
pub(crate) fn resource_group_name(name: &str) -> ArmResult<()> {
    let ok = (1..=90).contains(&name.chars().count())
        && !name.ends_with('.')
        && name.chars().all(|c| c.is_alphanumeric() || "-_.()".contains(c));
    if ok {
        Ok(())
    } else {
        Err(ArmError::bad_request("InvalidResourceGroupName", format!("Resource group name '{name}' is invalid.")))
    }
}

/// `location` of a PUT body, normalised (`"East US"` → `"eastus"`) and checked
/// against the regions file. `resource_type` goes into the error message.
pub(crate) fn location(body: &Map<String, Value>, resource_type: &str) -> ArmResult<String> {
    let loc = match body.get("location") {
        None | Some(Value::Null) => return Err(ArmError::location_required()),
        Some(Value::String(s)) if s.trim().is_empty() => return Err(ArmError::location_required()),
        Some(Value::String(s)) => s,
        Some(_) => return Err(ArmError::invalid_content("'location' must be a string")),
    };
    regions::deployable(loc).map(|r| r.name.clone()).ok_or_else(|| {
        ArmError::bad_request(
            a::UNKNOWN_LOCATION_CODE,
            format!(
                "The provided location '{loc}' is not available for resource type '{resource_type}'. \
                 List of available regions for the resource type is '{}'.",
                regions::deployable_names()
            ),
        )
    })
}

const MAX_TAGS: usize = 50;
const MAX_KEY: usize = 512;
const MAX_VALUE: usize = 256;
const FORBIDDEN_KEY_CHARS: &str = "<>%&\\?/";

fn invalid_tag(message: String) -> ArmError {
    ArmError::bad_request("InvalidTag", message)
}

/// `tags` of a body: absent → `None`; otherwise an object of strings within
/// ARM's limits (50 tags, key ≤ 512, value ≤ 256, no `<>%&\?/` in keys).
pub(crate) fn tags(body: &Map<String, Value>) -> ArmResult<Option<Map<String, Value>>> {
    let tags = match body.get("tags") {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(t)) => t,
        Some(_) => return Err(ArmError::invalid_content("'tags' must be an object")),
    };
    if tags.len() > MAX_TAGS {
        return Err(invalid_tag(format!("The number of tags ({}) exceeds the limit of {MAX_TAGS}.", tags.len())));
    }
    for (k, v) in tags {
        let Some(v) = v.as_str() else {
            return Err(invalid_tag(format!("The value of tag '{k}' must be a string.")));
        };
        if k.is_empty() || k.chars().count() > MAX_KEY {
            return Err(invalid_tag(format!("The tag name '{k}' must be 1 to {MAX_KEY} characters long.")));
        }
        if k.chars().any(|c| FORBIDDEN_KEY_CHARS.contains(c)) {
            return Err(invalid_tag(format!("The tag name '{k}' has invalid characters '{FORBIDDEN_KEY_CHARS}'.")));
        }
        if v.chars().count() > MAX_VALUE {
            return Err(invalid_tag(format!("The value of tag '{k}' exceeds {MAX_VALUE} characters.")));
        }
    }
    Ok(Some(tags.clone()))
}

/// `properties` of a body (absent or null → empty).
pub(crate) fn properties(body: &Map<String, Value>) -> ArmResult<Map<String, Value>> {
    match body.get("properties") {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(p)) => Ok(p.clone()),
        Some(_) => Err(ArmError::invalid_content("'properties' must be an object")),
    }
}

pub(crate) fn opt_bool(props: &Map<String, Value>, field: &str) -> ArmResult<Option<bool>> {
    match props.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(ArmError::invalid_content(format!("'{field}' must be a boolean"))),
    }
}

/// `zoneRedundancy`: `Enabled` or `Disabled` (case-insensitive, returned canonical).
pub(crate) fn zone_redundancy(props: &Map<String, Value>) -> ArmResult<Option<String>> {
    match props.get("zoneRedundancy") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("Enabled") => Ok(Some("Enabled".into())),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("Disabled") => Ok(Some("Disabled".into())),
        Some(_) => Err(ArmError::invalid_content("'zoneRedundancy' must be 'Enabled' or 'Disabled'")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn names() {
        assert!(acr_name("myACR0007").is_ok());
        assert!(acr_name("abcd").is_err());
        assert!(acr_name("my-acr").is_err());
        assert!(acr_name(&"a".repeat(51)).is_err());
        assert!(resource_group_name("my_rg-1.(x)").is_ok());
        assert!(resource_group_name("rg.").is_err());
    }

    #[test]
    fn tag_limits() {
        assert!(tags(&obj(json!({"tags": {"env": "prod"}}))).unwrap().is_some());
        assert_eq!(tags(&obj(json!({"tags": {"a/b": "x"}}))).unwrap_err().code, "InvalidTag");
        assert_eq!(tags(&obj(json!({"tags": {"k": "v".repeat(257)}}))).unwrap_err().code, "InvalidTag");
        let many: Map<String, Value> = (0..51).map(|i| (format!("k{i}"), json!("v"))).collect();
        assert_eq!(tags(&obj(json!({ "tags": many }))).unwrap_err().code, "InvalidTag");
    }

    #[test]
    fn location_rules() {
        assert_eq!(location(&obj(json!({"location": "West Europe"})), "t").unwrap(), "westeurope");
        assert_eq!(location(&obj(json!({})), "t").unwrap_err().code, "LocationRequired");
    }
}
