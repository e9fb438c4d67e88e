//! The Qdrant-server index against a local Qdrant server (`knowledge::index::local_qdrant`):
//! tenants and sources stay apart through the real client, and the synchronous index works
//! from the threads the service calls it from, including ones inside a tokio runtime, and can
//! be dropped inside an async task. Points are built by hand; no embedding model is needed.

use std::collections::BTreeSet;
use std::sync::Arc;

use knowledge::Position;
use knowledge::index::local_qdrant::LocalQdrant;
use knowledge::index::{ChunkPayload, IndexPoint, Query, Scope, ServerIndex, VectorIndex};
use knowledge::lexical::SparseVector;
use tokio::runtime::Handle;
use uuid::Uuid;

const DIMENSION: usize = 4;
const COLLECTION: &str = "chunks";

fn id(scope: &Scope, source: &str, ordinal: usize) -> Uuid {
    let name = format!(
        "{}/{}/{source}/{ordinal}",
        scope.workspace, scope.knowledge_base
    );
    Uuid::new_v5(&Uuid::NAMESPACE_OID, name.as_bytes())
}

fn point(
    scope: &Scope,
    source: &str,
    ordinal: usize,
    dense: [f32; DIMENSION],
    terms: &[u32],
) -> IndexPoint {
    IndexPoint {
        id: id(scope, source, ordinal),
        dense: dense.to_vec(),
        sparse: SparseVector {
            indices: terms.to_vec(),
            values: terms.iter().map(|_| 1.0).collect(),
        },
        payload: ChunkPayload {
            workspace: scope.workspace.clone(),
            knowledge_base: scope.knowledge_base.clone(),
            source_id: source.to_string(),
            source: format!("{source}.pdf"),
            ordinal,
            position: Position::page(ordinal + 1),
            language: "en".into(),
            text: format!("chunk {ordinal} of {source}"),
            sentence_vectors: Default::default(),
        },
    }
}

fn sparse(terms: &[u32]) -> Query {
    Query::Sparse(SparseVector {
        indices: terms.to_vec(),
        values: terms.iter().map(|_| 1.0).collect(),
    })
}

fn ids(hits: &[knowledge::index::Hit]) -> BTreeSet<Uuid> {
    hits.iter().map(|hit| hit.id).collect()
}

fn assert_in_scope(hits: &[knowledge::index::Hit], scope: &Scope) {
    for hit in hits {
        assert_eq!(hit.payload.workspace, scope.workspace, "{hit:?}");
        assert_eq!(hit.payload.knowledge_base, scope.knowledge_base, "{hit:?}");
    }
}

#[test]
fn scopes_and_sources_stay_apart_through_a_server() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(LocalQdrant::start()).unwrap();
    let index = ServerIndex::connect(server.url(), COLLECTION, DIMENSION).unwrap();
    // Connecting again finds the collection instead of creating it twice.
    ServerIndex::connect(server.url(), COLLECTION, DIMENSION).unwrap();

    // Same workspace and a knowledge base whose name starts the other's (with a space, which
    // must still match whole); another workspace with the same knowledge base name. The other
    // scopes hold the vectors that best match the queries, so any crossing shows.
    let docs = Scope::new("acme", "support docs");
    let support = Scope::new("acme", "support");
    let globex = Scope::new("globex", "support docs");
    let mut points = vec![
        point(&docs, "manual", 0, [1.0, 0.0, 0.0, 0.0], &[1, 7]),
        point(&docs, "manual", 1, [0.0, 1.0, 0.0, 0.0], &[2]),
        point(&docs, "manual", 2, [0.0, 0.0, 1.0, 0.0], &[3, 7]),
        point(&docs, "faq", 0, [0.9, 0.1, 0.0, 0.0], &[7]),
        point(&docs, "faq", 1, [0.0, 0.0, 0.0, 1.0], &[4]),
    ];
    points.extend([
        point(&support, "manual", 0, [1.0, 0.0, 0.0, 0.0], &[1, 7]),
        point(&support, "manual", 1, [0.0, 1.0, 0.0, 0.0], &[7]),
        point(&globex, "manual", 0, [1.0, 0.0, 0.0, 0.0], &[7]),
        point(&globex, "manual", 1, [0.0, 0.0, 1.0, 0.0], &[4, 7]),
    ]);
    index.upsert(&points).unwrap();

    let hits = index
        .search(&docs, &Query::Dense(vec![1.0, 0.0, 0.0, 0.0]), 10)
        .unwrap();
    assert_eq!(hits.len(), 5);
    assert_in_scope(&hits, &docs);
    assert_eq!(hits[0].id, id(&docs, "manual", 0));
    assert!((hits[0].score - 1.0).abs() < 1e-5, "{}", hits[0].score);
    assert_eq!(hits[0].payload, points[0].payload);
    assert_eq!(hits[1].id, id(&docs, "faq", 0));
    let top = index
        .search(&docs, &Query::Dense(vec![1.0, 0.0, 0.0, 0.0]), 2)
        .unwrap();
    assert_eq!(ids(&top), ids(&hits[..2]));

    let hits = index.search(&docs, &sparse(&[7]), 10).unwrap();
    assert_in_scope(&hits, &docs);
    let expected = [
        id(&docs, "manual", 0),
        id(&docs, "manual", 2),
        id(&docs, "faq", 0),
    ];
    assert_eq!(ids(&hits), BTreeSet::from(expected));
    let hits = index.search(&support, &sparse(&[1]), 10).unwrap();
    assert_eq!(ids(&hits), BTreeSet::from([id(&support, "manual", 0)]));
    let hits = index.search(&globex, &sparse(&[1]), 10).unwrap();
    assert!(hits.is_empty(), "{hits:?}");
    assert!(index.search(&docs, &sparse(&[]), 10).unwrap().is_empty());

    assert_eq!(index.count(&docs, None).unwrap(), 5);
    assert_eq!(index.count(&docs, Some("manual")).unwrap(), 3);
    assert_eq!(index.count(&docs, Some("faq")).unwrap(), 2);
    assert_eq!(index.count(&support, None).unwrap(), 2);
    assert_eq!(index.count(&globex, Some("manual")).unwrap(), 2);
    assert_eq!(index.count(&docs, Some("missing")).unwrap(), 0);
    let mut sources: Vec<(String, String, String, usize)> = index
        .sources()
        .unwrap()
        .into_iter()
        .map(|listed| {
            let Scope {
                workspace,
                knowledge_base,
            } = listed.scope;
            (workspace, knowledge_base, listed.source_id, listed.points)
        })
        .collect();
    sources.sort();
    let listed = |workspace: &str, knowledge_base: &str, source: &str, points| {
        (
            workspace.into(),
            knowledge_base.into(),
            source.into(),
            points,
        )
    };
    assert_eq!(
        sources,
        [
            listed("acme", "support", "manual", 2),
            listed("acme", "support docs", "faq", 2),
            listed("acme", "support docs", "manual", 3),
            listed("globex", "support docs", "manual", 2),
        ]
    );

    // A re-ingested manual kept only its first chunk: the rest go, in this scope only.
    index
        .delete_source(&docs, "manual", &[id(&docs, "manual", 0)])
        .unwrap();
    assert_eq!(index.count(&docs, Some("manual")).unwrap(), 1);
    assert_eq!(index.count(&docs, Some("faq")).unwrap(), 2);
    assert_eq!(index.count(&support, Some("manual")).unwrap(), 2);
    assert_eq!(index.count(&globex, Some("manual")).unwrap(), 2);
    index.delete_source(&docs, "faq", &[]).unwrap();
    assert_eq!(index.count(&docs, None).unwrap(), 1);
    assert_eq!(index.count(&support, None).unwrap(), 2);
    assert_eq!(index.count(&globex, None).unwrap(), 2);

    // Upserting an existing id replaces the point.
    let mut replaced = point(&docs, "manual", 0, [1.0, 0.0, 0.0, 0.0], &[1]);
    replaced.payload.text = "the new first chunk".into();
    index.upsert(std::slice::from_ref(&replaced)).unwrap();
    assert_eq!(index.count(&docs, None).unwrap(), 1);
    let hits = index
        .search(&docs, &Query::Dense(vec![1.0, 0.0, 0.0, 0.0]), 10)
        .unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].payload, replaced.payload);
    assert!(index.search(&docs, &sparse(&[7]), 10).unwrap().is_empty());

    index.optimize().unwrap();
    index.flush().unwrap();
}

/// The service runs the index on blocking threads that are inside the runtime's context, and
/// some of them are inside `Handle::block_on`: the index must not start or block on a runtime
/// of its own there, whether one thread calls it or eight at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn works_from_blocking_threads_inside_a_runtime() {
    let server = LocalQdrant::start().await.unwrap();
    let url = server.url().to_string();
    let first = Scope::new("tenant-0", "kb");
    let index = tokio::task::spawn_blocking(move || {
        Handle::current().block_on(async {
            let index = ServerIndex::connect(&url, COLLECTION, DIMENSION).unwrap();
            index
                .upsert(&[point(&first, "manual", 0, [1.0, 0.0, 0.0, 0.0], &[1])])
                .unwrap();
            assert_eq!(index.count(&first, None).unwrap(), 1);
            index
        })
    })
    .await
    .unwrap();
    let index = Arc::new(index);

    let mut tasks = Vec::new();
    for tenant in 1..=8 {
        let index = Arc::clone(&index);
        tasks.push(tokio::task::spawn_blocking(move || {
            Handle::current().block_on(async {
                let scope = Scope::new(format!("tenant-{tenant}"), "kb");
                let points: Vec<IndexPoint> = (0..3)
                    .map(|ordinal| {
                        let mut dense = [0.1; DIMENSION];
                        dense[ordinal] = 1.0;
                        point(&scope, "manual", ordinal, dense, &[1, 2])
                    })
                    .collect();
                for _ in 0..5 {
                    index.upsert(&points).unwrap();
                    let hits = index
                        .search(&scope, &Query::Dense(vec![1.0, 0.0, 0.0, 0.0]), 10)
                        .unwrap();
                    assert_eq!(hits.len(), 3);
                    assert_in_scope(&hits, &scope);
                    assert_eq!(hits[0].id, points[0].id);
                    let hits = index.search(&scope, &sparse(&[1]), 10).unwrap();
                    assert_eq!(hits.len(), 3);
                    assert_in_scope(&hits, &scope);
                    assert_eq!(index.count(&scope, Some("manual")).unwrap(), 3);
                }
            })
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let index = Arc::into_inner(index).expect("the tasks have let go of the index");
    tokio::task::spawn_blocking(move || {
        assert_eq!(index.count(&Scope::new("tenant-0", "kb"), None).unwrap(), 1);
    })
    .await
    .unwrap();
}

/// The last owner of the index may be an async task, where blocking is not allowed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn can_be_dropped_inside_an_async_task() {
    let server = LocalQdrant::start().await.unwrap();
    let url = server.url().to_string();
    let scope = Scope::new("acme", "kb");
    let index = tokio::task::spawn_blocking(move || {
        let index = ServerIndex::connect(&url, COLLECTION, DIMENSION).unwrap();
        index
            .upsert(&[point(&scope, "manual", 0, [1.0, 0.0, 0.0, 0.0], &[1])])
            .unwrap();
        index
    })
    .await
    .unwrap();
    tokio::spawn(async move { drop(index) }).await.unwrap();
}
