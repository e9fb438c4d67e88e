//! A channel's routing: which team takes a handoff for which reason, when its people work
//! (business hours, in the business's time zone) and what a customer who writes outside them
//! gets — the AI agent answering meanwhile, or an away message once per closed spell.

use std::collections::BTreeMap;

use jiff::Timestamp;
use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use crate::{Owner, Responder, State};

/// The longest away message, in characters (the channels' text limit).
pub const MAX_AWAY_MESSAGE_CHARS: usize = 4096;

/// A channel's routing rules. The default routes as if there were none: handoffs to the team
/// the turn or the channel names, people always in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Routing {
    /// The team (its id) that takes a handoff, by the handoff reason's code (`complaint`,
    /// `hot_lead`, `human_requested`, ...), when the turn names no team of the workspace.
    #[serde(default)]
    pub handoff_teams: BTreeMap<String, String>,
    /// When the channel's people work; absent: always.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<WeeklyHours>)]
    pub business_hours: Option<BusinessHours>,
    /// What a customer who writes outside business hours gets, when the conversation waits
    /// for people (a person who holds it still gets the message).
    #[serde(default)]
    pub outside_hours: OutsideHours,
}

/// What a customer's message outside business hours gets, when no person holds the
/// conversation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "reply", rename_all = "snake_case", deny_unknown_fields)]
pub enum OutsideHours {
    /// The channel's AI agent takes the conversation back and answers; a handoff it makes
    /// waits in the queue for the morning.
    #[default]
    Agent,
    /// The conversation waits in the queue, and the customer is told so, once per closed
    /// spell.
    AwayMessage { text: String },
}

/// Business hours as written: an IANA time zone and, per day, spans like `09:00-17:00`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WeeklyHours {
    /// `Asia/Riyadh`, `Europe/London`, ...
    pub time_zone: String,
    /// Days (`mon` ... `sun`) to their open spans (`HH:MM-HH:MM`, ending by `24:00`); a day
    /// not listed is closed.
    pub days: BTreeMap<String, Vec<String>>,
}

/// Business hours that make sense: a known time zone, spans that end after they start and do
/// not overlap.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "WeeklyHours", into = "WeeklyHours")]
pub struct BusinessHours {
    written: WeeklyHours,
    zone: TimeZone,
    /// Monday first: each day's open spans as minutes from midnight, in order.
    week: [Vec<(u16, u16)>; 7],
}

/// What is wrong with a routing, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct RoutingError {
    pub field: String,
    pub problem: String,
}

impl RoutingError {
    fn new(field: impl Into<String>, problem: impl Into<String>) -> Self {
        RoutingError {
            field: field.into(),
            problem: problem.into(),
        }
    }
}

const DAYS: [(&str, Weekday); 7] = [
    ("mon", Weekday::Monday),
    ("tue", Weekday::Tuesday),
    ("wed", Weekday::Wednesday),
    ("thu", Weekday::Thursday),
    ("fri", Weekday::Friday),
    ("sat", Weekday::Saturday),
    ("sun", Weekday::Sunday),
];

fn minutes(text: &str) -> Option<u16> {
    let (hours, minutes) = text.split_once(':')?;
    if hours.len() != 2 || minutes.len() != 2 {
        return None;
    }
    let (hours, minutes): (u16, u16) = (hours.parse().ok()?, minutes.parse().ok()?);
    let total = hours * 60 + minutes;
    (minutes < 60 && total <= 24 * 60).then_some(total)
}

impl TryFrom<WeeklyHours> for BusinessHours {
    type Error = RoutingError;

    fn try_from(written: WeeklyHours) -> Result<Self, RoutingError> {
        let zone = TimeZone::get(&written.time_zone).map_err(|_| {
            RoutingError::new(
                "business_hours.time_zone",
                format!(
                    "{:?} is not a time zone; name one like \"Asia/Riyadh\"",
                    written.time_zone
                ),
            )
        })?;
        let mut week: [Vec<(u16, u16)>; 7] = Default::default();
        for (day, spans) in &written.days {
            let field = format!("business_hours.days.{day}");
            let index = DAYS
                .iter()
                .position(|(name, _)| name == day)
                .ok_or_else(|| {
                    RoutingError::new(
                        &field,
                        "not a day; the days are mon, tue, wed, thu, fri, sat, sun",
                    )
                })?;
            let mut parsed = Vec::with_capacity(spans.len());
            for span in spans {
                let (start, end) = span
                    .split_once('-')
                    .and_then(|(start, end)| Some((minutes(start.trim())?, minutes(end.trim())?)))
                    .filter(|(start, end)| start < end)
                    .ok_or_else(|| {
                        RoutingError::new(
                            &field,
                            format!(
                                "{span:?} is not a span like \"09:00-17:00\" that ends after it \
                                 starts (by 24:00; split one that passes midnight over two days)"
                            ),
                        )
                    })?;
                parsed.push((start, end));
            }
            parsed.sort_unstable();
            if parsed.windows(2).any(|pair| pair[0].1 > pair[1].0) {
                return Err(RoutingError::new(field, "its spans overlap"));
            }
            week[index] = parsed;
        }
        Ok(BusinessHours {
            written,
            zone,
            week,
        })
    }
}

impl From<BusinessHours> for WeeklyHours {
    fn from(hours: BusinessHours) -> Self {
        hours.written
    }
}

/// Two business hours are the same when written the same.
impl PartialEq for BusinessHours {
    fn eq(&self, other: &Self) -> bool {
        self.written == other.written
    }
}

impl Eq for BusinessHours {}

/// What a customer's message does on a channel with these rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrival {
    pub state: State,
    pub responder: Responder,
    /// Sent to the customer at once: the business is closed and the conversation waits.
    pub away_message: Option<String>,
}

impl BusinessHours {
    fn index(weekday: Weekday) -> usize {
        usize::from(weekday.to_monday_zero_offset().unsigned_abs())
    }

    /// When the day's span ends, as an instant (24:00 is the next midnight).
    fn instant(&self, date: Date, minute: u16) -> Option<Timestamp> {
        let (date, minute) = if minute == 24 * 60 {
            (date.tomorrow().ok()?, 0)
        } else {
            (date, minute)
        };
        let time = Time::new(
            i8::try_from(minute / 60).ok()?,
            i8::try_from(minute % 60).ok()?,
            0,
            0,
        )
        .ok()?;
        self.zone.to_timestamp(date.to_datetime(time)).ok()
    }

    /// Whether the business is open at `at` (milliseconds since the epoch).
    pub fn is_open(&self, at: i64) -> bool {
        self.closed_since(at).is_none()
    }

    /// `None` while open; else when it last closed (milliseconds since the epoch), or
    /// `i64::MIN` when it has not been open in the last week.
    pub fn closed_since(&self, at: i64) -> Option<i64> {
        let Ok(now) = Timestamp::from_millisecond(at) else {
            return Some(i64::MIN);
        };
        let local = self.zone.to_datetime(now);
        let today = local.date();
        let minute = u16::try_from(local.hour()).unwrap_or_default() * 60
            + u16::try_from(local.minute()).unwrap_or_default();
        for (start, end) in &self.week[Self::index(today.weekday())] {
            if (*start..*end).contains(&minute) {
                return None;
            }
        }
        let mut date = today;
        for _ in 0..=7 {
            for (_, end) in self.week[Self::index(date.weekday())].iter().rev() {
                if let Some(closed) = self.instant(date, *end).filter(|closed| *closed <= now) {
                    return Some(closed.as_millisecond());
                }
            }
            date = date.yesterday().ok()?;
        }
        Some(i64::MIN)
    }
}

impl Routing {
    /// Checks what serde cannot: the away message's text. Team ids are the caller's to check.
    pub fn check(&self) -> Result<(), RoutingError> {
        if let OutsideHours::AwayMessage { text } = &self.outside_hours {
            let length = text.chars().count();
            if text.trim().is_empty() || length > MAX_AWAY_MESSAGE_CHARS {
                return Err(RoutingError::new(
                    "outside_hours.text",
                    format!("an away message has 1 to {MAX_AWAY_MESSAGE_CHARS} characters"),
                ));
            }
        }
        Ok(())
    }

    /// The team a handoff for this reason goes to, when the turn names none of the workspace.
    pub fn handoff_team(&self, reason_code: &str) -> Option<&str> {
        self.handoff_teams.get(reason_code).map(String::as_str)
    }

    /// Where a customer's message at `at` puts the conversation `before`, and who answers.
    /// Outside business hours a conversation that waits for people goes back to the
    /// channel's agent, or stays and sends the away message when none was sent
    /// (`away_sent_at`) since the business closed.
    pub fn on_customer_message(
        &self,
        before: &State,
        channel_agent: Option<&str>,
        at: i64,
        away_sent_at: Option<i64>,
    ) -> Arrival {
        let (state, responder) = before.on_customer_message();
        let waits_for_people =
            responder == Responder::People && !matches!(state.owner, Some(Owner::User(_)));
        let closed_since = self
            .business_hours
            .as_ref()
            .and_then(|hours| hours.closed_since(at));
        let arrival = |state, responder, away_message| Arrival {
            state,
            responder,
            away_message,
        };
        match (waits_for_people, closed_since, &self.outside_hours) {
            (true, Some(_), OutsideHours::Agent) => match channel_agent {
                Some(agent) => arrival(
                    state.handed_back(agent),
                    Responder::Agent(agent.to_string()),
                    None,
                ),
                None => arrival(state, responder, None),
            },
            (true, Some(closed), OutsideHours::AwayMessage { text })
                if away_sent_at.is_none_or(|sent| sent < closed) =>
            {
                arrival(state, responder, Some(text.clone()))
            }
            _ => arrival(state, responder, None),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use types::ConversationStatus as Status;

    use super::*;

    /// Riyadh keeps +03:00 all year; London moves, which the DST test needs.
    fn hours(zone: &str, days: &[(&str, &[&str])]) -> BusinessHours {
        BusinessHours::try_from(WeeklyHours {
            time_zone: zone.into(),
            days: days
                .iter()
                .map(|(day, spans)| {
                    (
                        day.to_string(),
                        spans.iter().map(|span| span.to_string()).collect(),
                    )
                })
                .collect(),
        })
        .unwrap()
    }

    fn at(text: &str) -> i64 {
        text.parse::<Timestamp>().unwrap().as_millisecond()
    }

    fn riyadh_office() -> BusinessHours {
        let week: &[&str] = &["09:00-13:00", "14:00-17:00"];
        hours(
            "Asia/Riyadh",
            &[
                ("sun", week),
                ("mon", week),
                ("tue", week),
                ("wed", week),
                ("thu", week),
            ],
        )
    }

    #[test]
    fn open_within_a_span_in_the_business_time_zone() {
        let office = riyadh_office();
        // 2026-12-06 is a Sunday; 06:30 UTC is 09:30 in Riyadh.
        assert!(office.is_open(at("2026-12-06T06:30:00Z")));
        assert!(!office.is_open(at("2026-12-06T05:59:00Z")), "08:59 local");
        assert!(
            !office.is_open(at("2026-12-06T10:30:00Z")),
            "the lunch break"
        );
        assert!(office.is_open(at("2026-12-06T11:00:00Z")), "14:00 local");
        assert!(!office.is_open(at("2026-12-06T14:00:00Z")), "17:00 closes");
        assert!(!office.is_open(at("2026-12-04T08:00:00Z")), "a Friday");
    }

    #[test]
    fn closed_since_is_the_end_of_the_last_span() {
        let office = riyadh_office();
        assert_eq!(
            office.closed_since(at("2026-12-06T10:30:00Z")),
            Some(at("2026-12-06T10:00:00Z")),
            "closed for lunch at 13:00"
        );
        assert_eq!(
            office.closed_since(at("2026-12-05T08:00:00Z")),
            Some(at("2026-12-03T14:00:00Z")),
            "on Saturday it closed on Thursday at 17:00"
        );
        let never = hours("Asia/Riyadh", &[]);
        assert_eq!(
            never.closed_since(at("2026-12-05T08:00:00Z")),
            Some(i64::MIN)
        );
        let always = hours("Asia/Riyadh", &[("sat", &["00:00-24:00"])]);
        assert!(
            always.is_open(at("2026-12-05T20:59:00Z")),
            "23:59 local on Saturday"
        );
    }

    #[test]
    fn hours_follow_daylight_saving_time() {
        let london = hours("Europe/London", &[("mon", &["09:00-17:00"])]);
        // In winter London is UTC; in summer, UTC+1.
        assert!(london.is_open(at("2026-12-07T09:30:00Z")));
        assert!(!london.is_open(at("2026-06-01T07:30:00Z")), "08:30 local");
        assert!(london.is_open(at("2026-06-01T08:00:00Z")), "09:00 local");
        assert!(!london.is_open(at("2026-06-01T16:00:00Z")), "17:00 local");
    }

    #[test]
    fn bad_hours_are_refused_naming_the_field() {
        let refuse = |zone: &str, day: &str, span: &str| {
            BusinessHours::try_from(WeeklyHours {
                time_zone: zone.into(),
                days: [(day.to_string(), vec![span.to_string()])].into(),
            })
            .unwrap_err()
        };
        assert_eq!(
            refuse("Mars/Olympus", "mon", "09:00-17:00").field,
            "business_hours.time_zone"
        );
        assert_eq!(
            refuse("UTC", "monday", "09:00-17:00").field,
            "business_hours.days.monday"
        );
        for span in ["17:00-09:00", "9-17", "09:00-25:00", "09:60-10:00", "09:00"] {
            let error = refuse("UTC", "mon", span);
            assert_eq!(error.field, "business_hours.days.mon", "{span}");
            assert!(error.problem.contains(span), "{error}");
        }
        let overlap = BusinessHours::try_from(WeeklyHours {
            time_zone: "UTC".into(),
            days: [(
                "mon".into(),
                vec!["09:00-12:00".into(), "11:00-13:00".into()],
            )]
            .into(),
        });
        assert_eq!(
            overlap.unwrap_err().to_string(),
            "business_hours.days.mon: its spans overlap"
        );
    }

    #[test]
    fn routing_reads_and_writes_the_same_json() {
        let json = serde_json::json!({
            "handoff_teams": {"complaint": "care"},
            "business_hours": {"time_zone": "Asia/Riyadh", "days": {"sun": ["09:00-17:00"]}},
            "outside_hours": {"reply": "away_message", "text": "We open at 9."},
        });
        let routing: Routing = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(serde_json::to_value(&routing).unwrap(), json);
        assert_eq!(routing.handoff_team("complaint"), Some("care"));
        assert_eq!(routing.handoff_team("hot_lead"), None);
        assert_eq!(
            serde_json::from_value::<Routing>(serde_json::json!({})).unwrap(),
            Routing::default()
        );
    }

    fn away(text: &str) -> Routing {
        Routing {
            business_hours: Some(riyadh_office()),
            outside_hours: OutsideHours::AwayMessage { text: text.into() },
            ..Routing::default()
        }
    }

    #[test]
    fn outside_hours_a_waiting_customer_hears_the_away_message_once_per_closed_spell() {
        let routing = away("We are closed; we answer from 9.");
        let queued = State::new_conversation(None, Some("support"));
        let night = at("2026-12-06T20:00:00Z");
        let arrival = routing.on_customer_message(&queued, Some("bot"), night, None);
        assert_eq!(arrival.responder, Responder::People);
        assert_eq!(arrival.state.owner, Some(Owner::Team("support".into())));
        assert_eq!(
            arrival.away_message.as_deref(),
            Some("We are closed; we answer from 9.")
        );

        let later = routing.on_customer_message(&queued, None, night + 60_000, Some(night));
        assert_eq!(later.away_message, None, "told once this evening");
        let next_night = at("2026-12-07T20:00:00Z");
        let again = routing.on_customer_message(&queued, None, next_night, Some(night));
        assert!(again.away_message.is_some(), "a new closed spell");

        let open = routing.on_customer_message(&queued, None, at("2026-12-07T07:00:00Z"), None);
        assert_eq!(open.away_message, None, "within hours");

        let held = queued.claimed_by("amal").unwrap();
        let arrival = routing.on_customer_message(&held, None, night, None);
        assert_eq!(arrival.away_message, None, "a person holds it");
        let ai = State::new_conversation(Some("bot"), Some("support"));
        let arrival = routing.on_customer_message(&ai, Some("bot"), night, None);
        assert_eq!(arrival.responder, Responder::Agent("bot".into()));
        assert_eq!(arrival.away_message, None, "the AI answers it anyway");
    }

    #[test]
    fn outside_hours_the_agent_takes_back_a_waiting_conversation() {
        let routing = Routing {
            business_hours: Some(riyadh_office()),
            ..Routing::default()
        };
        let handed =
            State::new_conversation(Some("bot"), Some("support")).on_handoff(Some("billing"));
        let night = at("2026-12-06T20:00:00Z");
        let arrival = routing.on_customer_message(&handed, Some("bot"), night, None);
        assert_eq!(arrival.responder, Responder::Agent("bot".into()));
        assert_eq!(arrival.state.owner, Some(Owner::Agent("bot".into())));
        assert_eq!(arrival.state.status, Status::Pending);
        assert_eq!(
            arrival.state.team.as_deref(),
            Some("billing"),
            "its team kept"
        );

        let day = at("2026-12-07T07:00:00Z");
        let arrival = routing.on_customer_message(&handed, Some("bot"), day, None);
        assert_eq!(arrival.responder, Responder::People, "people are in");
        let arrival = routing.on_customer_message(&handed, None, night, None);
        assert_eq!(arrival.responder, Responder::People, "no agent to answer");
    }

    #[test]
    fn an_away_message_needs_text_within_the_limit() {
        assert_eq!(away(" ").check().unwrap_err().field, "outside_hours.text");
        assert!(
            away(&"x".repeat(MAX_AWAY_MESSAGE_CHARS + 1))
                .check()
                .is_err()
        );
        assert!(away("Back at 9").check().is_ok());
    }

    proptest! {
        /// Open exactly when the local time falls in a span, whatever the spans and the hour;
        /// and once closed, it closed no later than now.
        #[test]
        fn open_matches_the_local_clock(
            start in 0u16..1380, length in 1u16..600, minute_of_week in 0i64..(7 * 1440)
        ) {
            let end = (start + length).min(1440);
            let span = format!("{:02}:{:02}-{:02}:{:02}", start / 60, start % 60, end / 60, end % 60);
            let office = hours("Asia/Riyadh", &[("wed", &[span.as_str()])]);
            // Monday 2026-12-07 00:00 in Riyadh, plus the minute.
            let at = at("2026-12-06T21:00:00Z") + minute_of_week * 60_000;
            let local_day = minute_of_week / 1440;
            let local_minute = u16::try_from(minute_of_week % 1440).unwrap();
            let open = local_day == 2 && (start..end).contains(&local_minute);
            prop_assert_eq!(office.is_open(at), open);
            if let Some(closed) = office.closed_since(at) {
                prop_assert!(closed <= at);
            }
        }
    }
}
