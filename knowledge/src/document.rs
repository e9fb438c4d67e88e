use serde::{Deserialize, Serialize};

use crate::detect::SourceKind;

/// One parsed source: its text in blocks, each block with where it came from.
#[derive(Debug, Clone, Serialize)]
pub struct Document {
    pub kind: SourceKind,
    pub title: Option<String>,
    pub blocks: Vec<Block>,
    pub stats: Stats,
    /// Things a user should know that did not stop the parse (a page that failed, say).
    pub warnings: Vec<String>,
}

impl Document {
    pub fn new(kind: SourceKind) -> Self {
        Document {
            kind,
            title: None,
            blocks: Vec::new(),
            stats: Stats::default(),
            warnings: Vec::new(),
        }
    }

    pub fn push(&mut self, text: String, position: Position) {
        if !text.trim().is_empty() {
            self.blocks.push(Block {
                text,
                position,
                record: false,
            });
        }
    }

    /// A record (a spreadsheet or table row) is retrieved whole: chunking never splits it.
    pub fn push_record(&mut self, text: String, position: Position) {
        if !text.trim().is_empty() {
            self.blocks.push(Block {
                text,
                position,
                record: true,
            });
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pages: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheets: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Block {
    pub text: String,
    pub position: Position,
    pub record: bool,
}

/// Where a piece of text sits in its source: what a citation shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Position {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub section: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// First and last line, for text whose other structure does not say where a block is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lines: Option<(usize, usize)>,
}

impl Position {
    pub fn page(page: usize) -> Self {
        Position {
            page: Some(page),
            ..Position::default()
        }
    }

    pub fn row(sheet: Option<String>, row: usize) -> Self {
        Position {
            sheet,
            row: Some(row),
            ..Position::default()
        }
    }

    pub fn section(section: Vec<String>) -> Self {
        Position {
            section,
            ..Position::default()
        }
    }
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        if let Some(url) = &self.url {
            parts.push(url.clone());
        }
        if let Some(page) = self.page {
            parts.push(format!("page {page}"));
        }
        if let Some(sheet) = &self.sheet {
            parts.push(format!("sheet {sheet}"));
        }
        if let Some(row) = self.row {
            parts.push(format!("row {row}"));
        }
        if !self.section.is_empty() {
            parts.push(self.section.join(" > "));
        }
        if parts.is_empty()
            && let Some((first, last)) = self.lines
        {
            parts.push(if first == last {
                format!("line {first}")
            } else {
                format!("lines {first}-{last}")
            });
        }
        f.write_str(&parts.join(", "))
    }
}
