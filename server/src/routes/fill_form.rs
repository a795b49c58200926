//! The fleet and fill pages' server side: what `/fleet` and `/fill` render with (provided as
//! Leptos context, never in `PageData`, which the WASM reads on every page), and `POST /fill`,
//! the form that confirms a plan, for people (it answers a page, not the JSON envelope).
//!
//! The form cannot send the API's CSRF header, so it is held to the Origin check
//! (`middleware::guard` refuses another origin) and, here, to there being an Origin at all:
//! every browser that can render the page sends one on a form POST, and a request without it
//! is not one of the page's. Each create is authorised and audited by `coverage::plan::fill`;
//! the key the page was rendered with makes a double submit or a reload create nothing twice.

use axum::extract::State;
use axum::http::{header, request::Parts, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use leptos::prelude::{provide_context, use_context};
use replimap_app::pages::fill::{FillPage, FillView};
use replimap_types::{ErrorCode, FillGaps, FillItem, RegistryKey, TransferEstimate};

use crate::auth::authz::{self, Action};
use crate::auth::oidc::pages::escape;
use crate::caller::Caller;
use crate::coverage::{plan, report};
use crate::error::AppError;
use crate::state::AppState;

/// Longest idempotency key accepted (as the API's header).
const MAX_KEY: usize = 255;
/// Largest estimate figure taken from the query (beyond it the figures mean nothing).
const MAX_FIGURE: f64 = 1e12;

/// Provides the context of `/fleet` and `/fill` (nothing for other pages): called from the
/// pages' context function, after leptos_axum has provided the request's parts.
pub fn provide_page_context(state: &AppState) {
    let Some(parts) = use_context::<Parts>() else { return };
    let caller = parts.extensions.get::<Caller>().cloned();
    match (parts.uri.path(), caller) {
        ("/fleet", Some(caller)) => provide_context(report::fleet(state, &caller)),
        ("/fill", caller) => {
            let query = parts.uri.query().unwrap_or_default();
            let page = caller.map_or(FillPage::NotFound, |c| fill_page(state, &c, query));
            if matches!(page, FillPage::NotFound) {
                if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                    response.set_status(StatusCode::NOT_FOUND);
                }
            }
            provide_context(page);
        }
        _ => {}
    }
}

/// The registry `wanted` names (`sub/rg/name`, or a name as the map's links carry it) among
/// those the caller may read.
fn resolve(state: &AppState, caller: &Caller, wanted: &str) -> Option<RegistryKey> {
    let wanted = wanted.trim();
    let keys = state.hub.registries().into_iter().map(|r| r.key).filter(|k| authz::can_read(caller, k));
    let mut keys: Vec<RegistryKey> = if wanted.contains('/') {
        keys.filter(|k| k.to_string().eq_ignore_ascii_case(wanted)).collect()
    } else {
        keys.filter(|k| k.name.as_str().eq_ignore_ascii_case(wanted)).collect()
    };
    keys.sort();
    keys.into_iter().next()
}

/// A non-negative, finite figure from the query, else `None`.
fn figure(v: &str) -> Option<f64> {
    v.trim().parse::<f64>().ok().filter(|x| x.is_finite() && (0.0..=MAX_FIGURE).contains(x))
}

/// The page for `?registry=…&pulls=…&gb=…&storage=…`.
fn fill_page(state: &AppState, caller: &Caller, query: &str) -> FillPage {
    let (mut wanted, mut estimate, mut storage_gb) = (None, TransferEstimate::default(), None);
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        match &*k {
            "registry" => wanted = Some(v.into_owned()),
            "pulls" => estimate.pulls_per_month = figure(&v).unwrap_or(estimate.pulls_per_month),
            "gb" => estimate.gb_per_pull = figure(&v).unwrap_or(estimate.gb_per_pull),
            "storage" => storage_gb = figure(&v),
            _ => {}
        }
    }
    let Some(key) = wanted.and_then(|w| resolve(state, caller, &w)) else { return FillPage::NotFound };
    let plan = match plan::plan(state, caller, &key, estimate) {
        Ok(plan) => plan,
        Err(e) if e.status() == StatusCode::NOT_FOUND => return FillPage::NotFound,
        Err(e) => return FillPage::Failed { registry: key.name.to_string(), message: e.to_string() },
    };
    let report = report::report(state, caller, &key, estimate, storage_gb).ok();
    // The honest break-even per region, from the costs the page shows (the report's, with the
    // user's storage, else the plan's).
    let notes = plan
        .replicas
        .iter()
        .map(|p| {
            let cost =
                report.as_ref().and_then(|r| r.cost.proposed.iter().find(|c| c.region == p.region)).unwrap_or(&p.cost);
            (p.region.to_string(), crate::coverage::pricing::break_even_note(cost))
        })
        .collect();
    FillPage::Ready(Box::new(FillView {
        denied: authz::require(caller, Action::Write, &key).err().map(|e| e.to_string()),
        key,
        plan,
        report,
        estimate,
        storage_gb,
        idempotency_key: uuid::Uuid::new_v4().to_string(),
        notes,
    }))
}

/// The form's fields.
#[derive(Debug, Default)]
struct Form {
    registry: String,
    regions: Vec<String>,
    idempotency_key: String,
}

fn parse(body: &[u8]) -> Form {
    let mut form = Form::default();
    for (k, v) in url::form_urlencoded::parse(body) {
        match &*k {
            "registry" => form.registry = v.into_owned(),
            "region" => form.regions.push(v.into_owned()),
            "idempotency_key" => form.idempotency_key = v.trim().to_owned(),
            _ => {}
        }
    }
    form
}

/// `POST /fill`: creates the replicas of the regions ticked and answers a page with each
/// region's outcome.
pub async fn fill(State(state): State<AppState>, req: axum::extract::Request) -> Response {
    let (parts, body) = req.into_parts();
    let Some(caller) = parts.extensions.get::<Caller>().cloned() else {
        return refuse(&AppError::new(ErrorCode::Unauthenticated, "Sign in to fill gaps."), None);
    };
    if parts.headers.get(header::ORIGIN).is_none() {
        let e = AppError::new(
            ErrorCode::CsrfRejected,
            "This form is sent by the fill page in a browser (with an Origin header); tools use POST /api/v1/registries/{sub}/{rg}/{registry}/coverage/fill.",
        );
        return refuse(&e, None);
    }
    // The edge's body limit has bounded it; a form with sixty regions is a few KB.
    let Ok(body) = axum::body::to_bytes(body, 64 * 1024).await else {
        return refuse(&AppError::new(ErrorCode::BadRequest, "The form is too large or was cut off."), None);
    };
    let form = parse(&body);
    let Some(key) = resolve(&state, &caller, &form.registry) else {
        let e = AppError::new(ErrorCode::RegistryNotFound, "This registry is not among the registries you may see.");
        return refuse(&e, None);
    };
    let name = key.name.to_string();
    let k = &form.idempotency_key;
    if k.is_empty() || k.len() > MAX_KEY || !k.bytes().all(|b| b.is_ascii_graphic()) {
        let e = AppError::new(ErrorCode::BadRequest, "The form lost its one-time key; open the plan again.");
        return refuse(&e, Some(&key));
    }
    let request = FillGaps { regions: form.regions };
    match plan::fill(&state, &caller, &key, request, Some(form.idempotency_key.clone())).await {
        Ok(result) => outcome_page(&state, &name, &result.items),
        Err(e) => refuse(&e, Some(&key)),
    }
}

/// `/?registry=…` (and `&region=…`), as the map reads it.
fn map_href(registry: &str, region: Option<&str>) -> String {
    replimap_app::model::audit::map_href(registry, region)
}

/// The answer: one line per region, in the order asked.
fn outcome_page(state: &AppState, registry: &str, items: &[FillItem]) -> Response {
    let accepted = items.iter().filter(|i| i.outcome == "accepted").count();
    let lines: String = items
        .iter()
        .map(|i| {
            let region = state.regions.get(&i.region).map_or_else(|| i.region.to_string(), |r| r.display_name.clone());
            let error = i.error.as_deref().unwrap_or("");
            let text = match &i.outcome[..] {
                "accepted" => format!(
                    "creating; <a class=\"follow\" href=\"{}\">follow it on the map</a>",
                    escape(&map_href(registry, Some(i.region.as_str())))
                ),
                "exists" => format!("a replica is here already. {}", escape(error)),
                "in_progress" => format!("being created by the same fill already. {}", escape(error)),
                "skipped" => format!("left alone: {}", escape(error)),
                _ => format!("not created: {}", escape(error)),
            };
            format!(
                "<li data-region=\"{}\" data-outcome=\"{}\"><strong>{}</strong>: {text}</li>",
                escape(i.region.as_str()),
                escape(&i.outcome),
                escape(&region)
            )
        })
        .collect();
    let failed = items.iter().filter(|i| i.outcome == "failed").count();
    let summary = match (accepted, failed) {
        (0, 0) => "Nothing was created: every region is accounted for already.".to_owned(),
        (n, 0) => format!("{n} replica{} being created.", if n == 1 { "" } else { "s" }),
        (n, f) => format!("{n} being created, {f} not created: see each region below."),
    };
    let body = format!(
        "<p id=\"fill-summary\" role=\"status\">{}</p><ul id=\"fill-results\">{lines}</ul>\
         <p><a id=\"fill-map-link\" class=\"primary\" href=\"{}\">Watch them on the map of {}</a> · <a href=\"/fleet\">Fleet</a></p>",
        escape(&summary),
        escape(&map_href(registry, None)),
        escape(registry)
    );
    page(StatusCode::OK, &format!("Filling the gaps of {registry}"), &body)
}

/// A plain page (the sign-in pages' frame, plus the empty icon every console page has, so the
/// browser asks for no `/favicon.ico`). Never cached: it answers a POST.
fn page(status: StatusCode, title: &str, body_html: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><link rel=\"icon\" href=\"data:,\">\
         <title>replimap · {title}</title><link rel=\"stylesheet\" href=\"/pkg/replimap.css\"></head>\
         <body><main class=\"not-found auth-page\" id=\"fill-answer\"><h1>{title}</h1>{body_html}</main></body></html>",
        title = escape(title),
    );
    let mut resp = (status, Html(html)).into_response();
    resp.headers_mut().insert(header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    resp
}

/// A refusal for people: the 404 page's words for a registry one may not see, else the error
/// with a way back to the plan.
fn refuse(e: &AppError, key: Option<&RegistryKey>) -> Response {
    let back = key.map_or_else(
        || "<p><a href=\"/fleet\">Open the fleet</a></p>".to_owned(),
        |k| {
            let q =
                url::form_urlencoded::Serializer::new(String::new()).append_pair("registry", &k.to_string()).finish();
            format!("<p><a id=\"fill-back\" href=\"/fill?{}\">Back to the plan</a></p>", escape(&q))
        },
    );
    if e.status() == StatusCode::NOT_FOUND {
        return page(StatusCode::NOT_FOUND, "Page not found.", &back);
    }
    let body = format!("<p id=\"fill-error\" role=\"alert\">{}</p>{back}", escape(&e.to_string()));
    page(e.status(), "No replica was created.", &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_and_the_figures_parse() {
        let f = parse(b"registry=sub%2Frg%2Fr&region=japaneast&region=brazilsouth&idempotency_key=+k1+&x=1");
        assert_eq!(f.registry, "sub/rg/r");
        assert_eq!(f.regions, ["japaneast", "brazilsouth"]);
        assert_eq!(f.idempotency_key, "k1");
        assert_eq!(figure("2.5"), Some(2.5));
        for bad in ["-1", "NaN", "inf", "1e13", "x", ""] {
            assert_eq!(figure(bad), None, "{bad}");
        }
    }
}
