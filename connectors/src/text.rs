//! Texts cut to a platform's limit on one message.

/// Cuts text into parts of at most `limit` UTF-16 units, preferring a line break, then a
/// space, in the last quarter of a part.
pub(crate) fn split(text: &str, limit: usize) -> Vec<String> {
    split_measured(text, limit, char::len_utf16)
}

/// Cuts text into parts of at most `limit` UTF-8 bytes (where a platform counts bytes).
pub(crate) fn split_bytes(text: &str, limit: usize) -> Vec<String> {
    split_measured(text, limit, char::len_utf8)
}

fn split_measured(text: &str, limit: usize, measure: fn(char) -> usize) -> Vec<String> {
    let mut parts = Vec::new();
    let mut rest = text.trim();
    while rest.chars().map(measure).sum::<usize>() > limit {
        let mut units = 0;
        let mut end = 0;
        for (at, character) in rest.char_indices() {
            units += measure(character);
            if units > limit {
                break;
            }
            end = at + character.len_utf8();
        }
        let head = &rest[..end];
        let floor = head.len() * 3 / 4;
        let cut = head
            .rfind('\n')
            .filter(|&at| at >= floor)
            .or_else(|| head.rfind(' ').filter(|&at| at >= floor))
            .unwrap_or(end);
        parts.push(rest[..cut].trim_end().to_string());
        rest = rest[cut..].trim_start();
    }
    if !rest.is_empty() {
        parts.push(rest.to_string());
    }
    parts
}
