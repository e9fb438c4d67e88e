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
        let pieces: Vec<(usize, &str)> = if block.record {
            vec![(0, block.text.trim())]
        } else {
            match &splitter {
                Splitter::Markdown(splitter) => splitter.chunk_indices(&block.text).collect(),
                Splitter::Text(splitter) => splitter.chunk_indices(&block.text).collect(),
            }
        };
        // A block placed by its lines places each piece by its own.
        let mut lines = block
            .position
            .lines
            .map(|(first, _)| LineCounter::new(&block.text, first));
        // A long answer split in pieces: each piece still says which question it answers, so
        // that retrieval and the answerer see the question beside every part of its answer.
        let question = block
            .position
            .section
            .last()
            .filter(|title| title.ends_with('?') || title.ends_with('؟'));
        for (offset, piece) in pieces
            .into_iter()
            .filter(|(_, piece)| !piece.trim().is_empty())
        {
            let ordinal = chunks.len();
            let mut position = block.position.clone();
            if let Some(lines) = lines.as_mut() {
                position.lines = Some(lines.span(offset, piece));
            }
            let text = match question {
                Some(question) if !piece.starts_with(question.as_str()) => {
                    format!("{question}\n{piece}")
                }
                _ => piece.to_string(),
            };
            chunks.push(Chunk {
                id: chunk_id(source_id, ordinal, &text),
                source_id: source_id.to_string(),
                ordinal,
                text,
                position,
                language: guess_language(piece),
            });
        }
    }
    chunks
}

/// Line numbers of pieces of a text, counted once: pieces come in order of their offsets.
struct LineCounter<'a> {
    text: &'a str,
    offset: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str, first_line: usize) -> Self {
        LineCounter {
            text,
            offset: 0,
            line: first_line,
        }
    }

    /// The first and last line of the piece at `offset`.
    fn span(&mut self, offset: usize, piece: &str) -> (usize, usize) {
        if offset >= self.offset {
            self.line += self.text[self.offset..offset].matches('\n').count();
        } else {
            self.line -= self.text[offset..self.offset].matches('\n').count();
        }
        self.offset = offset;
        let first = self.line;
        (first, first + piece.trim_end().matches('\n').count())
    }
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

    #[test]
    fn every_piece_of_a_split_answer_carries_its_question() {
        let question = "How do refunds work?";
        let mut document = Document::new(SourceKind::Text);
        let answer = "A sentence about refunds and delivery. ".repeat(60);
        document.push(
            format!("{question}\n{answer}"),
            Position::section(vec!["Returns".into(), question.into()]),
        );
        let chunks = chunk("src", &document, ChunkOptions::default());
        assert!(chunks.len() > 2);
        for piece in &chunks {
            assert!(piece.text.starts_with(question), "{}", piece.text);
            assert_eq!(piece.text.matches(question).count(), 1);
        }
    }

    #[test]
    fn pieces_of_text_placed_by_lines_carry_their_own_lines() {
        let mut document = Document::new(SourceKind::Text);
        let text: String = (1..=300)
            .map(|n| format!("Line {n} says something about delivery and returns.\n"))
            .collect();
        document.push(
            text,
            Position {
                lines: Some((11, 310)),
                ..Position::default()
            },
        );
        let chunks = chunk("src", &document, ChunkOptions::default());
        assert!(chunks.len() > 3);
        for piece in &chunks {
            let (first, last) = piece.position.lines.unwrap();
            let number = |line: usize| format!("Line {} says", line - 10);
            assert!(
                piece.text.starts_with(&number(first)),
                "{first}: {}",
                piece.text
            );
            assert!(
                piece
                    .text
                    .trim_end()
                    .lines()
                    .last()
                    .unwrap()
                    .starts_with(&number(last))
            );
        }
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
