//! Canned responses' variables: `{{contact.name}}` and the like, filled from what is known of
//! the conversation. An unknown variable, or one with no value here, is left out rather than
//! shown to a customer in braces.

use std::collections::BTreeMap;

/// The variables a canned response may use.
pub const VARIABLES: &[&str] = &["contact.name", "agent.name", "conversation.number"];

/// The text with each `{{ variable }}` replaced by its value (spaces inside the braces
/// allowed); an unknown or empty variable becomes nothing, and the spaces it leaves are
/// closed up.
pub fn render(text: &str, values: &BTreeMap<&str, String>) -> String {
    let mut rendered = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(length) = rest[start..].find("}}") else {
            break;
        };
        rendered.push_str(&rest[..start]);
        let name = rest[start + 2..start + length].trim();
        if let Some(value) = values.get(name) {
            rendered.push_str(value);
        }
        rest = &rest[start + length + 2..];
    }
    rendered.push_str(rest);
    let closed = rendered
        .split(' ')
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    closed
        .replace(" ,", ",")
        .replace(" .", ".")
        .replace(" !", "!")
        .replace(" ؟", "؟")
        .replace(" ?", "?")
        .replace(" ،", "،")
}

/// Refuses a text that uses a variable no conversation has, naming it.
pub fn check(text: &str) -> Result<(), String> {
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(length) = rest[start..].find("}}") else {
            return Err("a {{ without its }}".into());
        };
        let name = rest[start + 2..start + length].trim();
        if !VARIABLES.contains(&name) {
            return Err(format!(
                "{{{{{name}}}}} is not a variable; there are {}",
                VARIABLES.join(", ")
            ));
        }
        rest = &rest[start + length + 2..];
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_are_filled_and_missing_ones_leave_no_trace() {
        let mut values = BTreeMap::new();
        values.insert("contact.name", "هدى".to_string());
        assert_eq!(
            render("مرحبا {{ contact.name }}، كيف أساعدك؟", &values),
            "مرحبا هدى، كيف أساعدك؟"
        );
        assert_eq!(
            render("Hi {{agent.name}}, welcome!", &values),
            "Hi, welcome!"
        );
        assert_eq!(render("Hi {{contact.name", &values), "Hi {{contact.name");
    }

    #[test]
    fn unknown_variables_are_refused_by_name() {
        assert!(check("Hi {{contact.name}}").is_ok());
        let error = check("Hi {{contact.nmae}}").unwrap_err();
        assert!(error.contains("contact.nmae"), "{error}");
        assert!(check("Hi {{contact.name").is_err());
    }
}
