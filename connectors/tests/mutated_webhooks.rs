//! What the network sends is read without a panic: every platform's webhook reader, the API
//! channel's and the readers of the platforms' answers, fed the platforms' own payloads
//! (`../shared/data/webhooks`) cut short, with bytes changed and with values swapped for
//! others a sender could put there. Skips with a printed reason where that material is absent.

use connectors::channel::PLATFORMS;
use connectors::{api, whatsapp, whatsapp_templates};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

#[path = "../../tests/damage/mod.rs"]
mod damage;

/// Largest payload read; the material's files are all smaller.
const MOST_BYTES: u64 = 512 * 1024;

fn payloads() -> Option<Vec<Vec<u8>>> {
    let root = damage::shared_data(env!("CARGO_MANIFEST_DIR")).join("webhooks");
    let found = damage::files_under(&[root], &["json", "xml", "txt"], MOST_BYTES);
    (!found.is_empty()).then(|| found.into_iter().map(|(_, bytes)| bytes).collect())
}

const VALUES: &[&str] = &[
    "null",
    "[]",
    "{}",
    "\"\"",
    "-1",
    "0",
    "1e999",
    "18446744073709551616",
    "\"\\ud800\"",
    "\"\u{202E}\u{0640}\u{1F64F}\"",
    "true",
    "<![CDATA[]]>",
    "</xml>",
    "&amp;",
];

#[test]
fn deliveries_cut_changed_and_swapped_are_read_without_a_panic() {
    let Some(payloads) = payloads() else {
        eprintln!("skipped: ../shared/data/webhooks is absent");
        return;
    };
    let mut runner = TestRunner::new(Config {
        cases: 3_000,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (
        0..payloads.len(),
        prop::collection::vec(damage::change(VALUES), 0..4),
        prop_oneof![
            Just(200u16),
            Just(400),
            Just(401),
            Just(429),
            Just(500),
            any::<u16>()
        ],
    );
    runner
        .run(&strategy, |(index, changes, status)| {
            let mut body = payloads[index].clone();
            for change in &changes {
                damage::apply(&mut body, change);
            }
            for platform in PLATFORMS {
                let read = platform.parse(&body);
                // The same bytes read the same way.
                prop_assert_eq!(
                    format!("{read:?}"),
                    format!("{:?}", platform.parse(&body)),
                    "{} reads the same delivery two ways",
                    platform.kind()
                );
                let _ = platform.read_send_answer(status, &body);
                let _ = platform.read_register_answer(status, &body);
                let _ = platform.read_token(status, &body);
            }
            let _ = api::parse(&body);
            let _ = whatsapp_templates::read_definitions(&body);
            let _ = whatsapp::read_messaging_limit(&String::from_utf8_lossy(&body));
            Ok(())
        })
        .unwrap();
}
