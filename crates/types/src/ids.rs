//! Typed identifiers with ARM's validation rules.
//!
//! Each id is a newtype over `String` that can only be built through `FromStr`
//! (or serde, which goes through the same check), so a value that reached a
//! handler is already known to be acceptable to ARM.

use std::fmt;
use std::str::FromStr;

/// Why a string is not a valid id; the message is meant for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdError {
    /// Which kind of id was being parsed, e.g. `registry name`.
    pub kind: &'static str,
    /// The rejected input.
    pub value: String,
    /// The rule it broke, phrased for an error message.
    pub rule: &'static str,
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {} '{}': {}", self.kind, self.value, self.rule)
    }
}

impl std::error::Error for IdError {}

macro_rules! typed_id {
    // An id kept in one canonical spelling: equal when the strings are equal.
    ($(#[$meta:meta])* $name:ident, $kind:literal, $rule:literal, $check:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(String);
        typed_id!(@common $name, $kind, $rule, $check);
    };
    // A name ARM compares case-insensitively: kept as written (it is shown and sent back as
    // given), but equal, ordered and hashed without regard to case, so `MyReg` and `myreg` are
    // one key everywhere (maps, lookups, the page's bookkeeping) and nobody needs to remember
    // to compare them with care.
    ($(#[$meta:meta])* $name:ident, $kind:literal, $rule:literal, $check:expr, case_insensitive) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        pub struct $name(String);
        typed_id!(@common $name, $kind, $rule, $check);

        impl $name {
            fn folded(&self) -> impl Iterator<Item = char> + '_ {
                self.0.chars().flat_map(char::to_lowercase)
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.folded().eq(other.folded())
            }
        }

        impl Eq for $name {}

        impl PartialOrd for $name {
            fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
                Some(self.cmp(other))
            }
        }

        impl Ord for $name {
            fn cmp(&self, other: &Self) -> std::cmp::Ordering {
                self.folded().cmp(other.folded())
            }
        }

        impl std::hash::Hash for $name {
            fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
                for c in self.folded() {
                    h.write_u32(u32::from(c));
                }
            }
        }
    };
    (@common $name:ident, $kind:literal, $rule:literal, $check:expr) => {

        impl $name {
            /// The id as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                let check: fn(&str) -> Option<String> = $check;
                check(s).map($name).ok_or_else(|| IdError { kind: $kind, value: s.to_owned(), rule: $rule })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

fn alnum_5_50(s: &str) -> Option<String> {
    let ok = (5..=50).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric());
    ok.then(|| s.to_owned())
}

typed_id!(
    /// An Azure subscription id (a GUID, kept in ARM's lower-case form).
    SubscriptionId,
    "subscription id",
    "must be a GUID such as 00000000-0000-0000-0000-000000000000",
    |s| {
        let groups: Vec<&str> = s.split('-').collect();
        let lens = [8, 4, 4, 4, 12];
        let ok = groups.len() == 5
            && groups.iter().zip(lens).all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()));
        ok.then(|| s.to_ascii_lowercase())
    }
);

typed_id!(
    /// A resource group name: 1–90 characters of letters, digits, `-_.()`, not ending in a period
    /// (ARM common-types v5). Case is kept as given; it compares case-insensitively, as ARM does.
    ResourceGroupName,
    "resource group name",
    "must be 1-90 letters, digits, '-', '_', '.', '(' or ')' and must not end with '.'",
    |s| {
        let ok = (1..=90).contains(&s.chars().count())
            && s.chars().all(|c| c.is_alphanumeric() || "-_.()".contains(c))
            && !s.ends_with('.');
        ok.then(|| s.to_owned())
    },
    case_insensitive
);

typed_id!(
    /// A container registry name: 5–50 ASCII letters and digits (Microsoft.ContainerRegistry spec);
    /// compares case-insensitively, as ARM does.
    RegistryName,
    "registry name",
    "must be 5-50 characters of letters and digits only",
    alnum_5_50,
    case_insensitive
);

typed_id!(
    /// A replication name: 5–50 ASCII letters and digits (Microsoft.ContainerRegistry spec);
    /// compares case-insensitively, as ARM does.
    ReplicationName,
    "replication name",
    "must be 5-50 characters of letters and digits only",
    alnum_5_50,
    case_insensitive
);

typed_id!(
    /// An Azure location name in ARM's canonical form: lower-case letters and digits (`eastus`).
    /// Parsing accepts a display name too (`East US` → `eastus`), as `az` does.
    RegionName,
    "region name",
    "must be an Azure location name such as 'eastus' or 'Japan East'",
    |s| {
        let canon: String = s.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
        let ok = (2..=40).contains(&canon.len()) && canon.bytes().all(|b| b.is_ascii_alphanumeric());
        ok.then_some(canon)
    }
);

impl ReplicationName {
    /// The name `az acr replication create` gives a replica by default: its location name.
    pub fn default_for(region: &RegionName) -> Result<Self, IdError> {
        region.as_str().parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arm_names_are_one_key_whatever_their_case() {
        use std::collections::{BTreeSet, HashSet};
        let a: RegistryName = "MyACR0007".parse().unwrap();
        let b: RegistryName = "myacr0007".parse().unwrap();
        assert_eq!(a, b);
        assert_eq!(a.as_str(), "MyACR0007", "kept as written");
        assert_eq!(HashSet::from([a.clone(), b.clone()]).len(), 1);
        assert_eq!(BTreeSet::from([a.clone(), b]).len(), 1);
        let other: RegistryName = "myacr0008".parse().unwrap();
        assert!(a < other);
        let upper: RegistryName = "MYACR0006".parse().unwrap();
        assert!(upper < a, "ordered without regard to case");
        let rg1: ResourceGroupName = "Platform-Prod".parse().unwrap();
        let rg2: ResourceGroupName = "platform-prod".parse().unwrap();
        assert_eq!(rg1, rg2);
        let sub: SubscriptionId = "00000000-0000-0000-0000-000000000000".parse().unwrap();
        let key = |rg: &ResourceGroupName, name: &str| crate::RegistryKey {
            subscription_id: sub.clone(),
            resource_group: rg.clone(),
            name: name.parse().unwrap(),
        };
        assert_eq!(key(&rg1, "MYACR0007"), key(&rg2, "myacr0007"), "a registry key too");
        let r1: ReplicationName = "WestEurope".parse().unwrap();
        assert_eq!(r1, "westeurope".parse::<ReplicationName>().unwrap());
    }

    #[test]
    fn registry_names_follow_the_spec_pattern() {
        assert!("myACR0007".parse::<RegistryName>().is_ok());
        assert!("abcd".parse::<RegistryName>().is_err());
        assert!("my-acr-01".parse::<RegistryName>().is_err());
        assert!("a".repeat(51).parse::<RegistryName>().is_err());
    }

    #[test]
    fn region_names_accept_display_names() {
        assert_eq!("Japan East".parse::<RegionName>().unwrap().as_str(), "japaneast");
        assert!("japan_east".parse::<RegionName>().is_err());
    }

    #[test]
    fn subscription_ids_are_guids() {
        let id: SubscriptionId = "00000000-0000-0000-0000-00000000ABCD".parse().unwrap();
        assert_eq!(id.as_str(), "00000000-0000-0000-0000-00000000abcd");
        assert!("not-a-guid".parse::<SubscriptionId>().is_err());
    }

    #[test]
    fn resource_groups_follow_common_types() {
        assert!("my.resource-group_(1)".parse::<ResourceGroupName>().is_ok());
        assert!("ends.".parse::<ResourceGroupName>().is_err());
        assert!("has space".parse::<ResourceGroupName>().is_err());
    }

    #[test]
    fn serde_goes_through_validation() {
        let err = serde_json::from_str::<RegistryName>("\"bad-name\"").unwrap_err();
        assert!(err.to_string().contains("letters and digits"));
    }
}
