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
    "tr",
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
                            } else if matches!(name.as_str(), "td" | "th") {
                                self.push_text(" | ");
                            } else if BLOCK_TAGS.contains(&name.as_str()) {
                                self.newline();
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
                    } else if BLOCK_TAGS.contains(&name.as_str()) {
                        self.newline();
                    }
                }
            }
        }
        self.flush();
    }

    fn push_text(&mut self, text: &str) {
        let target = match &mut self.heading {
            Some((_, heading)) => heading,
            None => &mut self.text,
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
            .filter(|line| !line.is_empty() && *line != "|")
            .collect();
        let text = text.join("\n");
        self.text.clear();
        let position = Position {
            section: self.path.iter().map(|(_, title)| title.clone()).collect(),
            url: self.url.map(str::to_string),
            ..Position::default()
        };
        self.document.push(text, position);
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
        let all: String = document
            .blocks
            .iter()
            .map(|block| block.text.clone())
            .collect::<Vec<_>>()
            .join("\n");
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
    fn declared_legacy_charset_is_honoured() {
        let (body, _, _) = encoding_rs::WINDOWS_1256.encode("<html><head><meta charset=\"windows-1256\"></head><body><p>مرحبا بكم في متجرنا الإلكتروني الجديد</p></body></html>");
        let document = parse(&body, None).unwrap();
        assert!(document.blocks[0].text.contains("مرحبا بكم"));
    }
}
