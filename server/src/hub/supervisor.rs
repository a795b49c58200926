//! Keeps a registry's poller alive: a poller task that panics or ends with an error is
//! started again after a back-off, and every restart is logged and counted, so a registry is
//! never silently left unpolled.

use std::future::Future;
use std::time::{Duration, Instant};

use replimap_types::RegistryKey;
use tokio::task::JoinHandle;

use super::counters::RestartReason;

/// How one run of a poller ended.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Exit {
    /// ARM confirmed the registry no longer exists: stop watching it.
    Gone,
    /// The hub no longer watches the registry: nothing to do.
    Stopped,
    /// The run failed; a fresh one is started after a back-off.
    Failed(String),
}

/// Restart back-off.
#[derive(Debug, Clone, Copy)]
pub(super) struct Policy {
    /// Wait before the first restart (doubled per restart in a row).
    pub base: Duration,
    /// Longest wait.
    pub max: Duration,
    /// A run that lasted this long was healthy: the next restart waits `base` again.
    pub healthy_after: Duration,
}

pub(super) const POLICY: Policy =
    Policy { base: Duration::from_secs(1), max: Duration::from_secs(60), healthy_after: Duration::from_secs(120) };

/// Aborts the task when dropped, so aborting the supervisor also ends the poller it runs
/// (dropping a bare `JoinHandle` would detach it, leaving an unsupervised poller behind).
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs `start()` as its own task, again and again after a panic or a failure, until a run
/// ends with [`Exit::Gone`] or [`Exit::Stopped`], which is returned. Before each restart
/// `restarting(reason, wait)` is called (to count it and tell the pages).
pub(super) async fn supervise<F, Fut>(
    key: &RegistryKey,
    policy: Policy,
    mut start: F,
    mut restarting: impl FnMut(RestartReason, Duration),
) -> Exit
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Exit> + Send + 'static,
{
    let mut restarts: u32 = 0;
    loop {
        let began = Instant::now();
        let mut task = AbortOnDrop(tokio::spawn(start()));
        let reason = match (&mut task.0).await {
            Ok(exit @ (Exit::Gone | Exit::Stopped)) => return exit,
            Ok(Exit::Failed(error)) => {
                tracing::warn!(registry = %key, %error, "registry poller failed");
                RestartReason::Error
            }
            Err(e) if e.is_panic() => {
                let panic = panic_message(e.into_panic());
                tracing::error!(registry = %key, %panic, "registry poller panicked");
                RestartReason::Panic
            }
            // Only our own guard aborts the task, and only when this future is dropped.
            Err(_) => return Exit::Stopped,
        };
        if began.elapsed() >= policy.healthy_after {
            restarts = 0;
        }
        let wait = replimap_types::backoff(policy.base, policy.max, restarts, jitter());
        restarts = restarts.saturating_add(1);
        tracing::info!(registry = %key, reason = reason.as_str(), restart_in_ms = wait.as_millis() as u64, "restarting the registry poller");
        restarting(reason, wait);
        tokio::time::sleep(wait).await;
    }
}

/// The text of a panic payload (`panic!("…")` carries a `&str` or a `String`).
fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(payload) => payload.downcast_ref::<&str>().map_or_else(|| "(no message)".to_owned(), |s| (*s).to_owned()),
    }
}

/// A draw in `[0, 1)` for the back-off's spread: pollers that failed together (one ARM
/// outage) must not all restart in the same instant. The clock's nanoseconds are random
/// enough for that and need no dependency.
fn jitter() -> f64 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    f64::from(nanos % 1000) / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::{Arc, Mutex};

    fn key() -> RegistryKey {
        RegistryKey {
            subscription_id: "00000000-0000-0000-0000-000000000000".parse().unwrap(),
            resource_group: "rg".parse().unwrap(),
            name: "myregistry".parse().unwrap(),
        }
    }

    const FAST: Policy = Policy {
        base: Duration::from_millis(10),
        max: Duration::from_millis(40),
        healthy_after: Duration::from_secs(60),
    };

    #[tokio::test]
    async fn a_panicking_or_failing_poller_is_restarted_with_back_off_until_it_ends() {
        let runs = Arc::new(AtomicU32::new(0));
        let restarts = Arc::new(Mutex::new(Vec::new()));
        let r = runs.clone();
        let exit = supervise(
            &key(),
            FAST,
            move || {
                let n = r.fetch_add(1, Ordering::SeqCst);
                async move {
                    match n {
                        0 => panic!("injected panic"),
                        1 => Exit::Failed("injected failure".into()),
                        2 => panic!("{}", String::from("a formatted panic")),
                        _ => Exit::Gone,
                    }
                }
            },
            |reason, wait| restarts.lock().unwrap().push((reason, wait)),
        )
        .await;
        assert_eq!(exit, Exit::Gone);
        assert_eq!(runs.load(Ordering::SeqCst), 4, "restarted after each panic and failure");
        let restarts = restarts.lock().unwrap();
        let reasons: Vec<_> = restarts.iter().map(|(r, _)| *r).collect();
        assert_eq!(reasons, [RestartReason::Panic, RestartReason::Error, RestartReason::Panic]);
        // Back-off: each wait within the upper half of base·2ⁿ, capped.
        for (n, (_, wait)) in restarts.iter().enumerate() {
            let whole = (FAST.base * 2u32.pow(n as u32)).min(FAST.max);
            assert!(*wait >= whole / 2 && *wait <= whole, "restart {n} waited {wait:?}");
        }
    }

    #[tokio::test]
    async fn aborting_the_supervisor_ends_the_poller_too() {
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let supervisor = tokio::spawn(async move {
            let mut tx = Some(tx);
            supervise(
                &key(),
                FAST,
                move || {
                    // Dropped (closing the channel) only when the poller task is dropped.
                    let guard = tx.take();
                    async move {
                        let _guard = guard;
                        std::future::pending::<Exit>().await
                    }
                },
                |_, _| {},
            )
            .await
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        supervisor.abort();
        let closed = tokio::time::timeout(Duration::from_secs(2), rx).await;
        assert!(matches!(closed, Ok(Err(_))), "the poller task was dropped with its supervisor");
    }

    #[test]
    fn panic_messages_are_read_from_both_payload_kinds() {
        assert_eq!(panic_message(Box::new("static")), "static");
        assert_eq!(panic_message(Box::new(String::from("owned"))), "owned");
        assert_eq!(panic_message(Box::new(7_u8)), "(no message)");
    }
}
