//! The replica table's rows: what each cell says, and how rows sort and filter.

use std::cmp::Ordering;

use replimap_types::{Replication, ZoneRedundancy};

/// A sortable column (`th[data-sort]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    /// NAME.
    Name,
    /// LOCATION.
    Location,
    /// PROVISIONING STATE.
    Provisioning,
    /// STATUS.
    Status,
    /// REGION ENDPOINT ENABLED.
    Endpoint,
    /// ZONE REDUNDANCY.
    Zone,
    /// IN STATE FOR.
    Since,
}

impl Column {
    /// Every column, in table order, with its header text.
    pub const ALL: [(Column, &'static str); 7] = [
        (Self::Name, "NAME"),
        (Self::Location, "LOCATION"),
        (Self::Provisioning, "PROVISIONING STATE"),
        (Self::Status, "STATUS"),
        (Self::Endpoint, "REGION ENDPOINT ENABLED"),
        (Self::Zone, "ZONE REDUNDANCY"),
        (Self::Since, "IN STATE FOR"),
    ];

    /// `data-sort`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Location => "location",
            Self::Provisioning => "provisioning",
            Self::Status => "status",
            Self::Endpoint => "endpoint",
            Self::Zone => "zone",
            Self::Since => "since",
        }
    }
}

/// How the table is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    /// The column.
    pub column: Column,
    /// Ascending or descending.
    pub ascending: bool,
}

impl Default for Sort {
    fn default() -> Self {
        Self { column: Column::Name, ascending: true }
    }
}

impl Sort {
    /// The sort after a click on `column`: the same column flips, another starts ascending.
    pub fn toggled(self, column: Column) -> Self {
        if self.column == column {
            Self { column, ascending: !self.ascending }
        } else {
            Self { column, ascending: true }
        }
    }
}

/// The text cells of a row, as `az acr replication list -o table` prints them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cells {
    /// Provisioning state.
    pub provisioning: String,
    /// Status (display status).
    pub status: String,
    /// `True` or `False`.
    pub endpoint: &'static str,
    /// `Enabled` or `Disabled`.
    pub zone: &'static str,
}

impl Cells {
    /// The cells of one replica.
    pub fn of(r: &Replication) -> Self {
        Self {
            provisioning: r.provisioning_state.to_string(),
            status: r.status.display_status.clone().unwrap_or_else(|| "—".to_owned()),
            endpoint: if r.region_endpoint_enabled { "True" } else { "False" },
            zone: if r.zone_redundancy == ZoneRedundancy::Enabled { "Enabled" } else { "Disabled" },
        }
    }
}

/// The display status with ARM's message, e.g. `Ready — The replication is ready.`; `None`
/// before ARM reports a status.
pub fn status_detail(r: &Replication) -> Option<String> {
    match (&r.status.display_status, &r.status.message) {
        (Some(s), Some(m)) if !m.is_empty() => Some(format!("{s} — {m}")),
        (Some(s), _) => Some(s.clone()),
        (None, _) => None,
    }
}

/// Whether a replica matches the filter text: every word must appear in one of its cells,
/// its region's display name or its tags (case-insensitive).
pub fn matches(r: &Replication, display_name: &str, filter: &str) -> bool {
    let c = Cells::of(r);
    let tags: Vec<String> = r.tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let haystack = fold(&format!(
        "{} {} {display_name} {} {} {} {} {}",
        r.name,
        r.location,
        c.provisioning,
        c.status,
        if r.region_endpoint_enabled { "routing on true" } else { "routing off false" },
        c.zone,
        tags.join(" ")
    ));
    filter.split_whitespace().all(|word| haystack.contains(&fold(word)))
}

/// Lower case, char by char: the case folding the typed ids use already (`str::to_lowercase`
/// differs only for a final Greek sigma, and cost 1.8 KB of the compressed WASM).
pub(crate) fn fold(s: &str) -> String {
    s.chars().flat_map(char::to_lowercase).collect()
}

/// Orders two replicas by the sort; ties fall back to the name, so the order is stable.
/// `since` is the time-in-state start (ms; unknown sorts last).
pub fn compare(a: (&Replication, Option<i64>), b: (&Replication, Option<i64>), sort: Sort) -> Ordering {
    let (ca, cb) = (Cells::of(a.0), Cells::of(b.0));
    let primary = match sort.column {
        Column::Name => Ordering::Equal,
        Column::Location => a.0.location.as_str().cmp(b.0.location.as_str()),
        Column::Provisioning => ca.provisioning.cmp(&cb.provisioning),
        Column::Status => ca.status.cmp(&cb.status),
        Column::Endpoint => ca.endpoint.cmp(cb.endpoint),
        Column::Zone => ca.zone.cmp(cb.zone),
        // Longest in state first when ascending by "time in state".
        Column::Since => match (a.1, b.1) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        },
    };
    let ordered = primary.then_with(|| a.0.name.as_str().cmp(b.0.name.as_str()));
    if sort.ascending {
        ordered
    } else {
        ordered.reverse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rep(name: &str, status: &str, routing: bool) -> Replication {
        serde_json::from_value(json!({
            "name": name, "location": name, "provisioningState": "Succeeded",
            "status": {"displayStatus": status}, "regionEndpointEnabled": routing,
            "tags": {"team": "web"}
        }))
        .unwrap()
    }

    #[test]
    fn filter_words_match_any_cell_or_tag() {
        let r = rep("westeurope", "Syncing", false);
        assert!(matches(&r, "West Europe", "west syncing"));
        assert!(matches(&r, "West Europe", "ROUTING OFF"));
        assert!(matches(&r, "West Europe", "team=web"));
        assert!(!matches(&r, "West Europe", "ready"));
        assert!(matches(&r, "West Europe", "  "));
    }

    #[test]
    fn sorts_by_column_then_name_and_flips() {
        let a = rep("eastus", "Ready", true);
        let b = rep("westeurope", "Syncing", true);
        let c = rep("japaneast", "Ready", true);
        let sort = Sort { column: Column::Status, ascending: true };
        let mut rows = [(&b, Some(3)), (&a, Some(1)), (&c, None)];
        rows.sort_by(|x, y| compare(*x, *y, sort));
        assert_eq!(rows.iter().map(|r| r.0.name.as_str()).collect::<Vec<_>>(), ["eastus", "japaneast", "westeurope"]);
        let since = Sort::default().toggled(Column::Since);
        rows.sort_by(|x, y| compare(*x, *y, since));
        assert_eq!(rows.iter().map(|r| r.0.name.as_str()).collect::<Vec<_>>(), ["eastus", "westeurope", "japaneast"]);
        assert_eq!(since.toggled(Column::Since), Sort { column: Column::Since, ascending: false });
    }
}
