//! One module per route.

pub mod map;
