//! The structure plain text already has. A business's FAQ pasted into a `.txt` file is a run of
//! question lines, each followed by its answer, under a few section headings, with bulleted
//! lists and pipe tables inside the answers. Read as one stream, a question's answer lands in
//! the chunk of its neighbour and a citation can only say "somewhere in the file".
//!
//! Here each question and its answer become one block positioned at its section and question;
//! a heading-like line starts a section; a pipe table becomes one record per row ("Column:
//! value", as spreadsheet rows are); text with no structure is positioned by its line range.

use std::collections::HashSet;

use crate::document::{Document, Position};
use crate::sheet::push_records;

/// A line this long is a paragraph that happens to end in a question mark, not a question.
const MAX_QUESTION_CHARS: usize = 250;
/// Section headings are short.
const MAX_HEADING_WORDS: usize = 8;
const MAX_HEADING_CHARS: usize = 80;
/// A table of contents comes at the start.
const CONTENTS_WITHIN_LINES: usize = 200;

/// Splits plain text into blocks by its questions, headings and tables.
pub(crate) fn push_outlined(document: &mut Document, text: &str) {
    let lines: Vec<&str> = text.lines().collect();
    let contents = table_of_contents(&lines);
    let mut section: Option<String> = None;
    let mut unit = Unit::starting_at(1, None);
    let mut index = 0;
    while index < lines.len() {
        let line = lines[index].trim();
        let number = index + 1;
        if let Some(rows) = table_at(&lines, index) {
            unit.flush(document, section.as_deref());
            push_table(
                document,
                &lines[index..index + rows],
                section.as_deref(),
                &unit,
            );
            unit = Unit::starting_at(number + rows, unit.question.clone());
            unit.continued = true;
            index += rows;
            continue;
        }
        let heading = match &contents {
            Some(headings) => headings.contains(line),
            None => is_heading_like(line) && stands_alone(&lines, index),
        };
        if heading {
            unit.flush(document, section.as_deref());
            section = Some(line.to_string());
            unit = Unit::starting_at(number, None);
        } else if is_question(line) {
            unit.flush(document, section.as_deref());
            unit = Unit::starting_at(number, Some(line.to_string()));
        }
        unit.push(number, lines[index]);
        index += 1;
    }
    unit.flush(document, section.as_deref());
}

/// Pushes `text` at `at` with its pipe tables taken out as records (a Markdown section).
pub(crate) fn push_with_tables(document: &mut Document, text: &str, at: &Position) {
    let lines: Vec<&str> = text.lines().collect();
    let mut prose = String::new();
    let mut index = 0;
    while index < lines.len() {
        if let Some(rows) = table_at(&lines, index) {
            document.push(std::mem::take(&mut prose), at.clone());
            let table = &lines[index..index + rows];
            push_records(document, table_rows(table), 1, at.clone());
            index += rows;
            continue;
        }
        prose.push_str(lines[index]);
        prose.push('\n');
        index += 1;
    }
    document.push(prose, at.clone());
}

/// The lines of one block, and the question they answer.
struct Unit {
    question: Option<String>,
    first_line: usize,
    last_line: usize,
    text: String,
    /// The rest of an answer a table interrupted: it has no question line of its own.
    continued: bool,
}

impl Unit {
    fn starting_at(line: usize, question: Option<String>) -> Self {
        Unit {
            question,
            first_line: line,
            last_line: line,
            text: String::new(),
            continued: false,
        }
    }

    fn push(&mut self, number: usize, line: &str) {
        self.last_line = number;
        self.text.push_str(line);
        self.text.push('\n');
    }

    fn position(&self, section: Option<&str>) -> Position {
        let path: Vec<String> = section
            .into_iter()
            .map(str::to_string)
            .chain(self.question.clone())
            .collect();
        Position {
            section: path,
            lines: Some((self.first_line, self.last_line)),
            ..Position::default()
        }
    }

    fn flush(&mut self, document: &mut Document, section: Option<&str>) {
        // A heading with nothing under it before the first question says nothing by itself.
        if self.text.trim().is_empty()
            || (self.question.is_none() && Some(self.text.trim()) == section)
        {
            return;
        }
        let mut text = std::mem::take(&mut self.text);
        // A block cut by a table still says which question it answers.
        if self.continued
            && let Some(question) = &self.question
        {
            text = format!("{question}\n{text}");
        }
        document.push(text, self.position(section));
    }
}

/// A line that asks, not as a bulleted item or a table's row: those are part of an answer
/// ("- Refunds? Complaints?"). A numbered one is an FAQ's numbered question ("1. How long does
/// delivery take?").
fn is_question(line: &str) -> bool {
    (line.ends_with('?') || line.ends_with('؟'))
        && !line.starts_with(['-', '*', '•', '|'])
        && line.chars().count() <= MAX_QUESTION_CHARS
}

/// A bulleted or numbered line or a table's row. A number in any script opens an item: "١."
/// as "1." does.
fn is_list_item(line: &str) -> bool {
    line.starts_with(['-', '*', '•', '|']) || line.starts_with(char::is_numeric)
}

/// Short, no sentence punctuation, not a list item or table row: a title.
fn is_heading_like(line: &str) -> bool {
    let words = line.split_whitespace().count();
    words > 0
        && words <= MAX_HEADING_WORDS
        && line.chars().count() <= MAX_HEADING_CHARS
        && !line.ends_with(['.', '!', '?', '؟', ':', ';', '،', '؛', ','])
        && !is_list_item(line)
}

/// A heading in a file without a table of contents stands between blank lines (or at the
/// start), and prose follows it: a short line inside a paragraph or over a list is not one.
fn stands_alone(lines: &[&str], index: usize) -> bool {
    let blank_before = index == 0 || lines[index - 1].trim().is_empty();
    let next = lines[index + 1..]
        .iter()
        .map(|line| line.trim())
        .find(|line| !line.is_empty());
    blank_before && next.is_some_and(|next| !is_list_item(next) && !is_heading_like(next))
}

/// The section titles a leading list names ("- Pricing", "- Support") when they reappear later
/// as lines of their own: the file's table of contents. `None` when there is none.
fn table_of_contents(lines: &[&str]) -> Option<HashSet<String>> {
    let first_question = lines
        .iter()
        .take(CONTENTS_WITHIN_LINES)
        .position(|line| is_question(line.trim()))
        .unwrap_or(lines.len().min(CONTENTS_WITHIN_LINES));
    let items: HashSet<&str> = lines[..first_question]
        .iter()
        .filter_map(|line| line.trim().strip_prefix("- "))
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .collect();
    if items.len() < 2 {
        return None;
    }
    let found: HashSet<&str> = lines
        .iter()
        .map(|line| line.trim())
        .filter(|line| items.contains(line))
        .collect();
    let headings: HashSet<String> = found.into_iter().map(str::to_string).collect();
    (headings.len() >= 2).then_some(headings)
}

/// How many lines the pipe table starting at `index` spans: a header row, a separator row
/// (`|---|---|`), then rows. `None` when no table starts here.
fn table_at(lines: &[&str], index: usize) -> Option<usize> {
    let header = lines[index].trim();
    let separator = lines.get(index + 1)?.trim();
    let is_separator = separator.starts_with('|')
        && separator.contains('-')
        && separator
            .chars()
            .all(|c| matches!(c, '|' | '-' | ':' | ' ' | '\t'));
    if !header.starts_with('|') || !is_separator {
        return None;
    }
    let rows = lines[index + 2..]
        .iter()
        .take_while(|line| line.trim().starts_with('|'))
        .count();
    Some(2 + rows)
}

fn cells(row: &str) -> Vec<String> {
    let row = row.trim();
    let row = row.strip_prefix('|').unwrap_or(row);
    let row = row.strip_suffix('|').unwrap_or(row);
    row.split('|').map(|cell| cell.trim().to_string()).collect()
}

/// One record per row, named by the header's cells, at the section and question the table
/// answers; rows are numbered as in a sheet, the header being row 1.
fn push_table(document: &mut Document, table: &[&str], section: Option<&str>, unit: &Unit) {
    let mut at = unit.position(section);
    at.lines = None;
    push_records(document, table_rows(table), 1, at);
}

/// A table's header and body rows, as cells (the separator row left out).
fn table_rows<'a>(table: &'a [&'a str]) -> impl Iterator<Item = Vec<String>> + 'a {
    std::iter::once(table[0])
        .chain(table[2..].iter().copied())
        .map(cells)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::SourceKind;

    fn outline(text: &str) -> Vec<(String, String, bool)> {
        let mut document = Document::new(SourceKind::Text);
        push_outlined(&mut document, text);
        document
            .blocks
            .into_iter()
            .map(|block| (block.position.to_string(), block.text, block.record))
            .collect()
    }

    #[test]
    fn each_question_and_its_answer_are_one_block_under_their_section() {
        let faq = "Help centre\n- Shipping\n- Payments\nShipping\nWhere we deliver.\nDo you ship to Oman?\nNo. We deliver inside the UAE only.\n- Dubai: next day\nHow much is delivery?\n15 AED.\nPayments\nCan I pay cash?\nYes, up to 500 AED.\n";
        let blocks = outline(faq);
        let positions: Vec<&str> = blocks.iter().map(|(at, _, _)| at.as_str()).collect();
        assert_eq!(
            positions,
            [
                "lines 1-3",
                "Shipping",
                "Shipping > Do you ship to Oman?",
                "Shipping > How much is delivery?",
                "Payments > Can I pay cash?",
            ]
        );
        assert_eq!(
            blocks[2].1,
            "Do you ship to Oman?\nNo. We deliver inside the UAE only.\n- Dubai: next day\n"
        );
    }

    #[test]
    fn numbered_questions_are_an_faqs_questions() {
        let faq = "Shipping\n\n1. How long does delivery take?\nTwo working days.\n- Dubai: next day\n\n2. Do you ship to Oman?\nNo, inside the UAE only.\n";
        let blocks = outline(faq);
        let positions: Vec<&str> = blocks.iter().map(|(at, _, _)| at.as_str()).collect();
        assert!(
            positions.ends_with(&["1. How long does delivery take?", "2. Do you ship to Oman?"]),
            "{positions:?}"
        );
        assert_eq!(
            blocks[blocks.len() - 1].1,
            "2. Do you ship to Oman?\nNo, inside the UAE only.\n"
        );
    }

    #[test]
    fn arabic_questions_end_with_the_arabic_question_mark() {
        let blocks = outline("ما هي طرق الدفع؟\nنقبل البطاقات.\nهل يوجد توصيل؟\nنعم.\n");
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[1].0, "هل يوجد توصيل؟");
        assert_eq!(blocks[1].1, "هل يوجد توصيل؟\nنعم.\n");
    }

    #[test]
    fn a_pipe_table_becomes_one_record_per_row_at_its_question() {
        let text = "Which channels?\nThese:\n| Channel | Window |\n|---|---|\n| WhatsApp | 24 hours |\n| LINE | none |\nAll are in one inbox.\n";
        let blocks = outline(text);
        assert_eq!(blocks[0].1, "Which channels?\nThese:\n");
        assert_eq!(
            (blocks[1].0.as_str(), blocks[1].1.as_str(), blocks[1].2),
            (
                "row 2, Which channels?",
                "Channel: WhatsApp; Window: 24 hours",
                true
            )
        );
        assert_eq!(blocks[2].1, "Channel: LINE; Window: none");
        assert_eq!(blocks[3].1, "Which channels?\nAll are in one inbox.\n");
        assert_eq!(blocks[3].0, "Which channels?");
    }

    #[test]
    fn without_a_table_of_contents_headings_stand_between_blank_lines() {
        let text = "Opening hours\n\nWe open at nine.\nClosed on Fridays\n- except in Ramadan\n\nReturns\nUnopened bags within 14 days.\n";
        let blocks = outline(text);
        let positions: Vec<&str> = blocks.iter().map(|(at, _, _)| at.as_str()).collect();
        assert_eq!(positions, ["Opening hours", "Returns"]);
        assert!(
            blocks[0]
                .1
                .contains("Closed on Fridays\n- except in Ramadan")
        );
    }

    #[test]
    fn a_numbered_line_is_an_item_in_any_digits() {
        let positions = |text: &str| -> Vec<String> {
            outline(text).into_iter().map(|(at, _, _)| at).collect()
        };
        let western =
            positions("Opening hours\n\nWe open at nine.\n\n1. Branches\n\nThree in Dubai.\n");
        assert_eq!(western, ["Opening hours"]);
        for digit in ["١", "۱"] {
            let text = format!(
                "Opening hours\n\nWe open at nine.\n\n{digit}. Branches\n\nThree in Dubai.\n"
            );
            assert_eq!(positions(&text), western, "{digit}");
        }
    }

    #[test]
    fn text_without_structure_is_one_block_at_its_lines() {
        let blocks = outline("We roast every Sunday.\nBeans ship on Monday.\n");
        assert_eq!(blocks.len(), 1);
        assert_eq!(blocks[0].0, "lines 1-2");
    }
}
