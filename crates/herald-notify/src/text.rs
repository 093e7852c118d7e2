//! Cutting text to a channel's length limit.

/// The longest prefix of `text` that is at most `max` long, each character counted by `width`
/// (`char::len_utf8` for a limit in bytes, `char::len_utf16` for one in UTF-16 units).
pub(crate) fn prefix(text: &str, max: usize, width: fn(char) -> usize) -> &str {
    let mut used = 0;
    let end = text
        .char_indices()
        .find(|&(_, c)| {
            used += width(c);
            used > max
        })
        .map_or(text.len(), |(at, _)| at);
    &text[..end]
}

/// `text`, or as much of it as fits in `max` with an ellipsis to say it was cut.
pub(crate) fn truncate(text: &str, max: usize, width: fn(char) -> usize) -> String {
    if prefix(text, max, width).len() == text.len() {
        return text.to_string();
    }
    format!("{}…", prefix(text, max - width('…'), width))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_at_a_character_boundary_within_the_limit() {
        assert_eq!(truncate("short", 5, char::len_utf8), "short");
        assert_eq!(truncate("abcdef", 5, char::len_utf16), "abcd…");
        // "é" is two bytes: "é" + "é" + "…" would be seven.
        assert_eq!(truncate("ééééé", 6, char::len_utf8), "é…");
        assert_eq!(prefix("a😀b", 2, char::len_utf16), "a");
    }
}
