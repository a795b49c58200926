//! `/fill?registry=<sub/rg/name or name>`: the replicas that would fill every gap of a
//! registry (a region where its images run and no replica serves them), with the `az`
//! commands, what each costs and saves, and one confirmation that creates them.
//!
//! Server HTML only: the server makes the plan (`coverage::plan::plan`, and the costs with the
//! storage asked for from `coverage::report::report`) and provides it as a [`FillPage`]
//! context, which the browser never reads. The estimate is a GET form (the page is rendered
//! again with the new figures); the confirmation is a POST form to `/fill` carrying the
//! registry, the regions ticked and a key made when this page was rendered, so a double
//! submit or a reload of the answer creates nothing twice (the fill's idempotency).
//!
//! DOM contract: `#fill-figure`, `form#fill-estimate` (`input[name=pulls|gb|storage]`, submit
//! "Recalculate"), `form#fill-form[method=post][action="/fill"]` with hidden `registry` and
//! `idempotency_key`, `table#fill-plan` whose `tr[data-region]` hold
//! `input[type=checkbox][name=region]`, `pre.cli code` (the command), `.cost`, `.saved`,
//! `.break-even`; `#fill-total`, `button#fill-submit` (disabled, with `#fill-denied` saying
//! why, for a viewer), `#fill-skipped li[data-region]`, `#fill-nothing` with `a#fill-back`,
//! `#price-basis`.

#[cfg(not(feature = "hydrate"))]
pub(super) use server::skeleton;
#[cfg(not(feature = "hydrate"))]
pub use server::{FillPage, FillView};

#[cfg(not(feature = "hydrate"))]
mod server {
    use std::collections::BTreeMap;

    use leptos::prelude::*;
    use replimap_types::{
        CoverageReport, FillPlan, PlannedReplica, Region, RegistryKey, ReplicaCost, TransferEstimate, ZoneRedundancy,
    };

    use crate::model::audit::map_href;
    use crate::pages::fleet::{display_name, money, price_basis};

    /// What the server found for the page.
    #[derive(Debug, Clone)]
    pub enum FillPage {
        /// No registry named, or one the caller may not see: the 404 page.
        NotFound,
        /// The plan could not be made (the registry's state is unknown yet, ARM failed): why.
        Failed {
            /// The registry's name.
            registry: String,
            /// For people.
            message: String,
        },
        /// The plan.
        Ready(Box<FillView>),
    }

    /// A plan, ready to show.
    #[derive(Debug, Clone)]
    pub struct FillView {
        /// The registry.
        pub key: RegistryKey,
        /// The replicas the gaps call for, and the gaps left alone.
        pub plan: FillPlan,
        /// The coverage report with the same estimate and the storage asked for (its
        /// `cost.proposed` prices each replica's storage too), if it could be made.
        pub report: Option<CoverageReport>,
        /// The estimate the figures use.
        pub estimate: TransferEstimate,
        /// The storage the figures use, in GB (as the page was asked, else the report's).
        pub storage_gb: Option<f64>,
        /// The key the confirmation carries (made for this rendering).
        pub idempotency_key: String,
        /// Why the caller may not create replicas here, when they may not.
        pub denied: Option<String>,
        /// A sentence on each replica's break-even, by region, where the server wrote one.
        pub notes: BTreeMap<String, String>,
    }

    impl FillView {
        /// The cost of a planned replica: the report's (with the storage asked for) when it
        /// has one for the region, else the plan's.
        fn cost<'a>(&'a self, p: &'a PlannedReplica) -> &'a ReplicaCost {
            self.report.as_ref().and_then(|r| r.cost.proposed.iter().find(|c| c.region == p.region)).unwrap_or(&p.cost)
        }

        fn total(&self) -> f64 {
            self.plan.replicas.iter().map(|p| self.cost(p).monthly).sum()
        }
    }

    /// `12,345` (whole numbers, grouped).
    fn whole(x: f64) -> String {
        let s = format!("{:.0}", x.max(0.0));
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        out
    }

    /// The page's HTML.
    pub fn skeleton() -> String {
        let (data, grants) = crate::pages::map::page_data();
        let page = use_context::<FillPage>().unwrap_or(FillPage::NotFound);
        let (name, body) = match page {
            FillPage::NotFound => return super::super::not_found(),
            FillPage::Failed { registry, message } => {
                let body = view! {
                    <p id="fill-error" role="alert">{format!("No plan for {registry}: {message}")}</p>
                    <p><a id="fill-back" href=map_href(&registry, None)>"Back to the map"</a></p>
                }
                .into_any();
                (registry, body)
            }
            FillPage::Ready(v) => (v.key.name.to_string(), ready(&data.regions, &v).into_any()),
        };
        let title = format!("Fill the gaps of {name}");
        view! {
            <header id="top">
                <div class="brand">
                    <h1>"replimap"<span class="subtitle">" · Fill the gaps"</span></h1>
                    {crate::components::identity::identity(grants, || None)}
                </div>
                <nav class="registry-box" aria-label="Pages">
                    <a id="map-link" href=map_href(&name, None)>"← Back to the map"</a>
                    " · "<a id="fleet-link" href="/fleet">"Fleet"</a>
                </nav>
            </header>
            <main id="fill-page">
                <h2 id="fill-title">{title}</h2>
                {body}
            </main>
        }
        .to_html()
    }

    fn ready(regions: &[Region], v: &FillView) -> impl IntoView {
        let name = v.key.name.to_string();
        let currency = v.plan.basis.currency.clone();
        let figure = v.report.as_ref().map(|r| {
            let f = r.figure;
            let text = format!("Now {} of {} workload regions served locally ({}%).", f.served, f.regions, f.percent());
            view! { <p id="fill-figure">{text}</p> }
        });
        let skipped: Vec<_> = v
            .plan
            .skipped
            .iter()
            .map(|s| {
                let text = format!("{}: {}", display_name(regions, &s.region), s.reason);
                view! { <li data-region=s.region.to_string()>{text}</li> }
            })
            .collect();
        let skipped = (!skipped.is_empty()).then(|| {
            view! {
                <section id="fill-skipped" aria-label="Gaps this plan leaves alone">
                    <h3>"Gaps left alone"</h3>
                    <ul>{skipped}</ul>
                </section>
            }
        });
        let main = if v.plan.replicas.is_empty() {
            let text = if v.plan.skipped.is_empty() {
                format!("Nothing to fill: every region where {name}'s images run has a replica that serves it.")
            } else {
                "Nothing to fill that this plan can create; the gaps it leaves alone are listed below.".to_owned()
            };
            view! {
                <section id="fill-nothing">
                    <p>{text}</p>
                    <p><a id="fill-back" href=map_href(&name, None)>{format!("Back to the map of {name}")}</a></p>
                </section>
            }
            .into_any()
        } else {
            view! { {estimate(v)}{plan(regions, v, &currency)} }.into_any()
        };
        view! {
            {figure}
            {main}
            {skipped}
            {price_basis(&v.plan.basis)}
        }
    }

    /// The GET form that renders the page again with other figures.
    fn estimate(v: &FillView) -> impl IntoView {
        let e = v.estimate;
        let gb = e.pulls_per_month * e.gb_per_pull;
        let storage = v.storage_gb.or_else(|| v.report.as_ref().map(|r| r.cost.storage_gb));
        let note = format!(
            "Today each gap region's pulls cross regions: {} pulls × {} GB = {} GB a month per region, billed as transfer between regions.",
            whole(e.pulls_per_month),
            e.gb_per_pull,
            whole(gb)
        );
        view! {
            <form id="fill-estimate" method="get" action="/fill" aria-label="Your estimate">
                <input type="hidden" name="registry" value=v.key.to_string()/>
                <label>"Pulls a month per region"<input type="number" name="pulls" min="0" step="any" value=e.pulls_per_month.to_string()/></label>
                <label>"GB per pull"<input type="number" name="gb" min="0" step="any" value=e.gb_per_pull.to_string()/></label>
                <label>"Registry storage (GB)"<input type="number" name="storage" min="0" step="any" value=storage.map(|s| s.to_string()).unwrap_or_default()/></label>
                <button type="submit">"Recalculate"</button>
            </form>
            <p id="fill-estimate-note" class="field-note">{note}</p>
        }
    }

    /// The plan's table inside the POST form that confirms it.
    fn plan(regions: &[Region], v: &FillView, currency: &str) -> impl IntoView {
        let disabled = v.denied.is_some();
        let rows: Vec<_> = v
            .plan
            .replicas
            .iter()
            .map(|p| {
                let region = p.region.to_string();
                let c = v.cost(p);
                let zones = match p.zone_redundancy {
                    ZoneRedundancy::Enabled => "Zone redundant",
                    ZoneRedundancy::Disabled => "No zones",
                };
                let routing = if p.region_endpoint_enabled { "On" } else { "Off" };
                let split = format!(
                    "registry {} + storage {}",
                    money(c.registry_monthly, currency),
                    money(c.storage_monthly, currency)
                );
                // The break-even sentence is the server's (`coverage::pricing::break_even_note`).
                let note = format!(
                    "At this estimate it saves {} a month of cross-region transfer and costs {}. {}",
                    money(c.transfer_saved_monthly, currency),
                    money(c.monthly, currency),
                    v.notes.get(&region).map_or("", String::as_str)
                );
                let id = format!("fill-{region}");
                view! {
                    <tr data-region=region.clone()>
                        <td><input type="checkbox" id=id.clone() name="region" value=region.clone() checked="" disabled=disabled/></td>
                        <th scope="row"><label for=id>{display_name(regions, &p.region)}</label></th>
                        <td class="zones">{zones}</td>
                        <td class="routing">{routing}</td>
                        <td class="command"><pre class="cli"><code>{p.az.clone()}</code></pre></td>
                        <td class="cost num">{money(c.monthly, currency)}<small>{split}</small></td>
                        <td class="saved num">{money(c.transfer_saved_monthly, currency)}</td>
                        <td class="break-even">{note}</td>
                    </tr>
                }
            })
            .collect();
        let n = v.plan.replicas.len();
        let button = format!("Create {n} replica{}", if n == 1 { "" } else { "s" });
        let total = money(v.total(), currency);
        let heads =
            ["Create", "Region", "Zones", "Routing", "Command", "Monthly cost", "Transfer it saves", "Break-even"];
        view! {
            <form id="fill-form" method="post" action="/fill">
                <input type="hidden" name="registry" value=v.key.to_string()/>
                <input type="hidden" name="idempotency_key" value=v.idempotency_key.clone()/>
                <div class="table-scroll">
                    <table id="fill-plan" aria-labelledby="fill-title">
                        <thead><tr>{heads.map(|h| view! { <th scope="col">{h}</th> }).to_vec()}</tr></thead>
                        <tbody>{rows}</tbody>
                        <tfoot>
                            <tr>
                                <th scope="row" colspan="5">"The plan a month"</th>
                                <td id="fill-total" class="cost num">{total}</td>
                                <td colspan="2"></td>
                            </tr>
                        </tfoot>
                    </table>
                </div>
                <p class="field-note">"Untick the regions to leave out. Each replica is created on its own and shows its progress on the map; one that fails is reported on its own."</p>
                {v.denied.clone().map(|d| view! { <p id="fill-denied" class="denied" role="note">{d}</p> })}
                <button type="submit" id="fill-submit" class="primary" disabled=disabled>{button}</button>
            </form>
        }
    }

    #[cfg(test)]
    mod tests {
        use replimap_types::{CoverageFigure, PriceBasis, SkippedGap};

        use super::*;

        fn cost(region: &str, monthly: f64, saved: f64) -> ReplicaCost {
            ReplicaCost {
                region: region.parse().unwrap(),
                registry_monthly: monthly - 1.0,
                storage_monthly: 1.0,
                monthly,
                transfer_per_gb: 0.02,
                transfer_saved_monthly: saved,
                break_even_gb: monthly / 0.02,
            }
        }

        fn view(denied: Option<&str>) -> FillView {
            let planned = |region: &str, zones| PlannedReplica {
                region: region.parse().unwrap(),
                zone_redundancy: zones,
                region_endpoint_enabled: true,
                az: format!("az acr replication create --registry myACR0007 --location {region}"),
                cost: cost(region, 50.0, 18.0),
            };
            FillView {
                key: RegistryKey {
                    subscription_id: "00000000-0000-0000-0000-000000000000".parse().unwrap(),
                    resource_group: "myresourcegroup".parse().unwrap(),
                    name: "myACR0007".parse().unwrap(),
                },
                plan: FillPlan {
                    replicas: vec![
                        planned("japaneast", ZoneRedundancy::Enabled),
                        planned("brazilsouth", ZoneRedundancy::Disabled),
                    ],
                    skipped: vec![SkippedGap { region: "qatarcentral".parse().unwrap(), reason: "not offered".into() }],
                    monthly: 100.0,
                    basis: PriceBasis {
                        currency: "USD".into(),
                        as_of: "2026-10-01".into(),
                        source: "bundled snapshot".into(),
                        assumptions: vec![],
                    },
                },
                report: None,
                estimate: TransferEstimate::default(),
                storage_gb: Some(100.0),
                idempotency_key: "k-1".into(),
                denied: denied.map(str::to_owned),
                notes: [("japaneast".to_owned(), "Egress alone pays above 2,500 GB.".to_owned())].into(),
            }
        }

        #[test]
        fn the_plan_lists_commands_costs_and_one_submit() {
            let html = ready(&[], &view(None)).to_html();
            assert!(html.contains("az acr replication create --registry myACR0007 --location japaneast"), "{html}");
            assert!(html.contains(r#"name="idempotency_key" value="k-1""#), "{html}");
            assert!(html.contains(r#"value="00000000-0000-0000-0000-000000000000/myresourcegroup/myACR0007""#));
            assert_eq!(html.matches(r#"name="region""#).count(), 2);
            assert!(html.contains("Create 2 replicas"));
            assert!(html.contains(r#"<td id="fill-total" class="cost num">$100.00</td>"#), "{html}");
            assert!(html.contains("Zone redundant") && html.contains("No zones"));
            assert!(html.contains("qatarcentral: not offered"));
            assert!(
                html.contains(
                    "saves $18.00 a month of cross-region transfer and costs $50.00. Egress alone pays above 2,500 GB."
                ),
                "{html}"
            );
            assert!(!html.contains("fill-denied") && !html.contains("disabled"), "{html}");
            assert!(html.contains("3,000 pulls × 0.3 GB = 900 GB"), "{html}");
        }

        #[test]
        fn a_viewer_sees_the_plan_with_the_button_disabled_and_why() {
            let html = ready(&[], &view(Some("Creating replicas needs the operator role."))).to_html();
            assert!(html.contains(r#"id="fill-denied""#) && html.contains("needs the operator role"));
            assert!(html.contains(r#"id="fill-submit" disabled"#), "{html}");
        }

        #[test]
        fn the_reports_costs_win_and_nothing_to_fill_says_so() {
            let mut v = view(None);
            v.report = Some(CoverageReport {
                figure: CoverageFigure { served: 1, regions: 3 },
                regions: vec![],
                gaps: vec![],
                idle: vec![],
                unattributed: vec![],
                discovered_at: None,
                source: None,
                warnings: vec![],
                cost: replimap_types::CostReport {
                    basis: v.plan.basis.clone(),
                    estimate: TransferEstimate::default(),
                    storage_gb: 100.0,
                    replicas: vec![],
                    proposed: vec![cost("japaneast", 70.0, 80.0)],
                    monthly: 0.0,
                    proposed_monthly: 70.0,
                },
            });
            let html = ready(&[], &v).to_html();
            assert!(html.contains("Now 1 of 3 workload regions served locally (33%)."));
            assert!(html.contains("$120.00"), "70 from the report + 50 from the plan: {html}");
            assert!(html.contains("saves $80.00 a month of cross-region transfer and costs $70.00."), "{html}");
            v.plan.replicas.clear();
            v.plan.skipped.clear();
            let html = ready(&[], &v).to_html();
            assert!(html.contains("Nothing to fill") && html.contains(r#"id="fill-back" href="/?registry=myACR0007""#));
            assert!(!html.contains("fill-form"));
        }
    }
}
