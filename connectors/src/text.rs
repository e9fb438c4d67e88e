//! Texts cut to a platform's limit on one message.

/// Cuts text into parts of at most `limit` UTF-16 units, preferring a line break, then a
/// space, in the last quarter of a part.
pub(crate) fn split(text: &str, limit: usize) -> Vec<String> {
    let mut parts = Vec::new();
    let mut rest = text.trim();
    while rest.encode_utf16().count() > limit {
        let mut units = 0;
        let mut end = 0;
        for (at, character) in rest.char_indices() {
            units += character.len_utf16();
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
