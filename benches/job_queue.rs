//! The job queue under a backlog: how late a delayed job starts when 10,000 other delayed jobs
//! are pending. A worker loop like the supervisor's (claim the most urgent due job of its
//! kind, else sleep `switchboard::jobs::IDLE_POLL`) runs over the real store while probe jobs
//! come due; each probe's lateness is the time from its `run_after` to its claim.
//!
//! `cargo bench --bench job_queue` (SQLite in a temporary directory; PostgreSQL too where
//! SWITCHBOARD_TEST_POSTGRES or 127.0.0.1:5432 answers).

use std::time::{Duration, Instant};

use records::{Job, JobKind, NewJob, Store};

const BACKLOG: usize = 10_000;
const PROBES: usize = 40;
const LEASE: Duration = Duration::from_secs(60);

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("jobs.db").display());
        let store = Store::open(&url).await.expect("SQLite opens");
        measure("SQLite", &store).await;
        store.close().await;
        if let Ok(Some(database)) = records::scratch::scratch_postgres().await {
            let store = Store::open(&database.url).await.expect("PostgreSQL opens");
            measure("PostgreSQL", &store).await;
            store.close().await;
            let _ = database.drop().await;
        }
    });
}

fn job(name: String) -> Job {
    Job::IngestSource { source_id: name }
}

async fn measure(database: &str, store: &Store) {
    let started = Instant::now();
    let hour_later = records::now() + 3_600_000;
    for number in 0..BACKLOG {
        let backlog = NewJob {
            run_after: hour_later + number as i64,
            ..NewJob::now(job(format!("backlog-{number}")), None)
        };
        store.jobs().enqueue(&backlog).await.expect("enqueue");
    }
    let filled = started.elapsed();
    // Probes come due every 100 ms from one second on.
    let first_due = records::now() + 1_000;
    for number in 0..PROBES {
        let probe = NewJob {
            run_after: first_due + 100 * number as i64,
            ..NewJob::now(job(format!("probe-{number}")), None)
        };
        store.jobs().enqueue(&probe).await.expect("enqueue");
    }
    let mut lateness = Vec::with_capacity(PROBES);
    let mut claim_times = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while lateness.len() < PROBES && Instant::now() < deadline {
        let asked = Instant::now();
        let claimed = store
            .jobs()
            .claim(JobKind::IngestSource, "bench", LEASE)
            .await
            .expect("claim");
        claim_times.push(asked.elapsed());
        match claimed {
            Some(claimed) => {
                let Job::IngestSource { source_id } = &claimed.job else {
                    unreachable!("only ingestion jobs are claimed here");
                };
                let number: i64 = source_id
                    .strip_prefix("probe-")
                    .and_then(|number| number.parse().ok())
                    .expect("only probes are due");
                let due = first_due + 100 * number;
                lateness.push((records::now() - due).max(0));
                store
                    .jobs()
                    .complete(&claimed.id, "bench")
                    .await
                    .expect("complete");
            }
            None => tokio::time::sleep(switchboard::jobs::IDLE_POLL).await,
        }
    }
    lateness.sort_unstable();
    claim_times.sort_unstable();
    let percentile = |sorted: &[i64], p: f64| sorted[((sorted.len() - 1) as f64 * p) as usize];
    let claim_p50 = claim_times[claim_times.len() / 2];
    let claim_max = claim_times.last().copied().unwrap_or_default();
    println!(
        "{database}: {BACKLOG} delayed jobs queued in {:.1} s; {} probes claimed, lateness p50 {} ms, p95 {} ms, max {} ms; one claim query p50 {:.2} ms, max {:.2} ms (poll every {} ms)",
        filled.as_secs_f64(),
        lateness.len(),
        percentile(&lateness, 0.5),
        percentile(&lateness, 0.95),
        lateness.last().copied().unwrap_or_default(),
        claim_p50.as_secs_f64() * 1e3,
        claim_max.as_secs_f64() * 1e3,
        switchboard::jobs::IDLE_POLL.as_millis(),
    );
    assert_eq!(lateness.len(), PROBES, "every probe was claimed");
}
