mod events;
mod health;
mod locations;
mod operations;
mod page;
mod registries;
mod replications;
mod validation;
