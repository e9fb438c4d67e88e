use serde::{Deserialize, Serialize};

/// Thumbs up or down on an agent's turn.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    strum::Display,
    strum::EnumString,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Rating {
    Up,
    Down,
}

/// How a stored rating is read back (sqlx's `try_from = "String"`); an unknown word is an error.
impl TryFrom<String> for Rating {
    type Error = strum::ParseError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}
