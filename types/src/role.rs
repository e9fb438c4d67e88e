use serde::{Deserialize, Serialize};

/// What a person may do in a workspace. An API key acts as an admin of its workspace.
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
    strum::IntoStaticStr,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[schema(as = PersonRole)]
pub enum Role {
    Admin,
    TeamAdmin,
    Staff,
}

impl Role {
    /// Whether this role may do what `needed` may (admin > team admin > staff).
    pub fn includes(self, needed: Role) -> bool {
        self.rank() >= needed.rank()
    }

    fn rank(self) -> u8 {
        match self {
            Role::Admin => 2,
            Role::TeamAdmin => 1,
            Role::Staff => 0,
        }
    }

    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// How a stored role is read back (sqlx's `try_from = "String"`); an unknown word is an error.
impl TryFrom<String> for Role {
    type Error = strum::ParseError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_read_back_as_written_and_rank_in_order() {
        for role in [Role::Admin, Role::TeamAdmin, Role::Staff] {
            assert_eq!(role.to_string().parse::<Role>().unwrap(), role);
        }
        assert_eq!(Role::TeamAdmin.as_str(), "team_admin");
        assert!("owner".parse::<Role>().is_err());
        assert!(Role::Admin.includes(Role::TeamAdmin));
        assert!(!Role::Staff.includes(Role::TeamAdmin));
    }
}
