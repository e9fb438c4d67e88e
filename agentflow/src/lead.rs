//! Lead qualification: the fields a sales agent collects, found in what the customer writes,
//! and a 0-100 score from the weights of the fields known.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use crate::config::LeadConfig;
use crate::text::{compile_all, matching_form};

const MONTHS: &str =
    "january|february|march|april|may|june|july|august|september|october|november|december";

static BUDGET: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    compile_all(&[
        r"(?:budget|spend|afford|pay)\D{0,25}?((?:[$€£]|usd|aed|sar|eur)?\s?\d[\d,.]*\s?(?:k|m|thousand|million)?\s?(?:usd|dollars?|aed|sar|dirhams?|riyals?|eur|euros?)?)",
        r"((?:[$€£]|usd|aed|sar)\s?\d[\d,.]*\s?(?:k|m|thousand|million)?)",
        r"(\d[\d,.]*\s?(?:k|thousand|million)?\s?(?:dollars|usd|aed|sar|dirhams?|riyals?|euros?))\b",
        r"(?:ميزانيه|ميزانيتي|ميزانيتنا|ادفع|ندفع)\D{0,20}?(\d[\d,.]*\s?(?:الف|مليون)?\s?(?:دولار|درهم|ريال|يورو|جنيه|دينار)?)",
        r"(\d[\d,.]*\s?(?:الف|مليون)?\s?(?:دولار|درهم|ريال|يورو|جنيه|دينار))",
    ])
});

static TIMELINE: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    compile_all(&[
        &format!(
            r"\b((?:within|in|by|next|this|before|starting|from)\s+(?:the\s+)?(?:\d+\s+|a\s+|two\s+|few\s+)?(?:days?|weeks?|months?|quarters?|years?|q[1-4]|{MONTHS}|end of (?:the )?(?:month|year|quarter)))\b"
        ),
        r"\b(asap|as soon as possible|immediately|right away|urgently|today|tomorrow)\b",
        r"((?:خلال|بعد|قبل)\s+(?:\d+\s+)?(?:يوم|ايام|يومين|اسبوع|اسبوعين|اسابيع|شهر|شهرين|اشهر|شهور|سنه|سنتين))\b",
        r"((?:الشهر|الاسبوع|السنه|العام)\s+(?:القادم|الجاي|المقبل|الحالي))",
        r"(في اسرع وقت|فورا|حالا|مستعجل)",
    ])
});

static NEEDS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    compile_all(&[
        r"\b(?:i|we)\s*(?:need|want|require|would like|'m looking for|am looking for|'re looking for|are looking for)\s+(.{3,80}?)(?:[.!?,]|$)",
        r"(?:احتاج|نحتاج|ابحث عن|نبحث عن|اريد|نريد|ابغى|نبغى|بدي|بدنا)\s+(.{3,80}?)(?:[.!?,]|$)",
    ])
});

pub(crate) fn is_builtin(field: &str) -> bool {
    matches!(field, "budget" | "timeline" | "needs")
}

/// What qualifying one message gave.
#[derive(Debug, Clone, PartialEq)]
pub struct Qualification {
    /// Fields found in the message that the contact did not have yet.
    pub updates: BTreeMap<String, String>,
    pub score: u32,
    /// The score crossed the hot-lead threshold with this message.
    pub became_hot: bool,
}

/// A lead configuration with its fields' own patterns compiled, once per agent.
#[derive(Debug, Clone)]
pub struct Qualifier {
    config: LeadConfig,
    /// Per field, its pattern (case-insensitive) when it has one.
    patterns: Vec<Option<Regex>>,
}

impl Qualifier {
    /// The patterns were checked when the configuration was loaded; one that still fails to
    /// compile finds nothing.
    pub fn new(config: &LeadConfig) -> Self {
        let patterns = config
            .fields
            .iter()
            .map(|field| {
                let pattern = field.pattern.as_ref()?;
                Regex::new(&format!("(?i){pattern}")).ok()
            })
            .collect();
        Qualifier {
            config: config.clone(),
            patterns,
        }
    }

    /// Looks for the configured fields in `message`, scores the contact with them.
    pub fn qualify(&self, message: &str, known: &BTreeMap<String, String>) -> Qualification {
        qualify(&self.config, &self.patterns, message, known)
    }
}

fn qualify(
    config: &LeadConfig,
    patterns: &[Option<Regex>],
    message: &str,
    known: &BTreeMap<String, String>,
) -> Qualification {
    let form = matching_form(message);
    let mut updates = BTreeMap::new();
    for (field, pattern) in config.fields.iter().zip(patterns) {
        if known.contains_key(&field.name) {
            continue;
        }
        let found = match (&field.pattern, pattern) {
            (Some(_), Some(pattern)) => capture(std::slice::from_ref(pattern), &form),
            (Some(_), None) => None,
            (None, _) => match field.name.as_str() {
                "budget" => capture(&BUDGET, &form),
                "timeline" => capture(&TIMELINE, &form),
                "needs" => capture(&NEEDS, &form),
                _ => None,
            },
        };
        if let Some(value) = found {
            updates.insert(field.name.clone(), value);
        }
    }
    let before = score(config, |name| known.contains_key(name));
    let after = score(config, |name| {
        known.contains_key(name) || updates.contains_key(name)
    });
    Qualification {
        updates,
        score: after,
        became_hot: before < config.hot_threshold && after >= config.hot_threshold,
    }
}

fn capture(patterns: &[Regex], text: &str) -> Option<String> {
    patterns.iter().find_map(|pattern| {
        pattern.captures(text).map(|captures| {
            captures
                .get(1)
                .or_else(|| captures.get(0))
                .map_or(String::new(), |found| found.as_str().trim().to_string())
        })
    })
}

fn score(config: &LeadConfig, is_known: impl Fn(&str) -> bool) -> u32 {
    let total: u32 = config.fields.iter().map(|field| field.weight).sum();
    let known: u32 = config
        .fields
        .iter()
        .filter(|field| is_known(&field.name))
        .map(|field| field.weight)
        .sum();
    (known * 100).checked_div(total).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::LeadField;

    fn config() -> LeadConfig {
        let field = |name: &str, weight, pattern: Option<&str>| LeadField {
            name: name.into(),
            weight,
            pattern: pattern.map(Into::into),
        };
        LeadConfig {
            fields: vec![
                field("budget", 40, None),
                field("timeline", 30, None),
                field("needs", 20, None),
                field(
                    "team_size",
                    10,
                    Some(r"(\d+)\s+(?:people|employees|users|موظف|مستخدم)"),
                ),
            ],
            hot_threshold: 70,
        }
    }

    #[test]
    fn english_fields_and_the_score() {
        let found = Qualifier::new(&config()).qualify(
            "We need a CRM for our sales team. Our budget is $5,000 and we want to start next month.",
            &BTreeMap::new(),
        );
        assert_eq!(found.updates["budget"], "$5,000");
        assert_eq!(found.updates["timeline"], "next month");
        assert_eq!(found.updates["needs"], "a crm for our sales team");
        assert_eq!(found.score, 90);
        assert!(found.became_hot);
    }

    #[test]
    fn arabic_fields_and_known_ones_are_not_found_again() {
        let mut known = BTreeMap::new();
        known.insert("needs".to_string(), "متجر الكتروني".to_string());
        let found = Qualifier::new(&config()).qualify(
            "ميزانيتنا ٢٠ ألف درهم ونريد البدء خلال شهرين، الفريق ١٢ موظف",
            &known,
        );
        assert_eq!(found.updates["budget"], "20 الف درهم");
        assert_eq!(found.updates["timeline"], "خلال شهرين");
        assert_eq!(found.updates["team_size"], "12");
        assert!(!found.updates.contains_key("needs"));
        assert_eq!(found.score, 100);
    }

    #[test]
    fn a_lead_already_hot_does_not_become_hot_again() {
        let known: BTreeMap<String, String> = [("budget", "$9k"), ("timeline", "asap")]
            .into_iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect();
        let found = Qualifier::new(&config()).qualify("Also we have 40 users", &known);
        assert_eq!(found.score, 80);
        assert!(!found.became_hot);
        let cold = Qualifier::new(&config()).qualify("Hello there", &BTreeMap::new());
        assert_eq!((cold.score, cold.updates.len()), (0, 0));
    }
}
