//! Search latency at 100,000 chunks: embedded index, hybrid, filtered to one of ten tenants.
//! The query's embedding is timed on its own. The index is built once (with its HNSW and
//! payload indexes optimised) into the cache and reused by later runs.
//!
//! `cargo bench -p knowledge --bench search_latency` (needs scripts/setup.sh).

use std::sync::Arc;
use std::time::{Duration, Instant};

use knowledge::embed::{Embedder, EmbedderConfig};
use knowledge::index::{ChunkPayload, EdgeIndex, IndexPoint, Scope, VectorIndex};
use knowledge::lexical::Lexical;
use knowledge::retrieve::{Mode, Retrieval, SearchOptions};
use knowledge::{Position, guess_language};
use uuid::Uuid;

const POINTS: usize = 100_000;
const TENANTS: usize = 10;
const QUERIES: usize = 1000;

struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn normal(&mut self) -> f32 {
        // Sum of uniforms: close enough to Gaussian for direction sampling.
        (0..4)
            .map(|_| (self.next() % 10_000) as f32 / 10_000.0)
            .sum::<f32>()
            - 2.0
    }
    fn vector(&mut self, dimension: usize) -> Vec<f32> {
        let vector: Vec<f32> = (0..dimension).map(|_| self.normal()).collect();
        let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
        vector.into_iter().map(|x| x / norm).collect()
    }
    /// Words with a Zipf-like spread, as in real text.
    fn text(&mut self, words: usize) -> String {
        (0..words)
            .map(|_| {
                let rank = ((self.next() % 1_000_000) as f64 / 1_000_000.0).powi(3) * 20_000.0;
                format!("word{}", rank as u64)
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn percentile(sorted: &[Duration], fraction: f64) -> f64 {
    sorted[((sorted.len() as f64 * fraction) as usize).min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

fn main() {
    if !std::env::args().any(|arg| arg == "--bench") {
        return;
    }
    let config = EmbedderConfig::from_environment();
    if !config.is_installed() {
        println!("search: skipped, needs scripts/setup.sh");
        return;
    }
    let cache = config
        .model_dir
        .parent()
        .and_then(|models| models.parent())
        .map(|cache| cache.join("bench/search-100k"))
        .expect("cache dir");
    let embedder = Arc::new(Embedder::load(config).expect("the model loads"));
    let dimension = embedder.dimension();
    let index = Arc::new(EdgeIndex::open(&cache, dimension).expect("index opens"));
    let lexical = Lexical::new();
    let mut random = Random(42);
    let scopes: Vec<Scope> = (0..TENANTS)
        .map(|n| Scope::new(format!("workspace-{n}"), "kb"))
        .collect();
    let total: usize = scopes
        .iter()
        .map(|scope| index.count(scope, None).unwrap_or(0))
        .sum();
    let mut vectors: Vec<Vec<f32>> = Vec::new();
    let mut texts: Vec<String> = Vec::new();
    if total != POINTS {
        let started = Instant::now();
        for batch in 0..POINTS / 1000 {
            let points: Vec<IndexPoint> = (0..1000)
                .map(|n| {
                    let ordinal = batch * 1000 + n;
                    let scope = &scopes[ordinal % TENANTS];
                    let text = random.text(60);
                    IndexPoint {
                        id: Uuid::from_u128(ordinal as u128 + 1),
                        dense: random.vector(dimension),
                        sparse: lexical.document(&text, "en"),
                        payload: ChunkPayload {
                            workspace: scope.workspace.clone(),
                            knowledge_base: scope.knowledge_base.clone(),
                            source_id: format!("source-{}", ordinal / 100),
                            source: "synthetic".into(),
                            ordinal,
                            position: Position::page(ordinal % 50 + 1),
                            language: guess_language(&text),
                            text,
                            sentence_vectors: Default::default(),
                        },
                    }
                })
                .collect();
            index.upsert(&points).expect("upsert");
        }
        let loaded = started.elapsed();
        let started = Instant::now();
        index.optimize().expect("optimize");
        println!(
            "search: loaded {POINTS} points in {:.1} s ({:.0} points/s), optimised in {:.1} s",
            loaded.as_secs_f64(),
            POINTS as f64 / loaded.as_secs_f64(),
            started.elapsed().as_secs_f64()
        );
    }
    for _ in 0..QUERIES {
        vectors.push(random.vector(dimension));
        texts.push(random.text(4));
    }
    let retrieval = Retrieval::new(embedder.clone(), index);
    let options = SearchOptions {
        mode: Mode::Hybrid,
        limit: 10,
        ..SearchOptions::default()
    };
    let mut latencies = Vec::with_capacity(QUERIES);
    for (n, (vector, text)) in vectors.into_iter().zip(&texts).enumerate() {
        let started = Instant::now();
        let passages = retrieval
            .search_embedded(&scopes[n % TENANTS], text, vector, &options)
            .expect("search");
        latencies.push(started.elapsed());
        assert!(
            passages
                .iter()
                .all(|passage| passage.chunk.workspace == scopes[n % TENANTS].workspace)
        );
    }
    latencies.sort();
    println!(
        "search: hybrid, filtered to 1 of {TENANTS} tenants, top 10 of 50+50 candidates, {QUERIES} queries at {POINTS} points: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0)
    );
    let questions = [
        "How much does delivery cost?",
        "كم يستغرق التوصيل إلى عمّان؟",
        "Can I return an opened bag of coffee after a week?",
    ];
    let mut embedding = Vec::new();
    for n in 0..60 {
        let started = Instant::now();
        embedder
            .embed_query(questions[n % questions.len()])
            .expect("embed");
        embedding.push(started.elapsed());
    }
    embedding.sort();
    println!(
        "search: query embedding p50 {:.1} ms, p99 {:.1} ms",
        percentile(&embedding, 0.5),
        percentile(&embedding, 0.99)
    );
}
