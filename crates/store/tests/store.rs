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
        let dir = std::env::temp_dir().join(format!("replimap-store-test-{}", uuid::Uuid::new_v4().simple()));
        // A directory that does not exist yet: open must create it.
        let cfg = StoreConfig::Sqlite { path: dir.join("nested").join("replimap.db"), busy_timeout };
        let store = Store::open(&cfg).await.expect("open sqlite");
        TestDb { cfg, store, cleanup: Cleanup::Dir(dir) }
    }

    async fn postgres() -> Option<TestDb> {
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
        let store = Store::open(&cfg).await.expect("open postgres");
        Some(TestDb { cfg, store, cleanup: Cleanup::Database { admin_url, name } })
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
);

mod suite {
    use replimap_store::{
        AuditChange, AuditFilter, Claim, Monitor, MonitorKind, NewAudit, Store, StoreError, StoredOperation,
        StoredResponse,
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
