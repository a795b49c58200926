mod events;
mod health;
mod locations;
mod operations;
mod registries;
mod replications;
mod validation;
