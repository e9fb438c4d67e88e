use serde::{Deserialize, Serialize};
use types::{ConversationStatus as Status, OwnerKind};

/// Who owns a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Owner {
    /// An AI agent answers it.
    Agent(String),
    /// It waits in a team's queue.
    Team(String),
    /// A person works it.
    User(String),
}

impl Owner {
    pub fn kind(&self) -> OwnerKind {
        match self {
            Owner::Agent(_) => OwnerKind::Agent,
            Owner::Team(_) => OwnerKind::Team,
            Owner::User(_) => OwnerKind::User,
        }
    }

    pub fn id(&self) -> &str {
        match self {
            Owner::Agent(id) | Owner::Team(id) | Owner::User(id) => id,
        }
    }

    /// An owner as stored: a kind and an id, both or neither.
    pub fn from_parts(kind: Option<OwnerKind>, id: Option<String>) -> Option<Owner> {
        Some(match (kind?, id?) {
            (OwnerKind::Agent, id) => Owner::Agent(id),
            (OwnerKind::Team, id) => Owner::Team(id),
            (OwnerKind::User, id) => Owner::User(id),
        })
    }
}

/// What the rules decide about a conversation: its status, its owner and the team it belongs
/// to (a person's conversation keeps its team, so the team still sees it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    pub status: Status,
    pub owner: Option<Owner>,
    pub team: Option<String>,
}

/// Who answers the customer's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Responder {
    /// This AI agent's turn runs.
    Agent(String),
    /// The people of the inbox: the owner, or the team's queue.
    People,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("the conversation is already {0}'s")]
    OwnedByAnother(String),
    #[error("snoozed_until: a snoozed conversation needs the time it wakes, in the future")]
    SnoozeNeedsATime,
}

impl State {
    /// A new conversation on a channel: its AI agent answers first (pending), or, without
    /// one, it waits open for the channel's team.
    pub fn new_conversation(agent: Option<&str>, team: Option<&str>) -> State {
        match agent {
            Some(agent) => State {
                status: Status::Pending,
                owner: Some(Owner::Agent(agent.to_string())),
                team: team.map(str::to_string),
            },
            None => State {
                status: Status::Open,
                owner: team.map(|team| Owner::Team(team.to_string())),
                team: team.map(str::to_string),
            },
        }
    }

    /// The customer writes: a resolved or snoozed conversation opens again (pending when an
    /// AI agent still owns it), and its owner answers.
    pub fn on_customer_message(&self) -> (State, Responder) {
        let responder = match &self.owner {
            Some(Owner::Agent(agent)) => Responder::Agent(agent.clone()),
            _ => Responder::People,
        };
        let status = match (&self.status, &responder) {
            (Status::Resolved | Status::Snoozed, Responder::Agent(_)) => Status::Pending,
            (Status::Resolved | Status::Snoozed, Responder::People) => Status::Open,
            (status, _) => *status,
        };
        (
            State {
                status,
                ..self.clone()
            },
            responder,
        )
    }

    /// An AI agent handed the conversation over: it opens in `team`'s queue, or unowned when
    /// no team takes it.
    pub fn on_handoff(&self, team: Option<&str>) -> State {
        State {
            status: Status::Open,
            owner: team.map(|team| Owner::Team(team.to_string())),
            team: team.map(str::to_string).or_else(|| self.team.clone()),
        }
    }

    /// A person takes the conversation for themselves: from an AI agent, a team's queue or
    /// nobody, never from another person (of two claiming at once, one wins).
    pub fn claimed_by(&self, user: &str) -> Result<State, RuleError> {
        match &self.owner {
            Some(Owner::User(owner)) if owner != user => {
                Err(RuleError::OwnedByAnother(owner.clone()))
            }
            _ => Ok(self.assigned_to(Owner::User(user.to_string()), None)),
        }
    }

    /// Someone gives the conversation to a person or a team (a person keeps it in their
    /// team: `person_team`).
    pub fn assigned_to(&self, owner: Owner, person_team: Option<&str>) -> State {
        let team = match &owner {
            Owner::Team(team) => Some(team.clone()),
            Owner::User(_) => person_team
                .map(str::to_string)
                .or_else(|| self.team.clone()),
            Owner::Agent(_) => self.team.clone(),
        };
        let status = match (&owner, self.status) {
            (Owner::Agent(_), _) => Status::Pending,
            (_, Status::Pending | Status::Resolved) => Status::Open,
            (_, status) => status,
        };
        State {
            status,
            owner: Some(owner),
            team,
        }
    }

    /// The person lets go: the conversation goes back to its team's queue.
    pub fn unassigned(&self) -> State {
        State {
            status: match self.status {
                Status::Pending => Status::Open,
                status => status,
            },
            owner: self.team.clone().map(Owner::Team),
            team: self.team.clone(),
        }
    }

    /// A person hands the conversation back to an AI agent, which answers the next message.
    pub fn handed_back(&self, agent: &str) -> State {
        self.assigned_to(Owner::Agent(agent.to_string()), None)
    }

    /// A person sets the status; snoozing needs a time to wake (checked by the caller against
    /// the clock), and a resolved conversation keeps its owner for when the customer returns.
    pub fn with_status(&self, status: Status, wakes: bool) -> Result<State, RuleError> {
        if status == Status::Snoozed && !wakes {
            return Err(RuleError::SnoozeNeedsATime);
        }
        Ok(State {
            status,
            ..self.clone()
        })
    }

    /// A person replies: a resolved or snoozed conversation is open again.
    pub fn on_person_reply(&self) -> State {
        State {
            status: match self.status {
                Status::Resolved | Status::Snoozed | Status::Pending => Status::Open,
                status => status,
            },
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_agent() -> State {
        State::new_conversation(Some("bot"), Some("support"))
    }

    #[test]
    fn the_ai_answers_until_it_hands_over_then_people_do() {
        let state = with_agent();
        assert_eq!(state.status, Status::Pending);
        let (next, responder) = state.on_customer_message();
        assert_eq!(responder, Responder::Agent("bot".into()));
        assert_eq!(next, state);

        let handed = state.on_handoff(Some("billing"));
        assert_eq!(handed.status, Status::Open);
        assert_eq!(handed.owner, Some(Owner::Team("billing".into())));
        let (_, responder) = handed.on_customer_message();
        assert_eq!(responder, Responder::People, "the AI no longer answers");
    }

    #[test]
    fn a_customer_message_reopens_a_resolved_conversation() {
        let person = with_agent()
            .claimed_by("amal")
            .unwrap()
            .with_status(Status::Resolved, false)
            .unwrap();
        let (reopened, responder) = person.on_customer_message();
        assert_eq!(reopened.status, Status::Open);
        assert_eq!(reopened.owner, Some(Owner::User("amal".into())));
        assert_eq!(responder, Responder::People);

        let ai = with_agent().with_status(Status::Resolved, false).unwrap();
        let (reopened, responder) = ai.on_customer_message();
        assert_eq!(reopened.status, Status::Pending);
        assert_eq!(responder, Responder::Agent("bot".into()));
    }

    #[test]
    fn nobody_claims_a_conversation_another_person_holds() {
        let held = with_agent()
            .on_handoff(Some("support"))
            .claimed_by("amal")
            .unwrap();
        assert_eq!(held.status, Status::Open);
        assert_eq!(
            held.team.as_deref(),
            Some("support"),
            "it stays in its team"
        );
        assert_eq!(
            held.claimed_by("badr"),
            Err(RuleError::OwnedByAnother("amal".into()))
        );
        assert_eq!(
            held.claimed_by("amal").unwrap(),
            held,
            "claiming again is no change"
        );
        let back = held.unassigned();
        assert_eq!(back.owner, Some(Owner::Team("support".into())));
    }

    #[test]
    fn handing_back_gives_the_next_message_to_the_ai() {
        let back = with_agent()
            .on_handoff(Some("support"))
            .claimed_by("amal")
            .unwrap()
            .handed_back("bot");
        assert_eq!(back.status, Status::Pending);
        assert_eq!(back.on_customer_message().1, Responder::Agent("bot".into()));
    }

    #[test]
    fn snoozing_needs_a_time_and_a_reply_opens_again() {
        let state = with_agent().on_handoff(None);
        assert_eq!(state.owner, None);
        assert_eq!(state.team.as_deref(), Some("support"));
        assert_eq!(
            state.with_status(Status::Snoozed, false),
            Err(RuleError::SnoozeNeedsATime)
        );
        let snoozed = state.with_status(Status::Snoozed, true).unwrap();
        assert_eq!(snoozed.on_person_reply().status, Status::Open);
    }
}
