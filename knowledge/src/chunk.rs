//! Chunking: blocks become retrievable pieces of bounded size with stable ids.

use serde::Serialize;
use text_splitter::{ChunkConfig, MarkdownSplitter, TextSplitter};
use uuid::Uuid;

use crate::detect::SourceKind;
use crate::document::{Document, Position};
use crate::lang::guess_language;

/// Namespace of chunk ids: ids are UUIDv5 of (source id, ordinal, text), so the same input
/// always yields the same ids and re-ingesting a source can replace its points.
const CHUNK_NAMESPACE: Uuid = Uuid::from_u128(0x5f1c_2a7e_83d4_4b6a_9c1e_0d2f_6a8b_3e71);

#[derive(Debug, Clone, Serialize)]
pub struct Chunk {
    pub id: Uuid,
    pub source_id: String,
    /// Place in the source's sequence of chunks, from 0.
    pub ordinal: usize,
    pub text: String,
    pub position: Position,
    pub language: String,
}

/// Chunk size in characters. About four characters make one token of the multilingual
/// embedding model in English and in Arabic, so the defaults approximate 256 tokens with a
/// 32-token overlap.
#[derive(Debug, Clone, Copy)]
pub struct ChunkOptions {
    pub max_chars: usize,
    pub overlap_chars: usize,
}

impl Default for ChunkOptions {
    fn default() -> Self {
        ChunkOptions {
            max_chars: 1000,
            overlap_chars: 120,
        }
    }
}

/// Splits a document's blocks into chunks sized in characters. Records (spreadsheet and table
/// rows) are never split; other blocks are split at the largest semantic unit that fits
/// (Markdown structure, then paragraphs, sentences and words).
pub fn chunk(source_id: &str, document: &Document, options: ChunkOptions) -> Vec<Chunk> {
    split(
        source_id,
        document,
        |capacity: usize, overlap: usize| {
            ChunkConfig::new(capacity)
                .with_overlap(overlap)
                .map(|config| config.with_trim(true))
        },
        options.max_chars,
        options.overlap_chars,
    )
}

/// [`chunk`], sized in tokens of the embedding model's tokenizer (256 with 32 of overlap is the
/// product's default).
pub fn chunk_by_tokens(
    source_id: &str,
    document: &Document,
    tokenizer: &tokenizers::Tokenizer,
    max_tokens: usize,
    overlap_tokens: usize,
) -> Vec<Chunk> {
    split(
        source_id,
        document,
        |capacity: usize, overlap: usize| {
            ChunkConfig::new(capacity)
                .with_sizer(tokenizer)
                .with_overlap(overlap)
                .map(|config| config.with_trim(true))
        },
        max_tokens,
        overlap_tokens,
    )
}

enum Splitter<S: text_splitter::ChunkSizer> {
    Markdown(MarkdownSplitter<S>),
    Text(TextSplitter<S>),
}

fn split<S: text_splitter::ChunkSizer>(
    source_id: &str,
    document: &Document,
    config: impl Fn(usize, usize) -> Result<ChunkConfig<S>, text_splitter::ChunkConfigError>,
    capacity: usize,
    overlap: usize,
) -> Vec<Chunk> {
    let capacity = capacity.max(1);
    let config = || {
        config(capacity, overlap.min(capacity.saturating_sub(1)))
            .or_else(|_| config(capacity, 0))
            .expect("a chunk capacity with no overlap is always valid")
    };
    let markdown = document.kind == SourceKind::Markdown;
    // Only the splitter the document needs is built: a sizer can be costly to set up.
    let splitter = if markdown {
        Splitter::Markdown(MarkdownSplitter::new(config()))
    } else {
        Splitter::Text(TextSplitter::new(config()))
    };
    let mut chunks = Vec::new();
    for block in &document.blocks {
        let pieces: Vec<&str> = if block.record {
            vec![block.text.trim()]
        } else {
            match &splitter {
                Splitter::Markdown(splitter) => splitter.chunks(&block.text).collect(),
                Splitter::Text(splitter) => splitter.chunks(&block.text).collect(),
            }
        };
        for piece in pieces.into_iter().filter(|piece| !piece.trim().is_empty()) {
            let ordinal = chunks.len();
            chunks.push(Chunk {
                id: chunk_id(source_id, ordinal, piece),
                source_id: source_id.to_string(),
                ordinal,
                text: piece.to_string(),
                position: block.position.clone(),
                language: guess_language(piece),
            });
        }
    }
    chunks
}

fn chunk_id(source_id: &str, ordinal: usize, text: &str) -> Uuid {
    let mut name = Vec::with_capacity(source_id.len() + text.len() + 24);
    name.extend_from_slice(source_id.as_bytes());
    name.push(0x1f);
    name.extend_from_slice(ordinal.to_string().as_bytes());
    name.push(0x1f);
    name.extend_from_slice(text.as_bytes());
    Uuid::new_v5(&CHUNK_NAMESPACE, &name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn document(texts: &[(&str, bool)]) -> Document {
        let mut document = Document::new(SourceKind::Text);
        for (text, record) in texts {
            if *record {
                document.push_record(text.to_string(), Position::row(None, 2));
            } else {
                document.push(text.to_string(), Position::page(1));
            }
        }
        document
    }

    #[test]
    fn records_stay_whole_and_prose_is_split() {
        let long_record = "Field: value; ".repeat(200);
        let prose = "A sentence about refunds and delivery. ".repeat(100);
        let chunks = chunk(
            "src",
            &document(&[(&long_record, true), (&prose, false)]),
            ChunkOptions::default(),
        );
        assert_eq!(chunks[0].text, long_record.trim());
        assert!(chunks.len() > 3);
        assert!(
            chunks[1..]
                .iter()
                .all(|chunk| chunk.text.chars().count() <= 1000)
        );
        assert_eq!(chunks[1].position, Position::page(1));
        assert_eq!(chunks[1].language, "en");
    }

    proptest! {
        #[test]
        fn same_input_same_ids_and_bounded_sizes(text in "[a-zA-Z ,.\u{0627}-\u{064A}\n]{0,3000}", max in 50usize..600) {
            let options = ChunkOptions { max_chars: max, overlap_chars: max / 10 };
            let doc = document(&[(&text, false)]);
            let first = chunk("source-1", &doc, options);
            let second = chunk("source-1", &doc, options);
            let ids: Vec<_> = first.iter().map(|chunk| chunk.id).collect();
            prop_assert_eq!(&ids, &second.iter().map(|chunk| chunk.id).collect::<Vec<_>>());
            let unique: std::collections::HashSet<_> = ids.iter().collect();
            prop_assert_eq!(unique.len(), ids.len());
            for piece in &first {
                prop_assert!(piece.text.chars().count() <= max);
                prop_assert!(!piece.text.trim().is_empty());
            }
            let other = chunk("source-2", &doc, options);
            prop_assert!(other.iter().zip(&first).all(|(a, b)| a.id != b.id));
        }
    }
}
