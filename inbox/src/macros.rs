//! Macros: a named list of what a person would otherwise do one by one to a conversation
//! (label it, give it to someone, set its status, send a canned response, leave a note), run
//! in order; and the same actions run over many conversations at once.

use serde::{Deserialize, Serialize};
use types::ConversationStatus;

/// One step of a macro, or a bulk action.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MacroAction {
    AddLabel { label: String },
    RemoveLabel { label: String },
    AssignUser { user_id: String },
    AssignTeam { team_id: String },
    Unassign,
    SetStatus { status: ConversationStatus },
    SendCanned { short_code: String },
    Note { text: String },
}

/// The most steps one macro has.
pub const MAX_ACTIONS: usize = 20;

/// Refuses an empty or overlong list, and a status a macro cannot set (snoozing needs a
/// time, which a macro saved for later cannot know).
pub fn check(actions: &[MacroAction]) -> Result<(), String> {
    if actions.is_empty() || actions.len() > MAX_ACTIONS {
        return Err(format!("actions: 1 to {MAX_ACTIONS} of them"));
    }
    for (index, action) in actions.iter().enumerate() {
        let problem = match action {
            MacroAction::SetStatus {
                status: ConversationStatus::Snoozed,
            } => Some("a macro cannot snooze: it has no time to wake".to_string()),
            MacroAction::AddLabel { label } | MacroAction::RemoveLabel { label }
                if label.trim().is_empty() =>
            {
                Some("label: must not be empty".into())
            }
            MacroAction::SendCanned { short_code } if short_code.trim().is_empty() => {
                Some("short_code: must not be empty".into())
            }
            MacroAction::Note { text } if text.trim().is_empty() => {
                Some("text: must not be empty".into())
            }
            _ => None,
        };
        if let Some(problem) = problem {
            return Err(format!("actions[{index}]: {problem}"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_macro_reads_from_json_and_wrong_steps_are_named() {
        let actions: Vec<MacroAction> = serde_json::from_str(
            r#"[{"type": "add_label", "label": "vip"}, {"type": "set_status", "status": "resolved"}, {"type": "unassign"}]"#,
        )
        .unwrap();
        assert_eq!(actions.len(), 3);
        assert!(check(&actions).is_ok());
        let snooze = vec![
            MacroAction::Unassign,
            MacroAction::SetStatus {
                status: ConversationStatus::Snoozed,
            },
        ];
        assert!(check(&snooze).unwrap_err().starts_with("actions[1]"));
        assert!(check(&[]).is_err());
    }
}
