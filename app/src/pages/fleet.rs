//! `/fleet`: every registry the caller may see, one row each: replicas, the coverage figure,
//! gaps, idle, failed and possibly stuck replicas and the monthly cost; the page a platform
//! lead opens first. Each row opens that registry's map.
//!
//! Server HTML only, like the enrolment page: the server computes the rows
//! (`coverage::report::fleet`) and provides them as a [`replimap_types::Fleet`] context, which
//! the browser never deserialises (it is not part of `PageData`). Sorting and filtering are
//! query parameters (`?sort=gaps&dir=desc&q=prod&show=gaps`): links in the column heads and a
//! GET form, so they work without the WASM, and a link keeps the view.
//!
//! DOM contract: `form#fleet-filters` (`input[name=q]`, `select[name=show]`, submit "Filter"),
//! `table#fleet` with `th[data-sort][aria-sort] a` per column, `tbody#fleet-rows` holding one
//! `tr[data-registry][data-key][data-gaps][data-failed][data-stuck]` per registry
//! (`a.registry-link` to its map, `a.fill-link` to `/fill` when it has gaps), `tfoot
//! tr#fleet-totals`, `#fleet-empty`, `#price-basis` (with `a#pricing-link`), `#discovery-note`.

#[cfg(not(feature = "hydrate"))]
pub(super) use server::skeleton;
#[cfg(not(feature = "hydrate"))]
pub(crate) use server::{display_name, money, price_basis};

#[cfg(not(feature = "hydrate"))]
mod server {
    use std::cmp::Ordering;

    use leptos::prelude::*;
    use replimap_types::{Fleet, FleetRow, PriceBasis, Region, RegionName};

    use crate::location::Query;
    use crate::model::audit::map_href;

    /// The Azure page the price basis links to.
    const PRICING_URL: &str = "https://azure.microsoft.com/pricing/details/container-registry/";

    /// A column: its `?sort=` key, its head, and whether it sorts high first when picked.
    pub(super) struct Column {
        key: &'static str,
        head: &'static str,
        numeric: bool,
    }

    const COLUMNS: [Column; 11] = [
        Column { key: "name", head: "Registry", numeric: false },
        Column { key: "group", head: "Resource group", numeric: false },
        Column { key: "region", head: "Home region", numeric: false },
        Column { key: "sku", head: "SKU", numeric: false },
        Column { key: "replicas", head: "Replicas", numeric: true },
        Column { key: "coverage", head: "Coverage", numeric: true },
        Column { key: "gaps", head: "Gaps", numeric: true },
        Column { key: "idle", head: "Idle", numeric: true },
        Column { key: "failed", head: "Failed", numeric: true },
        Column { key: "stuck", head: "Possibly stuck", numeric: true },
        Column { key: "cost", head: "Monthly cost", numeric: true },
    ];

    /// `?show=`: which rows the page lists.
    const SHOWS: [(&str, &str); 4] = [
        ("all", "All registries"),
        ("gaps", "With gaps"),
        ("failed", "With failed replicas"),
        ("stuck", "With possibly stuck replicas"),
    ];

    /// The page's view of the query: the sort column and direction, the filters.
    #[derive(Debug, Clone, PartialEq)]
    pub(super) struct View {
        sort: &'static str,
        descending: bool,
        q: String,
        show: &'static str,
    }

    impl View {
        /// Reads `sort`, `dir`, `q` and `show`; unknown values fall back to the defaults
        /// (by name, ascending; everything).
        pub(super) fn of(query: &Query) -> Self {
            let column = query.get("sort").and_then(|s| COLUMNS.iter().find(|c| c.key.eq_ignore_ascii_case(&s)));
            let sort = column.map_or("name", |c| c.key);
            let descending = match query.get("dir").as_deref() {
                Some("desc") => true,
                Some("asc") => false,
                _ => column.is_some_and(|c| c.numeric),
            };
            let show = query
                .get("show")
                .and_then(|s| SHOWS.iter().find(|(k, _)| k.eq_ignore_ascii_case(&s)))
                .map_or("all", |(k, _)| k);
            Self { sort, descending, q: query.get("q").unwrap_or_default().trim().to_owned(), show }
        }

        fn query(&self) -> Query {
            let q = Query::default().with("q", &self.q).with("show", if self.show == "all" { "" } else { self.show });
            q.with("sort", self.sort).with("dir", if self.descending { "desc" } else { "asc" })
        }

        /// The link of a column's head: the other direction when it is the sort column, else
        /// that column in its natural direction (numbers high first).
        fn sort_href(&self, column: &Column) -> String {
            let descending = if column.key == self.sort { !self.descending } else { column.numeric };
            let next = Self { sort: column.key, descending, ..self.clone() };
            format!("/fleet{}", next.query().to_search())
        }

        fn keeps(&self, row: &FleetRow) -> bool {
            let key = &row.registry.key;
            let needle = self.q.to_lowercase();
            let matched = needle.is_empty()
                || key.name.as_str().to_lowercase().contains(&needle)
                || key.resource_group.as_str().to_lowercase().contains(&needle)
                || key.subscription_id.as_str().to_lowercase().contains(&needle);
            matched
                && match self.show {
                    "gaps" => !row.gaps.is_empty(),
                    "failed" => !row.failed.is_empty(),
                    "stuck" => !row.stuck.is_empty(),
                    _ => true,
                }
        }

        fn compare(&self, a: &FleetRow, b: &FleetRow) -> Ordering {
            let text = |r: &FleetRow| -> String {
                match self.sort {
                    "group" => format!("{}/{}", r.registry.key.resource_group, r.registry.key.subscription_id),
                    "region" => r.registry.location.to_string(),
                    "sku" => r.registry.sku.clone(),
                    _ => String::new(),
                }
                .to_lowercase()
            };
            // Rows without a figure or a cost (not read yet, not Premium) sort below every
            // known value whichever the direction: unknown is not "zero".
            let number = |r: &FleetRow| -> Option<f64> {
                match self.sort {
                    "replicas" => Some(r.replicas as f64),
                    "coverage" => r.figure.map(|f| f.percent() as f64 + f.regions as f64 / 1e6),
                    "gaps" => Some(r.gaps.len() as f64),
                    "idle" => Some(r.idle.len() as f64),
                    "failed" => Some(r.failed.len() as f64),
                    "stuck" => Some(r.stuck.len() as f64),
                    "cost" => r.monthly,
                    _ => None,
                }
            };
            let by_name =
                || a.registry.key.name.as_str().to_lowercase().cmp(&b.registry.key.name.as_str().to_lowercase());
            let order = match self.sort {
                "name" => by_name(),
                "group" | "region" | "sku" => text(a).cmp(&text(b)),
                _ => match (number(a), number(b)) {
                    (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
                    (Some(_), None) => return Ordering::Less,
                    (None, Some(_)) => return Ordering::Greater,
                    (None, None) => Ordering::Equal,
                },
            };
            let order = if self.descending { order.reverse() } else { order };
            // Ties by name, always A→Z, so the order is stable across reloads.
            order.then_with(by_name)
        }

        /// The rows the page lists, in order.
        pub(super) fn rows<'a>(&self, fleet: &'a Fleet) -> Vec<&'a FleetRow> {
            let mut rows: Vec<&FleetRow> = fleet.registries.iter().filter(|r| self.keeps(r)).collect();
            rows.sort_by(|a, b| self.compare(a, b));
            rows
        }
    }

    /// `$1,234.56` (USD), `€…`, `£…`; other currencies as `1,234.56 CHF`.
    pub fn money(amount: f64, currency: &str) -> String {
        let cents = (amount * 100.0).round() as i64;
        let (whole, frac) = (cents.abs() / 100, cents.abs() % 100);
        let digits = whole.to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(c);
        }
        let sign = if cents < 0 { "-" } else { "" };
        match currency {
            "USD" => format!("{sign}${grouped}.{frac:02}"),
            "EUR" => format!("{sign}€{grouped}.{frac:02}"),
            "GBP" => format!("{sign}£{grouped}.{frac:02}"),
            other => format!("{sign}{grouped}.{frac:02} {other}"),
        }
    }

    /// "Prices of 2026-10-01, USD, bundled snapshot — estimates, not a quote.", the assumptions
    /// and the link to Azure's own price page.
    pub fn price_basis(basis: &PriceBasis) -> impl IntoView {
        let text =
            format!("Prices of {}, {}, {} — estimates, not a quote. ", basis.as_of, basis.currency, basis.source);
        let assumptions: Vec<_> = basis.assumptions.iter().map(|a| view! { <li>{a.clone()}</li> }).collect();
        view! {
            <section id="price-basis" class="price-basis" aria-label="Where the prices come from">
                <p>
                    {text}
                    <a id="pricing-link" href=PRICING_URL rel="noopener noreferrer" target="_blank">"Azure Container Registry pricing"</a>
                </p>
                {(!assumptions.is_empty()).then(|| view! { <ul class="assumptions">{assumptions}</ul> })}
            </section>
        }
    }

    /// "Japan East, Brazil South": regions by their display names.
    fn region_names(regions: &[Region], list: &[RegionName]) -> String {
        list.iter().map(|r| display_name(regions, r)).collect::<Vec<_>>().join(", ")
    }

    /// A region's display name, or its name when the list does not know it.
    pub fn display_name(regions: &[Region], region: &RegionName) -> String {
        regions.iter().find(|x| &x.name == region).map_or_else(|| region.to_string(), |x| x.display_name.clone())
    }

    /// A count with the regions it stands for in its title (and in small text for a few).
    fn counted(regions: &[Region], list: &[RegionName], class: &'static str) -> impl IntoView {
        let names = region_names(regions, list);
        let small =
            (!list.is_empty() && list.len() <= 4).then(|| view! { <small class="regions">{names.clone()}</small> });
        view! {
            <td class=class data-count=list.len() title=names>
                <span class="count">{list.len()}</span>
                {small}
            </td>
        }
    }

    fn row(regions: &[Region], r: &FleetRow, currency: &str) -> impl IntoView {
        let key = &r.registry.key;
        let name = key.name.to_string();
        let figure = match r.figure {
            Some(f) => {
                let text = format!("{} of {}", f.served, f.regions);
                view! { <span class="figure">{text}</span>" "<small class="percent">{format!("{}%", f.percent())}</small> }
                    .into_any()
            }
            None => view! { <span class="unknown">"not read yet"</span> }.into_any(),
        };
        let cost = r.monthly.map_or_else(|| "—".to_owned(), |m| money(m, currency));
        let fill = (!r.gaps.is_empty()).then(|| {
            let href = format!("/fill{}", Query::default().with("registry", &key.to_string()).to_search());
            let text = format!("Fill {} gap{}…", r.gaps.len(), if r.gaps.len() == 1 { "" } else { "s" });
            view! { <a class="fill-link" href=href>{text}</a> }
        });
        let error = r.error.clone().map(|e| view! { <small class="row-error" role="note">{e}</small> });
        view! {
            <tr
                data-registry=name.clone()
                data-key=key.to_string()
                data-gaps=r.gaps.len()
                data-failed=r.failed.len()
                data-stuck=r.stuck.len()
            >
                <th scope="row">
                    <a class="registry-link" href=map_href(&name, None)>{name.clone()}</a>
                    {error}
                </th>
                <td class="group">
                    {key.resource_group.to_string()}
                    <small class="subscription">{key.subscription_id.to_string()}</small>
                </td>
                <td class="region" data-region=r.registry.location.to_string()>{display_name(regions, &r.registry.location)}</td>
                <td class="sku">{r.registry.sku.clone()}</td>
                <td class="replicas num">{r.replicas}</td>
                <td class="coverage">{figure}</td>
                {counted(regions, &r.gaps, "gaps num")}
                {counted(regions, &r.idle, "idle num")}
                {counted(regions, &r.failed, "failed num")}
                {counted(regions, &r.stuck, "stuck num")}
                <td class="cost num">{cost}" "{fill}</td>
            </tr>
        }
    }

    /// The totals of the rows shown.
    fn totals(rows: &[&FleetRow], currency: &str) -> impl IntoView {
        let sum = |f: fn(&FleetRow) -> usize| rows.iter().map(|r| f(r)).sum::<usize>();
        let (served, regions) =
            rows.iter().filter_map(|r| r.figure).fold((0, 0), |(s, n), f| (s + f.served, n + f.regions));
        let figure = if rows.iter().any(|r| r.figure.is_some()) {
            let pct = replimap_types::CoverageFigure { served, regions }.percent();
            format!("{served} of {regions} ({pct}%)")
        } else {
            "—".to_owned()
        };
        let cost = money(rows.iter().filter_map(|r| r.monthly).sum(), currency);
        let label = format!("Total: {} registr{}", rows.len(), if rows.len() == 1 { "y" } else { "ies" });
        view! {
            <tr id="fleet-totals">
                <th scope="row" colspan="4">{label}</th>
                <td class="replicas num">{sum(|r| r.replicas)}</td>
                <td class="coverage">{figure}</td>
                <td class="gaps num">{sum(|r| r.gaps.len())}</td>
                <td class="idle num">{sum(|r| r.idle.len())}</td>
                <td class="failed num">{sum(|r| r.failed.len())}</td>
                <td class="stuck num">{sum(|r| r.stuck.len())}</td>
                <td class="cost num">{cost}</td>
            </tr>
        }
    }

    /// The page's HTML.
    pub fn skeleton() -> String {
        let query = crate::location::use_location().query().get_untracked();
        let (data, grants) = crate::pages::map::page_data();
        let fleet = use_context::<Fleet>();
        let view = View::of(&query);
        let body = match &fleet {
            None => view! {
                <p id="fleet-empty" role="alert">"The fleet could not be read; reload the page in a moment."</p>
            }
            .into_any(),
            Some(fleet) => page(&data.regions, fleet, &view).into_any(),
        };
        view! {
            <header id="top">
                <div class="brand">
                    <h1>"replimap"<span class="subtitle">" · Fleet"</span></h1>
                    {crate::components::identity::identity(grants, || None)}
                </div>
                <nav class="registry-box" aria-label="Pages">
                    <a id="map-link" href="/">"← Back to the map"</a>
                    " · "<a href="/activity">"Activity"</a>
                </nav>
            </header>
            <main id="fleet-page">
                <h2 id="fleet-title">"Fleet: are our workloads pulling from a local replica everywhere?"</h2>
                {body}
            </main>
        }
        .to_html()
    }

    pub(super) fn page(regions: &[Region], fleet: &Fleet, view: &View) -> impl IntoView {
        let currency = fleet.basis.currency.as_str();
        let rows = view.rows(fleet);
        let discovery = match &fleet.discovered_at {
            Some(at) => view! {
                <p id="discovery-note" class="field-note">{format!("Workloads as discovery last read them, at {at}.")}</p>
            }
            .into_any(),
            None => view! {
                <p id="discovery-note" class="field-note" role="note">
                    "Workload discovery has not read the workloads yet, so coverage and gaps are not known: the figures appear once its first run ends."
                </p>
            }
            .into_any(),
        };
        let heads: Vec<_> = COLUMNS
            .iter()
            .map(|c| {
                let sorted = (c.key == view.sort).then_some(if view.descending { "descending" } else { "ascending" });
                let arrow = match sorted {
                    Some("descending") => " ▼",
                    Some(_) => " ▲",
                    None => "",
                };
                view! {
                    <th scope="col" data-sort=c.key aria-sort=sorted.unwrap_or("none")>
                        <a href=view.sort_href(c)>{c.head}{arrow}</a>
                    </th>
                }
            })
            .collect();
        let shows: Vec<_> = SHOWS
            .iter()
            .map(|(k, text)| view! { <option value=*k selected=*k == view.show>{*text}</option> })
            .collect();
        let empty = if fleet.registries.is_empty() {
            Some("No registry to show: the portal sees none, or none you may read. Check the subscriptions it watches and your role.")
        } else if rows.is_empty() {
            Some("No registry matches these filters.")
        } else {
            None
        };
        let listed: Vec<_> = rows.iter().map(|r| row(regions, r, currency)).collect();
        view! {
            <form id="fleet-filters" role="search" aria-label="Filter the fleet" method="get" action="/fleet">
                <label>"Name or group"<input type="search" name="q" value=view.q.clone() placeholder="prod"/></label>
                <label>"Show"<select name="show">{shows}</select></label>
                <input type="hidden" name="sort" value=view.sort/>
                <input type="hidden" name="dir" value=if view.descending { "desc" } else { "asc" }/>
                <button type="submit" class="primary">"Filter"</button>
                <a href="/fleet">"Clear filters"</a>
            </form>
            {discovery}
            <div class="table-scroll">
                <table id="fleet" aria-labelledby="fleet-title">
                    <thead><tr>{heads}</tr></thead>
                    <tbody id="fleet-rows">{listed}</tbody>
                    <tfoot>{totals(&rows, currency)}</tfoot>
                </table>
            </div>
            {empty.map(|e| view! { <p id="fleet-empty">{e}" "<a href="/fleet">"Show every registry"</a></p> })}
            {price_basis(&fleet.basis)}
        }
    }

    #[cfg(test)]
    mod tests {
        use replimap_types::{CoverageFigure, RegistryKey, RegistrySummary};

        use super::*;

        fn region(s: &str) -> RegionName {
            s.parse().unwrap()
        }

        fn fleet_row(name: &str, group: &str, gaps: &[&str], failed: usize, monthly: Option<f64>) -> FleetRow {
            FleetRow {
                registry: RegistrySummary {
                    key: RegistryKey {
                        subscription_id: "00000000-0000-0000-0000-000000000000".parse().unwrap(),
                        resource_group: group.parse().unwrap(),
                        name: name.parse().unwrap(),
                    },
                    location: region("eastus"),
                    sku: "Premium".into(),
                    login_server: None,
                    replicable: true,
                    not_replicable_reason: None,
                },
                replicas: 2 + failed,
                figure: monthly.map(|_| CoverageFigure { served: 1, regions: 1 + gaps.len() }),
                gaps: gaps.iter().map(|g| region(g)).collect(),
                idle: vec![],
                failed: (0..failed).map(|_| region("brazilsouth")).collect(),
                stuck: vec![],
                monthly,
                error: None,
            }
        }

        fn fleet() -> Fleet {
            Fleet {
                registries: vec![
                    fleet_row("alpha", "platform-prod", &["japaneast", "uksouth"], 0, Some(100.0)),
                    fleet_row("Bravo", "platform-dev", &[], 1, Some(1234.5)),
                    fleet_row("charlie", "platform-prod", &["japaneast"], 0, None),
                ],
                basis: PriceBasis {
                    currency: "USD".into(),
                    as_of: "2026-10-01".into(),
                    source: "bundled snapshot".into(),
                    assumptions: vec!["Premium registry unit per region".into()],
                },
                discovered_at: Some("2026-12-02T00:00:00Z".into()),
            }
        }

        fn names(view: &View, fleet: &Fleet) -> Vec<String> {
            view.rows(fleet).iter().map(|r| r.registry.key.name.to_string()).collect()
        }

        fn v(q: &str) -> View {
            View::of(&Query::parse(q))
        }

        #[test]
        fn rows_sort_by_any_column_both_ways_unknown_last() {
            let f = fleet();
            assert_eq!(names(&v(""), &f), ["alpha", "Bravo", "charlie"], "by name, case-insensitively");
            assert_eq!(names(&v("?sort=name&dir=desc"), &f), ["charlie", "Bravo", "alpha"]);
            assert_eq!(names(&v("?sort=gaps"), &f), ["alpha", "charlie", "Bravo"], "numbers high first");
            assert_eq!(names(&v("?sort=gaps&dir=asc"), &f), ["Bravo", "charlie", "alpha"]);
            assert_eq!(names(&v("?sort=cost&dir=desc"), &f), ["Bravo", "alpha", "charlie"]);
            assert_eq!(names(&v("?sort=cost&dir=asc"), &f), ["alpha", "Bravo", "charlie"], "no cost: last either way");
            assert_eq!(names(&v("?sort=group"), &f), ["Bravo", "alpha", "charlie"]);
            assert_eq!(v("?sort=nonsense&dir=sideways"), v(""), "unknown values: the defaults");
        }

        #[test]
        fn rows_filter_by_text_and_kind() {
            let f = fleet();
            assert_eq!(names(&v("?q=PROD"), &f), ["alpha", "charlie"], "the group matches");
            assert_eq!(names(&v("?q=brav"), &f), ["Bravo"]);
            assert_eq!(names(&v("?show=gaps"), &f), ["alpha", "charlie"]);
            assert_eq!(names(&v("?show=failed"), &f), ["Bravo"]);
            assert!(names(&v("?show=stuck"), &f).is_empty());
            assert_eq!(names(&v("?q=prod&show=gaps&sort=gaps"), &f), ["alpha", "charlie"]);
        }

        #[test]
        fn heads_link_to_the_other_direction_and_keep_the_filters() {
            let view = v("?q=prod&show=gaps&sort=gaps&dir=desc");
            let gaps = COLUMNS.iter().find(|c| c.key == "gaps").unwrap();
            let name = COLUMNS.iter().find(|c| c.key == "name").unwrap();
            assert_eq!(view.sort_href(gaps), "/fleet?q=prod&show=gaps&sort=gaps&dir=asc");
            assert_eq!(view.sort_href(name), "/fleet?q=prod&show=gaps&sort=name&dir=asc");
            assert_eq!(v("").sort_href(gaps), "/fleet?sort=gaps&dir=desc");
        }

        #[test]
        fn money_has_its_currency() {
            assert_eq!(money(1234.5, "USD"), "$1,234.50");
            assert_eq!(money(0.0, "USD"), "$0.00");
            assert_eq!(money(1_000_000.0, "EUR"), "€1,000,000.00");
            assert_eq!(money(12.345, "CHF"), "12.35 CHF");
        }

        #[test]
        fn the_page_renders_rows_totals_and_the_basis() {
            let f = fleet();
            let regions: Vec<Region> = vec![serde_json::from_value(serde_json::json!({
                "name": "japaneast", "displayName": "Japan East", "latitude": 35.68, "longitude": 139.77
            }))
            .unwrap()];
            let html = page(&regions, &f, &v("?sort=gaps")).to_html();
            assert!(html.contains(r#"href="/?registry=alpha""#), "{html}");
            assert!(html.contains(r#"title="Japan East, uksouth""#), "gap regions by name: {html}");
            assert!(html.contains(r#"aria-sort="descending""#));
            assert!(html.contains("1 of 3"), "{html}");
            assert!(html.contains("not read yet"));
            assert!(html.contains("$1,334.50"), "the total cost: {html}");
            assert!(html.contains("Total: 3 registries"));
            assert!(html.contains("Fill 2 gaps…"));
            assert!(
                html.contains(r#"href="/fill?registry=00000000-0000-0000-0000-000000000000%2Fplatform-prod%2Falpha""#)
            );
            assert!(html.contains("Prices of 2026-10-01, USD, bundled snapshot — estimates, not a quote."));
            assert!(html.contains(PRICING_URL));
            let at = |s: &str| html.find(s).unwrap();
            assert!(at(">alpha<") < at(">charlie<") && at(">charlie<") < at(">Bravo<"), "sorted by gaps");

            let none = Fleet { registries: vec![], discovered_at: None, ..f };
            let html = page(&regions, &none, &v("")).to_html();
            assert!(html.contains("No registry to show"), "{html}");
            assert!(html.contains("has not read the workloads yet"));
        }
    }
}
