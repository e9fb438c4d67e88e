//! PDF text with lopdf: every glyph is placed on the page (text and graphics matrices, font
//! widths), glyphs are grouped into lines along their baseline, sorted by position, spaced by the
//! gaps between them, and right-to-left runs are put back into logical order.
//!
//! Work is bounded: page count by the limits, operators per page, decompressed bytes per stream,
//! and form XObject nesting, so a hostile file cannot make parsing hang.

use std::collections::{HashMap, HashSet};

use lopdf::content::Content;
use lopdf::{Dictionary, Encoding, Object, ObjectId};

use crate::detect::SourceKind;
use crate::document::{Document, Position};
use crate::error::Error;
use crate::limits::Limits;

const KIND: SourceKind = SourceKind::Pdf;
const MAX_OPERATIONS_PER_PAGE: usize = 2_000_000;
const MAX_STREAM_BYTES: usize = 64 * 1024 * 1024;
const MAX_FORM_DEPTH: usize = 8;

/// Reads a PDF; run through [`crate::parse_as`] or [`crate::parse`], where a panic of lopdf on
/// a damaged file becomes a refusal.
pub(crate) fn parse(
    bytes: &[u8],
    limits: &Limits,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Document, Error> {
    let load = |force_reconstruct| {
        let options = lopdf::LoadOptions {
            max_decompressed_size: Some(MAX_STREAM_BYTES),
            force_reconstruct,
            ..Default::default()
        };
        lopdf::Document::load_mem_with_options(bytes, options).map_err(load_error)
    };
    let pdf = load(false)?;
    if pdf.is_encrypted() && !pdf.was_encrypted() {
        return Err(Error::PasswordProtected { kind: KIND });
    }
    match extract(&pdf, limits, progress) {
        // A damaged cross-reference table can hide the page tree or the content streams;
        // rebuilding it from the objects themselves often finds them.
        Err(Error::Malformed { .. }) if !pdf.trailer.has(b"Encrypt") => match load(true) {
            Ok(rebuilt) => extract(&rebuilt, limits, progress),
            Err(_) => extract(&pdf, limits, progress),
        },
        result => result,
    }
}

fn extract(
    pdf: &lopdf::Document,
    limits: &Limits,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Document, Error> {
    let pages = pdf.get_pages();
    if pages.is_empty() {
        // Without the password, an encrypted file's page tree cannot be read.
        if pdf.trailer.has(b"Encrypt") {
            return Err(Error::PasswordProtected { kind: KIND });
        }
        return Err(Error::malformed(KIND, "no pages found"));
    }
    limits.check_pdf_pages(pages.len())?;
    let mut document = Document::new(KIND);
    document.title = info_title(pdf);
    let mut fonts = FontCache::default();
    for (&number, &page_id) in &pages {
        match page_text(pdf, page_id, &mut fonts) {
            Ok(text) => document.push(text, Position::page(number as usize)),
            Err(problem) => document.warnings.push(format!("page {number}: {problem}")),
        }
        progress(number as usize, pages.len());
    }
    document.stats.pages = Some(pages.len());
    if document.blocks.is_empty()
        && let Some(problem) = document.warnings.first()
    {
        return Err(Error::malformed(KIND, problem));
    }
    Ok(document)
}

fn load_error(error: lopdf::Error) -> Error {
    match error {
        lopdf::Error::InvalidPassword | lopdf::Error::Decryption(_) => {
            Error::PasswordProtected { kind: KIND }
        }
        other => Error::malformed(KIND, other),
    }
}

fn info_title(pdf: &lopdf::Document) -> Option<String> {
    let info = pdf.trailer.get_deref(b"Info", pdf).ok()?.as_dict().ok()?;
    let title = info.get_deref(b"Title", pdf).ok()?;
    let title = lopdf::decode_text_string(title).ok()?;
    let title = title.trim().to_string();
    (!title.is_empty()).then_some(title)
}

type Matrix = [f64; 6];
const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

fn multiply(m: &Matrix, n: &Matrix) -> Matrix {
    [
        m[0] * n[0] + m[1] * n[2],
        m[0] * n[1] + m[1] * n[3],
        m[2] * n[0] + m[3] * n[2],
        m[2] * n[1] + m[3] * n[3],
        m[4] * n[0] + m[5] * n[2] + n[4],
        m[4] * n[1] + m[5] * n[3] + n[5],
    ]
}

/// A glyph placed in user space: its origin, the unit vector of its baseline, how far it
/// advances, its size, and the text it stands for (a whole cluster for ligatures).
#[derive(Debug, Clone)]
struct Glyph {
    x: f64,
    y: f64,
    direction: (f64, f64),
    advance: f64,
    size: f64,
    text: String,
}

/// What the PDF needs of a font to place and decode its glyphs.
struct Font<'a> {
    encoding: Option<Encoding<'a>>,
    two_byte: bool,
    widths: HashMap<u32, f64>,
    default_width: f64,
    /// Glyph widths are in thousandths of text space, except Type 3 fonts, which say.
    width_scale: f64,
    /// Text of each code seen so far, seeded with the font program's own encoding.
    decoded: HashMap<u32, String>,
}

impl<'a> Font<'a> {
    fn load(pdf: &'a lopdf::Document, dictionary: &'a Dictionary) -> Font<'a> {
        let subtype = dictionary
            .get(b"Subtype")
            .and_then(Object::as_name)
            .unwrap_or_default();
        let two_byte = subtype == b"Type0";
        let to_unicode = to_unicode(pdf, dictionary);
        let builtin = if to_unicode.is_none() && !two_byte && !dictionary.has(b"Encoding") {
            builtin_encoding(pdf, dictionary)
        } else {
            HashMap::new()
        };
        let encoding = to_unicode.or_else(|| {
            if two_byte {
                None
            } else {
                dictionary.get_font_encoding(pdf).ok()
            }
        });
        let mut widths = HashMap::new();
        let mut default_width = 500.0;
        let mut width_scale = 0.001;
        if two_byte {
            let descendant = dictionary
                .get_deref(b"DescendantFonts", pdf)
                .and_then(Object::as_array)
                .ok()
                .and_then(|fonts| fonts.first())
                .and_then(|font| deref(pdf, font).as_dict().ok());
            if let Some(descendant) = descendant {
                default_width = descendant
                    .get_deref(b"DW", pdf)
                    .ok()
                    .and_then(number)
                    .unwrap_or(1000.0);
                if let Ok(array) = descendant.get_deref(b"W", pdf).and_then(Object::as_array) {
                    cid_widths(pdf, array, &mut widths);
                }
            }
        } else {
            let first = dictionary
                .get_deref(b"FirstChar", pdf)
                .ok()
                .and_then(number)
                .unwrap_or(0.0) as u32;
            if let Ok(array) = dictionary
                .get_deref(b"Widths", pdf)
                .and_then(Object::as_array)
            {
                for (offset, width) in array.iter().enumerate() {
                    if let Some(width) = number(deref(pdf, width)) {
                        widths.insert(first + offset as u32, width);
                    }
                }
            }
            if subtype == b"Type3"
                && let Some(scale) = dictionary
                    .get_deref(b"FontMatrix", pdf)
                    .and_then(Object::as_array)
                    .ok()
                    .and_then(|matrix| matrix.first().and_then(number))
            {
                width_scale = scale;
                default_width = 0.5 / scale.abs().max(1e-9);
            }
        }
        Font {
            encoding,
            two_byte,
            widths,
            default_width,
            width_scale,
            decoded: builtin,
        }
    }

    fn width(&self, code: u32) -> f64 {
        self.widths
            .get(&code)
            .copied()
            .unwrap_or(self.default_width)
            * self.width_scale
    }

    fn decode(&mut self, code: u32) -> &str {
        let two_byte = self.two_byte;
        let encoding = &self.encoding;
        self.decoded.entry(code).or_insert_with(|| {
            let Some(encoding) = encoding else {
                return String::new();
            };
            let bytes: Vec<u8> = if two_byte {
                vec![(code >> 8) as u8, code as u8]
            } else {
                vec![code as u8]
            };
            let text = encoding.bytes_to_string(&bytes).unwrap_or_default();
            normalise_glyph_text(&text)
        })
    }
}

/// Arabic presentation forms and Latin ligatures become the letters they draw; replacement
/// characters and controls are dropped.
fn normalise_glyph_text(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        match character as u32 {
            0xFB00..=0xFDFF | 0xFE70..=0xFEFF => out.extend(std::iter::once(character).nfkc()),
            0xFFFD => {}
            _ if character.is_control() && character != '\t' => {}
            _ => out.push(character),
        }
    }
    out
}

/// The encoding built into an embedded Type 1 font program (TeX fonts rely on it for
/// ligatures and Greek letters): its clear-text part lists `dup CODE /glyphname put`. Glyph
/// names are read through lopdf's glyph list by way of an equivalent /Differences encoding.
fn builtin_encoding(pdf: &lopdf::Document, dictionary: &Dictionary) -> HashMap<u32, String> {
    let mut decoded = HashMap::new();
    let Some(program) = dictionary
        .get_deref(b"FontDescriptor", pdf)
        .and_then(Object::as_dict)
        .and_then(|descriptor| descriptor.get_deref(b"FontFile", pdf))
        .and_then(Object::as_stream)
        .ok()
    else {
        return decoded;
    };
    let Ok(content) = program.get_plain_content_with_limit(MAX_STREAM_BYTES) else {
        return decoded;
    };
    let clear_length = program
        .dict
        .get(b"Length1")
        .ok()
        .and_then(number)
        .map_or(content.len(), |length| length as usize);
    let clear_text = String::from_utf8_lossy(&content[..clear_length.min(content.len())]);
    let tokens: Vec<&str> = clear_text.split_ascii_whitespace().collect();
    let mut differences = Vec::new();
    for window in tokens.windows(4) {
        if let ["dup", code, name, "put"] = window
            && let (Ok(code), Some(name)) = (code.parse::<u8>(), name.strip_prefix('/'))
        {
            differences.push(Object::Integer(code as i64));
            differences.push(Object::Name(name.as_bytes().to_vec()));
        }
    }
    if differences.is_empty() {
        return decoded;
    }
    let mut font = Dictionary::new();
    font.set("Type", Object::Name(b"Font".to_vec()));
    let mut encoding = Dictionary::new();
    encoding.set("Differences", Object::Array(differences.clone()));
    font.set("Encoding", Object::Dictionary(encoding));
    let Ok(encoding) = font.get_font_encoding(pdf) else {
        return decoded;
    };
    for code in differences.iter().filter_map(|object| object.as_i64().ok()) {
        if let Ok(text) = encoding.bytes_to_string(&[code as u8]) {
            decoded.insert(code as u32, normalise_glyph_text(&text));
        }
    }
    decoded
}

/// A font's ToUnicode map, which is authoritative over its /Encoding when present.
fn to_unicode(pdf: &lopdf::Document, dictionary: &Dictionary) -> Option<Encoding<'static>> {
    dictionary.get(b"ToUnicode").ok()?;
    let mut only_map = dictionary.clone();
    only_map.remove(b"Encoding");
    match only_map.get_font_encoding(pdf) {
        Ok(Encoding::UnicodeMapEncoding(map)) => Some(Encoding::UnicodeMapEncoding(map)),
        _ => None,
    }
}

fn cid_widths(pdf: &lopdf::Document, array: &[Object], widths: &mut HashMap<u32, f64>) {
    let mut index = 0;
    while index < array.len() {
        let Some(first) = number(deref(pdf, &array[index])) else {
            return;
        };
        match array.get(index + 1).map(|object| deref(pdf, object)) {
            Some(Object::Array(list)) => {
                for (offset, width) in list.iter().take(65_536).enumerate() {
                    if let Some(width) = number(deref(pdf, width)) {
                        widths.insert(first as u32 + offset as u32, width);
                    }
                }
                index += 2;
            }
            Some(last) => {
                let (Some(last), Some(width)) = (
                    number(last),
                    array.get(index + 2).and_then(|w| number(deref(pdf, w))),
                ) else {
                    return;
                };
                for code in (first as u32)..=(last as u32).min(first as u32 + 65_536) {
                    widths.insert(code, width);
                }
                index += 3;
            }
            None => return,
        }
    }
}

fn deref<'a>(pdf: &'a lopdf::Document, object: &'a Object) -> &'a Object {
    match object {
        Object::Reference(id) => pdf.get_object(*id).unwrap_or(object),
        other => other,
    }
}

fn number(object: &Object) -> Option<f64> {
    match object {
        Object::Integer(value) => Some(*value as f64),
        Object::Real(value) => Some(*value as f64),
        _ => None,
    }
}

/// Fonts are shared across pages; each is loaded once per document.
#[derive(Default)]
struct FontCache<'a> {
    fonts: HashMap<ObjectId, Font<'a>>,
}

#[derive(Clone)]
struct GraphicsState {
    ctm: Matrix,
    font: Option<ObjectId>,
    size: f64,
    char_spacing: f64,
    word_spacing: f64,
    horizontal_scale: f64,
    leading: f64,
    rise: f64,
}

impl Default for GraphicsState {
    fn default() -> Self {
        GraphicsState {
            ctm: IDENTITY,
            font: None,
            size: 0.0,
            char_spacing: 0.0,
            word_spacing: 0.0,
            horizontal_scale: 1.0,
            leading: 0.0,
            rise: 0.0,
        }
    }
}

struct PageWalker<'a, 'c> {
    pdf: &'a lopdf::Document,
    fonts: &'c mut FontCache<'a>,
    glyphs: Vec<Glyph>,
    operations: usize,
    forms_open: HashSet<ObjectId>,
}

fn page_text<'a>(
    pdf: &'a lopdf::Document,
    page_id: ObjectId,
    fonts: &mut FontCache<'a>,
) -> Result<String, String> {
    for id in pdf.get_page_contents(page_id) {
        if pdf.get_object(id).and_then(Object::as_stream).is_err() {
            return Err(format!(
                "content stream {} {} is missing or damaged",
                id.0, id.1
            ));
        }
    }
    let content = pdf
        .get_page_content_with_limit(page_id, MAX_STREAM_BYTES)
        .map_err(|error| error.to_string())?;
    let resources = page_resources(pdf, page_id);
    let mut walker = PageWalker {
        pdf,
        fonts,
        glyphs: Vec::new(),
        operations: 0,
        forms_open: HashSet::new(),
    };
    walker.run(&content, resources, GraphicsState::default(), 0)?;
    Ok(layout(walker.glyphs))
}

/// A page's resources, inherited from its ancestors in the page tree when it has none itself.
fn page_resources(pdf: &lopdf::Document, page_id: ObjectId) -> Option<&Dictionary> {
    let mut node = pdf.get_dictionary(page_id).ok()?;
    for _ in 0..32 {
        if let Ok(resources) = node.get_deref(b"Resources", pdf).and_then(Object::as_dict) {
            return Some(resources);
        }
        node = node
            .get_deref(b"Parent", pdf)
            .and_then(Object::as_dict)
            .ok()?;
    }
    None
}

impl<'a> PageWalker<'a, '_> {
    fn run(
        &mut self,
        content: &[u8],
        resources: Option<&'a Dictionary>,
        mut state: GraphicsState,
        depth: usize,
    ) -> Result<(), String> {
        let content = Content::decode(content)
            .map_err(|error| format!("unreadable content stream: {error}"))?;
        let mut stack: Vec<GraphicsState> = Vec::new();
        let (mut text_matrix, mut line_matrix) = (IDENTITY, IDENTITY);
        for operation in &content.operations {
            self.operations += 1;
            if self.operations > MAX_OPERATIONS_PER_PAGE {
                return Err(format!(
                    "more than {MAX_OPERATIONS_PER_PAGE} drawing operations; the rest is skipped"
                ));
            }
            let operands = &operation.operands;
            let float = |index: usize| operands.get(index).and_then(number).unwrap_or(0.0);
            match operation.operator.as_str() {
                "q" => stack.push(state.clone()),
                "Q" => state = stack.pop().unwrap_or_else(|| state.clone()),
                "cm" => {
                    state.ctm = multiply(
                        &[float(0), float(1), float(2), float(3), float(4), float(5)],
                        &state.ctm,
                    )
                }
                "BT" => (text_matrix, line_matrix) = (IDENTITY, IDENTITY),
                "Tf" => {
                    state.size = float(1);
                    state.font = operands
                        .first()
                        .and_then(|name| name.as_name().ok())
                        .and_then(|name| self.font_id(resources, name));
                }
                "Tc" => state.char_spacing = float(0),
                "Tw" => state.word_spacing = float(0),
                "Tz" => state.horizontal_scale = float(0) / 100.0,
                "TL" => state.leading = float(0),
                "Ts" => state.rise = float(0),
                "Td" | "TD" => {
                    if operation.operator == "TD" {
                        state.leading = -float(1);
                    }
                    line_matrix = multiply(&[1.0, 0.0, 0.0, 1.0, float(0), float(1)], &line_matrix);
                    text_matrix = line_matrix;
                }
                "Tm" => {
                    line_matrix = [float(0), float(1), float(2), float(3), float(4), float(5)];
                    text_matrix = line_matrix;
                }
                "T*" | "'" | "\"" => {
                    if operation.operator == "\"" {
                        state.word_spacing = float(0);
                        state.char_spacing = float(1);
                    }
                    line_matrix =
                        multiply(&[1.0, 0.0, 0.0, 1.0, 0.0, -state.leading], &line_matrix);
                    text_matrix = line_matrix;
                    if let Some(Object::String(bytes, _)) = operands.last() {
                        self.show(bytes, &state, &mut text_matrix);
                    }
                }
                "Tj" => {
                    if let Some(Object::String(bytes, _)) = operands.first() {
                        self.show(bytes, &state, &mut text_matrix);
                    }
                }
                "TJ" => {
                    for item in operands
                        .first()
                        .and_then(|array| array.as_array().ok())
                        .into_iter()
                        .flatten()
                    {
                        match item {
                            Object::String(bytes, _) => self.show(bytes, &state, &mut text_matrix),
                            other => {
                                let shift = -number(other).unwrap_or(0.0) / 1000.0
                                    * state.size
                                    * state.horizontal_scale;
                                text_matrix =
                                    multiply(&[1.0, 0.0, 0.0, 1.0, shift, 0.0], &text_matrix);
                            }
                        }
                    }
                }
                "Do" if depth < MAX_FORM_DEPTH => {
                    if let Some(name) = operands.first().and_then(|name| name.as_name().ok()) {
                        self.form(resources, name, &state, depth)?;
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn font_id(&mut self, resources: Option<&'a Dictionary>, name: &[u8]) -> Option<ObjectId> {
        let fonts = resources?
            .get_deref(b"Font", self.pdf)
            .and_then(Object::as_dict)
            .ok()?;
        let (id, dictionary) = match fonts.get(name).ok()? {
            Object::Reference(id) => (*id, self.pdf.get_dictionary(*id).ok()?),
            // A font written inline has no id of its own; key it by its place in memory.
            Object::Dictionary(dictionary) => (
                (
                    u32::MAX,
                    (dictionary as *const Dictionary as usize % 65_521) as u16,
                ),
                dictionary,
            ),
            _ => return None,
        };
        self.fonts
            .fonts
            .entry(id)
            .or_insert_with(|| Font::load(self.pdf, dictionary));
        Some(id)
    }

    fn show(&mut self, bytes: &[u8], state: &GraphicsState, text_matrix: &mut Matrix) {
        let Some(font) = state.font.and_then(|id| self.fonts.fonts.get_mut(&id)) else {
            return;
        };
        let step = if font.two_byte { 2 } else { 1 };
        for code_bytes in bytes.chunks(step) {
            let code = code_bytes
                .iter()
                .fold(0u32, |code, byte| (code << 8) | *byte as u32);
            let glyph_space = [
                state.size * state.horizontal_scale,
                0.0,
                0.0,
                state.size,
                0.0,
                state.rise,
            ];
            let placed = multiply(&multiply(&glyph_space, text_matrix), &state.ctm);
            let width = font.width(code);
            let spacing = state.char_spacing
                + if step == 1 && code == 32 {
                    state.word_spacing
                } else {
                    0.0
                };
            let advance = (width * state.size + spacing) * state.horizontal_scale;
            let scale_x = placed[0].hypot(placed[1]);
            let text = font.decode(code).to_string();
            if scale_x > 0.0 {
                let direction = (placed[0] / scale_x, placed[1] / scale_x);
                let size = placed[2].hypot(placed[3]).max(0.01);
                let user_advance = advance / state.size.abs().max(1e-9) * scale_x
                    / state.horizontal_scale.abs().max(1e-9);
                self.glyphs.push(Glyph {
                    x: placed[4],
                    y: placed[5],
                    direction,
                    advance: user_advance.abs(),
                    size,
                    text,
                });
            }
            *text_matrix = multiply(&[1.0, 0.0, 0.0, 1.0, advance, 0.0], text_matrix);
        }
    }

    fn form(
        &mut self,
        resources: Option<&'a Dictionary>,
        name: &[u8],
        state: &GraphicsState,
        depth: usize,
    ) -> Result<(), String> {
        let pdf = self.pdf;
        let Some(xobjects) = resources.and_then(|resources| {
            resources
                .get_deref(b"XObject", pdf)
                .and_then(Object::as_dict)
                .ok()
        }) else {
            return Ok(());
        };
        let Ok(Object::Reference(id)) = xobjects.get(name) else {
            return Ok(());
        };
        let Ok(stream) = pdf.get_object(*id).and_then(Object::as_stream) else {
            return Ok(());
        };
        if stream.dict.get(b"Subtype").and_then(Object::as_name).ok() != Some(b"Form".as_slice())
            || !self.forms_open.insert(*id)
        {
            return Ok(());
        }
        let content = match stream.get_plain_content_with_limit(MAX_STREAM_BYTES) {
            Ok(content) => content,
            Err(_) => stream.content.clone(),
        };
        let mut inner = state.clone();
        if let Ok(matrix) = stream.dict.get(b"Matrix").and_then(Object::as_array) {
            let values: Vec<f64> = matrix.iter().filter_map(number).collect();
            if let [a, b, c, d, e, f] = values[..] {
                inner.ctm = multiply(&[a, b, c, d, e, f], &state.ctm);
            }
        }
        let form_resources = stream
            .dict
            .get_deref(b"Resources", pdf)
            .and_then(Object::as_dict)
            .ok()
            .or(resources);
        let result = self.run(&content, form_resources, inner, depth + 1);
        self.forms_open.remove(id);
        result
    }
}

/// A glyph's place along its baseline (`along`) and across it (`across`, upwards).
fn project(glyph: &Glyph) -> (f64, f64) {
    let (dx, dy) = glyph.direction;
    (glyph.x * dx + glyph.y * dy, glyph.y * dx - glyph.x * dy)
}

/// Glyphs on one baseline with no wide gap between them: a line of one column.
struct Line {
    glyphs: Vec<Glyph>,
    direction: (f64, f64),
    start: f64,
    end: f64,
    across: f64,
    size: f64,
}

impl Line {
    fn new(glyph: Glyph) -> Line {
        let (along, across) = project(&glyph);
        Line {
            direction: glyph.direction,
            start: along,
            end: along + glyph.advance,
            across,
            size: glyph.size,
            glyphs: vec![glyph],
        }
    }

    /// A glyph continues this line when it sits on the same baseline, at either end, without a
    /// gap wider than a column gutter and without overlapping the text already there.
    fn takes(&self, glyph: &Glyph) -> bool {
        let (along, across) = project(glyph);
        let size = self.size.max(glyph.size);
        let aligned = (self.direction.0 - glyph.direction.0).abs() < 0.05
            && (self.direction.1 - glyph.direction.1).abs() < 0.05;
        let after = along >= self.end - 0.3 * size && along <= self.end + 1.5 * size;
        let before = along + glyph.advance <= self.start + 0.3 * size
            && along + glyph.advance >= self.start - 1.5 * size;
        aligned && (across - self.across).abs() < 0.5 * size && (after || before)
    }

    fn push(&mut self, glyph: Glyph) {
        let (along, _) = project(&glyph);
        self.start = self.start.min(along);
        self.end = self.end.max(along + glyph.advance);
        self.size = self.size.max(glyph.size);
        self.glyphs.push(glyph);
    }

    /// The line's text: glyphs sorted along the baseline, a space wherever the gap between two
    /// is wider than a fifth of the font size, right-to-left runs in logical order.
    fn text(mut self) -> String {
        self.glyphs
            .sort_by(|a, b| project(a).0.total_cmp(&project(b).0));
        let mut clusters: Vec<String> = Vec::with_capacity(self.glyphs.len());
        let mut end: Option<f64> = None;
        for glyph in &self.glyphs {
            let start = project(glyph).0;
            if let Some(end) = end
                && start - end > glyph.size * 0.2
                && clusters.last().is_some_and(|last| !last.ends_with(' '))
                && !glyph.text.starts_with(' ')
            {
                clusters.push(" ".to_string());
            }
            clusters.push(glyph.text.clone());
            end = Some(end.map_or(start + glyph.advance, |end: f64| {
                end.max(start + glyph.advance)
            }));
        }
        logical_order(clusters)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Lines stacked closely within one column: a paragraph.
struct Block {
    lines: Vec<Line>,
}

impl Block {
    /// A line continues a block when it overlaps the block's last line along the baseline and
    /// sits just below it.
    fn takes(&self, line: &Line) -> bool {
        let Some(last) = self.lines.last() else {
            return false;
        };
        let size = last.size.max(line.size);
        let overlap = line.end.min(last.end) - line.start.max(last.start);
        let drop = last.across - line.across;
        let aligned = (last.direction.0 - line.direction.0).abs() < 0.05
            && (last.direction.1 - line.direction.1).abs() < 0.05;
        aligned && overlap > 0.0 && drop > 0.0 && drop < 1.9 * size
    }
}

/// Joins a block's lines, mending words hyphenated across a line break ("pellen-" + "tesque").
fn join_lines(lines: &[String]) -> String {
    let mut text = String::new();
    for line in lines {
        let hyphenated = text
            .strip_suffix('-')
            .is_some_and(|before| before.ends_with(char::is_alphabetic))
            && line.starts_with(char::is_lowercase);
        if hyphenated {
            text.pop();
        } else if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(line);
    }
    text
}

/// How many recent blocks a new line may join: enough for multi-column pages whose producer
/// draws across the columns row by row, few enough to stay linear.
const OPEN_BLOCKS: usize = 12;

/// Turns placed glyphs into text in reading order, without knowing the page's layout: glyphs
/// form lines (one baseline, one column), lines form blocks (stacked within a column), and
/// blocks are read in the order the producer started them, which keeps columns apart even when
/// the producer drew the page row by row across them.
fn layout(glyphs: Vec<Glyph>) -> String {
    let mut lines: Vec<Line> = Vec::new();
    for glyph in glyphs {
        if glyph.text.is_empty() && glyph.advance == 0.0 {
            continue;
        }
        match lines.last_mut() {
            Some(line) if line.takes(&glyph) => line.push(glyph),
            _ => lines.push(Line::new(glyph)),
        }
    }
    let mut blocks: Vec<Block> = Vec::new();
    for line in lines {
        let open = blocks.len().saturating_sub(OPEN_BLOCKS);
        match blocks[open..]
            .iter_mut()
            .rev()
            .find(|block| block.takes(&line))
        {
            Some(block) => block.lines.push(line),
            None => blocks.push(Block { lines: vec![line] }),
        }
    }
    let paragraphs: Vec<String> = blocks
        .into_iter()
        .map(|block| {
            let lines: Vec<String> = block
                .lines
                .into_iter()
                .map(Line::text)
                .filter(|text| !text.is_empty())
                .collect();
            join_lines(&lines)
        })
        .filter(|paragraph| !paragraph.is_empty())
        .collect();
    paragraphs.join("\n\n")
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Strength {
    RightToLeft,
    LeftToRight,
    Digit,
    Neutral,
}

fn strength(cluster: &str) -> Strength {
    let mut digit = false;
    for character in cluster.chars() {
        if crate::lang::is_arabic(character) && !character.is_numeric()
            || crate::lang::is_hebrew(character)
        {
            return Strength::RightToLeft;
        }
        if character.is_alphabetic() {
            return Strength::LeftToRight;
        }
        digit |= character.is_numeric();
    }
    if digit {
        Strength::Digit
    } else {
        Strength::Neutral
    }
}

/// Glyphs sorted along the baseline are in visual order; right-to-left text (Arabic, Hebrew)
/// reads the other way. A line whose words are mostly right-to-left is reversed, with its
/// left-to-right runs (Latin words, numbers) turned back; in a mostly left-to-right line only
/// the right-to-left runs are reversed. Clusters (a glyph's whole text) are never split, so a
/// producer that maps one glyph to a whole word in logical order keeps it.
fn logical_order(clusters: Vec<String>) -> String {
    let strengths: Vec<Strength> = clusters.iter().map(|cluster| strength(cluster)).collect();
    if !strengths.contains(&Strength::RightToLeft) {
        return clusters.concat();
    }
    let mut items: Vec<(String, Strength)> = clusters.into_iter().zip(strengths).collect();
    if words_of(&items, Strength::RightToLeft) > words_of(&items, Strength::LeftToRight) {
        items.reverse();
        reverse_runs(&mut items, |s| {
            matches!(s, Strength::LeftToRight | Strength::Digit)
        });
        for (text, strength) in &mut items {
            if *strength == Strength::Neutral {
                *text = text.chars().map(mirror).collect();
            }
        }
    } else {
        reverse_runs(&mut items, |s| s == Strength::RightToLeft);
    }
    items.into_iter().map(|(text, _)| text).collect()
}

/// Counts the words of one direction: runs of its clusters between spaces and punctuation.
/// The paragraph direction is a guess from the majority of words; a tie reads left to right.
fn words_of(items: &[(String, Strength)], direction: Strength) -> usize {
    let mut words = 0;
    let mut previous = Strength::Neutral;
    for (_, strength) in items {
        if *strength == direction && previous != direction {
            words += 1;
        }
        if *strength != Strength::Digit {
            previous = *strength;
        }
    }
    words
}

/// Reverses each maximal run of items that `inside` accepts, neutral items between two such
/// items included. Digit runs inside a reversed right-to-left run keep their own order.
fn reverse_runs(items: &mut [(String, Strength)], inside: impl Fn(Strength) -> bool) {
    let mut start = 0;
    while start < items.len() {
        if !inside(items[start].1) {
            start += 1;
            continue;
        }
        let mut end = start + 1;
        let mut last_strong = start;
        while end < items.len()
            && (inside(items[end].1)
                || items[end].1 == Strength::Neutral
                || items[end].1 == Strength::Digit)
        {
            if inside(items[end].1) {
                last_strong = end;
            }
            end += 1;
        }
        let run = &mut items[start..=last_strong];
        run.reverse();
        if !inside(Strength::Digit) {
            let mut index = 0;
            while index < run.len() {
                if run[index].1 == Strength::Digit {
                    let mut digits_end = index;
                    while digits_end + 1 < run.len() && run[digits_end + 1].1 == Strength::Digit {
                        digits_end += 1;
                    }
                    run[index..=digits_end].reverse();
                    index = digits_end + 1;
                } else {
                    index += 1;
                }
            }
        }
        start = last_strong + 1;
    }
}

fn mirror(character: char) -> char {
    match character {
        '(' => ')',
        ')' => '(',
        '[' => ']',
        ']' => '[',
        '{' => '}',
        '}' => '{',
        '<' => '>',
        '>' => '<',
        '«' => '»',
        '»' => '«',
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lopdf::{Stream, dictionary};

    /// A PDF with one page per content stream, a Helvetica font /F1 (with widths) and an
    /// Arabic font /F2 whose glyph codes 1..=5 map to ا ل س ع ر through a ToUnicode map.
    fn build_pdf(pages: &[&str]) -> Vec<u8> {
        let mut pdf = lopdf::Document::with_version("1.7");
        let pages_id = pdf.new_object_id();
        let latin = pdf.add_object(dictionary! {
            "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica", "Encoding" => "WinAnsiEncoding",
            "FirstChar" => 32, "Widths" => vec![Object::Integer(278); 95],
        });
        let cmap = "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CMapName /Test def\n/CMapType 2 def\n\
                    1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n5 beginbfchar\n<0001> <0627>\n<0002> <0644>\n\
                    <0003> <0633>\n<0004> <0639>\n<0005> <0631>\nendbfchar\nendcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n";
        let to_unicode = pdf.add_object(Stream::new(dictionary! {}, cmap.as_bytes().to_vec()));
        let descendant = pdf.add_object(dictionary! {
            "Type" => "Font", "Subtype" => "CIDFontType2", "BaseFont" => "Arabic", "DW" => 500,
        });
        let arabic = pdf.add_object(dictionary! {
            "Type" => "Font", "Subtype" => "Type0", "BaseFont" => "Arabic", "Encoding" => "Identity-H",
            "DescendantFonts" => vec![descendant.into()], "ToUnicode" => to_unicode,
        });
        let looping_form = pdf.new_object_id();
        let form = Stream::new(
            dictionary! { "Type" => "XObject", "Subtype" => "Form", "BBox" => vec![0.into(), 0.into(), 10.into(), 10.into()],
            "Resources" => dictionary! { "XObject" => dictionary! { "X1" => looping_form } } },
            b"/X1 Do".to_vec(),
        );
        pdf.objects.insert(looping_form, Object::Stream(form));
        let resources = pdf.add_object(dictionary! {
            "Font" => dictionary! { "F1" => latin, "F2" => arabic },
            "XObject" => dictionary! { "X1" => looping_form },
        });
        let mut kids = Vec::new();
        for content in pages {
            let content = pdf.add_object(Stream::new(dictionary! {}, content.as_bytes().to_vec()));
            kids.push(Object::from(pdf.add_object(
                dictionary! { "Type" => "Page", "Parent" => pages_id, "Contents" => content },
            )));
        }
        let count = kids.len() as i64;
        pdf.objects.insert(
            pages_id,
            Object::Dictionary(dictionary! {
                "Type" => "Pages", "Kids" => kids, "Count" => count, "Resources" => resources,
                "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
            }),
        );
        let catalog = pdf.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
        pdf.trailer.set("Root", catalog);
        let mut bytes = Vec::new();
        pdf.save_to(&mut bytes).unwrap();
        bytes
    }

    fn parse_pdf(bytes: &[u8]) -> Result<Document, Error> {
        parse(bytes, &Limits::default(), &mut |_, _| {})
    }

    #[test]
    fn text_comes_out_per_page_in_reading_order() {
        let first =
            "BT /F1 12 Tf 72 700 Td (Refunds take) Tj ( five days.) Tj 0 -14 Td (Call us) Tj ET";
        let second = "BT /F1 10 Tf 72 700 Td [(Deliv) 20 (ery) -1000 (is) -300 (free.)] TJ ET";
        let document = parse_pdf(&build_pdf(&[first, second])).unwrap();
        let texts: Vec<_> = document
            .blocks
            .iter()
            .map(|block| (block.text.as_str(), block.position.page))
            .collect();
        assert_eq!(
            texts,
            [
                ("Refunds take five days.\nCall us", Some(1)),
                ("Delivery is free.", Some(2))
            ]
        );
    }

    #[test]
    fn arabic_drawn_in_visual_order_reads_logically() {
        // "السعر" drawn right to left: the glyph of its last letter leftmost.
        let content = "BT /F2 12 Tf 300 700 Td <00050004000300020001> Tj ET";
        let document = parse_pdf(&build_pdf(&[content])).unwrap();
        assert_eq!(document.blocks[0].text, "السعر");
    }

    #[test]
    fn a_page_without_text_is_a_scan_and_self_drawing_forms_end() {
        let bytes = build_pdf(&["0 0 100 100 re f /X1 Do"]);
        let error = crate::parse_as(SourceKind::Pdf, &bytes, &Limits::default()).unwrap_err();
        assert!(matches!(error, Error::NoExtractableText), "{error}");
    }

    fn encrypted(bytes: &[u8], user_password: &str) -> Vec<u8> {
        let mut pdf = lopdf::Document::load_mem(bytes).unwrap();
        let file_id = Object::String(
            b"switchboard-test".to_vec(),
            lopdf::StringFormat::Hexadecimal,
        );
        pdf.trailer
            .set("ID", Object::Array(vec![file_id.clone(), file_id]));
        let version = lopdf::EncryptionVersion::V2 {
            document: &pdf,
            owner_password: "owner secret",
            user_password,
            key_length: 128,
            permissions: lopdf::Permissions::all(),
        };
        let state = lopdf::EncryptionState::try_from(version).unwrap();
        pdf.encrypt(&state).unwrap();
        let mut out = Vec::new();
        pdf.save_to(&mut out).unwrap();
        out
    }

    #[test]
    fn encrypted_files_open_only_without_a_user_password() {
        let plain = build_pdf(&["BT /F1 12 Tf 72 700 Td (Opening hours) Tj ET"]);
        let open = parse_pdf(&encrypted(&plain, "")).unwrap();
        assert_eq!(open.blocks[0].text, "Opening hours");
        let error = parse_pdf(&encrypted(&plain, "letmein")).unwrap_err();
        assert!(matches!(error, Error::PasswordProtected { .. }), "{error}");
        assert!(error.to_string().contains("password-protected"));
    }

    #[test]
    fn page_limit_is_enforced() {
        let bytes = build_pdf(&["BT /F1 12 Tf (a) Tj ET"; 3]);
        let limits = Limits {
            max_pdf_pages: 2,
            ..Limits::default()
        };
        let error = parse(&bytes, &limits, &mut |_, _| {}).unwrap_err();
        assert!(
            matches!(error, Error::TooManyPages { pages: 3, limit: 2 }),
            "{error}"
        );
    }

    #[test]
    fn truncated_and_garbled_files_fail_cleanly() {
        let bytes = build_pdf(&["BT /F1 12 Tf 72 700 Td (Hello) Tj ET"]);
        for cut in [10, bytes.len() / 3, bytes.len() / 2, bytes.len() - 40] {
            let _ = parse_pdf(&bytes[..cut]);
        }
        let mut garbled = bytes.clone();
        for index in (20..garbled.len()).step_by(7) {
            garbled[index] = garbled[index].wrapping_mul(31);
        }
        let _ = parse_pdf(&garbled);
    }

    fn visual(text: &str) -> Vec<String> {
        text.chars()
            .map(|character| character.to_string())
            .collect()
    }

    #[test]
    fn right_to_left_lines_come_out_in_logical_order() {
        // What a viewer shows, left to right, for "مرحبا بكم 2026 في Switchboard".
        let logical = "مرحبا بكم 2026 في Switchboard";
        let shown: String = "Switchboard يف 2026 مكب ابحرم".to_string();
        assert_eq!(logical_order(visual(&shown)), logical);
        let english = "Price list: راعسأ ةمئاق and more";
        assert_eq!(
            logical_order(visual(english)),
            "Price list: قائمة أسعار and more"
        );
    }

    #[test]
    fn whole_word_clusters_are_kept() {
        let clusters = vec![
            String::new(),
            String::new(),
            "حَبيبي".to_string(),
            " ".to_string(),
            "habibi".to_string(),
        ];
        // One word each way: the line reads left to right, and the cluster stays whole.
        assert_eq!(logical_order(clusters), "حَبيبي habibi");
    }

    #[test]
    fn hyphenated_words_are_mended() {
        let lines = [
            "Lorem ipsum pellen-".to_string(),
            "tesque dolor. Well-".to_string(),
            "Known".to_string(),
        ];
        assert_eq!(
            join_lines(&lines),
            "Lorem ipsum pellentesque dolor. Well-\nKnown"
        );
    }

    #[test]
    fn presentation_forms_become_letters() {
        assert_eq!(normalise_glyph_text("\u{FEDF}\u{FEE4}\u{FE8E}"), "لما");
        assert_eq!(normalise_glyph_text("\u{FB01}nd"), "find");
    }
}
