//! Auto-assignment within a team: round robin over the people who are online and below their
//! capacity, the one with the fewest open conversations first, then the one assigned longest
//! ago; nobody free, and the conversation waits in the team's queue.

/// A team member who might take a conversation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub user: String,
    /// Open conversations they own now.
    pub open: i64,
    /// The most they take at once; none: no limit.
    pub capacity: Option<i64>,
    /// When they were last given one (milliseconds), if ever.
    pub last_assigned_at: Option<i64>,
}

/// Who takes the next conversation, among people online (the caller passes only those).
pub fn choose(candidates: &[Candidate]) -> Option<&str> {
    candidates
        .iter()
        .filter(|candidate| {
            candidate
                .capacity
                .is_none_or(|capacity| candidate.open < capacity)
        })
        .min_by(|a, b| {
            (a.open, a.last_assigned_at.unwrap_or(i64::MIN), &a.user).cmp(&(
                b.open,
                b.last_assigned_at.unwrap_or(i64::MIN),
                &b.user,
            ))
        })
        .map(|candidate| candidate.user.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(user: &str, open: i64, capacity: Option<i64>, last: Option<i64>) -> Candidate {
        Candidate {
            user: user.into(),
            open,
            capacity,
            last_assigned_at: last,
        }
    }

    #[test]
    fn the_least_busy_then_the_longest_waiting_person_takes_it() {
        let team = [
            candidate("amal", 2, Some(5), Some(10)),
            candidate("badr", 1, Some(5), Some(30)),
            candidate("huda", 1, Some(5), Some(20)),
        ];
        assert_eq!(choose(&team), Some("huda"));
        let never = [
            candidate("amal", 0, None, Some(5)),
            candidate("badr", 0, None, None),
        ];
        assert_eq!(choose(&never), Some("badr"), "never assigned goes first");
    }

    #[test]
    fn nobody_past_their_capacity_is_given_more() {
        let full = [
            candidate("amal", 3, Some(3), None),
            candidate("badr", 8, Some(2), None),
        ];
        assert_eq!(choose(&full), None, "the conversation waits in the queue");
        assert_eq!(choose(&[]), None);
    }
}
