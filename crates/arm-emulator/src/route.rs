//! ARM path parsing. ARM matches literal segments (`resourceGroups`,
//! `Microsoft.ContainerRegistry`, …) case-insensitively, which axum's router
//! does not, so ARM paths are matched here by hand.

use crate::error::ArmError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    Subscriptions,
    Subscription {
        sub: String,
    },
    Locations {
        sub: String,
    },
    Resources {
        sub: String,
    },
    ResourceGroups {
        sub: String,
    },
    ResourceGroup {
        sub: String,
        rg: String,
    },
    RegistriesBySubscription {
        sub: String,
    },
    RegistriesByGroup {
        sub: String,
        rg: String,
    },
    Registry {
        sub: String,
        rg: String,
        reg: String,
    },
    Replications {
        sub: String,
        rg: String,
        reg: String,
    },
    Replication {
        sub: String,
        rg: String,
        reg: String,
        rep: String,
    },
    /// `{resourceId}/operationStatuses/{op}` under a registry or replication.
    OperationStatus {
        op: String,
    },
    /// `/subscriptions/{sub}/providers/Microsoft.ContainerRegistry/locations/{loc}/operationResults/{op}`,
    /// or `/subscriptions/{sub}/operationresults/{job}` (a resource group delete).
    OperationResult {
        op: String,
    },
    /// `/providers/Microsoft.ResourceGraph/resources` (POST).
    ResourceGraph,
    /// `/subscriptions/{sub}/providers/Microsoft.Authorization/roleAssignments`.
    RoleAssignments {
        sub: String,
    },
    /// A group-level path under any other provider: workloads and their children
    /// (`workloads.rs`), kept whole.
    Workload {
        path: String,
    },
}

fn is(seg: &str, lit: &str) -> bool {
    seg.eq_ignore_ascii_case(lit)
}

const NS: &str = "Microsoft.ContainerRegistry";

pub(crate) fn parse(path: &str) -> Result<Route, ArmError> {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let s = |x: &str| x.to_owned();
    let route = match segs.as_slice() {
        [a] if is(a, "subscriptions") => Some(Route::Subscriptions),
        [p, ns, r] if is(p, "providers") && is(ns, "Microsoft.ResourceGraph") && is(r, "resources") => {
            Some(Route::ResourceGraph)
        }
        [a, sub, p, ns, r]
            if is(a, "subscriptions")
                && is(p, "providers")
                && is(ns, "Microsoft.Authorization")
                && is(r, "roleAssignments") =>
        {
            Some(Route::RoleAssignments { sub: s(sub) })
        }
        [a, sub] if is(a, "subscriptions") => Some(Route::Subscription { sub: s(sub) }),
        [a, sub, b] if is(a, "subscriptions") && is(b, "locations") => Some(Route::Locations { sub: s(sub) }),
        [a, sub, b] if is(a, "subscriptions") && is(b, "resources") => Some(Route::Resources { sub: s(sub) }),
        [a, sub, b] if is(a, "subscriptions") && is(b, "resourceGroups") => Some(Route::ResourceGroups { sub: s(sub) }),
        [a, _sub, o, op] if is(a, "subscriptions") && is(o, "operationresults") => {
            Some(Route::OperationResult { op: (*op).into() })
        }
        [a, sub, b, rg] if is(a, "subscriptions") && is(b, "resourceGroups") => {
            Some(Route::ResourceGroup { sub: s(sub), rg: s(rg) })
        }
        [a, sub, p, ns, rest @ ..] if is(a, "subscriptions") && is(p, "providers") && is(ns, NS) => {
            subscription_provider(sub, rest)
        }
        [a, sub, b, rg, p, ns, rest @ ..]
            if is(a, "subscriptions") && is(b, "resourceGroups") && is(p, "providers") && is(ns, NS) =>
        {
            group_provider(sub, rg, rest)
        }
        [a, _sub, b, _rg, p, _ns, _ty, _name, ..]
            if is(a, "subscriptions") && is(b, "resourceGroups") && is(p, "providers") =>
        {
            Some(Route::Workload { path: path.to_owned() })
        }
        _ => None,
    };
    route.ok_or_else(|| unknown_path(&segs))
}

/// Paths under `/subscriptions/{sub}/providers/Microsoft.ContainerRegistry/`.
fn subscription_provider(sub: &str, rest: &[&str]) -> Option<Route> {
    match rest {
        [r] if is(r, "registries") => Some(Route::RegistriesBySubscription { sub: sub.into() }),
        [l, _loc, o, op] if is(l, "locations") && is(o, "operationResults") => {
            Some(Route::OperationResult { op: (*op).into() })
        }
        _ => None,
    }
}

/// Paths under `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ContainerRegistry/`.
fn group_provider(sub: &str, rg: &str, rest: &[&str]) -> Option<Route> {
    let (sub, rg) = (sub.to_owned(), rg.to_owned());
    match rest {
        [r] if is(r, "registries") => Some(Route::RegistriesByGroup { sub, rg }),
        [r, reg] if is(r, "registries") => Some(Route::Registry { sub, rg, reg: (*reg).into() }),
        [r, _reg, o, op] if is(r, "registries") && is(o, "operationStatuses") => {
            Some(Route::OperationStatus { op: (*op).into() })
        }
        [r, reg, p] if is(r, "registries") && is(p, "replications") => {
            Some(Route::Replications { sub, rg, reg: (*reg).into() })
        }
        [r, reg, p, rep] if is(r, "registries") && is(p, "replications") => {
            Some(Route::Replication { sub, rg, reg: (*reg).into(), rep: (*rep).into() })
        }
        [r, _reg, p, _rep, o, op] if is(r, "registries") && is(p, "replications") && is(o, "operationStatuses") => {
            Some(Route::OperationStatus { op: (*op).into() })
        }
        _ => None,
    }
}

/// ARM answers `InvalidResourceType` for unknown types under a provider and a
/// plain 404 otherwise.
pub(crate) fn unknown_path(segs: &[&str]) -> ArmError {
    match segs.iter().position(|s| is(s, "providers")) {
        Some(i) => {
            let ns = segs.get(i + 1).copied().unwrap_or_default();
            let ty = segs.get(i + 2).copied().unwrap_or_default();
            ArmError::not_found(
                "InvalidResourceType",
                format!("The resource type '{ty}' could not be found in the namespace '{ns}'."),
            )
        }
        None => ArmError::not_found("NotFound", format!("The requested path '/{}' was not found.", segs.join("/"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_segments_are_case_insensitive() {
        let p = "/subscriptions/s/resourcegroups/rg/providers/microsoft.containerregistry/registries/r/replications/x";
        assert_eq!(
            parse(p).unwrap(),
            Route::Replication { sub: "s".into(), rg: "rg".into(), reg: "r".into(), rep: "x".into() }
        );
    }

    #[test]
    fn operation_urls_and_unknown_paths() {
        let st = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/r/replications/x/operationStatuses/replications-1";
        assert_eq!(parse(st).unwrap(), Route::OperationStatus { op: "replications-1".into() });
        let res = "/subscriptions/s/providers/Microsoft.ContainerRegistry/locations/eastus/operationResults/o";
        assert_eq!(parse(res).unwrap(), Route::OperationResult { op: "o".into() });
        let group = "/subscriptions/s/operationresults/eyJqb2JJZCI6IlJFUyJ9";
        assert_eq!(parse(group).unwrap(), Route::OperationResult { op: "eyJqb2JJZCI6IlJFUyJ9".into() });
        assert_eq!(parse("/subscriptions/s/providers/Microsoft.Foo/bars").unwrap_err().code, "InvalidResourceType");
        assert_eq!(parse("/nothing/here").unwrap_err().code, "NotFound");
        assert_eq!(parse("/providers/microsoft.resourcegraph/resources").unwrap(), Route::ResourceGraph);
        let ra = "/subscriptions/s/providers/Microsoft.Authorization/roleAssignments";
        assert_eq!(parse(ra).unwrap(), Route::RoleAssignments { sub: "s".into() });
        let pools = "/subscriptions/s/resourceGroups/g/providers/Microsoft.Batch/batchAccounts/b/pools";
        assert_eq!(parse(pools).unwrap(), Route::Workload { path: pools.into() });
    }
}
