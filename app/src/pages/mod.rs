//! One module per page.

pub mod activity;
pub mod map;
