//! The audit trail: every write attempt recorded before ARM is called and completed after;
//! refused when the store cannot record; idempotent retries; export.

use std::time::Duration;

use replimap_arm_emulator::FaultRule;
use replimap_server::CSRF_HEADER;
use replimap_types::{Operation, OperationState};
use serde_json::{json, Value};

use crate::support::{TestPortal, REG};

fn replications() -> String {
    format!("/api/v1/registries/{REG}/replications")
}

async fn wait_op(t: &TestPortal, id: &str) -> Operation {
    for _ in 0..200 {
        let op: Operation = t.get(&format!("/api/v1/operations/{id}")).await.json().await.unwrap();
        if matches!(op.state, OperationState::Succeeded | OperationState::Failed) {
            return op;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("operation {id} never ended");
}

#[tokio::test]
async fn a_create_is_recorded_before_arm_and_completed_after() {
    let t = TestPortal::start().await;
    let mut sse = t.sse(None).await;
    sse.next().await;
    let resp = t.put(&replications(), json!({"location": "japaneast", "tags": {"team": "a"}})).await;
    assert_eq!(resp.status(), 202);
    let request_id = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
    let op_id = resp.headers()["operation-id"].to_str().unwrap().to_owned();
    let op = wait_op(&t, &op_id).await;
    assert_eq!(op.state, OperationState::Succeeded);
    let audit_id = op.audit_id.expect("the operation names its audit record");
    let r = t.final_audit(audit_id).await;
    assert_eq!(r["outcome"], "succeeded", "{r}");
    assert_eq!(r["action"], "create_replication");
    assert_eq!(r["actor"], "local");
    assert_eq!(r["clientIp"], "127.0.0.1");
    assert_eq!(r["requestId"], request_id.as_str());
    assert_eq!(r["region"], "japaneast");
    assert_eq!(r["replication"], "japaneast");
    assert_eq!(r["registry"]["name"], "myACR0007");
    assert_eq!(r["request"], json!({"location": "japaneast", "tags": {"team": "a"}}));
    assert_eq!(r["operationId"], op_id.as_str());
    assert!(r["armRequestId"].as_str().is_some_and(|s| !s.is_empty()), "ARM's request id: {r}");
    assert!(r["answeredAt"].is_string() && r["endedAt"].is_string() && r["armMs"].is_u64(), "{r}");
    // Sent to ARM as x-ms-correlation-request-id (crates/arm's tests check the header).
    assert_eq!(uuid::Uuid::parse_str(r["correlationId"].as_str().unwrap()).unwrap().get_version_num(), 4);
    // The stream carried the record as it moved on: pending, accepted, succeeded.
    let mut outcomes = Vec::new();
    while outcomes.last().map(String::as_str) != Some("succeeded") {
        if let (_, replimap_types::StatusEvent::Activity { record }) = sse.next().await {
            if record.id == audit_id {
                outcomes.push(record.outcome.as_str().to_owned());
            }
        }
    }
    assert_eq!(outcomes, ["pending", "accepted", "succeeded"]);
}

#[tokio::test]
async fn refusals_are_recorded_with_their_code_and_no_arm_write() {
    let t = TestPortal::start().await;
    let before = t.arm_writes();
    let resp = t.delete(&format!("{}/eastus", replications())).await;
    assert_eq!(resp.status(), 409);
    let resp = t.put(&replications(), json!({"location": "atlantis"})).await;
    assert_eq!(resp.status(), 400);
    assert_eq!(t.arm_writes(), before, "no ARM write for a refused request");
    let records = t.audit("outcome=refused").await;
    let codes: Vec<&str> = records.iter().map(|r| r["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["unknown_region", "home_replica"], "newest first");
    assert_eq!(records[1]["action"], "delete_replication");
    assert_eq!(records[1]["region"], "eastus");
    assert!(records.iter().all(|r| r["endedAt"].is_string() && r["armRequestId"].is_null()));
}

#[tokio::test]
async fn arm_refusals_carry_arm_code_and_request_id() {
    let t = TestPortal::start().await;
    t.emulator().add_fault(
        FaultRule::status(409).method("PUT").path_contains("/replications/").times(1).with_error("Conflict", "Busy."),
    );
    let resp = t.put(&replications(), json!({"location": "japaneast"})).await;
    assert_eq!(resp.status(), 409);
    let r = &t.audit("").await[0];
    assert_eq!(r["outcome"], "refused", "{r}");
    assert_eq!(r["code"], "Conflict");
    assert!(r["message"].as_str().unwrap().contains("Busy."));
}

#[tokio::test]
async fn a_locked_store_refuses_writes_with_503_and_no_arm_call_while_reads_work() {
    let t = TestPortal::with_seed_and(replimap_arm_emulator::Seed::docs_example(), |c| {
        c.database.busy_timeout = Duration::from_millis(300);
    })
    .await;
    let before = t.arm_writes();
    // Another process holds the database's write lock.
    let db = t.data_dir.join("replimap.db");
    let mut locker = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import sqlite3,sys,time\nc=sqlite3.connect(sys.argv[1],isolation_level=None)\nc.execute('BEGIN EXCLUSIVE')\nprint('locked',flush=True)\ntime.sleep(30)",
        )
        .arg(&db)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(locker.stdout.as_mut().unwrap()), &mut line).unwrap();
    assert_eq!(line.trim(), "locked");
    let resp = t.put(&replications(), json!({"location": "japaneast"})).await;
    assert_eq!(resp.status(), 503);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "store_unavailable", "{body}");
    assert!(body["message"].as_str().unwrap().contains("not sent to Azure"));
    let resp = t.patch(&format!("{}/eastus", replications()), json!({"tags": {"a": "b"}})).await;
    assert_eq!(resp.status(), 503);
    assert_eq!(t.arm_writes(), before, "zero ARM writes while the store cannot record");
    // Reads and the live map go on.
    assert_eq!(t.get(&replications()).await.status(), 200);
    assert_eq!(t.get("/api/v1/registries").await.status(), 200);
    locker.kill().unwrap();
    locker.wait().unwrap();
    // Once the lock is gone, writes work again.
    let resp = t.put(&replications(), json!({"location": "japaneast"})).await;
    assert_eq!(resp.status(), 202);
}

#[tokio::test]
async fn a_hundred_concurrent_writes_leave_a_hundred_complete_records() {
    let t = TestPortal::start().await;
    // The docs example's one replica: its home, whose tags and routing can change.
    let url = format!("{}/eastus", replications());
    let writes = (0..100).map(|i| {
        let (http, url) = (t.http.clone(), t.url(&url));
        async move {
            http.patch(url)
                .header(CSRF_HEADER, "1")
                .json(&json!({"tags": {"n": i.to_string()}}))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    });
    let statuses = futures::future::join_all(writes).await;
    assert!(statuses.iter().all(|s| [202, 409].contains(s)), "{statuses:?}");
    for _ in 0..200 {
        let all = t.audit("action=update_replication").await;
        let done = all.iter().filter(|r| ["succeeded", "failed", "refused"].contains(&r["outcome"].as_str().unwrap()));
        if all.len() == 100 && done.count() == 100 {
            let mut ids: Vec<i64> = all.iter().map(|r| r["id"].as_i64().unwrap()).collect();
            ids.dedup();
            assert_eq!(ids.len(), 100, "distinct ids");
            let tags: std::collections::BTreeSet<String> =
                all.iter().map(|r| r["request"]["tags"]["n"].as_str().unwrap().to_owned()).collect();
            assert_eq!(tags.len(), 100, "each record has its own request");
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("not every write reached a final audit outcome");
}

#[tokio::test]
async fn an_idempotency_key_answers_a_retry_with_the_first_answer() {
    let t = TestPortal::start().await;
    let send = |key: &str, body: Value| {
        t.http.put(t.url(&replications())).header(CSRF_HEADER, "1").header("idempotency-key", key).json(&body).send()
    };
    let before = t.arm_writes();
    let first = send("k-1", json!({"location": "japaneast"})).await.unwrap();
    assert_eq!(first.status(), 202);
    let first_op = first.headers()["operation-id"].to_str().unwrap().to_owned();
    let first_body: Value = first.json().await.unwrap();
    let again = send("k-1", json!({"location": "japaneast"})).await.unwrap();
    assert_eq!(again.status(), 202);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.headers()["operation-id"].to_str().unwrap(), first_op);
    assert_eq!(again.json::<Value>().await.unwrap(), first_body);
    assert_eq!(t.arm_writes(), before + 1, "one ARM create for two requests");
    let other = send("k-1", json!({"location": "westus"})).await.unwrap();
    assert_eq!(other.status(), 422);
    assert_eq!(other.json::<Value>().await.unwrap()["code"], "idempotency_key_reused");
    let bad = send("has space", json!({"location": "westus"})).await.unwrap();
    assert_eq!(bad.status(), 400);
    assert_eq!(t.audit("action=create_replication").await.len(), 1, "the replay is not a second attempt");
    // Concurrent duplicates (a double-click): exactly one reaches ARM.
    let before = t.arm_writes();
    let (a, b) = tokio::join!(send("k-2", json!({"location": "westus"})), send("k-2", json!({"location": "westus"})));
    let mut statuses = [a.unwrap().status().as_u16(), b.unwrap().status().as_u16()];
    statuses.sort();
    assert!(statuses == [202, 202] || statuses == [202, 409], "{statuses:?}");
    assert_eq!(t.arm_writes(), before + 1);
}

#[tokio::test]
async fn the_trail_filters_pages_and_exports() {
    let t = TestPortal::start().await;
    for region in ["japaneast", "westus", "brazilsouth"] {
        assert_eq!(t.put(&replications(), json!({"location": region})).await.status(), 202);
    }
    assert_eq!(t.delete(&format!("{}/eastus", replications())).await.status(), 409);
    let page: Value = t.get("/api/v1/audit?limit=2").await.json().await.unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    let cursor = page["nextCursor"].as_str().unwrap();
    let rest: Value = t.get(&format!("/api/v1/audit?limit=2&cursor={cursor}")).await.json().await.unwrap();
    assert_eq!(rest["items"].as_array().unwrap().len(), 2);
    assert!(rest["nextCursor"].is_null());
    assert_eq!(t.audit("region=JapanEast").await.len(), 1, "regions compare case-insensitively");
    assert_eq!(t.audit(&format!("registry={}", REG.to_uppercase())).await.len(), 4);
    assert_eq!(t.audit("actor=someone-else").await.len(), 0);
    assert_eq!(t.audit("since=2999-01-01T00:00:00Z").await.len(), 0);
    let bad = t.get("/api/v1/audit?outcome=exploded").await;
    assert_eq!(bad.status(), 400);
    assert!(bad.json::<Value>().await.unwrap()["message"].as_str().unwrap().contains("'outcome' must be one of"));

    let csv = t.get("/api/v1/audit/export?format=csv").await;
    assert_eq!(csv.status(), 200);
    assert!(csv.headers()["content-disposition"].to_str().unwrap().contains("replimap-audit.csv"));
    let text = csv.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("id,at,actor,"), "{}", lines[0]);
    assert_eq!(lines.len(), 5, "a header and four records:\n{text}");
    assert!(text.contains("home_replica") && text.contains("brazilsouth"));
    let jsonl = t.get("/api/v1/audit/export?format=jsonl&region=westus").await.text().await.unwrap();
    let records: Vec<Value> = jsonl.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["region"], "westus");
}

#[tokio::test]
async fn an_outage_while_following_makes_an_operation_unknown_not_failed() {
    let t = TestPortal::with_seed_and(replimap_arm_emulator::Seed::docs_example(), |c| {
        if let replimap_server::ArmMode::Emulator { provisioning_delay, .. } = &mut c.arm {
            *provisioning_delay = Duration::from_secs(3);
        }
    })
    .await;
    // The operation monitor answers 503 five times in a row: more than the client's retries.
    t.emulator().add_fault(FaultRule::status(503).method("GET").path_contains("/operationStatuses/").times(5));
    let resp = t.put(&replications(), json!({"location": "japaneast"})).await;
    assert_eq!(resp.status(), 202);
    let id = resp.headers()["operation-id"].to_str().unwrap().to_owned();
    let mut states = Vec::new();
    for _ in 0..300 {
        let op: Operation = t.get(&format!("/api/v1/operations/{id}")).await.json().await.unwrap();
        if states.last() != Some(&op.state) {
            states.push(op.state);
        }
        if matches!(op.state, OperationState::Succeeded | OperationState::Failed) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Running, unknown while ARM cannot be asked, (running again,) succeeded: never failed.
    assert_eq!(states.first(), Some(&OperationState::Running), "{states:?}");
    assert!(states.contains(&OperationState::Unknown), "{states:?}");
    assert_eq!(states.last(), Some(&OperationState::Succeeded), "{states:?}");
    assert!(!states.contains(&OperationState::Failed), "{states:?}");
    let op: Operation = t.get(&format!("/api/v1/operations/{id}")).await.json().await.unwrap();
    assert_eq!(t.final_audit(op.audit_id.unwrap()).await["outcome"], "succeeded");
}
