//! HTML: the main content of a page (not its navigation, scripts or footer), its title and its
//! headings as section paths. The main-content choice follows Readability's idea: paragraphs
//! vote for their containers, links dilute the vote, boilerplate classes are dropped.

use std::collections::HashMap;

use ego_tree::NodeId;
use ego_tree::iter::Edge;
use scraper::{ElementRef, Html, Node, Selector};

use crate::detect::SourceKind;
use crate::document::{Document, Position};
use crate::error::Error;

const SKIPPED_TAGS: &[&str] = &[
    "script", "style", "noscript", "nav", "footer", "aside", "form", "button", "iframe", "svg",
    "template", "select", "dialog", "head", "object", "embed", "canvas", "input", "textarea",
    "menu",
];
const BLOCK_TAGS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "main",
    "li",
    "ul",
    "ol",
    "pre",
    "blockquote",
    "dd",
    "dt",
    "dl",
    "figcaption",
    "figure",
    "table",
    "caption",
    "tr",
    "td",
    "th",
    "br",
    "hr",
    "address",
    "center",
    "details",
    "summary",
    "header",
];
const UNLIKELY: &[&str] = &[
    "comment",
    "footer",
    "footnote",
    "masthead",
    "sidebar",
    "sponsor",
    "ad-break",
    "agegate",
    "pagination",
    "pager",
    "popup",
    "promo",
    "related",
    "share",
    "social",
    "shoutbox",
    "widget",
    "navbar",
    "menu",
    "breadcrumb",
    "cookie",
    "banner",
    "subscribe",
    "newsletter",
    "skip-link",
    "disqus",
    "outbrain",
];
const LIKELY: &[&str] = &[
    "article", "body", "content", "entry", "main", "page", "post", "text", "blog", "story",
];

pub(crate) fn parse(bytes: &[u8], url: Option<&str>) -> Result<Document, Error> {
    let text = decode_html(bytes);
    let html = Html::parse_document(&text);
    let mut document = Document::new(SourceKind::Html);
    document.title = title(&html);
    let root = main_content(&html);
    let mut walker = Walker {
        document: &mut document,
        url,
        path: Vec::new(),
        text: String::new(),
        heading: None,
        table: None,
        lists: Vec::new(),
    };
    walker.walk(root);
    if document.blocks.is_empty() {
        return Err(Error::Empty {
            kind: SourceKind::Html,
        });
    }
    Ok(document)
}

/// The page's links, resolved against `base`, for crawling.
pub(crate) fn links(bytes: &[u8], base: &url::Url) -> Vec<url::Url> {
    let html = Html::parse_document(&decode_html(bytes));
    let Ok(anchors) = Selector::parse("a[href]") else {
        return Vec::new();
    };
    html.select(&anchors)
        .filter_map(|anchor| anchor.value().attr("href"))
        .filter_map(|href| base.join(href.trim()).ok())
        .collect()
}

/// HTML declares its encoding in a meta tag when it is not UTF-8.
fn decode_html(bytes: &[u8]) -> String {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return text.trim_start_matches('\u{feff}').to_string();
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(2048)]).to_ascii_lowercase();
    let declared = head.find("charset=").and_then(|at| {
        let rest = head[at + 8..].trim_start_matches(['"', '\'']);
        let label: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        encoding_rs::Encoding::for_label(label.as_bytes())
    });
    match declared {
        Some(encoding) => encoding.decode(bytes).0.into_owned(),
        None => crate::text::decode(bytes),
    }
}

fn title(html: &Html) -> Option<String> {
    let pick = |selector: &str, attribute: Option<&str>| {
        let selector = Selector::parse(selector).ok()?;
        let element = html.select(&selector).next()?;
        let text = match attribute {
            Some(name) => element.value().attr(name)?.to_string(),
            None => element.text().collect::<String>(),
        };
        let text = collapse(&text);
        (!text.is_empty()).then_some(text)
    };
    pick("title", None)
        .or_else(|| pick("meta[property='og:title']", Some("content")))
        .or_else(|| pick("h1", None))
}

fn element_name(node: &ego_tree::NodeRef<'_, Node>) -> Option<String> {
    node.value()
        .as_element()
        .map(|element| element.name().to_ascii_lowercase())
}

/// The most columns one cell is taken to span: a page cannot make a row of a million cells.
const MOST_SPANNED_COLUMNS: usize = 64;

/// A table that holds data (rows of at least two cells, no headings or tables inside), not one
/// that lays a page out: a layout table's cells are read as blocks of text.
fn is_data_table(table: ElementRef<'_>) -> bool {
    let (Ok(inside), Ok(rows)) = (
        Selector::parse("table, h1, h2, h3, h4, h5, h6"),
        Selector::parse("tr"),
    ) else {
        return false;
    };
    let cells = |row: ElementRef<'_>| {
        row.children()
            .filter_map(ElementRef::wrap)
            .filter(|cell| matches!(cell.value().name(), "td" | "th"))
            .count()
    };
    let widths: Vec<usize> = table.select(&rows).map(cells).collect();
    table.select(&inside).next().is_none()
        && widths.len() >= 2
        && widths.iter().any(|&width| width >= 2)
}

fn is_unlikely(element: &scraper::node::Element) -> bool {
    let name = element.name();
    if name == "body" || name == "article" || name == "main" {
        return false;
    }
    if element.attr("hidden").is_some() || element.attr("aria-hidden") == Some("true") {
        return true;
    }
    let style = element
        .attr("style")
        .unwrap_or_default()
        .replace(' ', "")
        .to_ascii_lowercase();
    if style.contains("display:none") || style.contains("visibility:hidden") {
        return true;
    }
    if matches!(
        element.attr("role"),
        Some("navigation" | "banner" | "contentinfo" | "complementary" | "dialog")
    ) {
        return true;
    }
    let names = format!(
        "{} {}",
        element.attr("class").unwrap_or_default(),
        element.attr("id").unwrap_or_default()
    )
    .to_ascii_lowercase();
    UNLIKELY.iter().any(|word| names.contains(word))
        && !LIKELY.iter().any(|word| names.contains(word))
}

/// Scores containers by the paragraphs they hold (Readability's heuristic) and returns the best,
/// or `body` when nothing scores.
fn main_content(html: &Html) -> ElementRef<'_> {
    let body = Selector::parse("body")
        .ok()
        .and_then(|selector| html.select(&selector).next());
    let fallback = body.unwrap_or_else(|| html.root_element());
    let Ok(paragraphs) = Selector::parse("p, pre, td, blockquote") else {
        return fallback;
    };
    let mut scores: HashMap<NodeId, f64> = HashMap::new();
    for paragraph in html.select(&paragraphs) {
        if paragraph
            .ancestors()
            .any(|ancestor| ancestor.value().as_element().is_some_and(is_unlikely))
        {
            continue;
        }
        let text = collapse(&paragraph.text().collect::<String>());
        let length = text.chars().count();
        if length < 25 {
            continue;
        }
        let score =
            1.0 + text.matches([',', '،']).count() as f64 + (length as f64 / 100.0).min(3.0);
        let mut ancestors = paragraph
            .ancestors()
            .filter(|node| node.value().is_element());
        for (depth, ancestor) in ancestors.by_ref().take(3).enumerate() {
            let share = match depth {
                0 => 1.0,
                1 => 0.5,
                _ => 1.0 / 6.0,
            };
            *scores.entry(ancestor.id()).or_default() += score * share;
        }
    }
    let best = scores
        .iter()
        .filter_map(|(id, score)| {
            let element = ElementRef::wrap(html.tree.get(*id)?)?;
            Some((element, score * (1.0 - link_density(element))))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1));
    let Some((mut best, best_score)) = best else {
        return fallback;
    };
    // Content split across sibling containers: take their parent when a sibling scores close.
    if let Some(parent) = best.parent().and_then(ElementRef::wrap) {
        let strong_siblings = parent
            .children()
            .filter(|child| child.id() != best.id())
            .filter_map(|child| scores.get(&child.id()))
            .filter(|score| **score >= best_score * 0.3)
            .count();
        if strong_siblings > 0 && parent.value().name() != "html" {
            best = parent;
        }
    }
    best
}

fn link_density(element: ElementRef<'_>) -> f64 {
    let total = element
        .text()
        .map(|text| text.chars().count())
        .sum::<usize>()
        .max(1);
    let Ok(anchors) = Selector::parse("a") else {
        return 0.0;
    };
    let linked: usize = element
        .select(&anchors)
        .flat_map(|anchor| anchor.text())
        .map(|text| text.chars().count())
        .sum();
    linked as f64 / total as f64
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

struct Walker<'a> {
    document: &'a mut Document,
    url: Option<&'a str>,
    path: Vec<(usize, String)>,
    text: String,
    heading: Option<(usize, String)>,
    /// The data table being read ([`is_data_table`]).
    table: Option<Table>,
    /// The lists being read, innermost last: `None` a bulleted one, `Some` a numbered one with
    /// its next item's number. Their items are written as Markdown writes them ("- ", "2. "),
    /// so that a reply knows a list's lines, as it does in DOCX and Markdown.
    lists: Vec<Option<usize>>,
}

/// A data table's rows of cell texts, and the cell being read.
#[derive(Default)]
struct Table {
    rows: Vec<Vec<String>>,
    cell: Option<String>,
    /// How many columns the cell being read spans (its `colspan`).
    span: usize,
}

impl Walker<'_> {
    fn walk(&mut self, root: ElementRef<'_>) {
        let mut skipping: Option<NodeId> = None;
        for edge in root.traverse() {
            match edge {
                Edge::Open(node) => {
                    if skipping.is_some() {
                        continue;
                    }
                    match node.value() {
                        Node::Text(text) => self.push_text(text),
                        Node::Element(element) => {
                            let name = element.name().to_ascii_lowercase();
                            if node.id() != root.id()
                                && (SKIPPED_TAGS.contains(&name.as_str()) || is_unlikely(element))
                            {
                                skipping = Some(node.id());
                            } else if let Some(level) = heading_level(&name) {
                                self.flush();
                                self.heading = Some((level, String::new()));
                            } else if name == "table"
                                && self.table.is_none()
                                && ElementRef::wrap(node).is_some_and(is_data_table)
                            {
                                self.table = Some(Table::default());
                            } else {
                                self.open(&name, element.attr("colspan"));
                            }
                        }
                        _ => {}
                    }
                }
                Edge::Close(node) => {
                    if skipping == Some(node.id()) {
                        skipping = None;
                        continue;
                    }
                    if skipping.is_some() {
                        continue;
                    }
                    let Some(name) = element_name(&node) else {
                        continue;
                    };
                    if heading_level(&name).is_some() {
                        self.end_heading();
                    } else {
                        self.close(&name);
                    }
                }
            }
        }
        self.flush();
    }

    fn open(&mut self, name: &str, colspan: Option<&str>) {
        match (name, &mut self.table) {
            ("tr", Some(table)) => {
                table.cell = None;
                table.rows.push(Vec::new());
            }
            ("td" | "th", Some(table)) => {
                table.cell = Some(String::new());
                // A cell over several columns is followed by empty ones, so that the cells
                // under it keep their columns and a header's name covers them ("Name (2)").
                table.span = colspan
                    .and_then(|span| span.trim().parse::<usize>().ok())
                    .unwrap_or(1)
                    .clamp(1, MOST_SPANNED_COLUMNS);
            }
            (_, Some(Table { cell: Some(_), .. })) => self.push_text(" "),
            ("ul" | "ol", _) => {
                self.lists.push((name == "ol").then_some(1));
                self.newline();
            }
            ("li", _) if self.heading.is_none() => {
                self.newline();
                let marker = match self.lists.last_mut() {
                    Some(Some(number)) => {
                        *number += 1;
                        format!("{}. ", *number - 1)
                    }
                    _ => "- ".to_string(),
                };
                self.text.push_str(&marker);
            }
            _ if BLOCK_TAGS.contains(&name) => self.newline(),
            _ => {}
        }
    }

    fn close(&mut self, name: &str) {
        match (name, &mut self.table) {
            ("table", Some(_)) => {
                if let Some(table) = self.table.take() {
                    self.end_table(table);
                }
            }
            ("td" | "th", Some(table)) => {
                let cell = collapse(&table.cell.take().unwrap_or_default());
                if table.rows.is_empty() {
                    table.rows.push(Vec::new());
                }
                if let Some(row) = table.rows.last_mut() {
                    row.push(cell);
                    row.extend(std::iter::repeat_n(
                        String::new(),
                        table.span.saturating_sub(1),
                    ));
                }
            }
            (_, Some(Table { cell: Some(_), .. })) => self.push_text(" "),
            ("ul" | "ol", _) => {
                self.lists.pop();
                self.newline();
            }
            _ if BLOCK_TAGS.contains(&name) => self.newline(),
            _ => {}
        }
    }

    /// A data table becomes one record per row, named by its header row as a sheet's rows
    /// are, at its section: its cells never reach a reply as a line of pipes. Its caption,
    /// read before its rows, stays in the text.
    fn end_table(&mut self, table: Table) {
        self.flush();
        let at = self.position();
        crate::sheet::push_records(self.document, table.rows.into_iter(), 1, at);
    }

    fn push_text(&mut self, text: &str) {
        let cell = self.table.as_mut().and_then(|table| table.cell.as_mut());
        let target = match (&mut self.heading, cell) {
            (Some((_, heading)), _) => heading,
            (None, Some(cell)) => cell,
            (None, None) => &mut self.text,
        };
        let collapsed = collapse(text);
        if collapsed.is_empty() {
            if !target.ends_with([' ', '\n']) && !target.is_empty() && !text.is_empty() {
                target.push(' ');
            }
            return;
        }
        if text.starts_with(char::is_whitespace)
            && !target.ends_with([' ', '\n'])
            && !target.is_empty()
        {
            target.push(' ');
        }
        target.push_str(&collapsed);
        if text.ends_with(char::is_whitespace) {
            target.push(' ');
        }
    }

    fn newline(&mut self) {
        if self.heading.is_none() {
            let trimmed = self.text.trim_end_matches(' ').len();
            self.text.truncate(trimmed);
            // An item that holds only a nested list says nothing of its own: its marker goes.
            let line = self.text.rfind('\n').map_or(0, |at| at + 1);
            let last = &self.text[line..];
            let bare_marker = last == "-"
                || last.strip_suffix('.').is_some_and(|number| {
                    !number.is_empty() && number.chars().all(|c| c.is_ascii_digit())
                });
            if !self.lists.is_empty() && bare_marker {
                self.text.truncate(line);
            }
            if !self.text.is_empty() && !self.text.ends_with('\n') {
                self.text.push('\n');
            }
        }
    }

    fn end_heading(&mut self) {
        let Some((level, heading)) = self.heading.take() else {
            return;
        };
        let heading = collapse(&heading);
        if heading.is_empty() {
            return;
        }
        self.path.retain(|(depth, _)| *depth < level);
        self.path.push((level, heading.clone()));
        self.text.push_str(&heading);
        self.text.push('\n');
    }

    fn flush(&mut self) {
        let text: Vec<&str> = self
            .text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .collect();
        let text = text.join("\n");
        self.text.clear();
        let position = self.position();
        self.document.push(text, position);
    }

    /// Where the text being read sits: under its headings, on its page.
    fn position(&self) -> Position {
        Position {
            section: self.path.iter().map(|(_, title)| title.clone()).collect(),
            url: self.url.map(str::to_string),
            ..Position::default()
        }
    }
}

fn heading_level(name: &str) -> Option<usize> {
    match name {
        "h1" => Some(1),
        "h2" => Some(2),
        "h3" => Some(3),
        "h4" => Some(4),
        "h5" => Some(5),
        "h6" => Some(6),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::Block;

    /// The text of the document's blocks that `keep` keeps, a block a line.
    fn text_of(document: &Document, keep: impl Fn(&Block) -> bool) -> String {
        let texts: Vec<&str> = document
            .blocks
            .iter()
            .filter(|block| keep(block))
            .map(|block| block.text.as_str())
            .collect();
        texts.join("\n")
    }

    #[test]
    fn keeps_the_article_and_drops_the_chrome() {
        let page = r#"<!doctype html><html><head><title>Refund policy | Acme</title><script>var x = 1;</script></head>
            <body><nav><a href="/">Home</a> <a href="/shop">Shop</a></nav>
            <div class="sidebar"><p>Subscribe to our newsletter for weekly deals, offers, and more news.</p></div>
            <article><h1>Refunds</h1><p>You can return any item within 30 days, for a full refund, no questions asked.</p>
            <h2>Exceptions</h2><p>Gift cards, opened software, and perishable goods cannot be returned.</p></article>
            <footer>© Acme, all rights reserved, 2026, contact us at our office.</footer></body></html>"#;
        let document = parse(page.as_bytes(), Some("https://acme.test/refunds")).unwrap();
        assert_eq!(document.title.as_deref(), Some("Refund policy | Acme"));
        let all = text_of(&document, |_| true);
        assert!(all.contains("within 30 days"), "{all}");
        assert!(all.contains("Gift cards"));
        for chrome in ["var x", "Shop", "newsletter", "rights reserved"] {
            assert!(!all.contains(chrome), "{chrome} leaked into {all}");
        }
        let last = document.blocks.last().unwrap();
        assert_eq!(last.position.section, ["Refunds", "Exceptions"]);
        assert_eq!(
            last.position.url.as_deref(),
            Some("https://acme.test/refunds")
        );
    }

    #[test]
    fn a_data_table_becomes_one_record_per_row_and_a_layout_table_text() {
        let page = r#"<html><body><article><h1>Monitoring</h1>
            <p>Symptoms point to causes, and the on-call engineer needs both: what is broken, and why.</p>
            <p>A symptom is what users see, a cause is where the fix goes, and one symptom has many causes.</p>
            <p>The table below lists some of them, in the order an engineer meets them, with the usual fix.</p>
            <table><caption>Table 6-1. Example symptoms and causes</caption>
            <thead><tr><th><strong>Symptom</strong></th><th>Cause</th></tr></thead>
            <tbody><tr><td><p><strong>I'm serving HTTP 500s</strong></p></td><td><p>Database servers are
            refusing connections</p></td></tr>
            <tr><td><p>My responses are slow</p></td><td><p>CPUs are overloaded</p><p>or a cable is crimped</p></td></tr></tbody></table>
            <table><tr><td><p>Written by a site reliability engineer, laid out in a one-cell table.</p></td></tr></table>
            </article></body></html>"#;
        let document = parse(page.as_bytes(), None).unwrap();
        let records: Vec<(&str, Option<usize>)> = document
            .blocks
            .iter()
            .filter(|block| block.record)
            .map(|block| (block.text.as_str(), block.position.row))
            .collect();
        assert_eq!(
            records,
            [
                (
                    "Symptom: I'm serving HTTP 500s; Cause: Database servers are refusing connections",
                    Some(2)
                ),
                (
                    "Symptom: My responses are slow; Cause: CPUs are overloaded or a cable is crimped",
                    Some(3)
                ),
            ]
        );
        let text = text_of(&document, |block| !block.record);
        assert!(
            text.contains("\nTable 6-1. Example symptoms and causes"),
            "{text}"
        );
        assert!(text.contains("laid out in a one-cell table."), "{text}");
        assert!(!text.contains('|'), "{text}");
        assert!(
            document
                .blocks
                .iter()
                .all(|block| block.position.section == ["Monitoring"])
        );
    }

    #[test]
    fn a_header_over_several_columns_names_each_of_them() {
        let page = r#"<html><body><article><h1>Who wrote it</h1>
            <p>Most of the changes came from a few developers, and most of the lines from one of them.</p>
            <p>The table counts the changesets of each developer, and the share of all changesets.</p>
            <table><tr><th colspan="3">By changesets</th></tr>
            <tr><td>Herbert Dürr</td><td>63</td><td>16.6%</td></tr>
            <tr><td>Jürgen Schmidt</td><td>56</td><td>14.7%</td></tr></table>
            </article></body></html>"#;
        let document = parse(page.as_bytes(), None).unwrap();
        assert_eq!(
            text_of(&document, |block| block.record),
            "By changesets: Herbert Dürr; By changesets (2): 63; By changesets (3): 16.6%\nBy changesets: Jürgen Schmidt; By changesets (2): 56; By changesets (3): 14.7%"
        );
    }

    #[test]
    fn list_items_are_written_with_their_markers() {
        let page = r#"<html><body><article><h1>Resolution</h1>
            <p>Take care in how you structure the granularity of your measurements, and of their cost.</p>
            <p>Per-second measurements of CPU load are interesting, but expensive to collect and store. You might:</p>
            <ol><li>Record the current CPU utilization each second.</li>
            <li>Using buckets of 5% granularity, increment the right bucket.</li></ol>
            <ul><li>Alerts on different latency thresholds</li><li><ul><li>Alerts on every percentile</li></ul></li></ul>
            <p>This strategy allows you to observe brief CPU hotspots without a very high cost.</p>
            </article></body></html>"#;
        let document = parse(page.as_bytes(), None).unwrap();
        let text = text_of(&document, |_| true);
        assert!(
            text.contains(
                "You might:\n1. Record the current CPU utilization each second.\n2. Using buckets of 5% granularity, increment the right bucket.\n- Alerts on different latency thresholds\n- Alerts on every percentile\nThis strategy"
            ),
            "{text}"
        );
    }

    #[test]
    fn declared_legacy_charset_is_honoured() {
        let (body, _, _) = encoding_rs::WINDOWS_1256.encode("<html><head><meta charset=\"windows-1256\"></head><body><p>مرحبا بكم في متجرنا الإلكتروني الجديد</p></body></html>");
        let document = parse(&body, None).unwrap();
        assert!(document.blocks[0].text.contains("مرحبا بكم"));
    }
}
