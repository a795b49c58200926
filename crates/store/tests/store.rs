//! One suite, run against both engines: every `async fn` in `suite` runs as `sqlite::NAME`
//! and as `postgres::NAME`.
//!
//! Postgres tests need `REPLIMAP_TEST_DATABASE_URL` (a superuser URL of a throw-away server,
//! as `scripts/postgres start DIR` prints); each test creates its own database, so they run
//! in parallel. Without the variable they say so and pass, unless
//! `REPLIMAP_REQUIRE_POSTGRES=1`, when they fail.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::time::{Duration, Instant};

use replimap_store::{Store, StoreConfig, StoreError};
use sqlx::Connection;

struct TestDb {
    cfg: StoreConfig,
    store: Store,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(PathBuf),
    Database { admin_url: String, name: String },
}

impl TestDb {
    async fn sqlite() -> TestDb {
        TestDb::sqlite_with(replimap_store::DEFAULT_BUSY_TIMEOUT).await
    }

    async fn sqlite_with(busy_timeout: Duration) -> TestDb {
        let (cfg, cleanup) = TestDb::sqlite_empty(busy_timeout);
        TestDb::open(cfg, cleanup).await
    }

    /// Where a SQLite database will be, not created yet.
    fn sqlite_empty(busy_timeout: Duration) -> (StoreConfig, Cleanup) {
        let dir = std::env::temp_dir().join(format!("replimap-store-test-{}", uuid::Uuid::new_v4().simple()));
        // A directory that does not exist yet: open must create it.
        let cfg = StoreConfig::Sqlite { path: dir.join("nested").join("replimap.db"), busy_timeout };
        (cfg, Cleanup::Dir(dir))
    }

    async fn postgres() -> Option<TestDb> {
        let (cfg, cleanup) = TestDb::postgres_empty().await?;
        Some(TestDb::open(cfg, cleanup).await)
    }

    async fn open(cfg: StoreConfig, cleanup: Cleanup) -> TestDb {
        let store = Store::open(&cfg).await.unwrap_or_else(|e| panic!("open {}: {e}", cfg.backend()));
        TestDb { cfg, store, cleanup }
    }

    /// A fresh, empty Postgres database, no schema yet.
    async fn postgres_empty() -> Option<(StoreConfig, Cleanup)> {
        let Ok(admin_url) = std::env::var("REPLIMAP_TEST_DATABASE_URL") else {
            if std::env::var("REPLIMAP_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                panic!("REPLIMAP_REQUIRE_POSTGRES=1 but REPLIMAP_TEST_DATABASE_URL is not set (scripts/postgres start DIR prints it)");
            }
            eprintln!("skipped: REPLIMAP_TEST_DATABASE_URL is not set (see scripts/postgres)");
            return None;
        };
        let name = format!("replimap_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect(&admin_url).await.expect("connect to REPLIMAP_TEST_DATABASE_URL");
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.expect("create database");
        admin.close().await.expect("close");
        let mut url = url::Url::parse(&admin_url).expect("URL");
        url.set_path(&name);
        let cfg = StoreConfig::from_url(url.as_str(), std::path::Path::new("/nonexistent")).expect("config");
        Some((cfg, Cleanup::Database { admin_url, name }))
    }

    /// Drops what the test made. Skipped when a test panics, which leaves evidence behind.
    async fn finish(self) {
        drop(self.store);
        match self.cleanup {
            Cleanup::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Database { admin_url, name } => {
                let mut admin = sqlx::PgConnection::connect(&admin_url).await.expect("connect");
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut admin)
                    .await
                    .expect("drop database");
            }
        }
    }
}

/// `sqlite::NAME` and `postgres::NAME` for each `suite::NAME`.
macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = super::TestDb::sqlite().await;
                    super::suite::$name(&db).await;
                    db.finish().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(db) = super::TestDb::postgres().await else { return };
                    super::suite::$name(&db).await;
                    db.finish().await;
                }
            )*
        }
    };
}

both!(
    audit_round_trip,
    audit_moves_forward_only,
    audit_fields_are_never_overwritten,
    audit_filters,
    audit_cursor_paging,
    audit_concurrent_writers,
    audit_purge_keeps_unfinished,
    operations_lifecycle,
    operations_order,
    idempotency_claim_race,
    idempotency_lifecycle,
    idempotency_expiry_and_purge,
    migrations_are_idempotent,
    describe_names_the_backend,
    audit_actor_role_round_trip,
    audit_visibility,
    audit_visibility_pages,
    audit_visibility_large_scope,
    tokens_lifecycle,
    tokens_touch_moves_forward,
    sessions_lifecycle,
    sessions_purge_idle_and_expired,
    login_states_taken_once,
);

mod suite {
    use replimap_store::{
        ApiTokenRow, AuditChange, AuditFilter, AuditScope, Claim, LoginStateRow, Monitor, MonitorKind, NewAudit,
        SessionRow, Store, StoreError, StoredOperation, StoredResponse,
    };
    use replimap_types::{AuditAction, AuditOutcome, Operation, OperationKind, OperationState, RegistryKey};
    use serde_json::json;

    use super::TestDb;

    /// 2026-11-18T12:00:00.000Z
    const T0: i64 = 1_795_003_200_000;

    fn registry(rg: &str, name: &str) -> RegistryKey {
        RegistryKey {
            subscription_id: "00000000-0000-0000-0000-000000000000".parse().unwrap(),
            resource_group: rg.parse().unwrap(),
            name: name.parse().unwrap(),
        }
    }

    fn new_audit(at_ms: i64) -> NewAudit {
        NewAudit {
            at_ms,
            actor: "alice".into(),
            actor_source: "local".into(),
            actor_role: Some("operator".into()),
            client_ip: "127.0.0.1".into(),
            request_id: format!("req-{at_ms}"),
            correlation_id: format!("corr-{at_ms}"),
            registry: Some(registry("MyResourceGroup", "myACR0007")),
            region: Some("japaneast".into()),
            replication: Some("japaneast".parse().unwrap()),
            action: AuditAction::CreateReplication,
            request: json!({"location": "japaneast", "zoneRedundancy": "Enabled", "tags": {"team": "web"}}),
        }
    }

    fn to(outcome: AuditOutcome, at_ms: i64) -> AuditChange {
        AuditChange { outcome: Some(outcome), at_ms, ..Default::default() }
    }

    pub async fn audit_round_trip(db: &TestDb) {
        let s = &db.store;
        let first = s.audit_begin(new_audit(T0 + 123)).await.unwrap();
        assert!(first.id > 0);
        assert_eq!(first.at, "2026-11-18T12:00:00.123Z");
        assert_eq!(first.outcome, AuditOutcome::Pending);
        assert_eq!(first.actor, "alice");
        assert_eq!(first.actor_source, "local");
        assert_eq!(first.client_ip, "127.0.0.1");
        assert_eq!(first.request_id, "req-1795003200123");
        assert_eq!(first.correlation_id, "corr-1795003200123");
        let reg = first.registry.clone().unwrap();
        assert_eq!(reg.resource_group.as_str(), "MyResourceGroup", "original spelling kept");
        assert_eq!(reg.name.as_str(), "myACR0007");
        assert_eq!(first.region.as_deref(), Some("japaneast"));
        assert_eq!(first.replication.as_ref().map(|r| r.as_str()), Some("japaneast"));
        assert_eq!(first.action, AuditAction::CreateReplication);
        assert_eq!(first.request, new_audit(0).request);
        assert_eq!((first.code.clone(), first.message.clone(), first.operation_id.clone()), (None, None, None));
        assert_eq!((first.answered_at.clone(), first.ended_at.clone(), first.arm_ms), (None, None, None));
        assert_eq!(s.audit_get(first.id).await.unwrap(), Some(first.clone()));

        let bare = NewAudit {
            registry: None,
            region: None,
            replication: None,
            action: AuditAction::DeleteReplication,
            request: json!(null),
            ..new_audit(T0 + 1)
        };
        let second = s.audit_begin(bare).await.unwrap();
        assert!(second.id > first.id, "ids increase");
        assert_eq!((second.registry.clone(), second.region.clone(), second.replication.clone()), (None, None, None));
        assert_eq!(second.request, json!(null));
        assert_eq!(s.audit_get(second.id).await.unwrap(), Some(second));
        assert_eq!(s.audit_get(second_missing(first.id)).await.unwrap(), None);
        s.ping().await.unwrap();
    }

    fn second_missing(id: i64) -> i64 {
        id + 1_000_000
    }

    pub async fn audit_moves_forward_only(db: &TestDb) {
        let s = &db.store;
        let rec = s.audit_begin(new_audit(T0)).await.unwrap();
        let accepted = s
            .audit_update(
                rec.id,
                AuditChange {
                    outcome: Some(AuditOutcome::Accepted),
                    arm_request_id: Some("arm-1".into()),
                    answered_at_ms: Some(T0 + 250),
                    arm_ms: Some(250),
                    operation_id: Some("op-1".into()),
                    at_ms: T0 + 250,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(accepted.outcome, AuditOutcome::Accepted);
        assert_eq!(accepted.arm_request_id.as_deref(), Some("arm-1"));
        assert_eq!(accepted.answered_at.as_deref(), Some("2026-11-18T12:00:00.250Z"));
        assert_eq!(accepted.arm_ms, Some(250));
        assert_eq!(accepted.operation_id.as_deref(), Some("op-1"));
        assert_eq!(accepted.ended_at, None, "accepted is not final");

        let back = s.audit_update(rec.id, to(AuditOutcome::Pending, T0 + 300)).await;
        assert!(matches!(back, Err(StoreError::Conflict(_))), "{back:?}");
        let refused = s.audit_update(rec.id, to(AuditOutcome::Refused, T0 + 300)).await;
        assert!(matches!(refused, Err(StoreError::Conflict(_))), "{refused:?}");
        assert_eq!(s.audit_get(rec.id).await.unwrap().unwrap(), accepted, "an illegal move changes nothing");

        let done = s.audit_update(rec.id, to(AuditOutcome::Succeeded, T0 + 9_000)).await.unwrap();
        assert_eq!(done.outcome, AuditOutcome::Succeeded);
        assert_eq!(done.ended_at.as_deref(), Some("2026-11-18T12:00:09.000Z"));
        let again = s.audit_update(rec.id, to(AuditOutcome::Succeeded, T0 + 10_000)).await.unwrap();
        assert_eq!(again, done, "a repeated final update is harmless and keeps ended_at");
        for illegal in [AuditOutcome::Failed, AuditOutcome::Unknown, AuditOutcome::Accepted, AuditOutcome::Pending] {
            let r = s.audit_update(rec.id, to(illegal, T0 + 11_000)).await;
            assert!(matches!(r, Err(StoreError::Conflict(_))), "succeeded -> {illegal:?}: {r:?}");
        }

        // Unknown may still learn its answer; refused is the end.
        let lost = s.audit_begin(new_audit(T0)).await.unwrap();
        let unknown = s.audit_update(lost.id, to(AuditOutcome::Unknown, T0 + 1_000)).await.unwrap();
        assert_eq!(unknown.ended_at.as_deref(), Some("2026-11-18T12:00:01.000Z"));
        let r = s.audit_update(lost.id, to(AuditOutcome::Accepted, T0 + 2_000)).await;
        assert!(matches!(r, Err(StoreError::Conflict(_))), "{r:?}");
        let failed = s
            .audit_update(lost.id, AuditChange { code: Some("Gone".into()), ..to(AuditOutcome::Failed, T0 + 3_000) })
            .await
            .unwrap();
        assert_eq!(failed.outcome, AuditOutcome::Failed);
        assert_eq!(failed.code.as_deref(), Some("Gone"));
        assert_eq!(failed.ended_at, unknown.ended_at, "ended_at is set once, when first final");

        let no = s.audit_begin(new_audit(T0)).await.unwrap();
        let refused = s
            .audit_update(
                no.id,
                AuditChange {
                    code: Some("not_premium".into()),
                    message: Some("needs Premium".into()),
                    ..to(AuditOutcome::Refused, T0 + 5)
                },
            )
            .await
            .unwrap();
        assert_eq!(refused.code.as_deref(), Some("not_premium"));
        assert_eq!(refused.ended_at.as_deref(), Some("2026-11-18T12:00:00.005Z"));
        for illegal in [AuditOutcome::Accepted, AuditOutcome::Succeeded, AuditOutcome::Failed, AuditOutcome::Unknown] {
            let r = s.audit_update(no.id, to(illegal, T0 + 6)).await;
            assert!(matches!(r, Err(StoreError::Conflict(_))), "refused -> {illegal:?}: {r:?}");
        }

        let missing = s.audit_update(no.id + 1_000_000, to(AuditOutcome::Accepted, T0)).await;
        assert!(matches!(missing, Err(StoreError::Conflict(_))), "{missing:?}");
    }

    pub async fn audit_fields_are_never_overwritten(db: &TestDb) {
        let s = &db.store;
        let rec = s.audit_begin(new_audit(T0)).await.unwrap();
        let first = AuditChange {
            arm_request_id: Some("arm-1".into()),
            answered_at_ms: Some(T0 + 10),
            arm_ms: Some(10),
            operation_id: Some("op-1".into()),
            code: Some("code-1".into()),
            message: Some("message-1".into()),
            at_ms: T0 + 10,
            ..Default::default()
        };
        let set = s.audit_update(rec.id, first).await.unwrap();
        assert_eq!(set.outcome, AuditOutcome::Pending, "a change without an outcome keeps it");
        let other = AuditChange {
            outcome: Some(AuditOutcome::Accepted),
            arm_request_id: Some("arm-2".into()),
            answered_at_ms: Some(T0 + 20),
            arm_ms: Some(20),
            operation_id: Some("op-2".into()),
            code: Some("code-2".into()),
            message: Some("message-2".into()),
            at_ms: T0 + 20,
        };
        let after = s.audit_update(rec.id, other).await.unwrap();
        assert_eq!(after.outcome, AuditOutcome::Accepted, "the outcome still moves");
        assert_eq!(after.arm_request_id.as_deref(), Some("arm-1"));
        assert_eq!(after.answered_at, set.answered_at);
        assert_eq!(after.arm_ms, Some(10));
        assert_eq!(after.operation_id.as_deref(), Some("op-1"));
        assert_eq!(after.code.as_deref(), Some("code-1"));
        assert_eq!(after.message.as_deref(), Some("message-1"));
        let unset = s.audit_update(rec.id, AuditChange { at_ms: T0 + 30, ..Default::default() }).await.unwrap();
        assert_eq!(unset, after, "absent fields clear nothing");
    }

    pub async fn audit_filters(db: &TestDb) {
        let s = &db.store;
        let mut ids = std::collections::BTreeMap::new();
        let add = |name: &'static str, new: NewAudit| {
            let s = s.clone();
            async move { (name, s.audit_begin(new).await.unwrap().id) }
        };
        let rows = [
            add("base", new_audit(T0)).await,
            add("other-registry", NewAudit { registry: Some(registry("other-rg", "otherACR01")), ..new_audit(T0 + 1) })
                .await,
            add(
                "upper-registry",
                NewAudit { registry: Some(registry("MYRESOURCEGROUP", "MYACR0007")), ..new_audit(T0 + 2) },
            )
            .await,
            add("region", NewAudit { region: Some("WestEurope".into()), ..new_audit(T0 + 3) }).await,
            add("actor", NewAudit { actor: "bob".into(), ..new_audit(T0 + 4) }).await,
            add("action", NewAudit { action: AuditAction::DeleteReplication, ..new_audit(T0 + 5) }).await,
            add("late", new_audit(T0 + 60_000)).await,
        ];
        ids.extend(rows);
        s.audit_update(ids["actor"], to(AuditOutcome::Refused, T0 + 10)).await.unwrap();
        let list = |f: AuditFilter| {
            let s = s.clone();
            async move {
                let page = s.audit_list(&f, 100).await.unwrap();
                assert_eq!(page.next_cursor, None);
                page.items.into_iter().map(|r| r.id).collect::<Vec<_>>()
            }
        };
        let of = |names: &[&str]| {
            let mut v: Vec<i64> = names.iter().map(|n| ids[n]).collect();
            v.sort_unstable_by(|a, b| b.cmp(a));
            v
        };
        let everything = of(&["base", "other-registry", "upper-registry", "region", "actor", "action", "late"]);
        assert_eq!(list(AuditFilter::default()).await, everything, "newest first");

        let mine = of(&["base", "upper-registry", "region", "actor", "action", "late"]);
        let f = AuditFilter { registry: Some(registry("myresourcegroup", "myacr0007")), ..Default::default() };
        assert_eq!(list(f).await, mine, "registry matches whatever the case");
        let f = AuditFilter { registry: Some(registry("MyResourceGroup", "MyAcr0007")), ..Default::default() };
        assert_eq!(list(f).await, mine);
        let f = AuditFilter { registry: Some(registry("other-rg", "myACR0007")), ..Default::default() };
        assert_eq!(list(f).await, Vec::<i64>::new(), "all three parts must match");

        let f = AuditFilter { region: Some("westeurope".into()), ..Default::default() };
        assert_eq!(list(f).await, of(&["region"]), "region matches whatever the case");
        let f = AuditFilter { region: Some("JAPANEAST".into()), ..Default::default() };
        assert_eq!(list(f).await.len(), 6);

        let f = AuditFilter { actor: Some("bob".into()), ..Default::default() };
        assert_eq!(list(f).await, of(&["actor"]));
        let f = AuditFilter { action: Some(AuditAction::DeleteReplication), ..Default::default() };
        assert_eq!(list(f).await, of(&["action"]));
        let f = AuditFilter { outcome: Some(AuditOutcome::Refused), ..Default::default() };
        assert_eq!(list(f).await, of(&["actor"]));
        let f = AuditFilter { outcome: Some(AuditOutcome::Pending), ..Default::default() };
        assert_eq!(list(f).await.len(), 6);

        let f = AuditFilter { since_ms: Some(T0 + 3), until_ms: Some(T0 + 5), ..Default::default() };
        assert_eq!(list(f).await, of(&["region", "actor"]), "since is inclusive, until exclusive");
        let f = AuditFilter { since_ms: Some(T0 + 1_000), ..Default::default() };
        assert_eq!(list(f).await, of(&["late"]));
        let f = AuditFilter { until_ms: Some(T0 + 1), ..Default::default() };
        assert_eq!(list(f).await, of(&["base"]));

        let f = AuditFilter {
            registry: Some(registry("MYRESOURCEGROUP", "myacr0007")),
            actor: Some("alice".into()),
            outcome: Some(AuditOutcome::Pending),
            since_ms: Some(T0 + 1),
            before_id: Some(ids["late"]),
            ..Default::default()
        };
        assert_eq!(list(f).await, of(&["upper-registry", "region", "action"]), "filters combine");
    }

    pub async fn audit_cursor_paging(db: &TestDb) {
        let s = &db.store;
        let mut all = Vec::new();
        for i in 0..250 {
            let new = NewAudit { actor: if i % 2 == 0 { "even" } else { "odd" }.into(), ..new_audit(T0 + i) };
            all.push(s.audit_begin(new).await.unwrap().id);
        }
        all.reverse();
        let mut seen = Vec::new();
        let mut filter = AuditFilter::default();
        let mut pages = 0;
        loop {
            let page = s.audit_list(&filter, 100).await.unwrap();
            pages += 1;
            seen.extend(page.items.iter().map(|r| r.id));
            match page.next_cursor {
                Some(cursor) => {
                    assert_eq!(page.items.len(), 100);
                    assert_eq!(cursor, page.items.last().unwrap().id.to_string());
                    filter.before_id = Some(cursor.parse().unwrap());
                }
                None => break,
            }
        }
        assert_eq!(pages, 3);
        assert_eq!(seen, all, "every record once, newest first");

        // A page that ends exactly at the last record says there is no more.
        let exact = s.audit_list(&AuditFilter { before_id: Some(all[199]), ..Default::default() }, 50).await.unwrap();
        assert_eq!(exact.items.len(), 50);
        assert_eq!(exact.next_cursor, None);

        // Paging under a filter.
        let mut odd = Vec::new();
        let mut filter = AuditFilter { actor: Some("odd".into()), ..Default::default() };
        loop {
            let page = s.audit_list(&filter, 40).await.unwrap();
            odd.extend(page.items.iter().map(|r| r.id));
            let Some(cursor) = page.next_cursor else { break };
            filter.before_id = Some(cursor.parse().unwrap());
        }
        assert_eq!(odd.len(), 125);
        assert!(odd.windows(2).all(|w| w[0] > w[1]));

        let one = s.audit_list(&AuditFilter::default(), 0).await.unwrap();
        assert_eq!(one.items.len(), 1, "limit 0 is clamped to 1");
        let max = s.audit_list(&AuditFilter::default(), 100_000).await.unwrap();
        assert_eq!(max.items.len(), 250);
        assert_eq!(max.next_cursor, None);
    }

    pub async fn audit_concurrent_writers(db: &TestDb) {
        let tasks: Vec<_> = (0..100)
            .map(|i| {
                let s = db.store.clone();
                tokio::spawn(async move {
                    let rec = s.audit_begin(new_audit(T0 + i)).await.unwrap();
                    let accepted =
                        AuditChange { operation_id: Some(format!("op-{i}")), ..to(AuditOutcome::Accepted, T0 + i) };
                    s.audit_update(rec.id, accepted).await.unwrap();
                    s.audit_update(rec.id, to(AuditOutcome::Succeeded, T0 + i + 1)).await.unwrap()
                })
            })
            .collect();
        let mut ids = std::collections::BTreeSet::new();
        for t in tasks {
            let rec = t.await.unwrap();
            assert_eq!(rec.outcome, AuditOutcome::Succeeded);
            assert!(rec.ended_at.is_some());
            assert!(ids.insert(rec.id), "duplicate id {}", rec.id);
        }
        assert_eq!(ids.len(), 100);
        let page = db.store.audit_list(&AuditFilter::default(), 1000).await.unwrap();
        assert_eq!(page.items.len(), 100);
        assert!(page.items.iter().all(|r| r.outcome == AuditOutcome::Succeeded && r.operation_id.is_some()));
    }

    pub async fn audit_purge_keeps_unfinished(db: &TestDb) {
        let s = &db.store;
        let old_done = s.audit_begin(new_audit(T0)).await.unwrap();
        s.audit_update(old_done.id, to(AuditOutcome::Failed, T0 + 1)).await.unwrap();
        let old_unknown = s.audit_begin(new_audit(T0 + 1)).await.unwrap();
        s.audit_update(old_unknown.id, to(AuditOutcome::Unknown, T0 + 2)).await.unwrap();
        let old_pending = s.audit_begin(new_audit(T0 + 2)).await.unwrap();
        let old_accepted = s.audit_begin(new_audit(T0 + 3)).await.unwrap();
        s.audit_update(old_accepted.id, to(AuditOutcome::Accepted, T0 + 4)).await.unwrap();
        let new_done = s.audit_begin(new_audit(T0 + 10_000)).await.unwrap();
        s.audit_update(new_done.id, to(AuditOutcome::Succeeded, T0 + 10_001)).await.unwrap();

        assert_eq!(s.audit_purge(T0 + 5_000).await.unwrap(), 2);
        assert_eq!(s.audit_get(old_done.id).await.unwrap(), None);
        assert_eq!(s.audit_get(old_unknown.id).await.unwrap(), None);
        assert!(s.audit_get(old_pending.id).await.unwrap().is_some(), "in flight: kept however old");
        assert!(s.audit_get(old_accepted.id).await.unwrap().is_some());
        assert!(s.audit_get(new_done.id).await.unwrap().is_some());
        assert_eq!(s.audit_purge(T0 + 5_000).await.unwrap(), 0);

        let after = s.audit_begin(new_audit(T0 + 20_000)).await.unwrap();
        assert!(after.id > new_done.id, "ids keep increasing after a purge");
    }

    fn operation(id: &str, started_at: &str) -> StoredOperation {
        StoredOperation {
            operation: Operation {
                id: id.into(),
                kind: OperationKind::Create,
                registry: registry("MyResourceGroup", "myACR0007"),
                replication: "japaneast".parse().unwrap(),
                state: OperationState::Running,
                error: None,
                started_at: started_at.into(),
                ended_at: None,
                audit_id: Some(42),
            },
            monitor: Some(Monitor {
                kind: MonitorKind::AsyncOperation,
                url: "https://management.azure.com/subscriptions/0/providers/x/operationResults/1".into(),
            }),
            deadline_ms: T0 + 3_600_000,
        }
    }

    pub async fn operations_lifecycle(db: &TestDb) {
        let s = &db.store;
        let op = operation("op-1", "2026-11-18T12:00:00.000Z");
        s.operation_insert(&op).await.unwrap();
        assert_eq!(s.operation_get("op-1").await.unwrap(), Some(op.clone()));
        assert_eq!(s.operation_get("op-none").await.unwrap(), None);
        let dup = s.operation_insert(&op).await;
        assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");

        let mut bare = operation("op-2", "2026-11-18T12:00:01.000Z");
        bare.monitor = None;
        bare.operation.kind = OperationKind::Delete;
        bare.operation.audit_id = None;
        s.operation_insert(&bare).await.unwrap();
        assert_eq!(s.operation_get("op-2").await.unwrap(), Some(bare));

        s.operation_update("op-1", OperationState::Unknown, Some("ARM unreachable"), None).await.unwrap();
        let got = s.operation_get("op-1").await.unwrap().unwrap();
        assert_eq!(got.operation.state, OperationState::Unknown);
        assert_eq!(got.operation.error.as_deref(), Some("ARM unreachable"));
        s.operation_update("op-1", OperationState::Running, None, None).await.unwrap();
        s.operation_update("op-1", OperationState::Failed, Some("QuotaExceeded"), Some(T0 + 9_000)).await.unwrap();
        let got = s.operation_get("op-1").await.unwrap().unwrap();
        assert_eq!(got.operation.state, OperationState::Failed);
        assert_eq!(got.operation.error.as_deref(), Some("QuotaExceeded"));
        assert_eq!(got.operation.ended_at.as_deref(), Some("2026-11-18T12:00:09.000Z"));
        assert_eq!(got.monitor, op.monitor, "the monitor stays");

        let reopen = s.operation_update("op-1", OperationState::Running, None, None).await;
        assert!(matches!(reopen, Err(StoreError::Conflict(_))), "{reopen:?}");
        let missing = s.operation_update("op-none", OperationState::Succeeded, None, Some(T0)).await;
        assert!(matches!(missing, Err(StoreError::Conflict(_))), "{missing:?}");

        let bad = operation("op-3", "yesterday");
        assert!(matches!(s.operation_insert(&bad).await, Err(StoreError::Corrupt(_))));
    }

    pub async fn operations_order(db: &TestDb) {
        let s = &db.store;
        // Inserted out of start order; two share a start time.
        for (id, at) in [
            ("b", "2026-11-18T12:00:02.000Z"),
            ("a", "2026-11-18T12:00:01.000Z"),
            ("c", "2026-11-18T12:00:03.000Z"),
            ("c2", "2026-11-18T12:00:03.000Z"),
            ("d", "2026-11-18T12:00:04.000Z"),
        ] {
            s.operation_insert(&operation(id, at)).await.unwrap();
        }
        s.operation_update("b", OperationState::Succeeded, None, Some(T0 + 5_000)).await.unwrap();
        s.operation_update("d", OperationState::Unknown, Some("ARM unreachable"), None).await.unwrap();
        let ids = |ops: Vec<StoredOperation>| ops.into_iter().map(|o| o.operation.id).collect::<Vec<_>>();
        assert_eq!(
            ids(s.operations_unfinished().await.unwrap()),
            ["a", "c", "c2", "d"],
            "running or unknown, oldest first"
        );
        assert_eq!(ids(s.operations_recent(3).await.unwrap()), ["d", "c2", "c"], "newest first");
        assert_eq!(ids(s.operations_recent(100).await.unwrap()).len(), 5);
    }

    pub async fn idempotency_claim_race(db: &TestDb) {
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let s = db.store.clone();
                tokio::spawn(async move { s.idempotency_claim("key-1", "fp-1", T0, T0 + 60_000).await.unwrap() })
            })
            .collect();
        let mut new = 0;
        for t in tasks {
            match t.await.unwrap() {
                Claim::New => new += 1,
                Claim::InProgress => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(new, 1, "exactly one claim wins");
    }

    fn response() -> StoredResponse {
        StoredResponse {
            status: 202,
            headers: vec![
                ("location".into(), "/api/v1/operations/op-1".into()),
                ("content-type".into(), "application/json".into()),
                ("x-dup".into(), "1".into()),
                ("x-dup".into(), "2".into()),
            ],
            body: b"{\"id\":\"op-1\"}\x00\xff".to_vec(),
        }
    }

    pub async fn idempotency_lifecycle(db: &TestDb) {
        let s = &db.store;
        assert_eq!(s.idempotency_claim("k", "fp", T0, T0 + 60_000).await.unwrap(), Claim::New);
        assert_eq!(s.idempotency_claim("k", "fp", T0 + 1, T0 + 60_001).await.unwrap(), Claim::InProgress);
        assert_eq!(s.idempotency_claim("k", "other", T0 + 1, T0 + 60_001).await.unwrap(), Claim::Mismatch);

        // Released: the request ended without an answer worth keeping; a retry may claim it.
        s.idempotency_release("k").await.unwrap();
        s.idempotency_release("k").await.unwrap();
        assert_eq!(s.idempotency_claim("k", "fp", T0 + 2, T0 + 60_002).await.unwrap(), Claim::New);

        s.idempotency_complete("k", &response()).await.unwrap();
        assert_eq!(s.idempotency_claim("k", "fp", T0 + 3, T0 + 60_003).await.unwrap(), Claim::Done(response()));
        assert_eq!(s.idempotency_claim("k", "other", T0 + 3, T0 + 60_003).await.unwrap(), Claim::Mismatch);
        let twice = s.idempotency_complete("k", &response()).await;
        assert!(matches!(twice, Err(StoreError::Conflict(_))), "{twice:?}");
        s.idempotency_release("k").await.unwrap();
        assert_eq!(
            s.idempotency_claim("k", "fp", T0 + 4, T0 + 60_004).await.unwrap(),
            Claim::Done(response()),
            "release leaves a completed key alone"
        );
        let unclaimed = s.idempotency_complete("never", &response()).await;
        assert!(matches!(unclaimed, Err(StoreError::Conflict(_))), "{unclaimed:?}");

        let empty = StoredResponse { status: 204, headers: vec![], body: vec![] };
        assert_eq!(s.idempotency_claim("k2", "fp", T0, T0 + 60_000).await.unwrap(), Claim::New);
        s.idempotency_complete("k2", &empty).await.unwrap();
        assert_eq!(s.idempotency_claim("k2", "fp", T0, T0 + 60_000).await.unwrap(), Claim::Done(empty));
    }

    pub async fn idempotency_expiry_and_purge(db: &TestDb) {
        let s = &db.store;
        assert_eq!(s.idempotency_claim("done", "fp", T0, T0 + 1_000).await.unwrap(), Claim::New);
        s.idempotency_complete("done", &response()).await.unwrap();
        assert_eq!(s.idempotency_claim("stuck", "fp", T0, T0 + 1_000).await.unwrap(), Claim::New);
        assert_eq!(s.idempotency_claim("live", "fp", T0, T0 + 100_000).await.unwrap(), Claim::New);

        // Once expired a key is free again, for any request, answered or not.
        assert_eq!(s.idempotency_claim("done", "other", T0 + 1_000, T0 + 2_000).await.unwrap(), Claim::New);
        assert_eq!(s.idempotency_claim("done", "other", T0 + 1_001, T0 + 2_000).await.unwrap(), Claim::InProgress);
        assert_eq!(s.idempotency_claim("stuck", "fp", T0 + 5_000, T0 + 6_000).await.unwrap(), Claim::New);
        assert_eq!(s.idempotency_claim("live", "fp", T0 + 5_000, T0 + 6_000).await.unwrap(), Claim::InProgress);

        assert_eq!(s.idempotency_purge(T0 + 1_999).await.unwrap(), 0);
        assert_eq!(s.idempotency_purge(T0 + 6_000).await.unwrap(), 2, "done (2000) and stuck (6000)");
        assert_eq!(s.idempotency_claim("stuck", "new", T0 + 6_000, T0 + 7_000).await.unwrap(), Claim::New);
        assert_eq!(s.idempotency_purge(T0 + 1_000_000).await.unwrap(), 2);
    }

    pub async fn migrations_are_idempotent(db: &TestDb) {
        let rec = db.store.audit_begin(new_audit(T0)).await.unwrap();
        let again = Store::open(&db.cfg).await.expect("a second open migrates nothing and succeeds");
        assert_eq!(again.audit_get(rec.id).await.unwrap(), Some(rec));
        let third = Store::open(&db.cfg).await.unwrap();
        third.ping().await.unwrap();
    }

    pub async fn describe_names_the_backend(db: &TestDb) {
        let d = db.store.describe();
        assert!(d.starts_with(&format!("{} ", db.store.backend())), "{d}");
        assert_eq!(db.store.backend(), db.cfg.backend());
        assert!(!format!("{:?}", db.store).is_empty());
    }

    // ---- sign-in: audit roles and visibility ----

    pub async fn audit_actor_role_round_trip(db: &TestDb) {
        let s = &db.store;
        let with = s.audit_begin(new_audit(T0)).await.unwrap();
        assert_eq!(with.actor_role.as_deref(), Some("operator"));
        let without = s
            .audit_begin(NewAudit {
                actor_role: None,
                registry: None,
                region: None,
                replication: None,
                action: AuditAction::SignIn,
                ..new_audit(T0 + 1)
            })
            .await
            .unwrap();
        assert_eq!(without.actor_role, None);
        assert_eq!(without.action, AuditAction::SignIn);
        let done = s.audit_update(with.id, to(AuditOutcome::Refused, T0 + 2)).await.unwrap();
        assert_eq!(done.actor_role.as_deref(), Some("operator"), "updates keep the role");
        assert_eq!(s.audit_get(with.id).await.unwrap(), Some(done));
        assert_eq!(s.audit_get(without.id).await.unwrap(), Some(without));
        for action in AuditAction::ALL {
            let rec = s.audit_begin(NewAudit { action, ..new_audit(T0 + 3) }).await.unwrap();
            assert_eq!(s.audit_get(rec.id).await.unwrap().unwrap().action, action, "{action:?} is stored");
            let f = AuditFilter { action: Some(action), before_id: Some(rec.id + 1), ..Default::default() };
            assert_eq!(s.audit_list(&f, 1).await.unwrap().items[0].id, rec.id);
        }
    }

    /// Two registries, A (a non-ASCII resource group) and B, and records about none, in the
    /// order `a1 b1 n1 a2 b2 n2 a3`; japaneast unless named westeurope.
    async fn visibility_records(s: &Store) -> std::collections::BTreeMap<&'static str, i64> {
        let plan: [(&str, Option<RegistryKey>, &str, AuditAction); 7] = [
            ("a1", Some(registry("Prod-ÄRG", "prodACR01")), "japaneast", AuditAction::CreateReplication),
            ("b1", Some(registry("test-rg", "testACR01")), "westeurope", AuditAction::CreateReplication),
            ("n1", None, "", AuditAction::SignIn),
            ("a2", Some(registry("Prod-ÄRG", "prodACR01")), "westeurope", AuditAction::DeleteReplication),
            ("b2", Some(registry("test-rg", "testACR01")), "japaneast", AuditAction::UpdateReplication),
            ("n2", None, "", AuditAction::EnrollDevice),
            ("a3", Some(registry("Prod-ÄRG", "prodACR01")), "japaneast", AuditAction::CreateReplication),
        ];
        let mut ids = std::collections::BTreeMap::new();
        for (i, (name, registry, region, action)) in plan.into_iter().enumerate() {
            let region = (!region.is_empty()).then(|| region.to_owned());
            let replication = region.as_ref().map(|r| r.parse().unwrap());
            let new = NewAudit { registry, region, replication, action, ..new_audit(T0 + i as i64) };
            ids.insert(name, s.audit_begin(new).await.unwrap().id);
        }
        ids
    }

    fn scope(registries: Vec<RegistryKey>, include_unscoped: bool) -> Option<AuditScope> {
        Some(AuditScope { registries, include_unscoped })
    }

    /// Every page of `filter`, `limit` at a time: the ids, and the size of each page.
    async fn pages(s: &Store, mut filter: AuditFilter, limit: u32) -> (Vec<i64>, Vec<usize>) {
        let (mut ids, mut sizes) = (Vec::new(), Vec::new());
        loop {
            let page = s.audit_list(&filter, limit).await.unwrap();
            ids.extend(page.items.iter().map(|r| r.id));
            sizes.push(page.items.len());
            let Some(cursor) = page.next_cursor else { break };
            filter.before_id = Some(cursor.parse().unwrap());
        }
        (ids, sizes)
    }

    pub async fn audit_visibility(db: &TestDb) {
        let s = &db.store;
        let ids = visibility_records(s).await;
        let of = |names: &[&str]| names.iter().map(|n| ids[n]).collect::<Vec<_>>();
        let list = |f: AuditFilter| async move { pages(s, f, 100).await.0 };
        // Spelled otherwise than when written: the scope matches as the registry filter does.
        let a = registry("prod-ärg", "PRODACR01");
        let b = registry("TEST-RG", "testacr01");

        assert_eq!(list(AuditFilter { visible: None, ..Default::default() }).await.len(), 7, "no scope, no limit");
        let f = AuditFilter { visible: scope(vec![a.clone()], false), ..Default::default() };
        assert_eq!(list(f).await, of(&["a3", "a2", "a1"]), "one registry");
        let f = AuditFilter { visible: scope(vec![a.clone()], true), ..Default::default() };
        assert_eq!(list(f).await, of(&["a3", "n2", "a2", "n1", "a1"]), "and the records about none");
        let f = AuditFilter { visible: scope(vec![a.clone(), b.clone()], false), ..Default::default() };
        assert_eq!(list(f).await, of(&["a3", "b2", "a2", "b1", "a1"]));
        let f = AuditFilter { visible: scope(vec![], false), ..Default::default() };
        assert_eq!(list(f).await, Vec::<i64>::new(), "an empty scope shows nothing");
        let f = AuditFilter { visible: scope(vec![], true), ..Default::default() };
        assert_eq!(list(f).await, of(&["n2", "n1"]), "only the records about no registry");

        let mut other_sub = a.clone();
        other_sub.subscription_id = "11111111-1111-1111-1111-111111111111".parse().unwrap();
        let f = AuditFilter { visible: scope(vec![other_sub], false), ..Default::default() };
        assert_eq!(list(f).await, Vec::<i64>::new(), "the subscription must match too");
        let f = AuditFilter { visible: scope(vec![registry("prod-ärg", "testACR01")], false), ..Default::default() };
        assert_eq!(list(f).await, Vec::<i64>::new(), "all three parts of one key, not parts of several");

        // Combined with the other filters: every condition holds.
        let f = AuditFilter {
            region: Some("JapanEast".into()),
            visible: scope(vec![a.clone()], true),
            ..Default::default()
        };
        assert_eq!(list(f).await, of(&["a3", "a1"]), "records about no registry have no region either");
        let f = AuditFilter { registry: Some(b.clone()), visible: scope(vec![a.clone()], true), ..Default::default() };
        assert_eq!(list(f).await, Vec::<i64>::new(), "a registry outside the scope stays hidden");
        let f = AuditFilter {
            action: Some(AuditAction::EnrollDevice),
            visible: scope(vec![a.clone()], true),
            ..Default::default()
        };
        assert_eq!(list(f).await, of(&["n2"]));
        let f = AuditFilter {
            since_ms: Some(T0 + 1),
            until_ms: Some(T0 + 6),
            visible: scope(vec![b.clone()], true),
            ..Default::default()
        };
        assert_eq!(list(f).await, of(&["n2", "b2", "n1", "b1"]));
    }

    pub async fn audit_visibility_pages(db: &TestDb) {
        let s = &db.store;
        let ids = visibility_records(s).await;
        let of = |names: &[&str]| names.iter().map(|n| ids[n]).collect::<Vec<_>>();
        let a = registry("prod-ärg", "prodacr01");
        let b = registry("test-rg", "testacr01");

        // b2 lies between a3 and a1 and is hidden: each page still holds one record.
        let f = AuditFilter {
            region: Some("japaneast".into()),
            visible: scope(vec![a.clone()], true),
            ..Default::default()
        };
        assert_eq!(pages(s, f.clone(), 1).await, (of(&["a3", "a1"]), vec![1, 1]));
        assert_eq!(pages(s, f, 2).await, (of(&["a3", "a1"]), vec![2]), "a full last page says there is no more");

        let f = AuditFilter { visible: scope(vec![b.clone()], true), ..Default::default() };
        assert_eq!(pages(s, f, 1).await, (of(&["n2", "b2", "n1", "b1"]), vec![1, 1, 1, 1]));
        let f =
            AuditFilter { region: Some("japaneast".into()), visible: scope(vec![a, b], false), ..Default::default() };
        assert_eq!(pages(s, f.clone(), 1).await, (of(&["a3", "b2", "a1"]), vec![1, 1, 1]));
        assert_eq!(pages(s, f, 2).await, (of(&["a3", "b2", "a1"]), vec![2, 1]));
        let f = AuditFilter { visible: scope(vec![], false), ..Default::default() };
        assert_eq!(pages(s, f, 1).await, (vec![], vec![0]));
    }

    pub async fn audit_visibility_large_scope(db: &TestDb) {
        let s = &db.store;
        let ids = visibility_records(s).await;
        // Thousands of keys (more than SQLite allows placeholders), the one that matches last.
        let mut keys: Vec<RegistryKey> =
            (0..40_000).map(|i| registry(&format!("rg-{i}"), &format!("acr{i:05}"))).collect();
        keys.push(registry("PROD-ÄRG", "prodacr01"));
        let f = AuditFilter { visible: scope(keys, false), ..Default::default() };
        let (found, sizes) = pages(s, f, 2).await;
        assert_eq!(found, [ids["a3"], ids["a2"], ids["a1"]]);
        assert_eq!(sizes, [2, 1]);
    }

    // ---- sign-in: API tokens ----

    fn token(id: &str, role: &str, created_at_ms: i64) -> ApiTokenRow {
        ApiTokenRow {
            id: id.into(),
            name: format!("ci {id}"),
            secret_hash: "5e".repeat(32),
            role: role.into(),
            registries: vec![
                "/subscriptions/*/resourceGroups/prod-*/providers/Microsoft.ContainerRegistry/registries/*".into(),
                "myacr*".into(),
            ],
            created_by: "alice".into(),
            created_at_ms,
            expires_at_ms: created_at_ms + 90 * 86_400_000,
            last_used_at_ms: None,
            revoked_at_ms: None,
            revoked_by: None,
        }
    }

    pub async fn tokens_lifecycle(db: &TestDb) {
        let s = &db.store;
        let ci = token("tk1ci", "operator", T0);
        let all = ApiTokenRow { registries: vec!["*".into()], ..token("tk2all", "admin", T0 + 10) };
        let old = ApiTokenRow { expires_at_ms: T0 + 6, ..token("tk3old", "viewer", T0 + 5) };
        let tie = ApiTokenRow { registries: vec![], ..token("tk4tie", "viewer", T0 + 10) };
        for t in [&ci, &all, &old, &tie] {
            s.token_insert(t).await.unwrap();
        }
        assert_eq!(s.token_get("tk1ci").await.unwrap(), Some(ci.clone()));
        assert_eq!(s.token_get("tk2all").await.unwrap().unwrap().registries, ["*"]);
        assert_eq!(s.token_get("tk4tie").await.unwrap().unwrap().registries, Vec::<String>::new());
        assert_eq!(s.token_get("nope").await.unwrap(), None);

        let dup = s.token_insert(&ApiTokenRow { name: "other".into(), ..ci.clone() }).await;
        assert!(matches!(&dup, Err(StoreError::Conflict(m)) if m.contains("tk1ci")), "{dup:?}");
        assert_eq!(s.token_get("tk1ci").await.unwrap(), Some(ci.clone()), "the first one stays");
        let bad = s.token_insert(&token("tk5bad", "root", T0)).await;
        assert!(matches!(&bad, Err(StoreError::Corrupt(m)) if m.contains("root")), "{bad:?}");
        assert_eq!(s.token_get("tk5bad").await.unwrap(), None);

        let ids = |ts: Vec<ApiTokenRow>| ts.into_iter().map(|t| t.id).collect::<Vec<_>>();
        assert_eq!(ids(s.token_list().await.unwrap()), ["tk4tie", "tk2all", "tk3old", "tk1ci"], "newest first");

        assert!(ci.is_active(T0) && !old.is_active(T0 + 6) && old.is_active(T0 + 5));
        assert!(s.token_revoke("tk1ci", "bob", T0 + 100).await.unwrap());
        let revoked = s.token_get("tk1ci").await.unwrap().unwrap();
        assert_eq!((revoked.revoked_at_ms, revoked.revoked_by.as_deref()), (Some(T0 + 100), Some("bob")));
        assert!(!revoked.is_active(T0 + 100));
        assert!(!s.token_revoke("tk1ci", "carol", T0 + 200).await.unwrap(), "revoked already");
        assert_eq!(s.token_get("tk1ci").await.unwrap(), Some(revoked), "the first revocation stays");
        assert!(!s.token_revoke("nope", "bob", T0).await.unwrap());
        assert!(s.token_revoke("tk3old", "bob", T0 + 300).await.unwrap(), "an expired token can be ended too");

        let listed = s.token_list().await.unwrap();
        assert_eq!(listed.len(), 4, "revoked and expired stay listed");
        assert_eq!(listed.iter().filter(|t| t.is_active(T0 + 300)).count(), 2);
        let shown = format!("{listed:?}");
        assert!(!shown.contains(&ci.secret_hash) && shown.contains("tk1ci"), "{shown}");
    }

    pub async fn tokens_touch_moves_forward(db: &TestDb) {
        let s = &db.store;
        s.token_insert(&token("tk1", "viewer", T0)).await.unwrap();
        let used = |s: &Store| {
            let s = s.clone();
            async move { s.token_get("tk1").await.unwrap().unwrap().last_used_at_ms }
        };
        assert_eq!(used(s).await, None);
        s.token_touch("tk1", T0 + 50).await.unwrap();
        assert_eq!(used(s).await, Some(T0 + 50));
        s.token_touch("tk1", T0 + 40).await.unwrap();
        assert_eq!(used(s).await, Some(T0 + 50), "never backwards");
        s.token_touch("tk1", T0 + 50).await.unwrap();
        s.token_touch("tk1", T0 + 60).await.unwrap();
        assert_eq!(used(s).await, Some(T0 + 60));
        s.token_touch("nope", T0).await.unwrap();

        // Requests finishing in any order leave the latest time.
        let tasks: Vec<_> = (0..20)
            .map(|i| {
                let s = s.clone();
                let at = T0 + 1_000 + (i * 7) % 20;
                tokio::spawn(async move { s.token_touch("tk1", at).await.unwrap() })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(used(s).await, Some(T0 + 1_019));
    }

    // ---- sign-in: sessions ----

    fn session(n: u32, token_id: Option<&str>) -> SessionRow {
        SessionRow {
            id_hash: format!("{n:064x}"),
            subject: json!({"sub": format!("user-{n}"), "name": "Alice", "roles": ["operator"], "groups": []}),
            token_id: token_id.map(str::to_owned),
            created_at_ms: T0,
            last_seen_at_ms: T0,
            expires_at_ms: T0 + 8 * 3_600_000,
            delegated: None,
        }
    }

    pub async fn sessions_lifecycle(db: &TestDb) {
        let s = &db.store;
        let person = session(1, None);
        s.session_insert(&person).await.unwrap();
        assert_eq!(s.session_get(&person.id_hash).await.unwrap(), Some(person.clone()));
        assert_eq!(s.session_get(&session(99, None).id_hash).await.unwrap(), None);
        let dup = s.session_insert(&SessionRow { subject: json!("other"), ..person.clone() }).await;
        assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
        let orphan = s.session_insert(&session(2, Some("no-such-token"))).await;
        assert!(matches!(&orphan, Err(StoreError::Conflict(m)) if m.contains("no-such-token")), "{orphan:?}");

        s.session_touch(&person.id_hash, T0 + 500).await.unwrap();
        s.session_touch(&person.id_hash, T0 + 400).await.unwrap();
        let seen = s.session_get(&person.id_hash).await.unwrap().unwrap();
        assert_eq!(seen.last_seen_at_ms, T0 + 500, "never backwards");
        assert_eq!(seen.expires_at_ms, person.expires_at_ms, "the absolute expiry does not move");
        s.session_touch("nope", T0).await.unwrap();

        let tokens =
            json!({"access_token": "eyJ-secret", "refresh_token": "r-secret", "expires_at_ms": T0 + 3_600_000});
        assert!(s.session_set_delegated(&person.id_hash, Some(tokens.clone())).await.unwrap());
        let with = s.session_get(&person.id_hash).await.unwrap().unwrap();
        assert_eq!(with.delegated, Some(tokens));
        let shown = format!("{with:?}");
        assert!(!shown.contains("secret") && shown.contains("user-1"), "{shown}");
        assert!(s.session_set_delegated(&person.id_hash, None).await.unwrap());
        assert_eq!(s.session_get(&person.id_hash).await.unwrap().unwrap().delegated, None);
        assert!(!s.session_set_delegated("nope", Some(json!({}))).await.unwrap(), "no such session");

        s.token_insert(&token("wall", "viewer", T0)).await.unwrap();
        s.token_insert(&token("other", "viewer", T0)).await.unwrap();
        for n in 10..13 {
            s.session_insert(&session(n, Some("wall"))).await.unwrap();
        }
        let kept = SessionRow { delegated: Some(json!(null)), ..session(13, Some("other")) };
        s.session_insert(&kept).await.unwrap();
        assert_eq!(s.session_get(&kept.id_hash).await.unwrap(), Some(kept.clone()), "JSON null is a value");
        assert_eq!(s.sessions_delete_for_token("wall").await.unwrap(), 3);
        assert_eq!(s.sessions_delete_for_token("wall").await.unwrap(), 0);
        assert_eq!(s.session_get(&session(10, None).id_hash).await.unwrap(), None);
        assert!(s.session_get(&kept.id_hash).await.unwrap().is_some(), "another token's session stays");
        assert!(s.session_get(&person.id_hash).await.unwrap().is_some(), "a person's session stays");

        assert!(s.session_delete(&person.id_hash).await.unwrap());
        assert!(!s.session_delete(&person.id_hash).await.unwrap());
        assert_eq!(s.session_get(&person.id_hash).await.unwrap(), None);
    }

    pub async fn sessions_purge_idle_and_expired(db: &TestDb) {
        let s = &db.store;
        let (now, idle) = (T0 + 10_000, 1_000);
        s.token_insert(&token("screen", "viewer", T0)).await.unwrap();
        let rows = [
            // (session, kept by a purge at `now`)
            (SessionRow { last_seen_at_ms: T0 + 9_000, ..session(1, None) }, true),
            (SessionRow { last_seen_at_ms: T0 + 8_999, ..session(2, None) }, false),
            (SessionRow { last_seen_at_ms: T0 + 9_999, expires_at_ms: now, ..session(3, None) }, false),
            (SessionRow { last_seen_at_ms: T0 + 9_500, expires_at_ms: now + 1, ..session(4, None) }, true),
            // A device session has no idle limit, only its absolute expiry.
            (SessionRow { last_seen_at_ms: T0, expires_at_ms: now + idle * 2, ..session(5, Some("screen")) }, true),
        ];
        for (row, kept) in &rows {
            s.session_insert(row).await.unwrap();
            assert_eq!(row.is_live(now, idle), *kept, "is_live agrees with the purge: {row:?}");
        }
        assert_eq!(s.sessions_purge(now, idle).await.unwrap(), 2);
        for (row, kept) in &rows {
            assert_eq!(s.session_get(&row.id_hash).await.unwrap().is_some(), *kept, "{row:?}");
        }
        assert_eq!(s.sessions_purge(now, idle).await.unwrap(), 0);

        // Activity keeps a session from going idle, never past its absolute expiry.
        s.session_touch(&rows[0].0.id_hash, now).await.unwrap();
        s.session_touch(&rows[3].0.id_hash, now).await.unwrap();
        assert_eq!(s.sessions_purge(now + idle, idle).await.unwrap(), 1, "4 expired at now + 1");
        assert!(s.session_get(&rows[0].0.id_hash).await.unwrap().is_some());
        assert_eq!(s.sessions_purge(now + idle + 1, idle).await.unwrap(), 1, "1 idle at last");
        assert_eq!(s.sessions_purge(now + idle * 2, idle).await.unwrap(), 1, "the device session at its expiry");
    }

    // ---- sign-in: OpenID Connect sign-ins in flight ----

    fn login_state(state: &str, expires_at_ms: i64) -> LoginStateRow {
        LoginStateRow {
            state: state.into(),
            nonce: format!("nonce-{state}"),
            pkce_verifier: format!("pkce-secret-{state}"),
            return_to: "/activity?registry=myacr0007".into(),
            created_at_ms: T0,
            expires_at_ms,
        }
    }

    pub async fn login_states_taken_once(db: &TestDb) {
        let s = &db.store;
        let live = login_state("st1", T0 + 600_000);
        s.login_state_put(&live).await.unwrap();
        let dup = s.login_state_put(&login_state("st1", T0 + 1)).await;
        assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
        assert!(!format!("{live:?}").contains("pkce-secret"), "{live:?}");
        assert_eq!(s.login_state_take("st1", T0 + 1).await.unwrap(), Some(live.clone()));
        assert_eq!(s.login_state_take("st1", T0 + 2).await.unwrap(), None, "taken once");
        assert_eq!(s.login_state_take("never", T0).await.unwrap(), None);

        s.login_state_put(&login_state("st2", T0 + 100)).await.unwrap();
        assert_eq!(s.login_state_take("st2", T0 + 100).await.unwrap(), None, "expired");
        s.login_state_put(&login_state("st2", T0 + 100)).await.expect("the expired row was deleted");

        s.login_state_put(&login_state("st3", T0 + 50)).await.unwrap();
        s.login_state_put(&login_state("st4", T0 + 1_000)).await.unwrap();
        assert_eq!(s.login_states_purge(T0 + 49).await.unwrap(), 0);
        assert_eq!(s.login_states_purge(T0 + 100).await.unwrap(), 2, "st2 and st3");
        assert_eq!(s.login_state_take("st4", T0 + 999).await.unwrap(), Some(login_state("st4", T0 + 1_000)));

        // A replayed callback racing the first: exactly one gets the sign-in.
        s.login_state_put(&login_state("race", T0 + 600_000)).await.unwrap();
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let s = s.clone();
                tokio::spawn(async move { s.login_state_take("race", T0).await.unwrap() })
            })
            .collect();
        let mut taken = 0;
        for t in tasks {
            taken += usize::from(t.await.unwrap().is_some());
        }
        assert_eq!(taken, 1);
    }
}

#[tokio::test]
async fn sqlite_locked_database_is_unavailable_within_the_busy_timeout() {
    let busy = Duration::from_millis(400);
    let db = TestDb::sqlite_with(busy).await;
    let rec = db.store.audit_begin(sample()).await.unwrap();
    let StoreConfig::Sqlite { path, .. } = &db.cfg else { unreachable!() };

    let mut other = sqlx::SqliteConnection::connect(&format!("sqlite:{}", path.display())).await.unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&mut other).await.unwrap();
    assert_eq!(mode, "wal", "the store put the file in WAL mode");
    sqlx::query("BEGIN EXCLUSIVE").execute(&mut other).await.unwrap();

    let started = Instant::now();
    let err = db.store.audit_begin(sample()).await.unwrap_err();
    let waited = started.elapsed();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    assert!(waited >= busy - Duration::from_millis(50), "gave up after {waited:?}, before the busy timeout");
    assert!(waited < busy + Duration::from_secs(2), "waited {waited:?}, far past the busy timeout");
    let update = db.store.audit_update(rec.id, Default::default()).await.unwrap_err();
    assert!(matches!(update, StoreError::Unavailable(_)), "{update:?}");
    let claim = db.store.idempotency_claim("k", "fp", 0, 1).await.unwrap_err();
    assert!(matches!(claim, StoreError::Unavailable(_)), "{claim:?}");

    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
    other.close().await.unwrap();
    db.store.audit_begin(sample()).await.expect("writes again once the lock is gone");
    db.finish().await;
}

#[tokio::test]
async fn postgres_unreachable_is_unavailable_quickly() {
    // Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    let cfg = StoreConfig::from_url("postgres://replimap:pw@127.0.0.1:9/replimap", std::path::Path::new("/")).unwrap();
    let started = Instant::now();
    let err = Store::open(&cfg).await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    assert!(err.to_string().contains("127.0.0.1:9"), "names the server: {err}");
    assert!(!err.to_string().contains("pw"), "no password: {err}");
}

fn sample() -> replimap_store::NewAudit {
    replimap_store::NewAudit {
        at_ms: 1,
        actor: "alice".into(),
        actor_source: "local".into(),
        actor_role: None,
        client_ip: "127.0.0.1".into(),
        request_id: "r".into(),
        correlation_id: "c".into(),
        registry: None,
        region: None,
        replication: None,
        action: replimap_types::AuditAction::CreateReplication,
        request: serde_json::json!({}),
    }
}

#[tokio::test]
async fn postgres_locked_row_is_unavailable_within_the_lock_timeout() {
    let Some(db) = TestDb::postgres().await else { return };
    let rec = db.store.audit_begin(sample()).await.unwrap();
    let StoreConfig::Postgres { url } = &db.cfg else { unreachable!() };

    let mut other = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::query("BEGIN").execute(&mut other).await.unwrap();
    sqlx::query("SELECT id FROM audit WHERE id = $1 FOR UPDATE").bind(rec.id).execute(&mut other).await.unwrap();

    let started = Instant::now();
    let err = db.store.audit_update(rec.id, Default::default()).await.unwrap_err();
    let waited = started.elapsed();
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    assert!(
        waited >= Duration::from_secs(4) && waited < Duration::from_secs(10),
        "waited {waited:?} (lock_timeout 5s)"
    );

    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
    other.close().await.unwrap();
    db.store.audit_update(rec.id, Default::default()).await.expect("writes again once the lock is gone");
    db.finish().await;
}

/// A database made by the first release (migration 0001 only) with a record in it: `Store::open`
/// must apply the later migrations over it and keep the record.
async fn upgrades_a_0001_database(cfg: StoreConfig, cleanup: Cleanup) {
    // A migration folder holding 0001 alone, byte for byte, so its checksum is the one the
    // store's own migrator expects.
    let engine = cfg.backend();
    let v1 = std::env::temp_dir().join(format!("replimap-store-v1-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&v1).unwrap();
    let initial = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("migrations").join(engine).join("0001_initial.sql");
    std::fs::copy(&initial, v1.join("0001_initial.sql")).unwrap();
    let migrator = sqlx::migrate::Migrator::new(v1.as_path()).await.unwrap();
    assert_eq!(migrator.iter().count(), 1);
    let old_row = "INSERT INTO audit (at_ms, actor, actor_source, client_ip, request_id, correlation_id, \
         registry_sub, registry_rg, registry_rg_lc, registry_name, registry_name_lc, region, region_lc, action, \
         request, outcome) VALUES (1795003200000, 'old', 'local', '127.0.0.1', 'r0', 'c0', \
         '00000000-0000-0000-0000-000000000000', 'MyResourceGroup', 'myresourcegroup', 'myACR0007', 'myacr0007', \
         'japaneast', 'japaneast', 'create_replication', '{\"location\": \"japaneast\"}', 'succeeded')";
    match &cfg {
        StoreConfig::Sqlite { path, .. } => {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path).create_if_missing(true);
            let mut conn = sqlx::SqliteConnection::connect_with(&options).await.unwrap();
            migrator.run(&mut conn).await.unwrap();
            sqlx::query(old_row).execute(&mut conn).await.unwrap();
            conn.close().await.unwrap();
        }
        StoreConfig::Postgres { url } => {
            let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
            migrator.run(&mut conn).await.unwrap();
            sqlx::query(old_row).execute(&mut conn).await.unwrap();
            conn.close().await.unwrap();
        }
    }
    std::fs::remove_dir_all(&v1).unwrap();

    let db = TestDb::open(cfg, cleanup).await;
    let page = db.store.audit_list(&replimap_store::AuditFilter::default(), 10).await.unwrap();
    assert_eq!(page.items.len(), 1, "the old record is kept");
    let old = &page.items[0];
    assert_eq!((old.actor.as_str(), old.actor_role.as_deref()), ("old", None), "no role before roles");
    assert_eq!(old.request, serde_json::json!({"location": "japaneast"}));

    // The new schema works on the upgraded database, and a second open migrates nothing.
    let new = db.store.audit_begin(replimap_store::NewAudit { actor_role: Some("admin".into()), ..sample() }).await;
    assert_eq!(new.unwrap().actor_role.as_deref(), Some("admin"));
    let token = replimap_store::ApiTokenRow {
        id: "tk1".into(),
        name: "wall".into(),
        secret_hash: "00".repeat(32),
        role: "viewer".into(),
        registries: vec!["*".into()],
        created_by: "old".into(),
        created_at_ms: 1,
        expires_at_ms: 2,
        last_used_at_ms: None,
        revoked_at_ms: None,
        revoked_by: None,
    };
    db.store.token_insert(&token).await.unwrap();
    let again = Store::open(&db.cfg).await.expect("reopen");
    assert_eq!(again.token_get("tk1").await.unwrap(), Some(token));
    drop(again);
    db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_upgrades_a_0001_database() {
    let (cfg, cleanup) = TestDb::sqlite_empty(replimap_store::DEFAULT_BUSY_TIMEOUT);
    upgrades_a_0001_database(cfg, cleanup).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_upgrades_a_0001_database() {
    let Some((cfg, cleanup)) = TestDb::postgres_empty().await else { return };
    upgrades_a_0001_database(cfg, cleanup).await;
}
