use types::Role;

use crate::conversation::Owner;

/// Who looks at the inbox: a person with a role and a team, or a program (an API key, which
/// acts as an admin and is no person).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    pub role: Role,
    pub user: Option<String>,
    pub team: Option<String>,
}

impl Viewer {
    /// Whether this viewer may see and work a conversation of `team` owned by `owner`: admins
    /// every one; team admins and staff their team's and their own.
    pub fn may_work(&self, team: Option<&str>, owner: Option<&Owner>) -> bool {
        if self.role == Role::Admin {
            return true;
        }
        let own =
            matches!((owner, &self.user), (Some(Owner::User(owner)), Some(me)) if owner == me);
        let their_team = matches!((team, &self.team), (Some(team), Some(mine)) if team == mine);
        own || their_team
    }

    /// Whose own canned responses and macros this viewer may delete: `None` for an admin,
    /// who may delete any; a person their own.
    pub fn deletes_as(&self) -> Option<&str> {
        match self.role {
            Role::Admin => None,
            _ => self.user.as_deref(),
        }
    }

    /// Who owns a canned response or macro this viewer makes: the workspace (`None`, shared;
    /// admins only) or the person. A program makes only shared ones.
    pub fn owner_of_new(&self, shared: bool) -> Result<Option<&str>, &'static str> {
        match (shared, &self.user) {
            (true, _) if self.role != Role::Admin => {
                Err("shared ones are made by admins; make it your own")
            }
            (true, _) => Ok(None),
            (false, Some(user)) => Ok(Some(user)),
            (false, None) => Err("a program's are the workspace's; send shared: true"),
        }
    }

    /// Whether this viewer may give a conversation to someone else: team admins within their
    /// team, admins to anyone. Staff only claim for themselves.
    pub fn may_assign(&self, to_team: Option<&str>) -> bool {
        match self.role {
            Role::Admin => true,
            Role::TeamAdmin => to_team.is_some() && to_team == self.team.as_deref(),
            Role::Staff => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(role: Role, user: &str, team: &str) -> Viewer {
        Viewer {
            role,
            user: Some(user.into()),
            team: Some(team.into()),
        }
    }

    #[test]
    fn each_role_sees_its_own_and_its_teams() {
        let amal = Owner::User("amal".into());
        let badr = Owner::User("badr".into());
        for role in [Role::Staff, Role::TeamAdmin] {
            let viewer = person(role, "amal", "support");
            assert!(
                viewer.may_work(Some("support"), Some(&badr)),
                "their team's"
            );
            assert!(viewer.may_work(Some("sales"), Some(&amal)), "their own");
            assert!(
                !viewer.may_work(Some("sales"), Some(&badr)),
                "another team's"
            );
            assert!(!viewer.may_work(None, None), "no team's, nobody's");
        }
        let admin = person(Role::Admin, "root", "x");
        assert!(admin.may_work(Some("sales"), Some(&badr)));
        assert!(admin.may_assign(Some("sales")));
        assert!(person(Role::TeamAdmin, "t", "sales").may_assign(Some("sales")));
        assert!(!person(Role::TeamAdmin, "t", "sales").may_assign(Some("support")));
        assert!(!person(Role::Staff, "s", "sales").may_assign(Some("sales")));
    }
}
