//! CPU-heavy work — parsing, comparing, exporting — runs on a bounded number of blocking
//! threads (`cpu-workers`) behind a bounded queue (`max-queued-jobs`). Past the queue a
//! request gets 503 with `Retry-After` at once instead of piling up; storage I/O, which
//! shares tokio's blocking pool, always finds threads, because jobs never hold more than
//! `cpu-workers` of them; `/api/health` and other cheap requests never wait behind jobs.
//!
//! A job whose request went away (the client closed the connection, or the request timed
//! out) is cancelled: it never starts if it was still queued, and a running job stops at its
//! next checkpoint ([`Cancel::check`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tokio::sync::Semaphore;

use crate::model::AppError;

pub struct Jobs {
    permits: Arc<Semaphore>,
    workers: usize,
    waiting: AtomicUsize,
    max_waiting: usize,
}

/// Set when the request that started a job is gone.
#[derive(Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// A checkpoint: stops the job when its request is gone.
    pub fn check(&self) -> Result<(), AppError> {
        if self.is_cancelled() {
            Err(AppError::Timeout(
                "the request was cancelled (the client went away or it timed out)".into(),
            ))
        } else {
            Ok(())
        }
    }
}

/// Cancels when dropped: the request's future holds it, so dropping the future (client
/// gone, timeout) cancels the job.
struct CancelOnDrop(Cancel);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.0.store(true, Ordering::Relaxed);
    }
}

/// Leaves the queue when dropped (admitted, or the request went away while waiting).
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// How busy the pool is, for `/api/health`.
#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct Load {
    pub workers: usize,
    pub running: usize,
    pub waiting: usize,
    pub max_waiting: usize,
}

impl Jobs {
    pub fn new(workers: usize, max_waiting: usize) -> Jobs {
        let workers = workers.max(1);
        Jobs {
            permits: Arc::new(Semaphore::new(workers)),
            workers,
            waiting: AtomicUsize::new(0),
            max_waiting,
        }
    }

    pub fn load(&self) -> Load {
        Load {
            workers: self.workers,
            running: self.workers - self.permits.available_permits(),
            waiting: self.waiting.load(Ordering::Relaxed),
            max_waiting: self.max_waiting,
        }
    }

    /// Runs `job` on a worker thread once one is free; 503 when the queue is full.
    pub async fn run<T, F>(&self, job: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&Cancel) -> Result<T, AppError> + Send + 'static,
    {
        let permit = match self.permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => {
                let position = self.waiting.fetch_add(1, Ordering::Relaxed) + 1;
                let _waiting = Waiting(&self.waiting);
                if position > self.max_waiting {
                    return Err(AppError::Busy {
                        message: format!(
                            "the server is busy: {} jobs are running and {} waiting, its limit \
                             (cpu-workers, max-queued-jobs); try again in a few seconds",
                            self.workers, self.max_waiting
                        ),
                        retry_after: 2,
                    });
                }
                self.permits
                    .clone()
                    .acquire_owned()
                    .await
                    .map_err(AppError::internal)?
            }
        };
        let cancel = Cancel::default();
        let _on_drop = CancelOnDrop(cancel.clone());
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            cancel.check()?;
            job(&cancel)
        })
        .await
        .map_err(AppError::internal)?
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_queue_answers_busy_and_dropped_jobs_are_cancelled() {
        let jobs = Arc::new(Jobs::new(1, 1));
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let rx = Arc::new(std::sync::Mutex::new(rx));
        // One job runs (blocked until told), one waits, the third is refused.
        let running = {
            let (jobs, rx) = (jobs.clone(), rx.clone());
            tokio::spawn(async move {
                jobs.run(move |_| {
                    let _ = rx.lock().unwrap().recv();
                    Ok(1)
                })
                .await
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        let queued = {
            let jobs = jobs.clone();
            tokio::spawn(async move { jobs.run(|_| Ok(2)).await })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(jobs.load().waiting, 1);
        let refused = jobs.run(|_| Ok(3)).await.unwrap_err();
        assert!(matches!(refused, AppError::Busy { .. }), "{refused:?}");
        assert_eq!(refused.retry_after(), Some(2));
        tx.send(()).unwrap();
        assert_eq!(running.await.unwrap().unwrap(), 1);
        assert_eq!(queued.await.unwrap().unwrap(), 2);
        assert_eq!(jobs.load().waiting, 0);

        // A running job sees its request go away at its next checkpoint.
        let (seen_tx, seen_rx) = std::sync::mpsc::channel::<bool>();
        let job = {
            let jobs = jobs.clone();
            tokio::spawn(async move {
                jobs.run(move |cancel| {
                    for _ in 0..200 {
                        if cancel.is_cancelled() {
                            let _ = seen_tx.send(true);
                            return cancel.check().map(|_| ());
                        }
                        std::thread::sleep(Duration::from_millis(10));
                    }
                    let _ = seen_tx.send(false);
                    Ok(())
                })
                .await
            })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        job.abort();
        let seen = tokio::task::spawn_blocking(move || seen_rx.recv().unwrap())
            .await
            .unwrap();
        assert!(seen, "the job was told its request is gone");
    }
}
