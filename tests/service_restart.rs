//! kill -9 while sources are being ingested, then a restart: every source reaches `ready` with
//! exactly its chunks in the records and in the index, and nothing of a replaced file lingers.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::service::{Api, TestServer, create_workspace};
use knowledge::index::{ChunkPayload, EdgeIndex, IndexPoint, Scope, VectorIndex};
use knowledge::lexical::SparseVector;
use serde_json::Value;

/// A long bilingual catalogue: `paragraphs` distinct paragraphs.
fn catalogue(seed: usize, paragraphs: usize) -> String {
    const ITEMS: &[&str] = &["grinder", "kettle", "dripper", "scale", "filter", "mug"];
    const PLACES: &[&str] = &["Dubai", "Sharjah", "Abu Dhabi", "Ajman", "Fujairah"];
    let mut text = format!("# Catalogue {seed}\n\n");
    for number in 0..paragraphs {
        let item = ITEMS[(number + seed) % ITEMS.len()];
        let place = PLACES[(number * 7 + seed) % PLACES.len()];
        text.push_str(&format!(
            "Item {seed}-{number}: the {item} model {number} costs {} AED, weighs {} grams and ships to {place} within {} days. \
             المنتج رقم {number} من الفئة {seed} متوفر في {place} بسعر {} درهماً ويصل خلال {} أيام.\n\n",
            40 + number * 3 % 200,
            100 + number * 11 % 900,
            1 + number % 5,
            40 + number * 3 % 200,
            1 + number % 5,
        ));
    }
    text
}

/// How many chunks the same chunker makes of a file (`switchboard ingest --json`).
fn expected_chunks(path: &Path) -> i64 {
    let output = common::switchboard(&["ingest", "--json", path.to_str().unwrap()]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).lines().count() as i64
}

async fn sources(api: &Api, knowledge_base: &str) -> Vec<Value> {
    let (status, body) = api
        .get(&format!("/v1/knowledge-bases/{knowledge_base}/sources"))
        .await;
    assert_eq!(status, 200, "{body}");
    body.as_array().unwrap().clone()
}

/// Waits until some source is being embedded and has made progress, then kills the server.
async fn kill_mid_embedding(server: TestServer, api: &Api, knowledge_base: &str) {
    let started = Instant::now();
    loop {
        let busy = sources(api, knowledge_base)
            .await
            .into_iter()
            .any(|source| {
                source["status"] == "embedding" && source["progress_done"].as_i64().unwrap_or(0) > 0
            });
        if busy {
            server.kill();
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "ingestion never got under way"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_killed_server_resumes_ingestion_and_leaves_exactly_each_sources_chunks() {
    if !common::model_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let files = dir.path().join("files");
    std::fs::create_dir_all(&files).unwrap();
    let (_, key) = create_workspace(&data, &[], "acme", 100);

    let mut expected = Vec::new();
    for (name, seed, paragraphs) in [
        ("first.md", 1, 60),
        ("big-a.md", 2, 500),
        ("big-b.md", 3, 500),
        ("short.md", 4, 12),
    ] {
        let path = files.join(name);
        std::fs::write(&path, catalogue(seed, paragraphs)).unwrap();
        expected.push((name, path.clone(), expected_chunks(&path)));
    }
    assert!(
        expected[0].2 > expected[3].2,
        "the replacement must be shorter"
    );

    let server = TestServer::start(&data, &[]);
    let api = Api::new(&server, &key);
    let kb = api.create_knowledge_base("catalogue").await;
    let upload = |name: &str| std::fs::read(files.join(name)).unwrap();
    let (_, first) = api
        .upload(
            &format!("/v1/knowledge-bases/{kb}/sources"),
            "first.md",
            upload("first.md"),
        )
        .await;
    let first_id = first["id"].as_str().unwrap().to_string();
    api.wait_until_ready(&kb).await;
    for name in ["big-a.md", "big-b.md"] {
        let (status, body) = api
            .upload(
                &format!("/v1/knowledge-bases/{kb}/sources"),
                name,
                upload(name),
            )
            .await;
        assert_eq!(status, 202, "{body}");
    }
    // The first file is replaced by a shorter one: its job runs after the two big ones.
    let (status, body) = api.replace(&first_id, "short.md", upload("short.md")).await;
    assert_eq!(status, 202, "{body}");

    kill_mid_embedding(server, &api, &kb).await;
    // Restarted, killed again while the resumed work is under way, restarted again.
    let server = TestServer::start(&data, &[]);
    let api = Api::new(&server, &key);
    kill_mid_embedding(server, &api, &kb).await;
    let server = TestServer::start(&data, &[]);
    let api = Api::new(&server, &key);

    let ready = api.wait_until_ready(&kb).await;
    assert_eq!(ready.len(), 3);
    for source in ready {
        let name = source["name"].as_str().unwrap();
        let (_, _, chunks) = expected.iter().find(|(file, _, _)| *file == name).unwrap();
        let (_, detail) = api
            .get(&format!("/v1/sources/{}", source["id"].as_str().unwrap()))
            .await;
        assert_eq!(detail["chunks"].as_i64(), Some(*chunks), "{name}: {detail}");
        assert_eq!(
            detail["indexed"].as_i64(),
            Some(*chunks),
            "{name}: the index holds other points than its chunks: {detail}"
        );
    }
    drop(server);
}

/// A source deleted while it embeds, the server killed right after, restarted: the deleted
/// source's job does not come back, and the index ends with none of its points (the delayed
/// purge queued with the deletion runs after the restart), so no agent can quote it.
#[tokio::test]
async fn a_source_deleted_mid_embedding_leaves_no_points_across_a_kill() {
    if !common::model_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (workspace, key) = create_workspace(&data, &[], "acme", 100);
    // Leases of two seconds: the purge runs four seconds after the deletion.
    let env = [("SWITCHBOARD_JOBS__LEASE_SECONDS", "2")];
    let server = TestServer::start(&data, &env);
    let api = Api::new(&server, &key);
    let kb = api.create_knowledge_base("catalogue").await;
    let (status, source) = api
        .upload(
            &format!("/v1/knowledge-bases/{kb}/sources"),
            "big.md",
            catalogue(7, 900).into_bytes(),
        )
        .await;
    assert_eq!(status, 202, "{source}");
    let source = source["id"].as_str().unwrap().to_string();
    let started = Instant::now();
    loop {
        let (_, detail) = api.get(&format!("/v1/sources/{source}")).await;
        if detail["status"] == "embedding" && detail["indexed"].as_i64().unwrap_or(0) > 0 {
            break;
        }
        // Points are written a slice of chunks at a time: the file spans several slices.
        assert_ne!(
            detail["status"], "ready",
            "ready before a slice was seen: {detail}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "embedding never wrote a point: {detail}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(api.delete(&format!("/v1/sources/{source}")).await, 204);
    server.kill();

    let server = TestServer::start(&data, &env);
    let api = Api::new(&server, &key);
    assert!(sources(&api, &kb).await.is_empty());
    tokio::time::sleep(Duration::from_secs(8)).await;
    assert!(server.stop().success());
    let index = EdgeIndex::open(&data.join("index"), 384).unwrap();
    let scope = Scope::new(&workspace, &kb);
    assert_eq!(
        index.count(&scope, Some(&source)).unwrap(),
        0,
        "the deleted source's points are gone from the index"
    );
}

/// SIGTERM while a large file embeds: the process stops at the next batch instead of
/// finishing the file (it used to live on until the embedding ended, 96 s seen), gives the
/// job back, and the next start finishes the source with exactly its chunks.
#[tokio::test]
async fn sigterm_while_embedding_stops_soon_and_gives_the_job_back() {
    if !common::model_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let file = dir.path().join("big.md");
    std::fs::write(&file, catalogue(9, 900)).unwrap();
    let chunks = expected_chunks(&file);
    let (_, key) = create_workspace(&data, &[], "acme", 100);
    let server = TestServer::start(&data, &[]);
    let api = Api::new(&server, &key);
    let kb = api.create_knowledge_base("catalogue").await;
    let (status, source) = api
        .upload(
            &format!("/v1/knowledge-bases/{kb}/sources"),
            "big.md",
            std::fs::read(&file).unwrap(),
        )
        .await;
    assert_eq!(status, 202, "{source}");
    let source = source["id"].as_str().unwrap().to_string();
    let started = Instant::now();
    loop {
        let (_, detail) = api.get(&format!("/v1/sources/{source}")).await;
        if detail["status"] == "embedding" && detail["progress_done"].as_i64().unwrap_or(0) > 0 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(300), "{detail}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Bounded so a shutdown that waits for the whole file fails here instead of hanging.
    let stopped = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::task::spawn_blocking(move || server.stop()),
    )
    .await
    .expect("the server stops within a minute of SIGTERM, mid-file")
    .unwrap();
    assert!(stopped.success());

    let server = TestServer::start(&data, &[]);
    let api = Api::new(&server, &key);
    let ready = api.wait_until_ready(&kb).await;
    assert_eq!(ready[0]["chunks"].as_i64(), Some(chunks));
    let (_, detail) = api.get(&format!("/v1/sources/{source}")).await;
    assert_eq!(detail["indexed"].as_i64(), Some(chunks), "{detail}");
}

/// Points whose source the records no longer hold (a crash between a deletion and its purge,
/// or a version without purges, left them behind) are removed at the next start, wherever
/// they are: in a knowledge base that still exists, in a deleted one, in a deleted workspace.
/// The sources the records hold keep every point.
#[tokio::test]
async fn points_of_sources_that_no_longer_exist_are_swept_at_start() {
    if !common::model_ready() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (workspace, key) = create_workspace(&data, &[], "acme", 100);
    let server = TestServer::start(&data, &[]);
    let api = Api::new(&server, &key);
    let kb = api.create_knowledge_base("catalogue").await;
    let (status, kept) = api
        .upload(
            &format!("/v1/knowledge-bases/{kb}/sources"),
            "kept.md",
            catalogue(5, 20).into_bytes(),
        )
        .await;
    assert_eq!(status, 202, "{kept}");
    let kept = kept["id"].as_str().unwrap().to_string();
    api.wait_until_ready(&kb).await;
    assert!(server.stop().success());

    let kept_scope = Scope::new(&workspace, &kb);
    let orphans = [
        (kept_scope.clone(), "a-source-deleted-long-ago"),
        (
            Scope::new(&workspace, "a-deleted-knowledge-base"),
            "its-source",
        ),
        (Scope::new("a-deleted-workspace", &kb), "its-source"),
    ];
    let kept_points = {
        let index = EdgeIndex::open(&data.join("index"), 384).unwrap();
        for (scope, source) in &orphans {
            index.upsert(&orphan_points(scope, source)).unwrap();
        }
        index.count(&kept_scope, Some(&kept)).unwrap()
    };
    assert!(kept_points > 0);

    let server = TestServer::start(&data, &[]);
    let metrics = format!("{}/metrics", server.url);
    let started = Instant::now();
    loop {
        let body = reqwest::get(&metrics).await.unwrap().text().await.unwrap();
        if body.contains("switchboard_orphaned_sources_swept_total 3") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the sweep did not remove the three orphaned sources: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(server.stop().success());
    let index = EdgeIndex::open(&data.join("index"), 384).unwrap();
    for (scope, source) in &orphans {
        assert_eq!(index.count(scope, Some(source)).unwrap(), 0, "{source}");
    }
    assert_eq!(index.count(&kept_scope, Some(&kept)).unwrap(), kept_points);
    assert_eq!(index.sources().unwrap().len(), 1);
}

fn orphan_points(scope: &Scope, source: &str) -> Vec<IndexPoint> {
    (0..3)
        .map(|ordinal| {
            let mut dense = vec![0.0; 384];
            dense[ordinal] = 1.0;
            IndexPoint {
                id: uuid::Uuid::new_v4(),
                dense,
                sparse: SparseVector {
                    indices: vec![ordinal as u32],
                    values: vec![1.0],
                },
                payload: ChunkPayload {
                    workspace: scope.workspace.clone(),
                    knowledge_base: scope.knowledge_base.clone(),
                    source_id: source.to_string(),
                    source: format!("{source}.md"),
                    ordinal,
                    position: knowledge::Position::default(),
                    language: "en".into(),
                    text: format!("what {source} said, long ago"),
                    sentence_vectors: Default::default(),
                },
            }
        })
        .collect()
}
