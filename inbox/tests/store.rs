//! One storage suite, run on SQLite and on PostgreSQL. The PostgreSQL run uses a scratch
//! database (`inbox::scratch`) and skips, saying why, when no server answers.

use std::collections::HashSet;
use std::time::Duration;

use inbox::{NewSource, Rating, Role, SourceKind, SourceStatus, Store, StoreError, TurnRecord};

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
    assert_eq!(
        reopened
            .workspace_named("acme")
            .await
            .unwrap()
            .unwrap()
            .name,
        "acme"
    );
}

#[tokio::test]
async fn postgres_passes_the_storage_suite() {
    let Some(database) = inbox::scratch::scratch_postgres().await.unwrap() else {
        return;
    };
    let url = database.url.clone();
    let store = Store::open(&url).await.unwrap();
    suite(&store).await;
    concurrent_workers_claim_each_job_once(&store).await;
    store.close().await;
    let reopened = Store::open(&url).await.unwrap();
    assert!(reopened.workspace_named("acme").await.unwrap().is_some());
    reopened.close().await;
    database.drop().await.unwrap();
}

async fn suite(store: &Store) {
    keys_and_sessions_authenticate_within_their_workspace(store).await;
    agents_keep_every_version_and_stay_in_their_workspace(store).await;
    sources_and_jobs_go_from_queued_to_ready_or_failed(store).await;
    a_dead_workers_job_is_claimed_again(store).await;
    credits_are_reserved_and_settled_without_overspending(store).await;
    feedback_refers_to_a_turn_of_the_workspace(store).await;
}

async fn keys_and_sessions_authenticate_within_their_workspace(store: &Store) {
    let acme = store
        .create_workspace("acme", "starter", 100)
        .await
        .unwrap();
    let globex = store
        .create_workspace("globex", "starter", 100)
        .await
        .unwrap();
    let key = store
        .create_api_key(&acme.id, "system", "ci")
        .await
        .unwrap();
    assert!(key.secret.starts_with("sb_") && key.secret.len() > 60);
    let principal = store.authenticate(&key.secret).await.unwrap().unwrap();
    assert_eq!(principal.workspace_id, acme.id);
    assert_eq!(principal.actor, format!("key:{}", key.key.id));
    assert_eq!(store.authenticate("sb_not-a-key").await.unwrap(), None);
    assert_eq!(store.authenticate("").await.unwrap(), None);
    // Listing never shows the secret; revoking another workspace's key is "not found".
    let listed = store.api_keys(&acme.id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(
        !serde_json::to_string(&listed)
            .unwrap()
            .contains(&key.secret)
    );
    assert!(matches!(
        store
            .revoke_api_key(&globex.id, "system", &key.key.id)
            .await,
        Err(StoreError::NotFound(_))
    ));
    store
        .revoke_api_key(&acme.id, "system", &key.key.id)
        .await
        .unwrap();
    assert_eq!(store.authenticate(&key.secret).await.unwrap(), None);

    let team = store
        .create_team(&acme.id, "system", "sales")
        .await
        .unwrap();
    let user = store
        .create_user(
            &acme.id,
            "system",
            "Mona@Acme.example",
            "correct horse",
            Role::TeamAdmin,
            Some(&team.id),
        )
        .await
        .unwrap();
    assert_eq!(user.email, "mona@acme.example");
    assert!(matches!(
        store
            .create_user(&globex.id, "system", "mona@acme.example", "x", Role::Staff, None)
            .await,
        Err(StoreError::Conflict(message)) if message.contains("mona@acme.example")
    ));
    assert!(
        store
            .log_in("mona@acme.example", "wrong")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .log_in("nobody@acme.example", "x")
            .await
            .unwrap()
            .is_none()
    );
    let (_, token) = store
        .log_in("MONA@acme.example", "correct horse")
        .await
        .unwrap()
        .unwrap();
    let principal = store.authenticate(&token).await.unwrap().unwrap();
    assert_eq!(principal.role, Role::TeamAdmin);
    assert_eq!(principal.workspace_id, acme.id);
    let promoted = store
        .update_user(&acme.id, "system", &user.id, Role::Admin, None)
        .await
        .unwrap();
    assert_eq!((promoted.role, promoted.team_id), (Role::Admin, None));
    let other_team = store
        .create_team(&globex.id, "system", "sales")
        .await
        .unwrap();
    assert!(matches!(
        store
            .update_user(
                &acme.id,
                "system",
                &user.id,
                Role::Staff,
                Some(&other_team.id)
            )
            .await,
        Err(StoreError::NotFound("team"))
    ));
    assert!(matches!(
        store
            .update_user(&globex.id, "system", &user.id, Role::Staff, None)
            .await,
        Err(StoreError::NotFound("user"))
    ));
    assert_eq!(store.users(&acme.id).await.unwrap().len(), 1);
    assert!(store.users(&globex.id).await.unwrap().is_empty());
    assert_eq!(store.teams(&acme.id).await.unwrap()[0].name, "sales");
    assert!(store.log_out(&token).await.unwrap());
    assert_eq!(store.authenticate(&token).await.unwrap(), None);
    assert!(!store.log_out(&token).await.unwrap());

    let audit = store.audit_log(&acme.id, 100).await.unwrap();
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
    let acme = store.workspace_named("acme").await.unwrap().unwrap();
    let globex = store.workspace_named("globex").await.unwrap().unwrap();
    let agent = store
        .create_agent(&acme.id, "key:1", "support", r#"{"name":"support"}"#)
        .await
        .unwrap();
    assert_eq!(agent.version, 1);
    let updated = store
        .update_agent(
            &acme.id,
            "key:1",
            &agent.id,
            "support",
            r#"{"name":"support","tone":"warm"}"#,
        )
        .await
        .unwrap();
    assert_eq!(updated.version, 2);
    let versions = store.agent_versions(&acme.id, &agent.id).await.unwrap();
    assert_eq!(
        versions.iter().map(|v| v.version).collect::<Vec<_>>(),
        [1, 2]
    );
    assert_eq!(versions[0].config, r#"{"name":"support"}"#);
    assert!(matches!(
        store.agent(&globex.id, &agent.id).await,
        Err(StoreError::NotFound("agent"))
    ));
    assert!(matches!(
        store
            .update_agent(&globex.id, "key:2", &agent.id, "x", "{}")
            .await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.delete_agent(&globex.id, "key:2", &agent.id).await,
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.agents(&acme.id).await.unwrap().len(), 1);
    assert!(store.agents(&globex.id).await.unwrap().is_empty());
    let second = store
        .create_agent(&acme.id, "key:1", "sales", "{}")
        .await
        .unwrap();
    store
        .delete_agent(&acme.id, "key:1", &second.id)
        .await
        .unwrap();
    assert_eq!(store.agents(&acme.id).await.unwrap().len(), 1);
}

fn upload(name: &str) -> NewSource {
    NewSource {
        name: name.to_string(),
        kind: SourceKind::File,
        location: format!("checksum-of-{name}"),
        checksum: Some(format!("checksum-of-{name}")),
    }
}

/// Claims jobs until the queue has none due (other parts of the suite may have left some).
async fn drain(store: &Store) {
    while let Some(job) = store.claim_job("drain", LEASE).await.unwrap() {
        store.finish_job(&job.id, "drain", 0).await.unwrap();
    }
}

async fn sources_and_jobs_go_from_queued_to_ready_or_failed(store: &Store) {
    drain(store).await;
    let acme = store.workspace_named("acme").await.unwrap().unwrap();
    let globex = store.workspace_named("globex").await.unwrap().unwrap();
    let kb = store
        .create_knowledge_base(&acme.id, "system", "faq")
        .await
        .unwrap();
    assert!(matches!(
        store
            .create_source(&globex.id, "system", &kb.id, upload("x.pdf"))
            .await,
        Err(StoreError::NotFound("knowledge base"))
    ));
    let source = store
        .create_source(&acme.id, "system", &kb.id, upload("faq.pdf"))
        .await
        .unwrap();
    assert_eq!(source.status, SourceStatus::Queued);
    assert_eq!(store.pending_jobs().await.unwrap(), 1);

    let job = store.claim_job("worker-a", LEASE).await.unwrap().unwrap();
    assert_eq!(job.source.id, source.id);
    assert_eq!(job.attempt, 1);
    assert!(
        store.claim_job("worker-b", LEASE).await.unwrap().is_none(),
        "one job, one worker"
    );
    assert!(store.renew_job(&job.id, "worker-a", LEASE).await.unwrap());
    assert!(!store.renew_job(&job.id, "worker-b", LEASE).await.unwrap());
    assert!(
        store
            .source_progress(&source.id, SourceStatus::Embedding, 5, 12)
            .await
            .unwrap()
    );
    let progressing = store.source(&acme.id, &source.id).await.unwrap();
    assert_eq!(
        (
            progressing.status,
            progressing.progress_done,
            progressing.progress_total
        ),
        (SourceStatus::Embedding, 5, 12)
    );
    assert!(store.finish_job(&job.id, "worker-a", 12).await.unwrap());
    let ready = store.source(&acme.id, &source.id).await.unwrap();
    assert_eq!((ready.status, ready.chunks), (SourceStatus::Ready, 12));
    assert_eq!(store.pending_jobs().await.unwrap(), 0);

    // A transient failure comes back after its delay; a permanent one shows its error.
    store
        .resync_source(&acme.id, "system", &source.id, None)
        .await
        .unwrap();
    store
        .resync_source(&acme.id, "system", &source.id, None)
        .await
        .unwrap();
    assert_eq!(
        store.pending_jobs().await.unwrap(),
        1,
        "a resync keeps the waiting job"
    );
    let job = store.claim_job("worker-a", LEASE).await.unwrap().unwrap();
    store
        .retry_job(
            &job.id,
            "worker-a",
            "connection reset",
            Duration::from_millis(30),
        )
        .await
        .unwrap();
    assert!(
        store.claim_job("worker-a", LEASE).await.unwrap().is_none(),
        "not due yet"
    );
    assert_eq!(
        store.source(&acme.id, &source.id).await.unwrap().status,
        SourceStatus::Queued
    );
    tokio::time::sleep(Duration::from_millis(60)).await;
    let job = store.claim_job("worker-a", LEASE).await.unwrap().unwrap();
    assert_eq!(job.attempt, 2);
    store
        .fail_job(&job.id, "worker-a", "faq.pdf: the file is encrypted")
        .await
        .unwrap();
    let failed = store.source(&acme.id, &source.id).await.unwrap();
    assert_eq!(failed.status, SourceStatus::Failed);
    assert_eq!(
        failed.error.as_deref(),
        Some("faq.pdf: the file is encrypted")
    );

    // A changed upload replaces the source's file and queues it again.
    let changed = store
        .resync_source(&acme.id, "system", &source.id, Some(upload("faq-v2.pdf")))
        .await
        .unwrap();
    assert_eq!(
        (changed.name.as_str(), changed.status),
        ("faq-v2.pdf", SourceStatus::Queued)
    );
    assert!(changed.error.is_none());

    // Deleting a source while its job runs: the worker learns it when it finishes.
    let job = store.claim_job("worker-a", LEASE).await.unwrap().unwrap();
    assert!(matches!(
        store.delete_source(&globex.id, "system", &source.id).await,
        Err(StoreError::NotFound(_))
    ));
    store
        .delete_source(&acme.id, "system", &source.id)
        .await
        .unwrap();
    assert!(!store.finish_job(&job.id, "worker-a", 3).await.unwrap());
    assert!(
        !store
            .source_progress(&source.id, SourceStatus::Embedding, 1, 2)
            .await
            .unwrap()
    );
    assert!(store.sources(&acme.id, &kb.id).await.unwrap().is_empty());
    assert!(matches!(
        store.sources(&globex.id, &kb.id).await,
        Err(StoreError::NotFound(_))
    ));
}

async fn a_dead_workers_job_is_claimed_again(store: &Store) {
    drain(store).await;
    let acme = store.workspace_named("acme").await.unwrap().unwrap();
    let kb = store
        .create_knowledge_base(&acme.id, "system", "leases")
        .await
        .unwrap();
    store
        .create_source(&acme.id, "system", &kb.id, upload("a.txt"))
        .await
        .unwrap();
    let job = store
        .claim_job("dead", Duration::ZERO)
        .await
        .unwrap()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(5)).await;
    let again = store.claim_job("alive", LEASE).await.unwrap().unwrap();
    assert_eq!(again.id, job.id);
    assert_eq!(again.attempt, 2);
    assert!(
        !store.renew_job(&job.id, "dead", LEASE).await.unwrap(),
        "the dead worker lost it"
    );
    assert!(!store.finish_job(&job.id, "dead", 1).await.unwrap());
    assert!(store.finish_job(&job.id, "alive", 1).await.unwrap());

    // Released on shutdown: claimable at once. Left running by a crash: recovered at start
    // on SQLite, by its lease on PostgreSQL.
    store
        .resync_source(&acme.id, "system", &again.source.id, None)
        .await
        .unwrap();
    let job = store.claim_job("stopping", LEASE).await.unwrap().unwrap();
    store.release_job(&job.id, "stopping").await.unwrap();
    let job = store.claim_job("crashing", LEASE).await.unwrap().unwrap();
    let recovered = store.recover_jobs().await.unwrap();
    match store.backend() {
        inbox::Backend::Sqlite => {
            assert_eq!(recovered, 1);
            assert_eq!(
                store.claim_job("next", LEASE).await.unwrap().unwrap().id,
                job.id
            );
        }
        inbox::Backend::Postgres => {
            assert_eq!(recovered, 0);
            assert!(store.claim_job("next", LEASE).await.unwrap().is_none());
        }
    }
    drain(store).await;
}

async fn credits_are_reserved_and_settled_without_overspending(store: &Store) {
    let small = store.create_workspace("small", "trial", 10).await.unwrap();
    let reservation = store
        .reserve_credits(&small.id, 3, "smart reply")
        .await
        .unwrap();
    assert_eq!(store.workspace(&small.id).await.unwrap().credit_balance, 7);
    store.settle_credits(reservation, 2).await.unwrap();
    assert_eq!(store.workspace(&small.id).await.unwrap().credit_balance, 8);
    let failed_action = store.reserve_credits(&small.id, 1, "answer").await.unwrap();
    store.settle_credits(failed_action, 0).await.unwrap();
    assert_eq!(store.workspace(&small.id).await.unwrap().credit_balance, 8);
    match store.reserve_credits(&small.id, 9, "smart reply").await {
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
        tokio::spawn(async move { store.reserve_credits(&id, 1, "answer").await.is_ok() })
    });
    let mut granted = 0;
    for attempt in attempts {
        granted += usize::from(attempt.await.unwrap());
    }
    assert_eq!(granted, 8);
    assert_eq!(store.workspace(&small.id).await.unwrap().credit_balance, 0);
    store.grant_credits(&small.id, 50, "top-up").await.unwrap();
    assert_eq!(store.workspace(&small.id).await.unwrap().credit_balance, 50);
    let ledger = store.credit_ledger(&small.id, 100).await.unwrap();
    assert_eq!(ledger.iter().map(|entry| entry.delta).sum::<i64>(), 50);
}

async fn feedback_refers_to_a_turn_of_the_workspace(store: &Store) {
    let acme = store.workspace_named("acme").await.unwrap().unwrap();
    let globex = store.workspace_named("globex").await.unwrap().unwrap();
    let agent = &store.agents(&acme.id).await.unwrap()[0];
    let turn = TurnRecord {
        id: uuid::Uuid::new_v4().to_string(),
        agent_id: agent.id.clone(),
        agent_version: agent.version,
        question: "ما هي ساعات العمل؟".to_string(),
        turn: r#"{"action":"reply"}"#.to_string(),
        created_at: 1,
    };
    store.record_turn(&acme.id, &turn).await.unwrap();
    assert!(matches!(
        store
            .record_feedback(&globex.id, "key:2", &turn.id, Rating::Up, None)
            .await,
        Err(StoreError::NotFound("turn"))
    ));
    store
        .record_feedback(
            &acme.id,
            "key:1",
            &turn.id,
            Rating::Down,
            Some("من ٩ إلى ٥"),
        )
        .await
        .unwrap();
    let rated = store.rated_turns(&acme.id, &agent.id).await.unwrap();
    assert_eq!(rated.len(), 1);
    assert_eq!(rated[0].0.question, "ما هي ساعات العمل؟");
    assert_eq!(rated[0].1.correction.as_deref(), Some("من ٩ إلى ٥"));
    assert!(
        store
            .rated_turns(&globex.id, &agent.id)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn concurrent_workers_claim_each_job_once(store: &Store) {
    drain(store).await;
    let acme = store.workspace_named("acme").await.unwrap().unwrap();
    let kb = store
        .create_knowledge_base(&acme.id, "system", "many")
        .await
        .unwrap();
    for number in 0..40 {
        store
            .create_source(&acme.id, "system", &kb.id, upload(&format!("{number}.txt")))
            .await
            .unwrap();
    }
    let workers = (0..4).map(|worker| {
        let store = store.clone();
        tokio::spawn(async move {
            let name = format!("worker-{worker}");
            let mut claimed = Vec::new();
            while let Some(job) = store.claim_job(&name, LEASE).await.unwrap() {
                claimed.push(job.id.clone());
                store.finish_job(&job.id, &name, 1).await.unwrap();
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
