//! ARM resource handlers, one module per resource (house style §9). Handlers
//! are synchronous: they lock the store, change JSON documents and return.

pub(crate) mod container_registry;
pub(crate) mod locations;
pub(crate) mod resource_graph;
pub(crate) mod resource_groups;
pub(crate) mod resources;
pub(crate) mod subscriptions;
pub(crate) mod workloads;
