use std::fmt;

use serde::{Deserialize, Serialize};

/// A phone number as the records keep it: international, in E.164 (`+971501234567`), checked
/// against the numbering plan of its country. Two spellings of one number are one number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an international phone number (E.164, like +971501234567)")]
pub struct PhoneError(pub String);

impl Phone {
    /// Reads a number written with its country code (`+971 50 123 4567`, `+1 (415) 555-2671`).
    pub fn parse(text: &str) -> Result<Self, PhoneError> {
        let refused = || PhoneError(text.to_string());
        if !text.trim_start().starts_with('+') || text.len() > 40 {
            return Err(refused());
        }
        let number = phonenumber::parse(None, text).map_err(|_| refused())?;
        if !number.is_valid() {
            return Err(refused());
        }
        Ok(Phone(
            number.format().mode(phonenumber::Mode::E164).to_string(),
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Phone {
    type Error = PhoneError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Phone::parse(&text)
    }
}

impl From<Phone> for String {
    fn from(phone: Phone) -> Self {
        phone.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_number_are_one_number() {
        for text in ["+971 50 123 4567", "+971-50-123-4567", "+971501234567"] {
            assert_eq!(
                Phone::parse(text).unwrap().as_str(),
                "+971501234567",
                "{text}"
            );
        }
        assert_eq!(
            Phone::parse("+966 55 123 4567").unwrap().as_str(),
            "+966551234567"
        );
    }

    #[test]
    fn what_is_not_an_international_number_is_refused() {
        for text in [
            "",
            "0501234567",
            "+12",
            "+971 12",
            "call me",
            "+999 123 456 789",
        ] {
            let error = Phone::parse(text).unwrap_err();
            assert!(error.to_string().contains("E.164"), "{text}: {error}");
        }
    }
}
