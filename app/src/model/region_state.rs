//! The one word a region's marker shows (`data-state`), and how it is decided.

use replimap_types::{ReplicaPhase, Replication};

use super::Pending;

/// What a region is for the selected registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RegionState {
    /// The registry's home region (it always holds a replica).
    Home,
    /// A replica that is provisioned, in sync and receiving requests.
    Ready,
    /// A ready replica that the global endpoint does not route to (region endpoint off).
    RoutingOff,
    /// A replica being created (or a create this tab just sent).
    Creating,
    /// A provisioned replica that is still catching up.
    Syncing,
    /// A replica being updated.
    Updating,
    /// A replica being deleted (or a delete this tab just sent).
    Deleting,
    /// A replica whose provisioning failed.
    Failed,
    /// No replica; one can be created here.
    Available,
    /// No replica can be created here (see [`Unavailable`]).
    Unavailable,
}

/// Why a region cannot take a replica.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unavailable {
    /// The registry is not Premium, so it cannot be geo-replicated at all.
    Sku,
    /// Azure does not offer this region for replicas (canary and staging regions).
    Region,
}

impl Unavailable {
    /// `data-reason`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sku => "sku",
            Self::Region => "region",
        }
    }

    /// Why, in words.
    pub fn reason(self) -> &'static str {
        match self {
            Self::Sku => "geo-replication needs the Premium SKU",
            Self::Region => "Azure does not offer this region for replicas",
        }
    }
}

impl RegionState {
    /// Every state, in the order the legend lists them.
    pub const ALL: [RegionState; 10] = [
        Self::Home,
        Self::Ready,
        Self::RoutingOff,
        Self::Creating,
        Self::Syncing,
        Self::Updating,
        Self::Deleting,
        Self::Failed,
        Self::Available,
        Self::Unavailable,
    ];

    /// The word used in `data-state` and CSS.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Home => "home",
            Self::Ready => "ready",
            Self::RoutingOff => "routing-off",
            Self::Creating => "creating",
            Self::Syncing => "syncing",
            Self::Updating => "updating",
            Self::Deleting => "deleting",
            Self::Failed => "failed",
            Self::Available => "available",
            Self::Unavailable => "unavailable",
        }
    }

    /// The legend's words.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Home => "Home replica",
            Self::Ready => "Ready",
            Self::RoutingOff => "Ready, routing off",
            Self::Creating => "Creating",
            Self::Syncing => "Syncing",
            Self::Updating => "Updating",
            Self::Deleting => "Deleting",
            Self::Failed => "Failed",
            Self::Available => "Available",
            Self::Unavailable => "Not available",
        }
    }

    /// The state of a region: home first (it cannot go away), then this tab's delete (so
    /// the marker answers the click at once), the replica's phase (a pending update shows
    /// as Updating until the stream confirms it), a create this tab sent, else free or not.
    pub fn derive(
        home: bool,
        replica: Option<&Replication>,
        pending: Option<&Pending>,
        unavailable: Option<super::Unavailable>,
    ) -> Self {
        if home {
            return Self::Home;
        }
        if matches!(pending, Some(Pending::Delete)) {
            return Self::Deleting;
        }
        match (replica, pending) {
            (Some(_), Some(Pending::Update(_))) => Self::Updating,
            (Some(r), _) => match r.phase() {
                ReplicaPhase::Creating => Self::Creating,
                ReplicaPhase::Updating => Self::Updating,
                ReplicaPhase::Deleting => Self::Deleting,
                ReplicaPhase::Syncing => Self::Syncing,
                ReplicaPhase::Failed => Self::Failed,
                ReplicaPhase::Ready if !r.region_endpoint_enabled => Self::RoutingOff,
                ReplicaPhase::Ready => Self::Ready,
            },
            (None, Some(Pending::Create(_))) => Self::Creating,
            (None, _) if unavailable.is_some() => Self::Unavailable,
            (None, _) => Self::Available,
        }
    }
}
