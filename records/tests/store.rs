//! One storage suite, run on SQLite and on PostgreSQL. The PostgreSQL run uses a scratch
//! database (`records::scratch`) and skips, saying why, when no server answers.

use std::collections::HashSet;
use std::time::Duration;

use sqlx::Connection;

use records::{
    ClaimedJob, ContactDetails, ConversationStatus, Decide, Email, EvalOutcome, EvalStatus,
    Inbound, Job, JobKind, NewChannel, NewEvalRun, NewJob, NewSource, Ownership, Page, Rating,
    Role, Routed, SourceOrigin, SourceStatus, Store, StoreError, TurnRecord,
};

const LEASE: Duration = Duration::from_secs(60);

#[tokio::test]
async fn sqlite_passes_the_storage_suite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("records.db").display()
    );
    let store = Store::open(&url).await.unwrap();
    suite(&store).await;
    // Reopening applies nothing twice and keeps every record.
    store.close().await;
    let reopened = Store::open(&url).await.unwrap();
    a_changed_applied_migration_is_refused(&reopened, &url).await;
    let reopened = Store::open(&url).await.unwrap();
    assert_eq!(
        reopened
            .workspaces()
            .named("acme")
            .await
            .unwrap()
            .unwrap()
            .name,
        "acme"
    );
}

#[tokio::test]
async fn postgres_passes_the_storage_suite() {
    let Some(database) = records::scratch::scratch_postgres().await.unwrap() else {
        return;
    };
    let url = database.url.clone();
    let store = Store::open(&url).await.unwrap();
    suite(&store).await;
    concurrent_workers_claim_each_job_once(&store).await;
    the_dialects_build_the_same_schema().await;
    store.close().await;
    let reopened = Store::open(&url).await.unwrap();
    assert!(reopened.workspaces().named("acme").await.unwrap().is_some());
    reopened.close().await;
    database.drop().await.unwrap();
}

async fn suite(store: &Store) {
    a_fresh_install_is_set_up_once(store).await;
    keys_and_sessions_authenticate_within_their_workspace(store).await;
    agents_keep_every_version_and_stay_in_their_workspace(store).await;
    sources_and_jobs_go_from_queued_to_ready_or_failed(store).await;
    a_dead_workers_job_is_claimed_again(store).await;
    credits_are_reserved_and_settled_without_overspending(store).await;
    feedback_refers_to_a_turn_of_the_workspace(store).await;
    the_queue_delays_orders_and_deduplicates_jobs(store).await;
    the_source_limit_holds_under_parallel_requests(store).await;
    a_busy_workspace_does_not_starve_another(store).await;
    messages_arriving_together_are_stored_once_each(store).await;
    an_eval_run_is_reported_once_by_the_worker_holding_it(store).await;
}

/// A run is queued with its job; only the worker that holds the job writes its report, once;
/// the run goes with its agent.
async fn an_eval_run_is_reported_once_by_the_worker_holding_it(store: &Store) {
    drain(store).await;
    let acme = store.workspaces().named("acme").await.unwrap().unwrap();
    let globex = store.workspaces().named("globex").await.unwrap().unwrap();
    let agent = store
        .agents()
        .create(&acme.id, "key:1", "evaluated", r#"{"name":"evaluated"}"#)
        .await
        .unwrap();
    let new = NewEvalRun {
        agent_id: &agent.id,
        agent_version: 1,
        suite_name: "basics",
        suite: r#"{"name":"basics","cases":[]}"#,
        cases: 2,
    };
    let run = store
        .eval_runs()
        .create(&acme.id, "key:1", &new)
        .await
        .unwrap();
    assert_eq!(run.status, EvalStatus::Queued);
    assert!(matches!(
        store.eval_runs().get(&globex.id, &run.id).await,
        Err(StoreError::NotFound(_))
    ));
    let job = store
        .jobs()
        .claim(JobKind::RunEval, "dead", Duration::ZERO)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        job.job,
        Job::RunEval {
            run_id: run.id.clone()
        }
    );
    tokio::time::sleep(Duration::from_millis(5)).await;
    let again = store
        .jobs()
        .claim(JobKind::RunEval, "alive", LEASE)
        .await
        .unwrap()
        .unwrap();
    let outcome = EvalOutcome {
        report: r#"{"cases":[]}"#,
        metrics: r#"{"overall":{"passed":1}}"#,
        passed: 1,
    };
    assert!(
        !store
            .eval_runs()
            .finish(&run.id, &outcome, (&job.id, "dead"))
            .await
            .unwrap(),
        "a worker that lost the job writes nothing"
    );
    assert_eq!(
        store
            .eval_runs()
            .get(&acme.id, &run.id)
            .await
            .unwrap()
            .status,
        EvalStatus::Queued
    );
    assert!(
        store
            .eval_runs()
            .finish(&run.id, &outcome, (&again.id, "alive"))
            .await
            .unwrap()
    );
    let done = store.eval_runs().get(&acme.id, &run.id).await.unwrap();
    assert_eq!(done.status, EvalStatus::Done);
    assert_eq!(done.passed, Some(1));
    assert_eq!(done.metrics.as_deref(), Some(outcome.metrics));
    assert!(done.finished_at.is_some());
    assert!(
        store
            .eval_runs()
            .queued(&acme.id, &run.id)
            .await
            .unwrap()
            .is_none()
    );
    let listed = store
        .eval_runs()
        .list(&acme.id, &agent.id, &Page::all())
        .await
        .unwrap()
        .items;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].report, None, "a list leaves the reports out");
    assert_eq!(listed[0].metrics.as_deref(), Some(outcome.metrics));

    store
        .agents()
        .delete(&acme.id, "key:1", &agent.id)
        .await
        .unwrap();
    assert!(matches!(
        store.eval_runs().get(&acme.id, &run.id).await,
        Err(StoreError::NotFound(_))
    ));
}

/// Eight first runs at once on a fresh install: one makes the workspace and its admin, who can
/// sign in; the others find it set up and make nothing.
async fn a_fresh_install_is_set_up_once(store: &Store) {
    assert!(!store.workspaces().any().await.unwrap());
    let mut runs = tokio::task::JoinSet::new();
    for run in 0..8 {
        let store = store.clone();
        runs.spawn(async move {
            let email = Email::parse(&format!("owner{run}@example.com")).unwrap();
            let made = store
                .people()
                .set_up(
                    (&format!("first {run}"), "trial", 100),
                    &email,
                    "a long password",
                )
                .await
                .unwrap();
            made.map(|(workspace, user)| (workspace, user, email))
        });
    }
    let made: Vec<_> = runs.join_all().await.into_iter().flatten().collect();
    assert_eq!(made.len(), 1, "one first run makes the workspace");
    let (workspace, user, email) = &made[0];
    assert_eq!(user.role, Role::Admin);
    assert_eq!(user.workspace_id, workspace.id);
    assert_eq!(
        store
            .workspaces()
            .get(&workspace.id)
            .await
            .unwrap()
            .credit_balance,
        100
    );
    let signed_in = store
        .people()
        .log_in(email, "a long password")
        .await
        .unwrap();
    assert_eq!(
        signed_in.map(|(signed, _)| signed.id),
        Some(user.id.clone())
    );
    assert!(store.workspaces().any().await.unwrap());
}

/// Sixty deliveries at once, committed in groups: thirty messages of six contacts, each
/// delivered twice, and one whose routing fails. Each message is stored once (its second
/// delivery answers the first's ids), the failing one fails alone and leaves nothing behind,
/// and each contact has one conversation holding their five messages.
async fn messages_arriving_together_are_stored_once_each(store: &Store) {
    let acme = store.workspaces().named("acme").await.unwrap().unwrap();
    let channel = store
        .channels()
        .create(
            &acme.id,
            "test",
            &NewChannel {
                kind: "api".into(),
                name: "together".into(),
                agent_id: None,
                team_id: None,
                config: serde_json::json!({}),
                secret_sealed: "sealed".into(),
            },
        )
        .await
        .unwrap();
    let inbound = |contact: &str, message: &str| Inbound {
        channel_id: channel.id.clone(),
        external_id: contact.to_string(),
        contact: ContactDetails::default(),
        platform_message_id: message.to_string(),
        text: format!("text of {message}"),
        search_text: format!("text of {message}"),
        attachments: Vec::new(),
        details: None,
        window_until: None,
    };
    let to_people = || -> Decide {
        Box::new(|_| {
            Ok(Routed {
                ownership: Ownership {
                    status: ConversationStatus::Open,
                    owner_kind: None,
                    owner_id: None,
                    team_id: None,
                },
                ai_answers: false,
                away_message: None,
            })
        })
    };
    let mut deliveries = tokio::task::JoinSet::new();
    for delivery in 0..60 {
        let message = format!("m{}", delivery % 30);
        let arrival = inbound(&format!("contact-{}", delivery % 6), &message);
        let (store, workspace, decide) = (store.clone(), acme.id.clone(), to_people());
        deliveries.spawn(async move {
            let conversations = store.conversations();
            (
                message,
                conversations.receive(&workspace, arrival, decide).await,
            )
        });
    }
    let failing: Decide = Box::new(|_| Err(StoreError::Corrupt("routing failed".into())));
    let (arrival, workspace, other) = (
        inbound("contact-failing", "m-failing"),
        acme.id.clone(),
        store.clone(),
    );
    let failed = tokio::spawn(async move {
        let conversations = other.conversations();
        conversations.receive(&workspace, arrival, failing).await
    });
    let mut stored = std::collections::HashMap::<String, Vec<records::Received>>::new();
    while let Some(delivered) = deliveries.join_next().await {
        let (message, received) = delivered.unwrap();
        stored.entry(message).or_default().push(received.unwrap());
    }
    assert!(matches!(failed.await.unwrap(), Err(StoreError::Corrupt(_))));
    assert_eq!(stored.len(), 30);
    for (message, deliveries) in &stored {
        let [first, second] = deliveries.as_slice() else {
            panic!("{message}: {deliveries:?}");
        };
        assert_eq!(first.message_id, second.message_id, "{message}");
        assert_eq!(first.conversation_id, second.conversation_id, "{message}");
        assert!(
            first.duplicate != second.duplicate,
            "{message}: {deliveries:?}"
        );
    }
    let conversations: HashSet<&str> = stored
        .values()
        .map(|deliveries| deliveries[0].conversation_id.as_str())
        .collect();
    assert_eq!(conversations.len(), 6);
    for conversation in conversations {
        let messages = store
            .conversations()
            .messages(&acme.id, conversation, &Page::all())
            .await
            .unwrap()
            .items;
        assert_eq!(messages.len(), 5, "{messages:?}");
    }
    let retried = store
        .conversations()
        .receive(
            &acme.id,
            inbound("contact-failing", "m-failing"),
            to_people(),
        )
        .await
        .unwrap();
    assert!(!retried.duplicate, "the failed message was stored");
}

/// Five of one workspace's jobs queued before one of another's: with one of the first
/// running, the second worker takes the other workspace's job, not the busy one's next.
async fn a_busy_workspace_does_not_starve_another(store: &Store) {
    drain(store).await;
    let acme = store.workspaces().named("acme").await.unwrap().unwrap();
    let globex = store.workspaces().named("globex").await.unwrap().unwrap();
    let queue = |workspace: &str, name: String| {
        NewJob::now(Job::IngestSource { source_id: name }, Some(workspace))
    };
    for number in 0..5 {
        store
            .jobs()
            .enqueue(&queue(&acme.id, format!("acme-{number}")))
            .await
            .unwrap();
        // The queue orders by time to the millisecond; jobs of one millisecond are in any order.
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    tokio::time::sleep(Duration::from_millis(5)).await;
    store
        .jobs()
        .enqueue(&queue(&globex.id, "globex-0".into()))
        .await
        .unwrap();
    let claim = |worker: &'static str| async move {
        store
            .jobs()
            .claim(JobKind::IngestSource, worker, LEASE)
            .await
            .unwrap()
            .unwrap()
    };
    let first = claim("one").await;
    assert_eq!(source_of(&first), "acme-0");
    let second = claim("two").await;
    assert_eq!(
        source_of(&second),
        "globex-0",
        "the idle workspace goes first"
    );
    let third = claim("three").await;
    assert_eq!(source_of(&third), "acme-1");
    for (job, worker) in [(&first, "one"), (&second, "two"), (&third, "three")] {
        store.jobs().complete(&job.id, worker).await.unwrap();
    }
    drain(store).await;
}

/// Twenty uploads at once to an empty knowledge base with room for ten: ten are accepted.
async fn the_source_limit_holds_under_parallel_requests(store: &Store) {
    let acme = store.workspaces().named("acme").await.unwrap().unwrap();
    let kb = store
        .knowledge_bases()
        .create(&acme.id, "system", "crowded")
        .await
        .unwrap();
    let attempts = (0..20).map(|number| {
        let store = store.clone();
        let (workspace, kb) = (acme.id.clone(), kb.id.clone());
        tokio::spawn(async move {
            store
                .sources()
                .create(
                    &workspace,
                    "system",
                    &kb,
                    upload(&format!("{number}.pdf")),
                    10,
                )
                .await
        })
    });
    let mut accepted = 0;
    for attempt in attempts {
        match attempt.await.unwrap() {
            Ok(_) => accepted += 1,
            Err(StoreError::LimitReached { limit, .. }) => assert_eq!(limit, 10),
            Err(other) => panic!("a parallel upload failed otherwise: {other}"),
        }
    }
    assert_eq!(accepted, 10);
    assert_eq!(
        store.sources().list(&acme.id, &kb.id).await.unwrap().len(),
        10
    );
    drain(store).await;
}

async fn keys_and_sessions_authenticate_within_their_workspace(store: &Store) {
    let acme = store
        .workspaces()
        .create("acme", "starter", 100)
        .await
        .unwrap();
    let globex = store
        .workspaces()
        .create("globex", "starter", 100)
        .await
        .unwrap();
    let key = store
        .api_keys()
        .create(&acme.id, "system", "ci")
        .await
        .unwrap();
    assert!(key.secret.starts_with("sb_") && key.secret.len() > 60);
    let principal = store
        .people()
        .authenticate(&key.secret)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(principal.workspace_id, acme.id);
    assert_eq!(principal.actor, format!("key:{}", key.key.id));
    assert_eq!(
        store.people().authenticate("sb_not-a-key").await.unwrap(),
        None
    );
    assert_eq!(store.people().authenticate("").await.unwrap(), None);
    // Listing never shows the secret; revoking another workspace's key is "not found".
    let listed = store
        .api_keys()
        .list(&acme.id, &Page::all())
        .await
        .unwrap()
        .items;
    assert_eq!(listed.len(), 1);
    assert!(
        !serde_json::to_string(&listed)
            .unwrap()
            .contains(&key.secret)
    );
    assert!(matches!(
        store
            .api_keys()
            .revoke(&globex.id, "system", &key.key.id)
            .await,
        Err(StoreError::NotFound(_))
    ));
    store
        .api_keys()
        .revoke(&acme.id, "system", &key.key.id)
        .await
        .unwrap();
    assert_eq!(
        store.people().authenticate(&key.secret).await.unwrap(),
        None
    );

    let team = store
        .teams()
        .create(&acme.id, "system", "sales")
        .await
        .unwrap();
    let user = store
        .people()
        .create(
            &acme.id,
            "system",
            &Email::parse("Mona@Acme.example").unwrap(),
            "correct horse",
            Role::TeamAdmin,
            Some(&team.id),
        )
        .await
        .unwrap();
    assert_eq!(user.email, "mona@acme.example");
    assert!(matches!(
        store
            .people().create(
                &globex.id,
                "system",
                &Email::parse("mona@acme.example").unwrap(),
                "x",
                Role::Staff,
                None
            )
            .await,
        Err(StoreError::Conflict(message)) if message.contains("mona@acme.example")
    ));
    assert!(
        store
            .people()
            .log_in(&Email::parse("mona@acme.example").unwrap(), "wrong")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .people()
            .log_in(&Email::parse("nobody@acme.example").unwrap(), "x")
            .await
            .unwrap()
            .is_none()
    );
    let (_, token) = store
        .people()
        .log_in(&Email::parse("MONA@acme.example").unwrap(), "correct horse")
        .await
        .unwrap()
        .unwrap();
    let principal = store.people().authenticate(&token).await.unwrap().unwrap();
    assert_eq!(principal.role, Role::TeamAdmin);
    assert_eq!(principal.workspace_id, acme.id);
    let promoted = store
        .people()
        .update(&acme.id, "system", &user.id, Role::Admin, None)
        .await
        .unwrap();
    assert_eq!((promoted.role, promoted.team_id), (Role::Admin, None));
    let other_team = store
        .teams()
        .create(&globex.id, "system", "sales")
        .await
        .unwrap();
    assert!(matches!(
        store
            .people()
            .update(
                &acme.id,
                "system",
                &user.id,
                Role::Staff,
                Some(&other_team.id)
            )
            .await,
        Err(StoreError::NotFound("team"))
    ));
    assert!(
        matches!(
            store
                .people()
                .create(
                    &acme.id,
                    "system",
                    &Email::parse("omar@acme.example").unwrap(),
                    "x",
                    Role::Staff,
                    Some(&other_team.id)
                )
                .await,
            Err(StoreError::NotFound("team"))
        ),
        "a team of another workspace is not found"
    );
    assert!(matches!(
        store
            .people()
            .create(
                &acme.id,
                "system",
                &Email::parse("omar@acme.example").unwrap(),
                "x",
                Role::Staff,
                Some("no-such-team")
            )
            .await,
        Err(StoreError::NotFound("team"))
    ));
    assert!(matches!(
        store
            .people()
            .update(&globex.id, "system", &user.id, Role::Staff, None)
            .await,
        Err(StoreError::NotFound("user"))
    ));
    assert_eq!(
        store
            .people()
            .list(&acme.id, &Page::all())
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    assert!(
        store
            .people()
            .list(&globex.id, &Page::all())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert_eq!(
        store
            .teams()
            .list(&acme.id, &Page::all())
            .await
            .unwrap()
            .items[0]
            .name,
        "sales"
    );
    assert!(store.people().log_out(&token).await.unwrap());
    assert_eq!(store.people().authenticate(&token).await.unwrap(), None);
    assert!(!store.people().log_out(&token).await.unwrap());

    let audit = store
        .audit_log()
        .list(&acme.id, &Page::all())
        .await
        .unwrap()
        .items;
    let actions: Vec<&str> = audit.iter().map(|entry| entry.action.as_str()).collect();
    for expected in [
        "workspace.create",
        "api_key.create",
        "api_key.revoke",
        "team.create",
        "user.create",
    ] {
        assert!(
            actions.contains(&expected),
            "{expected} missing from {actions:?}"
        );
    }
}

async fn agents_keep_every_version_and_stay_in_their_workspace(store: &Store) {
    let acme = store.workspaces().named("acme").await.unwrap().unwrap();
    let globex = store.workspaces().named("globex").await.unwrap().unwrap();
    let agent = store
        .agents()
        .create(&acme.id, "key:1", "support", r#"{"name":"support"}"#)
        .await
        .unwrap();
    assert_eq!(agent.version, 1);
    let updated = store
        .agents()
        .update(
            &acme.id,
            "key:1",
            &agent.id,
            "support",
            r#"{"name":"support","tone":"warm"}"#,
        )
        .await
        .unwrap();
    assert_eq!(updated.version, 2);
    let versions = store
        .agents()
        .versions(&acme.id, &agent.id, &Page::all())
        .await
        .unwrap()
        .items;
    assert_eq!(
        versions.iter().map(|v| v.version).collect::<Vec<_>>(),
        [1, 2]
    );
    assert_eq!(versions[0].config, r#"{"name":"support"}"#);
    assert!(matches!(
        store.agents().get(&globex.id, &agent.id).await,
        Err(StoreError::NotFound("agent"))
    ));
    assert!(matches!(
        store
            .agents()
            .update(&globex.id, "key:2", &agent.id, "x", "{}")
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.agents().delete(&globex.id, "key:2", &agent.id).await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(
        store
            .agents()
            .list(&acme.id, &Page::all())
            .await
            .unwrap()
            .items
            .len(),
        1
    );
    assert!(
        store
            .agents()
            .list(&globex.id, &Page::all())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let second = store
        .agents()
        .create(&acme.id, "key:1", "sales", "{}")
        .await
        .unwrap();
    store
        .agents()
        .delete(&acme.id, "key:1", &second.id)
        .await
        .unwrap();
    assert_eq!(
        store
            .agents()
            .list(&acme.id, &Page::all())
            .await
            .unwrap()
            .items
            .len(),
        1
    );
}

fn upload(name: &str) -> NewSource {
    NewSource {
        name: name.to_string(),
        origin: SourceOrigin::File,
        location: format!("checksum-of-{name}"),
        checksum: Some(format!("checksum-of-{name}")),
    }
}

/// Claims jobs until the queue has none due (other parts of the suite may have left some).
async fn drain(store: &Store) {
    while let Some(job) = store
        .jobs()
        .claim(JobKind::IngestSource, "drain", LEASE)
        .await
        .unwrap()
    {
        store.jobs().complete(&job.id, "drain").await.unwrap();
    }
}

fn source_of(job: &ClaimedJob) -> &str {
    match &job.job {
        Job::IngestSource { source_id } | Job::PurgeSource { source_id, .. } => source_id,
        Job::SweepIndex {}
        | Job::AnswerMessage { .. }
        | Job::SendMessage { .. }
        | Job::WakeConversation { .. }
        | Job::RunEval { .. } => "",
    }
}

async fn sources_and_jobs_go_from_queued_to_ready_or_failed(store: &Store) {
    drain(store).await;
    let acme = store.workspaces().named("acme").await.unwrap().unwrap();
    let globex = store.workspaces().named("globex").await.unwrap().unwrap();
    let kb = store
        .knowledge_bases()
        .create(&acme.id, "system", "faq")
        .await
        .unwrap();
    assert!(matches!(
        store
            .sources()
            .create(&globex.id, "system", &kb.id, upload("x.pdf"), 10)
            .await,
        Err(StoreError::NotFound("knowledge base"))
    ));
    let source = store
        .sources()
        .create(&acme.id, "system", &kb.id, upload("faq.pdf"), 10)
        .await
        .unwrap();
    assert_eq!(source.status, SourceStatus::Queued);
    assert_eq!(store.jobs().pending().await.unwrap(), 1);

    let job = store
        .jobs()
        .claim(JobKind::IngestSource, "worker-a", LEASE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(source_of(&job), source.id);
    assert_eq!(job.attempt, 1);
    assert!(
        store
            .jobs()
            .claim(JobKind::IngestSource, "worker-b", LEASE)
            .await
            .unwrap()
            .is_none(),
        "one job, one worker"
    );
    assert!(
        store
            .jobs()
            .renew(&job.id, "worker-a", LEASE)
            .await
            .unwrap()
    );
    assert!(
        !store
            .jobs()
            .renew(&job.id, "worker-b", LEASE)
            .await
            .unwrap()
    );
    assert!(
        store
            .sources()
            .progress(&source.id, SourceStatus::Embedding, 5, 12)
            .await
            .unwrap()
    );
    let progressing = store.sources().get(&acme.id, &source.id).await.unwrap();
    assert_eq!(
        (
            progressing.status,
            progressing.progress_done,
            progressing.progress_total
        ),
        (SourceStatus::Embedding, 5, 12)
    );
    assert!(
        store
            .sources()
            .ingested(&job.id, "worker-a", source_of(&job), 12)
            .await
            .unwrap()
    );
    let ready = store.sources().get(&acme.id, &source.id).await.unwrap();
    assert_eq!((ready.status, ready.chunks), (SourceStatus::Ready, 12));
    assert_eq!(store.jobs().pending().await.unwrap(), 0);

    // A transient failure comes back after its delay; a permanent one shows its error.
    store
        .sources()
        .resync(&acme.id, "system", &source.id, None, Duration::ZERO)
        .await
        .unwrap();
    store
        .sources()
        .resync(&acme.id, "system", &source.id, None, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(
        store.jobs().pending().await.unwrap(),
        1,
        "a resync keeps the waiting job"
    );
    let job = store
        .jobs()
        .claim(JobKind::IngestSource, "worker-a", LEASE)
        .await
        .unwrap()
        .unwrap();
    store
        .sources()
        .retry_ingestion(
            &job.id,
            "worker-a",
            source_of(&job),
            "connection reset",
            Duration::from_millis(30),
        )
        .await
        .unwrap();
    assert!(
        store
            .jobs()
            .claim(JobKind::IngestSource, "worker-a", LEASE)
            .await
            .unwrap()
            .is_none(),
        "not due yet"
    );
    assert_eq!(
        store
            .sources()
            .get(&acme.id, &source.id)
            .await
            .unwrap()
            .status,
        SourceStatus::Queued
    );
    tokio::time::sleep(Duration::from_millis(60)).await;
    let job = store
        .jobs()
        .claim(JobKind::IngestSource, "worker-a", LEASE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.attempt, 2);
    store
        .sources()
        .failed(
            &job.id,
            "worker-a",
            source_of(&job),
            "faq.pdf: the file is encrypted",
        )
        .await
        .unwrap();
    let failed = store.sources().get(&acme.id, &source.id).await.unwrap();
    assert_eq!(failed.status, SourceStatus::Failed);
    assert_eq!(
        failed.error.as_deref(),
        Some("faq.pdf: the file is encrypted")
    );

    // A re-sync while the job runs: that job read the old file, so it is cancelled (its worker
    // loses the lease) and a new one runs once the old worker has had time to stop.
    store
        .sources()
        .resync(&acme.id, "system", &source.id, None, Duration::ZERO)
        .await
        .unwrap();
    let reading_old = store
        .jobs()
        .claim(JobKind::IngestSource, "worker-a", LEASE)
        .await
        .unwrap()
        .unwrap();
    store
        .sources()
        .resync(
            &acme.id,
            "system",
            &source.id,
            Some(upload("faq-v3.pdf")),
            Duration::from_millis(100),
        )
        .await
        .unwrap();
    assert!(
        !store
            .jobs()
            .renew(&reading_old.id, "worker-a", LEASE)
            .await
            .unwrap()
    );
    assert!(
        store
            .jobs()
            .claim(JobKind::IngestSource, "worker-b", LEASE)
            .await
            .unwrap()
            .is_none(),
        "not before the old worker has stopped"
    );
    tokio::time::sleep(Duration::from_millis(150)).await;
    let fresh = store
        .jobs()
        .claim(JobKind::IngestSource, "worker-b", LEASE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(source_of(&fresh), source.id);
    assert!(
        store
            .sources()
            .failed(
                &fresh.id,
                "worker-b",
                &source.id,
                "faq-v3.pdf: the file is encrypted"
            )
            .await
            .unwrap()
    );

    // A changed upload replaces the source's file and queues it again.
    let changed = store
        .sources()
        .resync(
            &acme.id,
            "system",
            &source.id,
            Some(upload("faq-v2.pdf")),
            Duration::ZERO,
        )
        .await
        .unwrap();
    assert_eq!(
        (changed.name.as_str(), changed.status),
        ("faq-v2.pdf", SourceStatus::Queued)
    );
    assert!(changed.error.is_none());

    // Deleting a source while its job runs: the worker learns it when it finishes.
    let job = store
        .jobs()
        .claim(JobKind::IngestSource, "worker-a", LEASE)
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(
        store
            .sources()
            .delete(&globex.id, "system", &source.id, LEASE)
            .await,
        Err(StoreError::NotFound(_))
    ));
    store
        .sources()
        .delete(&acme.id, "system", &source.id, LEASE)
        .await
        .unwrap();
    assert!(
        !store
            .sources()
            .ingested(&job.id, "worker-a", source_of(&job), 3)
            .await
            .unwrap()
    );
    assert!(
        !store
            .sources()
            .progress(&source.id, SourceStatus::Embedding, 1, 2)
            .await
            .unwrap()
    );
    assert!(
        store
            .sources()
            .list(&acme.id, &kb.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        store.sources().list(&globex.id, &kb.id).await,
        Err(StoreError::NotFound(_))
    ));
}

async fn a_dead_workers_job_is_claimed_again(store: &Store) {
    drain(store).await;
    let acme = store.workspaces().named("acme").await.unwrap().unwrap();
    let kb = store
        .knowledge_bases()
        .create(&acme.id, "system", "leases")
        .await
        .unwrap();
    store
        .sources()
        .create(&acme.id, "system", &kb.id, upload("a.txt"), 10)
        .await
        .unwrap();
    let job = store
        .jobs()
        .claim(JobKind::IngestSource, "dead", Duration::ZERO)
        .await
        .unwrap()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let again = store
        .jobs()
        .claim(JobKind::IngestSource, "alive", LEASE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.id, job.id);
    assert_eq!(again.attempt, 2);
    assert!(
        !store.jobs().renew(&job.id, "dead", LEASE).await.unwrap(),
        "the dead worker lost it"
    );
    assert!(
        !store
            .sources()
            .ingested(&job.id, "dead", source_of(&job), 1)
            .await
            .unwrap()
    );
    assert!(
        store
            .sources()
            .ingested(&job.id, "alive", source_of(&job), 1)
            .await
            .unwrap()
    );

    // Released on shutdown: claimable at once. Left running by a crash: recovered at start
    // on SQLite, by its lease on PostgreSQL.
    store
        .sources()
        .resync(&acme.id, "system", source_of(&again), None, Duration::ZERO)
        .await
        .unwrap();
    let job = store
        .jobs()
        .claim(JobKind::IngestSource, "stopping", LEASE)
        .await
        .unwrap()
        .unwrap();
    let attempt = job.attempt;
    store.jobs().release(&job.id, "stopping").await.unwrap();
    let job = store
        .jobs()
        .claim(JobKind::IngestSource, "crashing", LEASE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        job.attempt, attempt,
        "a job given back on shutdown used no attempt"
    );
    let recovered = store.jobs().recover().await.unwrap();
    match store.backend() {
        records::Backend::Sqlite => {
            assert_eq!(recovered, 1);
            assert_eq!(
                store
                    .jobs()
                    .claim(JobKind::IngestSource, "next", LEASE)
                    .await
                    .unwrap()
                    .unwrap()
                    .id,
                job.id
            );
            assert!(store.jobs().complete(&job.id, "next").await.unwrap());
        }
        records::Backend::Postgres => {
            assert_eq!(recovered, 0);
            // Its lease decides: the crashed worker's job is still its own here.
            assert!(
                store
                    .jobs()
                    .claim(JobKind::IngestSource, "next", LEASE)
                    .await
                    .unwrap()
                    .is_none()
            );
            assert!(store.jobs().complete(&job.id, "crashing").await.unwrap());
        }
    }
    drain(store).await;
}

async fn credits_are_reserved_and_settled_without_overspending(store: &Store) {
    let small = store
        .workspaces()
        .create("small", "trial", 10)
        .await
        .unwrap();
    let reservation = store
        .credits()
        .reserve(&small.id, 3, "smart reply")
        .await
        .unwrap();
    assert_eq!(
        store
            .workspaces()
            .get(&small.id)
            .await
            .unwrap()
            .credit_balance,
        7
    );
    store.credits().settle(&reservation, 2).await.unwrap();
    assert_eq!(
        store
            .workspaces()
            .get(&small.id)
            .await
            .unwrap()
            .credit_balance,
        8
    );
    let failed_action = store
        .credits()
        .reserve(&small.id, 1, "answer")
        .await
        .unwrap();
    store.credits().settle(&failed_action, 0).await.unwrap();
    // Settling again (a retry, a guard after an interrupted settlement) refunds nothing twice.
    store.credits().settle(&failed_action, 0).await.unwrap();
    assert_eq!(
        store
            .workspaces()
            .get(&small.id)
            .await
            .unwrap()
            .credit_balance,
        8
    );
    match store.credits().reserve(&small.id, 9, "smart reply").await {
        Err(StoreError::InsufficientCredits {
            plan,
            balance,
            needed,
            ..
        }) => {
            assert_eq!((plan.as_str(), balance, needed), ("trial", 8, 9));
        }
        other => panic!("expected insufficient credits, got {other:?}"),
    }
    // Many actions at once never take more than there is.
    let attempts = (0..20).map(|_| {
        let store = store.clone();
        let id = small.id.clone();
        tokio::spawn(async move { store.credits().reserve(&id, 1, "answer").await.is_ok() })
    });
    let mut granted = 0;
    for attempt in attempts {
        granted += usize::from(attempt.await.unwrap());
    }
    assert_eq!(granted, 8);
    assert_eq!(
        store
            .workspaces()
            .get(&small.id)
            .await
            .unwrap()
            .credit_balance,
        0
    );
    store
        .credits()
        .grant(&small.id, 50, "top-up")
        .await
        .unwrap();
    assert_eq!(
        store
            .workspaces()
            .get(&small.id)
            .await
            .unwrap()
            .credit_balance,
        50
    );
    let ledger = store
        .credits()
        .ledger(&small.id, &Page::all())
        .await
        .unwrap()
        .items;
    assert_eq!(ledger.iter().map(|entry| entry.delta).sum::<i64>(), 50);
}

async fn feedback_refers_to_a_turn_of_the_workspace(store: &Store) {
    let acme = store.workspaces().named("acme").await.unwrap().unwrap();
    let globex = store.workspaces().named("globex").await.unwrap().unwrap();
    let agent = &store
        .agents()
        .list(&acme.id, &Page::all())
        .await
        .unwrap()
        .items[0];
    let turn = TurnRecord {
        id: uuid::Uuid::new_v4().to_string(),
        agent_id: agent.id.clone(),
        agent_version: agent.version,
        question: "ما هي ساعات العمل؟".to_string(),
        turn: r#"{"action":"reply"}"#.to_string(),
        created_at: 1,
    };
    store.turns().record(&acme.id, &turn).await.unwrap();
    assert!(matches!(
        store
            .turns()
            .rate(&globex.id, "key:2", &turn.id, Rating::Up, None)
            .await,
        Err(StoreError::NotFound("turn"))
    ));
    store
        .turns()
        .rate(
            &acme.id,
            "key:1",
            &turn.id,
            Rating::Down,
            Some("من ٩ إلى ٥"),
        )
        .await
        .unwrap();
    let rated = store
        .turns()
        .rated(&acme.id, &agent.id, &Page::all())
        .await
        .unwrap()
        .items;
    assert_eq!(rated.len(), 1);
    assert_eq!(rated[0].0.question, "ما هي ساعات العمل؟");
    assert_eq!(rated[0].1.correction.as_deref(), Some("من ٩ إلى ٥"));
    assert!(
        store
            .turns()
            .rated(&globex.id, &agent.id, &Page::all())
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

async fn concurrent_workers_claim_each_job_once(store: &Store) {
    drain(store).await;
    let acme = store.workspaces().named("acme").await.unwrap().unwrap();
    let kb = store
        .knowledge_bases()
        .create(&acme.id, "system", "many")
        .await
        .unwrap();
    for number in 0..40 {
        store
            .sources()
            .create(
                &acme.id,
                "system",
                &kb.id,
                upload(&format!("{number}.txt")),
                100,
            )
            .await
            .unwrap();
    }
    let workers = (0..4).map(|worker| {
        let store = store.clone();
        tokio::spawn(async move {
            let name = format!("worker-{worker}");
            let mut claimed = Vec::new();
            while let Some(job) = store
                .jobs()
                .claim(JobKind::IngestSource, &name, LEASE)
                .await
                .unwrap()
            {
                claimed.push(job.id.clone());
                store
                    .sources()
                    .ingested(&job.id, &name, source_of(&job), 1)
                    .await
                    .unwrap();
            }
            claimed
        })
    });
    let mut all = Vec::new();
    for worker in workers {
        all.extend(worker.await.unwrap());
    }
    let distinct: HashSet<&String> = all.iter().collect();
    assert_eq!((all.len(), distinct.len()), (40, 40));
}

async fn the_queue_delays_orders_and_deduplicates_jobs(store: &Store) {
    drain(store).await;
    let acme = store.workspaces().named("acme").await.unwrap().unwrap();
    let job = |source: &str| Job::IngestSource {
        source_id: source.to_string(),
    };
    let at = records::now();
    let delayed = NewJob {
        // Far enough ahead that a loaded machine claims the others before it is due.
        run_after: at + 1_500,
        ..NewJob::now(job("later"), Some(&acme.id))
    };
    assert!(store.jobs().enqueue(&delayed).await.unwrap());
    assert!(
        !store.jobs().enqueue(&delayed).await.unwrap(),
        "the same work is not queued twice while it waits"
    );
    let urgent = NewJob {
        priority: 10,
        ..NewJob::now(job("urgent"), Some(&acme.id))
    };
    store
        .jobs()
        .enqueue(&NewJob::now(job("plain"), None))
        .await
        .unwrap();
    store.jobs().enqueue(&urgent).await.unwrap();
    let claim = || async {
        store
            .jobs()
            .claim(JobKind::IngestSource, "worker", LEASE)
            .await
    };
    let first = claim().await.unwrap().unwrap();
    assert_eq!(first.job, job("urgent"), "priority first");
    assert_eq!(first.workspace_id.as_deref(), Some(acme.id.as_str()));
    let plain = claim().await.unwrap().unwrap();
    assert_eq!(plain.job, job("plain"));
    for done in [&first, &plain] {
        assert!(store.jobs().complete(&done.id, "worker").await.unwrap());
    }
    assert!(
        claim().await.unwrap().is_none(),
        "the delayed job is not due"
    );
    tokio::time::sleep(Duration::from_millis(1_600)).await;
    let later = claim().await.unwrap().unwrap();
    assert_eq!(later.job, job("later"));
    assert!(store.jobs().complete(&later.id, "worker").await.unwrap());
    assert!(
        store.jobs().enqueue(&delayed).await.unwrap(),
        "done work may be queued again"
    );
    drain(store).await;
}

async fn a_changed_applied_migration_is_refused(store: &Store, url: &str) {
    let mut connection = sqlx::AnyConnection::connect(url).await.unwrap();
    let recorded: String =
        sqlx::query_scalar("SELECT checksum FROM schema_migrations WHERE version = 1")
            .fetch_one(&mut connection)
            .await
            .unwrap();
    assert_eq!(recorded.len(), 64, "a SHA-256 in hex");
    sqlx::query("UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1")
        .execute(&mut connection)
        .await
        .unwrap();
    store.close().await;
    match Store::open(url).await {
        Err(StoreError::Migration {
            version, reason, ..
        }) => {
            assert_eq!(version, 1);
            assert!(reason.contains("changed after it was applied"), "{reason}");
        }
        other => panic!("expected the edited migration to be refused, got {other:?}"),
    }
    sqlx::query("UPDATE schema_migrations SET checksum = $1 WHERE version = 1")
        .bind(&recorded)
        .execute(&mut connection)
        .await
        .unwrap();
}

/// The columns (name, nullable) and indexes of every table, as the database reports them.
async fn schema(connection: &mut sqlx::AnyConnection, postgres: bool) -> Vec<String> {
    let mut described = Vec::new();
    let tables: Vec<String> = if postgres {
        sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables
             WHERE table_schema = current_schema() ORDER BY 1",
        )
    } else {
        sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
             ORDER BY 1",
        )
    }
    .fetch_all(&mut *connection)
    .await
    .unwrap();
    for table in tables {
        // Each dialect indexes message search its own way: SQLite an FTS5 table (with its
        // shadow tables), PostgreSQL a trigram index (left out below).
        if table.starts_with("messages_search") {
            continue;
        }
        let columns: Vec<(String, i64)> = if postgres {
            sqlx::query_as(
                "SELECT column_name::text, CASE is_nullable WHEN 'YES' THEN 1 ELSE 0 END::bigint
                 FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name = $1",
            )
        } else {
            sqlx::query_as(
                "SELECT name, CASE WHEN \"notnull\" = 1 OR pk = 1 THEN 0 ELSE 1 END
                 FROM pragma_table_info($1)",
            )
        }
        .bind(&table)
        .fetch_all(&mut *connection)
        .await
        .unwrap();
        for (column, nullable) in columns {
            described.push(format!("{table}.{column} nullable={nullable}"));
        }
        let indexes: Vec<String> = if postgres {
            sqlx::query_scalar(
                "SELECT indexname::text FROM pg_indexes
                 WHERE schemaname = current_schema() AND tablename = $1 AND indexname NOT LIKE '%_pkey'
                   AND indexname NOT LIKE '%_key'",
            )
        } else {
            sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = $1
                 AND name NOT LIKE 'sqlite_autoindex_%'",
            )
        }
        .bind(&table)
        .fetch_all(&mut *connection)
        .await
        .unwrap();
        described.extend(
            indexes
                .into_iter()
                .filter(|index| index != "messages_search_trigram")
                .map(|index| format!("{table} index {index}")),
        );
    }
    described.sort();
    described
}

/// The migrations are kept per dialect, but they must build the same tables, columns,
/// nullability and indexes: a drift fails here.
async fn the_dialects_build_the_same_schema() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite_url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("schema.db").display()
    );
    Store::open(&sqlite_url).await.unwrap().close().await;
    let mut sqlite = sqlx::AnyConnection::connect(&sqlite_url).await.unwrap();
    let Some(scratch) = records::scratch::scratch_postgres().await.unwrap() else {
        return;
    };
    Store::open(&scratch.url).await.unwrap().close().await;
    let mut pg = sqlx::AnyConnection::connect(&scratch.url).await.unwrap();
    let on_sqlite = schema(&mut sqlite, false).await;
    let on_postgres = schema(&mut pg, true).await;
    drop(pg);
    scratch.drop().await.unwrap();
    assert!(
        on_sqlite
            .iter()
            .any(|line| line == "jobs.dedupe_key nullable=1")
            && on_sqlite
                .iter()
                .any(|line| line == "jobs index jobs_pending_dedupe"),
        "{on_sqlite:#?}"
    );
    assert_eq!(on_sqlite, on_postgres);
}
