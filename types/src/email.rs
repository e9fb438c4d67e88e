use std::fmt;

use serde::{Deserialize, Serialize};

/// An email address as the records keep it: trimmed and lower-cased, one `@` with something
/// on each side, no spaces. (Dotless domains such as `localhost` are addresses too, and
/// accounts exist with them.) Two spellings of one address are one account.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("email: {0:?} is not an email address")]
pub struct EmailError(pub String);

/// The longest address SMTP carries (RFC 5321's path limit).
const MAX_LENGTH: usize = 254;

impl Email {
    pub fn parse(text: &str) -> Result<Self, EmailError> {
        let address = text.trim().to_lowercase();
        let valid = address.len() <= MAX_LENGTH
            && !address.chars().any(char::is_whitespace)
            && matches!(address.split_once('@'), Some((local, domain))
                if !local.is_empty()
                    && !domain.is_empty()
                    && !domain.contains('@')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.'));
        if valid {
            Ok(Email(address))
        } else {
            Err(EmailError(text.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = EmailError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Email::parse(&text)
    }
}

impl From<Email> for String {
    fn from(email: Email) -> Self {
        email.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_kept_in_one_spelling() {
        assert_eq!(
            Email::parse("  Layla@Example.COM ").unwrap().as_str(),
            "layla@example.com"
        );
    }

    #[test]
    fn what_is_not_an_address_is_refused_by_name() {
        assert!(Email::parse("admin@localhost").is_ok());
        for text in [
            "",
            "layla",
            "@example.com",
            "layla@",
            "a b@c.d",
            "a@b@c.d",
            "a@.com",
        ] {
            let error = Email::parse(text).unwrap_err();
            assert!(error.to_string().starts_with("email:"), "{text}");
        }
    }
}
