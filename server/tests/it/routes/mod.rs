mod events;
mod health;
mod locations;
mod registries;
mod replications;
mod validation;
