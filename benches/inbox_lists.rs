//! A person's conversation list and message search at scale: 100,000 conversations and
//! 1,000,000 messages in one workspace, read through the records (`Conversations::list`), the
//! query the API runs for `GET /v1/conversations`.
//!
//! `cargo bench --profile dev --bench inbox_lists` (SQLite in a fresh directory). With
//! `SWITCHBOARD_BENCH_POSTGRES=postgres://...` (an empty database) PostgreSQL too. The rows are
//! written by SQL in bulk (what the intake would take hours to write), the same columns the
//! intake writes.

use std::time::{Duration, Instant};

use records::{ConversationFilter, ConversationStatus, Page, Store};
use sqlx::{Connection, Executor};

const CONVERSATIONS: i64 = 100_000;
const MESSAGES_EACH: i64 = 10;
const TEAMS: i64 = 3;
const PEOPLE: i64 = 30;
const SAMPLES: usize = 200;
const SEARCHES: usize = 30;

/// The seed, one statement per table, in the dialect's way of counting to n.
fn seed(postgres: bool, workspace: &str) -> Vec<String> {
    let series = |n: i64| {
        if postgres {
            format!("SELECT generate_series(1, {n}) AS i")
        } else {
            format!(
                "WITH RECURSIVE counter(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM counter WHERE i < {n}) SELECT i FROM counter"
            )
        }
    };
    let text = |column: &str| format!("CAST({column} AS TEXT)");
    vec![
        format!(
            "INSERT INTO teams (id, workspace_id, name, created_at)
             SELECT 'team-' || {i}, '{workspace}', 'team ' || {i}, 0 FROM ({series}) AS s",
            i = text("i"),
            series = series(TEAMS)
        ),
        format!(
            "INSERT INTO users (id, workspace_id, email, password_hash, role, team_id, created_at)
             SELECT 'user-' || {i}, '{workspace}', 'p' || {i} || '@example.com', 'x', 'staff',
                    'team-' || {team}, 0 FROM ({series}) AS s",
            i = text("i"),
            team = text(&format!("(i % {TEAMS}) + 1")),
            series = series(PEOPLE)
        ),
        format!(
            "INSERT INTO channels (id, workspace_id, kind, name, config, secret_sealed, created_at, updated_at)
             VALUES ('channel-1', '{workspace}', 'api', 'bench', '{{}}', 'x', 0, 0)"
        ),
        format!(
            "INSERT INTO contacts (id, workspace_id, name, created_at, updated_at)
             SELECT 'contact-' || {i}, '{workspace}', 'Contact ' || {i}, 0, 0 FROM ({series}) AS s",
            i = text("i"),
            series = series(CONVERSATIONS)
        ),
        format!(
            "INSERT INTO conversations (id, workspace_id, number, channel_id, contact_id, status,
                 owner_kind, owner_id, team_id, last_activity_at, waiting_since, created_at, updated_at)
             SELECT 'conversation-' || {i}, '{workspace}', i, 'channel-1', 'contact-' || {i},
                    CASE i % 4 WHEN 0 THEN 'open' WHEN 1 THEN 'pending' WHEN 2 THEN 'resolved' ELSE 'open' END,
                    CASE i % 3 WHEN 0 THEN 'user' WHEN 1 THEN 'team' ELSE 'agent' END,
                    CASE i % 3 WHEN 0 THEN 'user-' || {person} WHEN 1 THEN 'team-' || {team} ELSE 'agent-1' END,
                    'team-' || {team}, i * 1000, i * 1000, i * 1000, i * 1000
             FROM ({series}) AS s",
            i = text("i"),
            person = text(&format!("((i / 3) % {PEOPLE}) + 1")),
            team = text(&format!("((i / 7) % {TEAMS}) + 1")),
            series = series(CONVERSATIONS)
        ),
        format!(
            "INSERT INTO messages (id, workspace_id, conversation_id, channel_id, direction,
                 sender_kind, kind, text, search_text, status, created_at, updated_at)
             SELECT 'message-' || {i}, '{workspace}', 'conversation-' || {conversation}, 'channel-1',
                    'in', 'contact', 'text', 'message ' || {i} || ' about order ' || {order},
                    'message ' || {i} || ' about order ' || {order}, 'delivered', i, i
             FROM ({series}) AS s",
            i = text("i"),
            conversation = text(&format!("((i - 1) % {CONVERSATIONS}) + 1")),
            order = text("(CAST(i AS BIGINT) * 7919) % 1000003"),
            series = series(CONVERSATIONS * MESSAGES_EACH)
        ),
    ]
}

fn percentile(sorted: &[Duration], share: f64) -> f64 {
    sorted[((sorted.len() as f64 * share) as usize).min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

async fn measure(label: &str, url: &str) {
    let store = Store::open(url).await.unwrap();
    let workspace = store
        .workspaces()
        .create("bench", "trial", 0)
        .await
        .unwrap();
    let started = Instant::now();
    let mut connection = sqlx::AnyConnection::connect(url).await.unwrap();
    for statement in seed(store.backend() == records::Backend::Postgres, &workspace.id) {
        connection.execute(statement.as_str()).await.unwrap();
    }
    connection.execute("ANALYZE").await.unwrap();
    println!(
        "{label}: seeded {CONVERSATIONS} conversations, {} messages in {:.0} s",
        CONVERSATIONS * MESSAGES_EACH,
        started.elapsed().as_secs_f64()
    );
    let conversations = store.conversations();
    let mut lists = Vec::new();
    for sample in 0..SAMPLES {
        let person = format!("user-{}", sample as i64 % PEOPLE + 1);
        let team = format!("team-{}", sample as i64 % TEAMS + 1);
        let filter = match sample % 3 {
            // A staff member's default view: their team's and their own, open.
            0 => ConversationFilter {
                status: Some(ConversationStatus::Open),
                visible_to: Some((Some(person), Some(team))),
                ..ConversationFilter::default()
            },
            // Mine.
            1 => ConversationFilter {
                owner_kind: Some(records::OwnerKind::User),
                owner_id: Some(person),
                ..ConversationFilter::default()
            },
            // The team's queue.
            _ => ConversationFilter {
                status: Some(ConversationStatus::Open),
                without_person: true,
                team_id: Some(team),
                ..ConversationFilter::default()
            },
        };
        let page = Page {
            limit: 50,
            after: None,
        };
        let started = Instant::now();
        let listed = conversations
            .list(&workspace.id, &filter, &page)
            .await
            .unwrap();
        lists.push(started.elapsed());
        assert!(!listed.items.is_empty());
    }
    lists.sort();
    println!(
        "{label}: a person's list (50 of a view with filters): p50 {:.1} ms, p99 {:.1} ms ({SAMPLES} lists)",
        percentile(&lists, 0.5),
        percentile(&lists, 0.99)
    );
    let mut searches = Vec::new();
    for sample in 0..SEARCHES {
        let filter = ConversationFilter {
            text: Some(format!("order {}", (sample * 104_729) % 1_000_003)),
            ..ConversationFilter::default()
        };
        let started = Instant::now();
        conversations
            .list(&workspace.id, &filter, &Page::default())
            .await
            .unwrap();
        searches.push(started.elapsed());
    }
    searches.sort();
    println!(
        "{label}: message search: p50 {:.1} ms, p99 {:.1} ms ({SEARCHES} searches)",
        percentile(&searches, 0.5),
        percentile(&searches, 0.99)
    );
    store.close().await;
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let directory = tempfile::tempdir().unwrap();
    let sqlite = format!(
        "sqlite://{}?mode=rwc",
        directory.path().join("records.db").display()
    );
    runtime.block_on(measure("sqlite", &sqlite));
    if let Ok(url) = std::env::var("SWITCHBOARD_BENCH_POSTGRES") {
        runtime.block_on(measure("postgres", &url));
    }
}
