//! The page's components. Each file is one piece of the page with its DOM contract (ids,
//! `data-*` attributes) documented where it is rendered; the browser tests select on those.

pub mod activity;
pub mod add_replica;
pub mod alert;
pub mod denied;
pub mod dialog;
pub mod header;
pub mod html;
pub mod identity;
pub mod kiosk;
pub mod legend;
pub mod region_card;
pub mod region_marker;
pub mod registry_picker;
pub mod replication_table;
pub mod stream_banner;
pub mod world_map;
