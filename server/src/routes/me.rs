//! `GET /api/v1/me`: who the portal thinks you are and what you may do.

use axum::extract::State;
use axum::Json;
use replimap_types::Me;

use crate::caller::Caller;
use crate::state::AppState;

/// The caller as `/api/v1/me` and the page describe them.
pub fn describe(state: &AppState, caller: &Caller) -> Me {
    let id = &caller.identity;
    let acting_as_user = state.auth.config.oidc.as_ref().is_some_and(|o| o.act_as_user) && caller.session.is_some();
    Me {
        actor: id.actor.clone(),
        display_name: id.display_name.clone(),
        source: id.source.kind().to_owned(),
        token_id: id.source.token_id().map(str::to_owned),
        mode: state.auth.config.mode,
        role: caller.strongest_role(),
        grants: caller.grants.as_ref().clone(),
        groups: id.groups.clone(),
        // Bearer tokens have nothing to end; the local user and proxy users sign out elsewhere.
        can_sign_out: caller.session.is_some(),
        acting_as_user: acting_as_user && id.source.token_id().is_none(),
        notes: id.notes.clone(),
    }
}

/// `GET /api/v1/me`.
pub async fn get(State(state): State<AppState>, caller: Caller) -> Json<Me> {
    Json(describe(&state, &caller))
}
