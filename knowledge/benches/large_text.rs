//! Where the time of a large text file goes, stage by stage, as ingestion runs them: decoding
//! and parsing, chunking (256 tokens of the model's tokenizer, 32 of overlap), embedding the
//! chunks, embedding their sentences (stored with them, so that no turn embeds them), the BM25
//! vectors, and writing to the index.
//!
//! `cargo bench -p knowledge --bench large_text` (needs scripts/setup.sh). The file is a 20 MB
//! bilingual text written here from templates (`SWITCHBOARD_LARGE_TEXT=FILE` takes a real one
//! instead). Parsing and chunking run over the whole file; embedding and writing over its first
//! `SWITCHBOARD_LARGE_TEXT_CHUNKS` chunks (default 1,024), which is enough for a steady rate:
//! the whole file's time is projected from them. Embedding is measured twice, in the small
//! batches ingestion uses (so that a customer's question never waits long for the model) and in
//! the large batches it used before, to show what that fairness costs.

use std::time::Instant;

use knowledge::embed::{Embedder, EmbedderConfig, TextRole};
use knowledge::index::{ChunkPayload, EdgeIndex, IndexPoint, Scope, VectorIndex};
use knowledge::lexical::Lexical;
use knowledge::retrieve::sentences_to_store;
use knowledge::{Limits, chunk_by_tokens, parse};

/// Just under the 20 MB upload limit (a paragraph may overshoot the target by a few hundred bytes).
const FILE_BYTES: usize = 20 * 1024 * 1024 - 4096;
const SAMPLE: usize = 1024;

/// A linear congruential generator (Knuth's MMIX constants): filler that does not repeat, the
/// same on every run.
struct Filler(u64);

impl Filler {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn pick<'a>(&mut self, words: &[&'a str]) -> &'a str {
        words[(self.next() % words.len() as u64) as usize]
    }
}

/// Product notes in English and Arabic, paragraph after paragraph, until `bytes`.
fn generated_text(bytes: usize) -> String {
    const EN: &[&str] = &[
        "delivery",
        "order",
        "refund",
        "warranty",
        "grinder",
        "espresso",
        "subscription",
        "invoice",
        "customer",
        "shipping",
        "roast",
        "beans",
        "machine",
        "filter",
        "return",
        "payment",
        "branch",
        "opening",
        "weekend",
        "discount",
    ];
    const AR: &[&str] = &[
        "التوصيل",
        "الطلب",
        "الاسترداد",
        "الضمان",
        "المطحنة",
        "الاشتراك",
        "الفاتورة",
        "العميل",
        "الشحن",
        "التحميص",
        "البن",
        "الآلة",
        "المرشح",
        "الإرجاع",
        "الدفع",
        "الفرع",
        "الخصم",
    ];
    let mut filler = Filler(7);
    let mut text = String::with_capacity(bytes + 1024);
    let mut paragraph = 0;
    while text.len() < bytes {
        paragraph += 1;
        text.push_str(&format!("Note {paragraph}\n\n"));
        for sentence in 0..6 {
            let arabic = (paragraph + sentence) % 3 == 0;
            let words = if arabic { AR } else { EN };
            let length = 8 + (filler.next() % 10) as usize;
            let sentence: Vec<&str> = (0..length).map(|_| filler.pick(words)).collect();
            text.push_str(&sentence.join(" "));
            text.push_str(". ");
        }
        text.push_str(&format!("Reference {}.\n\n", filler.next() % 100_000));
    }
    text
}

fn seconds(started: Instant) -> f64 {
    started.elapsed().as_secs_f64()
}

fn main() {
    let config = EmbedderConfig::from_environment();
    let embedder = match Embedder::load(config) {
        Ok(embedder) => embedder,
        Err(error) => {
            eprintln!("skipped: the embedding model is not set up ({error}); run scripts/setup.sh");
            return;
        }
    };
    let sample = std::env::var("SWITCHBOARD_LARGE_TEXT_CHUNKS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(SAMPLE);
    let (name, bytes) = match std::env::var("SWITCHBOARD_LARGE_TEXT") {
        Ok(path) => (path.clone(), std::fs::read(&path).expect("the file reads")),
        Err(_) => (
            "generated.txt".to_string(),
            generated_text(FILE_BYTES).into_bytes(),
        ),
    };
    let megabytes = bytes.len() as f64 / 1_048_576.0;

    let started = Instant::now();
    let document = parse("large.txt", &bytes, &Limits::default()).expect("the text parses");
    let parse_seconds = seconds(started);

    let started = Instant::now();
    let chunks = chunk_by_tokens("bench", &document, embedder.tokenizer(), 256, 32);
    let chunk_seconds = seconds(started);
    let sample = sample.min(chunks.len());
    let texts: Vec<&str> = chunks[..sample]
        .iter()
        .map(|chunk| chunk.text.as_str())
        .collect();

    let started = Instant::now();
    let mut vectors = Vec::with_capacity(sample);
    for slice in texts.chunks(128) {
        vectors.extend(
            embedder
                .embed_bulk(slice, TextRole::Passage, &mut |_| {
                    std::ops::ControlFlow::Continue(())
                })
                .expect("embeds"),
        );
    }
    let bulk_seconds = seconds(started);

    let started = Instant::now();
    for slice in texts.chunks(128) {
        embedder
            .embed(slice, TextRole::Passage, &mut |_| {})
            .expect("embeds");
    }
    let large_batch_seconds = seconds(started);

    let started = Instant::now();
    let mut sentence_vectors = Vec::with_capacity(sample);
    let mut sentence_count = 0;
    for slice in chunks[..sample].chunks(128) {
        let sentences: Vec<_> = slice
            .iter()
            .map(|chunk| sentences_to_store(&chunk.text, &chunk.position))
            .collect();
        sentence_count += sentences.iter().map(Vec::len).sum::<usize>();
        sentence_vectors.extend(
            embedder
                .embed_for_storage(&sentences, &mut |_, _| std::ops::ControlFlow::Continue(()))
                .expect("embeds"),
        );
    }
    let sentence_seconds = seconds(started);

    let lexical = Lexical::new();
    let started = Instant::now();
    let sparse: Vec<_> = chunks[..sample]
        .iter()
        .map(|chunk| lexical.document(&chunk.text, &chunk.language))
        .collect();
    let sparse_seconds = seconds(started);

    let dir = tempfile::tempdir().expect("a temporary directory");
    let index = EdgeIndex::open(dir.path(), embedder.dimension()).expect("the index opens");
    let scope = Scope::new("bench", "kb");
    let points: Vec<IndexPoint> = chunks[..sample]
        .iter()
        .zip(vectors)
        .zip(sparse)
        .zip(sentence_vectors)
        .map(|(((chunk, dense), sparse), sentence_vectors)| IndexPoint {
            id: chunk.id,
            dense,
            sparse,
            payload: ChunkPayload {
                workspace: scope.workspace.clone(),
                knowledge_base: scope.knowledge_base.clone(),
                source_id: chunk.source_id.clone(),
                source: name.clone(),
                ordinal: chunk.ordinal,
                position: chunk.position.clone(),
                language: chunk.language.clone(),
                text: chunk.text.clone(),
                sentence_vectors,
            },
        })
        .collect();
    let started = Instant::now();
    for slice in points.chunks(128) {
        index.upsert(slice).expect("writes");
    }
    let write_seconds = seconds(started);

    let per_chunk = |stage_seconds: f64| stage_seconds / sample as f64;
    let total = chunks.len() as f64;
    let projected = parse_seconds
        + chunk_seconds
        + total
            * (per_chunk(bulk_seconds)
                + per_chunk(sentence_seconds)
                + per_chunk(sparse_seconds)
                + per_chunk(write_seconds));
    println!("{name}: {megabytes:.1} MB, {} chunks", chunks.len());
    println!("| stage | over | seconds | per chunk | share of the projected total |");
    println!("|---|---|---|---|---|");
    let row = |stage: &str, count: usize, spent: f64, whole: f64| {
        println!(
            "| {stage} | {count} chunks | {spent:.2} | {:.2} ms | {:.1}% |",
            spent / count as f64 * 1000.0,
            whole / projected * 100.0
        );
    };
    let all = chunks.len();
    row("decode and parse", all, parse_seconds, parse_seconds);
    row("chunk (tokenizer)", all, chunk_seconds, chunk_seconds);
    let projected_stage = |spent: f64| total * per_chunk(spent);
    row(
        "embed, small batches (ingestion)",
        sample,
        bulk_seconds,
        projected_stage(bulk_seconds),
    );
    row(
        "embed sentences for storage (ingestion)",
        sample,
        sentence_seconds,
        projected_stage(sentence_seconds),
    );
    row(
        "BM25 vectors",
        sample,
        sparse_seconds,
        projected_stage(sparse_seconds),
    );
    row(
        "index writes (slices of 128)",
        sample,
        write_seconds,
        projected_stage(write_seconds),
    );
    println!(
        "\nembedding: {:.1} chunks/s in ingestion's batches (at most 8 texts, 2,048 tokens), {:.1} chunks/s in batches of 32",
        sample as f64 / bulk_seconds,
        sample as f64 / large_batch_seconds
    );
    println!(
        "sentences: {sentence_count} in {sample} chunks, {:.1} sentences/s",
        sentence_count as f64 / sentence_seconds
    );
    println!(
        "projected for the whole file: {projected:.0} s ({:.1} min), {:.1} chunks/s",
        projected / 60.0,
        total / projected
    );
}
