//! `GET /api/v1/audit` (filtered, cursor-paged, newest first) and `GET /api/v1/audit/export`
//! (every matching record as CSV or JSON Lines). Read-only: no route edits or deletes a record.

use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use replimap_store::AuditFilter;
use replimap_types::{AuditAction, AuditOutcome, AuditPage, AuditRecord, ErrorCode};
use serde::Deserialize;

use super::validate;
use crate::caller::Caller;
use crate::error::{AppError, AppResult};
use crate::operations::store_read;
use crate::state::AppState;

/// Records per page unless `limit` says otherwise.
const DEFAULT_LIMIT: u32 = 100;
/// Largest page.
const MAX_LIMIT: u32 = 1000;

/// The filters, as the query string spells them.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    registry: Option<String>,
    region: Option<String>,
    actor: Option<String>,
    action: Option<String>,
    outcome: Option<String>,
    since: Option<String>,
    until: Option<String>,
    cursor: Option<String>,
    limit: Option<String>,
    format: Option<String>,
}

fn bad(message: String) -> AppError {
    AppError::new(ErrorCode::BadRequest, message)
}

fn short(s: &str) -> String {
    s.chars().take(60).collect()
}

impl AuditQuery {
    /// A parameter given with no value is a mistake (a form's blank field), not "no filter":
    /// it is refused so the caller learns it, rather than silently widened.
    fn no_blanks(&self) -> AppResult<()> {
        let given = [
            ("registry", &self.registry),
            ("region", &self.region),
            ("actor", &self.actor),
            ("action", &self.action),
            ("outcome", &self.outcome),
            ("since", &self.since),
            ("until", &self.until),
            ("cursor", &self.cursor),
            ("limit", &self.limit),
            ("format", &self.format),
        ];
        match given.iter().find(|(_, v)| v.as_deref().is_some_and(|v| v.trim().is_empty())) {
            Some((name, _)) => Err(bad(format!("'{name}' is empty; leave it out to not filter by it."))),
            None => Ok(()),
        }
    }

    fn filter(&self) -> AppResult<AuditFilter> {
        self.no_blanks()?;
        let registry = match self.registry.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => {
                let parts: Vec<&str> = s.split('/').collect();
                let [sub, rg, name] = parts.as_slice() else {
                    return Err(bad(format!(
                        "'registry' must be subscriptionId/resourceGroup/name, not '{}'.",
                        short(s)
                    )));
                };
                Some(validate::registry_key(sub, rg, name)?)
            }
        };
        let action = match self.action.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Some(AuditAction::parse(s).ok_or_else(|| {
                let all: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
                bad(format!("'action' must be one of {}, not '{}'.", all.join(", "), short(s)))
            })?),
        };
        let outcome = match self.outcome.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => Some(AuditOutcome::parse(s).ok_or_else(|| {
                let all: Vec<&str> = AuditOutcome::ALL.iter().map(|o| o.as_str()).collect();
                bad(format!("'outcome' must be one of {}, not '{}'.", all.join(", "), short(s)))
            })?),
        };
        let time = |name: &str, v: &Option<String>| -> AppResult<Option<i64>> {
            match v.as_deref().filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(s) => replimap_types::rfc3339_ms(s).map(Some).ok_or_else(|| {
                    bad(format!("'{name}' must be an RFC 3339 time such as 2026-12-01T09:00:00Z, not '{}'.", short(s)))
                }),
            }
        };
        let before_id = match self.cursor.as_deref().filter(|s| !s.is_empty()) {
            None => None,
            Some(c) => Some(
                c.parse::<i64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| bad(format!("'cursor' '{}' is not one this API handed out.", short(c))))?,
            ),
        };
        let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        Ok(AuditFilter {
            registry,
            region: text(&self.region).map(|r| r.to_ascii_lowercase()),
            actor: text(&self.actor),
            action,
            outcome,
            since_ms: time("since", &self.since)?,
            until_ms: time("until", &self.until)?,
            before_id,
            // Set by the handler from the caller's grants.
            visible: None,
        })
    }

    fn limit(&self) -> AppResult<u32> {
        match self.limit.as_deref() {
            None | Some("") => Ok(DEFAULT_LIMIT),
            Some(s) => s.parse::<u32>().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or_else(|| {
                bad(format!("'limit' must be a whole number from 1 to {MAX_LIMIT}, not '{}'.", short(s)))
            }),
        }
    }
}

fn query(q: Result<Query<AuditQuery>, QueryRejection>) -> AppResult<AuditQuery> {
    q.map(|Query(q)| q).map_err(|e| bad(format!("Invalid query string: {}", e.body_text())))
}

/// The filter narrowed to what the caller may read: a global admin reads everything; anyone
/// else the records of the registries they may see.
fn scoped(state: &AppState, caller: &Caller, mut filter: AuditFilter) -> AuditFilter {
    let watched = state.hub.registries().into_iter().map(|r| r.key);
    filter.visible = crate::auth::authz::audit_scope(caller, watched);
    filter
}

/// `GET /api/v1/audit`.
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    q: Result<Query<AuditQuery>, QueryRejection>,
) -> AppResult<Json<AuditPage>> {
    let q = query(q)?;
    if q.format.is_some() {
        return Err(bad("'format' belongs to /api/v1/audit/export.".into()));
    }
    let page =
        state.store.audit_list(&scoped(&state, &caller, q.filter()?), q.limit()?).await.map_err(|e| store_read(&e))?;
    Ok(Json(page))
}

/// Export formats.
#[derive(Clone, Copy)]
enum Format {
    Csv,
    JsonLines,
}

/// `GET /api/v1/audit/export?format=csv|jsonl`: every matching record, oldest page last,
/// streamed page by page so a long history is never held in memory at once.
pub async fn export(
    State(state): State<AppState>,
    caller: Caller,
    q: Result<Query<AuditQuery>, QueryRejection>,
) -> AppResult<Response> {
    let q = query(q)?;
    if q.cursor.is_some() || q.limit.is_some() {
        return Err(bad("An export has every matching record: leave out 'cursor' and 'limit'.".into()));
    }
    let format = match q.format.as_deref() {
        Some("csv") | None => Format::Csv,
        Some("jsonl") => Format::JsonLines,
        Some(other) => return Err(bad(format!("'format' must be csv or jsonl, not '{}'.", short(other)))),
    };
    let filter = scoped(&state, &caller, q.filter()?);
    // The first page is read before answering, so a store failure is a 503, not a cut file.
    let first = state.store.audit_list(&filter, MAX_LIMIT).await.map_err(|e| store_read(&e))?;
    let store = state.store.clone();
    let stream = async_stream(store, filter, first, format);
    let (mime, ext) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        Format::JsonLines => ("application/jsonl", "jsonl"),
    };
    let mut resp = Body::from_stream(stream).into_response();
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"replimap-audit.{ext}\"")) {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

fn async_stream(
    store: replimap_store::Store,
    filter: AuditFilter,
    first: AuditPage,
    format: Format,
) -> impl futures::Stream<Item = Result<String, std::io::Error>> {
    let header = match format {
        Format::Csv => Some(format!("{}\n", CSV_COLUMNS.join(","))),
        Format::JsonLines => None,
    };
    let start = futures::stream::iter(header.map(Ok));
    let pages = futures::stream::unfold(Some((first, filter)), move |state| {
        let store = store.clone();
        async move {
            let (page, mut filter) = state?;
            let text: String = page.items.iter().map(|r| line(r, format)).collect();
            let next = match page.next_cursor.and_then(|c| c.parse::<i64>().ok()) {
                Some(before) => {
                    filter.before_id = Some(before);
                    match store.audit_list(&filter, MAX_LIMIT).await {
                        Ok(p) => Some((p, filter)),
                        // Mid-stream the status is sent: the cut is said in the file itself.
                        Err(e) => {
                            tracing::warn!(error = %e, "audit export cut short");
                            return Some((Err(std::io::Error::other(e.to_string())), None));
                        }
                    }
                }
                None => None,
            };
            Some((Ok(text), next))
        }
    });
    // Fused: a body layer (compression) may poll once more after the end.
    futures::StreamExt::fuse(futures::StreamExt::chain(start, pages))
}

const CSV_COLUMNS: [&str; 20] = [
    "id",
    "at",
    "actor",
    "actorSource",
    "clientIp",
    "action",
    "outcome",
    "code",
    "message",
    "subscriptionId",
    "resourceGroup",
    "registry",
    "region",
    "replication",
    "request",
    "operationId",
    "requestId",
    "correlationId",
    "armRequestId",
    "endedAt",
];

fn line(r: &AuditRecord, format: Format) -> String {
    match format {
        Format::JsonLines => serde_json::to_string(r).map(|s| s + "\n").unwrap_or_default(),
        Format::Csv => {
            let reg = r.registry.as_ref();
            let cells = [
                r.id.to_string(),
                r.at.clone(),
                r.actor.clone(),
                r.actor_source.clone(),
                r.client_ip.clone(),
                r.action.as_str().to_owned(),
                r.outcome.as_str().to_owned(),
                r.code.clone().unwrap_or_default(),
                r.message.clone().unwrap_or_default(),
                reg.map(|k| k.subscription_id.to_string()).unwrap_or_default(),
                reg.map(|k| k.resource_group.to_string()).unwrap_or_default(),
                reg.map(|k| k.name.to_string()).unwrap_or_default(),
                r.region.clone().unwrap_or_default(),
                r.replication.as_ref().map(ToString::to_string).unwrap_or_default(),
                if r.request.is_null() { String::new() } else { r.request.to_string() },
                r.operation_id.clone().unwrap_or_default(),
                r.request_id.clone(),
                r.correlation_id.clone(),
                r.arm_request_id.clone().unwrap_or_default(),
                r.ended_at.clone().unwrap_or_default(),
            ];
            let mut out: String = cells.iter().map(|c| csv_cell(c)).collect::<Vec<_>>().join(",");
            out.push('\n');
            out
        }
    }
}

/// RFC 4180 quoting, and a leading `'` before `= + - @` so a spreadsheet opening the export
/// does not run a value as a formula (CSV injection).
fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_owned() };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_defused() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("-1"), "'-1");
        assert_eq!(csv_cell("line\nbreak"), "\"line\nbreak\"");
    }

    #[test]
    fn bad_filters_say_what_is_wrong() {
        let q = |f: fn(&mut AuditQuery)| {
            let mut q = AuditQuery::default();
            f(&mut q);
            q.filter().map(|_| ()).map_err(|e| e.to_string())
        };
        assert!(q(|q| q.action = Some("explode".into())).unwrap_err().contains("'action' must be one of"));
        assert!(q(|q| q.outcome = Some("Succeeded".into())).unwrap_err().contains("'outcome'"));
        assert!(q(|q| q.since = Some("yesterday".into())).unwrap_err().contains("RFC 3339"));
        assert!(q(|q| q.registry = Some("just-a-name".into()))
            .unwrap_err()
            .contains("subscriptionId/resourceGroup/name"));
        assert!(q(|q| q.cursor = Some("-3".into())).unwrap_err().contains("cursor"));
        assert!(q(|q| q.region = Some("JapanEast".into())).is_ok());
        assert!(q(|q| q.until = Some(String::new())).unwrap_err().contains("'until' is empty"));
    }
}
