//! Building blocks of the map page.

pub mod activity;
pub mod alert;
pub mod header;
pub mod legend;
pub mod region_marker;
pub mod replica_dialog;
pub mod replication_table;
pub mod world_map;
