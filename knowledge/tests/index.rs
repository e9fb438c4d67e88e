//! The embedded index keeps tenants apart, replaces and deletes exactly, and keeps every
//! acknowledged write across a clean stop and a kill. Vectors are random: the index is what is
//! under test, not the model.

use std::path::Path;
use std::process::Command;

use knowledge::Position;
use knowledge::index::local_qdrant::LocalQdrant;
use knowledge::index::{
    ChunkPayload, EdgeIndex, IndexPoint, IndexedSource, Query, Scope, ServerIndex, VectorIndex,
};
use knowledge::lexical::SparseVector;
use uuid::Uuid;

const DIMENSION: usize = 16;

/// A small deterministic generator, so failures reproduce.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn unit(&mut self) -> f32 {
        (self.next() % 10_000) as f32 / 10_000.0 - 0.5
    }
    fn dense(&mut self) -> Vec<f32> {
        (0..DIMENSION).map(|_| self.unit()).collect()
    }
    fn sparse(&mut self) -> SparseVector {
        let mut indices: Vec<u32> = (0..4).map(|_| (self.next() % 50) as u32).collect();
        indices.sort_unstable();
        indices.dedup();
        let values = indices.iter().map(|_| self.unit().abs() + 0.1).collect();
        SparseVector { indices, values }
    }
}

fn point(
    scope: &Scope,
    source: &str,
    ordinal: usize,
    dense: Vec<f32>,
    sparse: SparseVector,
) -> IndexPoint {
    let id = Uuid::new_v5(
        &Uuid::NAMESPACE_OID,
        format!(
            "{}/{}/{source}/{ordinal}",
            scope.workspace, scope.knowledge_base
        )
        .as_bytes(),
    );
    IndexPoint {
        id,
        dense,
        sparse,
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

/// Runs `test` on the embedded index, and on a Qdrant server where QDRANT_URL names one (a
/// fresh collection each time); prints that the server run was skipped otherwise.
fn on_every_backend(test: impl Fn(&dyn VectorIndex)) {
    let dir = tempfile::tempdir().unwrap();
    test(&EdgeIndex::open(dir.path(), DIMENSION).unwrap());
    match std::env::var("QDRANT_URL") {
        Ok(url) => {
            let collection = format!("switchboard-test-{}", Uuid::new_v4());
            test(&ServerIndex::connect(&url, &collection, DIMENSION).unwrap());
        }
        Err(_) => println!("skipped the Qdrant server run: QDRANT_URL is not set"),
    }
}

#[test]
fn tenants_never_see_each_other() {
    on_every_backend(tenant_isolation);
}

fn tenant_isolation(index: &dyn VectorIndex) {
    let mut random = Random(7);
    let tenants = [
        Scope::new("acme", "kb"),
        Scope::new("globex", "kb"),
        Scope::new("acme", "other-kb"),
    ];
    // The same vectors in every tenant: only the filter can keep them apart.
    let shared: Vec<(Vec<f32>, SparseVector)> = (0..300)
        .map(|_| (random.dense(), random.sparse()))
        .collect();
    for scope in &tenants {
        let points: Vec<IndexPoint> = shared
            .iter()
            .enumerate()
            .map(|(n, (dense, sparse))| point(scope, "s", n, dense.clone(), sparse.clone()))
            .collect();
        index.upsert(&points).unwrap();
    }
    let mut queries = 0;
    for round in 0..1500 {
        let scope = &tenants[round % tenants.len()];
        let query = if round % 2 == 0 {
            Query::Dense(random.dense())
        } else {
            Query::Sparse(random.sparse())
        };
        for hit in index.search(scope, &query, 10).unwrap() {
            assert_eq!(
                (&hit.payload.workspace, &hit.payload.knowledge_base),
                (&scope.workspace, &scope.knowledge_base)
            );
        }
        queries += 1;
    }
    assert_eq!(queries, 1500);
    for scope in &tenants {
        assert_eq!(index.count(scope, None).unwrap(), 300);
    }
}

#[test]
fn reingest_and_delete_leave_exactly_the_expected_points() {
    on_every_backend(reingest_and_delete);
}

fn reingest_and_delete(index: &dyn VectorIndex) {
    let scope = Scope::new("acme", "kb");
    let mut random = Random(11);
    let first: Vec<IndexPoint> = (0..10)
        .map(|n| point(&scope, "manual", n, random.dense(), random.sparse()))
        .collect();
    let other: Vec<IndexPoint> = (0..5)
        .map(|n| point(&scope, "prices", n, random.dense(), random.sparse()))
        .collect();
    index.upsert(&first).unwrap();
    index.upsert(&other).unwrap();
    // The new version keeps chunks 0..4 and has 3 new ones: 7 in all.
    let mut second: Vec<IndexPoint> = (0..4)
        .map(|n| point(&scope, "manual", n, random.dense(), random.sparse()))
        .collect();
    second.extend((100..103).map(|n| point(&scope, "manual", n, random.dense(), random.sparse())));
    index.upsert(&second).unwrap();
    let keep: Vec<Uuid> = second.iter().map(|point| point.id).collect();
    index.delete_source(&scope, "manual", &keep).unwrap();
    assert_eq!(index.count(&scope, Some("manual")).unwrap(), 7);
    assert_eq!(index.count(&scope, Some("prices")).unwrap(), 5);
    index.delete_source(&scope, "manual", &[]).unwrap();
    assert_eq!(index.count(&scope, Some("manual")).unwrap(), 0);
    assert_eq!(index.count(&scope, None).unwrap(), 5);
}

#[test]
fn every_source_is_listed_with_its_scope_and_points() {
    on_every_backend(sources_listed);
}

fn sources_listed(index: &dyn VectorIndex) {
    let mut random = Random(13);
    let layout = [
        (Scope::new("acme", "kb"), "manual", 4),
        (Scope::new("acme", "kb"), "prices", 2),
        (Scope::new("acme", "other-kb"), "manual", 3),
        (Scope::new("globex", "kb"), "faq", 1),
    ];
    assert!(index.sources().unwrap().is_empty());
    for (scope, source, points) in &layout {
        let points: Vec<IndexPoint> = (0..*points)
            .map(|n| point(scope, source, n, random.dense(), random.sparse()))
            .collect();
        index.upsert(&points).unwrap();
    }
    let mut listed = index.sources().unwrap();
    listed.sort_by(|a, b| {
        (&a.scope.workspace, &a.scope.knowledge_base, &a.source_id).cmp(&(
            &b.scope.workspace,
            &b.scope.knowledge_base,
            &b.source_id,
        ))
    });
    let expected: Vec<IndexedSource> = layout
        .iter()
        .map(|(scope, source, points)| IndexedSource {
            scope: scope.clone(),
            source_id: source.to_string(),
            points: *points,
        })
        .collect();
    assert_eq!(listed, expected);
    index.delete_source(&layout[1].0, "prices", &[]).unwrap();
    assert_eq!(index.sources().unwrap().len(), 3);
}

#[test]
fn every_text_is_read_back_and_its_sparse_vector_replaced() {
    on_every_backend(texts_and_sparse_replaced);
    // The client's scroll and vector update, through the local server.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(LocalQdrant::start()).unwrap();
    texts_and_sparse_replaced(&ServerIndex::connect(server.url(), "chunks", DIMENSION).unwrap());
}

fn texts_and_sparse_replaced(index: &dyn VectorIndex) {
    let mut random = Random(11);
    let tenants = [Scope::new("acme", "kb"), Scope::new("globex", "kb")];
    let mut points = Vec::new();
    for scope in &tenants {
        for ordinal in 0..150 {
            points.push(point(scope, "s", ordinal, random.dense(), random.sparse()));
        }
    }
    index.upsert(&points).unwrap();

    let mut read = Vec::new();
    let mut from = None;
    loop {
        let (page, next) = index.texts(from, 64).unwrap();
        assert!(page.len() <= 64);
        read.extend(page);
        match next {
            Some(next) => from = Some(next),
            None => break,
        }
    }
    let mut expected: Vec<(Uuid, String)> = points
        .iter()
        .map(|point| (point.id, point.payload.text.clone()))
        .collect();
    let mut found: Vec<(Uuid, String)> = read
        .iter()
        .map(|stored| (stored.id, stored.text.clone()))
        .collect();
    expected.sort();
    found.sort();
    assert_eq!(found, expected, "every point once, with its own text");
    assert!(read.iter().all(|stored| stored.language == "en"));

    // Term 999 is in no random vector (terms 0-49); after the swap only one point holds it.
    let chosen = &points[7];
    let replaced: Vec<(Uuid, SparseVector)> = points
        .iter()
        .map(|point| {
            let term = if point.id == chosen.id { 999 } else { 998 };
            let sparse = SparseVector {
                indices: vec![term],
                values: vec![1.0],
            };
            (point.id, sparse)
        })
        .collect();
    index.replace_sparse(&replaced).unwrap();
    let scope = &tenants[0];
    let lexical = Query::Sparse(SparseVector {
        indices: vec![999],
        values: vec![1.0],
    });
    let hits = index.search(scope, &lexical, 10).unwrap();
    assert_eq!(
        hits.iter().map(|hit| hit.id).collect::<Vec<_>>(),
        [chosen.id]
    );
    assert_eq!(
        hits[0].payload, chosen.payload,
        "the payload is left as it was"
    );
    let old_terms = Query::Sparse(chosen.sparse.clone());
    assert!(
        index.search(scope, &old_terms, 300).unwrap().is_empty(),
        "no point keeps its old terms"
    );
    let dense = index
        .search(scope, &Query::Dense(chosen.dense.clone()), 1)
        .unwrap();
    assert_eq!(dense[0].id, chosen.id, "the dense vector is left as it was");
    assert_eq!(index.count(scope, None).unwrap(), 150);
}

#[test]
fn reopening_after_a_clean_stop_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let scope = Scope::new("acme", "kb");
    let mut random = Random(3);
    let points: Vec<IndexPoint> = (0..200)
        .map(|n| point(&scope, "s", n, random.dense(), random.sparse()))
        .collect();
    {
        let index = EdgeIndex::open(dir.path(), DIMENSION).unwrap();
        index.upsert(&points).unwrap();
        index.optimize().unwrap();
        index.flush().unwrap();
    }
    let index = EdgeIndex::open(dir.path(), DIMENSION).unwrap();
    assert_eq!(index.count(&scope, None).unwrap(), 200);
    let hits = index
        .search(&scope, &Query::Dense(points[42].dense.clone()), 1)
        .unwrap();
    assert_eq!(hits[0].id, points[42].id);
}

#[test]
fn an_index_open_elsewhere_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let _open = EdgeIndex::open(dir.path(), DIMENSION).unwrap();
    let error = EdgeIndex::open(dir.path(), DIMENSION).unwrap_err();
    assert!(
        error.to_string().contains("it is open in another process"),
        "{error}"
    );
}

#[test]
fn an_index_built_for_another_model_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(EdgeIndex::open(dir.path(), DIMENSION).unwrap());
    let error = EdgeIndex::open(dir.path(), 384).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("holds 16-dimensional vectors, the embedding model gives 384"),
        "{error}"
    );
}

const CHILD_DIR: &str = "SWITCHBOARD_TEST_KILLED_WRITER_DIR";

/// In the child process: acknowledge writes one batch at a time, then die without flushing.
fn write_until_killed(dir: &Path) -> ! {
    let index = EdgeIndex::open(dir, DIMENSION).unwrap();
    let scope = Scope::new("acme", "kb");
    let mut random = Random(5);
    for batch in 0..6 {
        let points: Vec<IndexPoint> = (0..50)
            .map(|n| point(&scope, "s", batch * 50 + n, random.dense(), random.sparse()))
            .collect();
        index.upsert(&points).unwrap();
        println!("acknowledged {}", (batch + 1) * 50);
    }
    std::process::abort();
}

#[test]
fn reopening_after_a_kill_keeps_every_acknowledged_point() {
    if let Some(dir) = std::env::var_os(CHILD_DIR) {
        write_until_killed(Path::new(&dir));
    }
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "reopening_after_a_kill_keeps_every_acknowledged_point",
            "--nocapture",
        ])
        .env(CHILD_DIR, dir.path())
        .output()
        .unwrap();
    assert!(!output.status.success(), "the writer was meant to die");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let acknowledged: usize = stdout
        .lines()
        .filter_map(|line| line.strip_prefix("acknowledged "))
        .filter_map(|count| count.trim().parse().ok())
        .max()
        .unwrap_or_else(|| {
            panic!(
                "the writer acknowledged nothing: {stdout} {}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
    assert_eq!(acknowledged, 300);
    let index = EdgeIndex::open(dir.path(), DIMENSION).unwrap();
    assert_eq!(
        index.count(&Scope::new("acme", "kb"), None).unwrap(),
        acknowledged
    );
}
