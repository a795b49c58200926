//! API tokens as the admin page shows them: the create form read into a `NewApiToken`, and a
//! token as a row of the list (HTML text, escaped here, as the activity log's rows are: see
//! `crate::pages::tokens`). Plain data, unit-tested on the host.

use replimap_types::{NewApiToken, Role};

use crate::components::region_marker::escape_html as esc;

/// The create form's fields (as typed) as the request: the name, the role (viewer unless the
/// form names another), registry patterns separated by commas or spaces (none: every registry)
/// and the days (empty: the portal's default). The form's own constraints (`required`,
/// `maxlength`, `min`, `max`) stop what is plainly wrong before it is sent; the portal checks
/// the rest (patterns, limits) and says what is wrong in its answer, which the page shows.
pub fn new_token(name: &str, role: &str, registries: &str, days: &str) -> NewApiToken {
    let patterns: Vec<String> =
        registries.split([',', ' ', '\n']).map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned).collect();
    NewApiToken {
        name: name.trim().to_owned(),
        role: Role::parse(role).unwrap_or(Role::Viewer),
        registries: (!patterns.is_empty()).then_some(patterns),
        expires_in_days: days.trim().parse().ok(),
    }
}

/// `2026-12-01T10:00:00.123Z` as `2026-12-01 10:00 UTC` (tokens live for days: minutes are
/// enough); anything else as it came.
fn minute(ts: &str) -> String {
    match (ts.get(..10), ts.get(11..16)) {
        (Some(date), Some(time)) if ts.ends_with('Z') => format!("{date} {time} UTC"),
        _ => ts.to_owned(),
    }
}

/// `<tr id="token-{id}" data-token-id data-state>` of an `ApiToken` as the API answers it, read
/// through `get` (its fields by wire name, `registries` joined with ", "; the browser reads the
/// JSON object itself, which costs less WASM than a serde visitor): name (and id), role,
/// registries, who created it and when, expiry, last use, state (who revoked it, when), and
/// for an active token `button[data-revoke="{id}"][data-name]`.
pub fn row_html(get: &dyn Fn(&str) -> Option<String>) -> String {
    let field = |key| esc(&get(key).unwrap_or_default());
    let when = |key| get(key).map_or_else(|| "—".to_owned(), |ts| esc(&minute(&ts)));
    let (id, name, state) = (field("id"), field("name"), field("state"));
    let revoked = match get("revokedAt") {
        Some(_) => format!(r#" <span class="ago">by {} {}</span>"#, field("revokedBy"), when("revokedAt")),
        None => String::new(),
    };
    let action = if state == "active" {
        format!(
            r#"<button type="button" class="danger subtle" data-revoke="{id}" data-name="{name}" aria-label="Revoke {name}">Revoke…</button>"#
        )
    } else {
        String::new()
    };
    format!(
        concat!(
            r#"<tr id="token-{id}" data-token-id="{id}" data-state="{state}">"#,
            r#"<th scope="row">{name} <code class="ago">{id}</code></th><td>{role}</td><td><code>{registries}</code></td>"#,
            r#"<td>{by}</td><td>{created}</td><td>{expires}</td><td>{used}</td>"#,
            r#"<td><span class="outcome" data-outcome="{state}">{state}</span>{revoked}</td><td>{action}</td></tr>"#
        ),
        id = id,
        state = state,
        name = name,
        role = field("role"),
        registries = field("registries"),
        by = field("createdBy"),
        created = when("createdAt"),
        expires = when("expiresAt"),
        used = when("lastUsedAt"),
        revoked = revoked,
        action = action,
    )
}

#[cfg(test)]
mod tests {
    use replimap_types::{ApiToken, ApiTokenState};

    use super::*;

    fn token() -> ApiToken {
        serde_json::from_value(serde_json::json!({
            "id": "abc123", "name": "wall <3rd> floor", "role": "viewer", "registries": ["*", "prod*"],
            "createdBy": "local", "createdAt": "2026-12-01T10:00:00.5Z", "expiresAt": "2027-03-01T10:00:00Z",
            "state": "active",
        }))
        .unwrap()
    }

    /// A row of `t` as the browser reads it: the JSON the API sends, field by field.
    fn row(t: &ApiToken) -> String {
        let json = serde_json::to_value(t).unwrap();
        row_html(&|key| match &json[key] {
            serde_json::Value::String(s) => Some(s.clone()),
            serde_json::Value::Array(a) => Some(a.iter().filter_map(|v| v.as_str()).collect::<Vec<_>>().join(", ")),
            _ => None,
        })
    }

    #[test]
    fn the_form_reads_into_a_request() {
        let t = new_token(" ci-prod ", "operator", "prod*, /subscriptions/*/**\nacrdev", "30");
        assert_eq!(t.name, "ci-prod");
        assert_eq!(t.role, Role::Operator);
        assert_eq!(t.registries.unwrap(), ["prod*", "/subscriptions/*/**", "acrdev"]);
        assert_eq!(t.expires_in_days, Some(30));
        let defaults = new_token("wall", "viewer", " ", "");
        assert_eq!((defaults.registries, defaults.expires_in_days), (None, None), "the portal's defaults");
        assert_eq!(new_token("x", "root", "*", "1").role, Role::Viewer, "never more than asked for");
        // Out of range is the portal's to refuse, with its own message.
        assert_eq!(new_token("x", "viewer", "*", "401").expires_in_days, Some(401));
    }

    #[test]
    fn a_row_shows_the_token_escaped_and_offers_revoke_while_active() {
        let html = row(&token());
        for part in [
            r#"<tr id="token-abc123" data-token-id="abc123" data-state="active">"#,
            "wall &lt;3rd&gt; floor <code",
            "<td>viewer</td><td><code>*, prod*</code></td><td>local</td><td>2026-12-01 10:00 UTC</td>",
            "<td>2027-03-01 10:00 UTC</td><td>—</td>",
            r#"data-revoke="abc123" data-name="wall &lt;3rd&gt; floor""#,
        ] {
            assert!(html.contains(part), "{part}\n in {html}");
        }
        let mut t = token();
        t.state = ApiTokenState::Revoked;
        t.revoked_by = Some("local".into());
        t.revoked_at = Some("2026-12-02T08:00:00Z".into());
        let html = row(&t);
        assert!(html.contains(r#"data-state="revoked""#) && !html.contains("data-revoke"), "{html}");
        assert!(html.contains(r#"revoked</span> <span class="ago">by local 2026-12-02 08:00 UTC</span>"#), "{html}");
    }
}
