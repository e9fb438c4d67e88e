//! WhatsApp message templates: the only messages a business may send outside the 24-hour
//! window. Their definitions come from Graph (`GET /{business_account_id}/message_templates`):
//! a header (text with a placeholder, or an image, video or document), a body with numbered
//! placeholders (`{{1}}`), buttons (a URL button may end in a placeholder). A send names the
//! template and language and gives a value for every placeholder; this module checks the values
//! against the definition before anything is sent, naming what does not fit, and builds the
//! request.

use serde::{Deserialize, Serialize};

use crate::OutboundRequest;

/// A template as WhatsApp holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TemplateDefinition {
    pub name: String,
    /// Its language code (`en_US`, `ar`).
    pub language: String,
    /// `APPROVED`, `PENDING`, `REJECTED`, `PAUSED`, `DISABLED`: only an approved one is sent.
    pub status: String,
    pub category: String,
    pub header: Option<TemplateHeader>,
    pub body: String,
    pub buttons: Vec<TemplateButton>,
}

/// What a template's header is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", tag = "format")]
pub enum TemplateHeader {
    Text {
        text: String,
    },
    /// An image, video or document, given by link with each send.
    Media {
        kind: String,
    },
    /// A place, or anything else Graph may add: sent without a value.
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TemplateButton {
    /// `URL`, `QUICK_REPLY`, `PHONE_NUMBER`, `COPY_CODE`, ...
    pub kind: String,
    pub text: String,
    /// A URL button's address; one ending in a placeholder takes a value with each send.
    pub url: Option<String>,
}

impl TemplateButton {
    fn takes_value(&self) -> bool {
        self.kind == "URL" && self.url.as_deref().is_some_and(|url| placeholders(url) > 0)
    }
}

/// The values of one send: for a text header's placeholder or a media header's link, each body
/// placeholder in order, and each URL button that takes one, in the buttons' order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TemplateValues {
    pub header: Option<String>,
    #[serde(default)]
    pub body: Vec<String>,
    #[serde(default)]
    pub buttons: Vec<String>,
}

/// How many distinct placeholders (`{{1}}`, `{{name}}`) a text has.
fn placeholders(text: &str) -> usize {
    let mut names: Vec<&str> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(end) = rest[start..].find("}}") else {
            break;
        };
        let name = rest[start + 2..start + end].trim();
        if !names.contains(&name) {
            names.push(name);
        }
        rest = &rest[start + end + 2..];
    }
    names.len()
}

/// A text with its placeholders filled, in order of first appearance.
fn fill(text: &str, values: &[String]) -> String {
    let mut filled = String::new();
    let mut names: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(end) = rest[start..].find("}}") else {
            break;
        };
        let name = rest[start + 2..start + end].trim().to_string();
        let position = match names.iter().position(|known| *known == name) {
            Some(position) => position,
            None => {
                names.push(name);
                names.len() - 1
            }
        };
        filled.push_str(&rest[..start]);
        filled.push_str(values.get(position).map_or("", String::as_str));
        rest = &rest[start + end + 2..];
    }
    filled.push_str(rest);
    filled
}

#[derive(Deserialize)]
struct Listed {
    #[serde(default)]
    data: Vec<Listing>,
}

#[derive(Deserialize)]
struct Listing {
    name: String,
    language: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    components: Vec<Component>,
}

#[derive(Deserialize)]
struct Component {
    #[serde(rename = "type")]
    kind: String,
    format: Option<String>,
    text: Option<String>,
    #[serde(default)]
    buttons: Vec<Button>,
}

#[derive(Deserialize)]
struct Button {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: String,
    url: Option<String>,
}

/// The templates of Graph's answer to `message_templates`; components it does not know are
/// passed over.
pub fn read_definitions(body: &[u8]) -> Result<Vec<TemplateDefinition>, String> {
    let listed: Listed = serde_json::from_slice(body)
        .map_err(|error| format!("the template list does not read as Graph's: {error}"))?;
    Ok(listed
        .data
        .into_iter()
        .map(|listing| {
            let mut definition = TemplateDefinition {
                name: listing.name,
                language: listing.language,
                status: listing.status,
                category: listing.category,
                header: None,
                body: String::new(),
                buttons: Vec::new(),
            };
            for component in listing.components {
                match component.kind.to_ascii_uppercase().as_str() {
                    "HEADER" => {
                        definition.header = Some(match component.format.as_deref() {
                            Some("TEXT") => TemplateHeader::Text {
                                text: component.text.unwrap_or_default(),
                            },
                            Some(kind @ ("IMAGE" | "VIDEO" | "DOCUMENT")) => {
                                TemplateHeader::Media {
                                    kind: kind.to_ascii_lowercase(),
                                }
                            }
                            _ => TemplateHeader::Other,
                        })
                    }
                    "BODY" => definition.body = component.text.unwrap_or_default(),
                    "BUTTONS" => {
                        definition.buttons = component
                            .buttons
                            .into_iter()
                            .map(|button| TemplateButton {
                                kind: button.kind.to_ascii_uppercase(),
                                text: button.text,
                                url: button.url,
                            })
                            .collect()
                    }
                    _ => {}
                }
            }
            definition
        })
        .collect())
}

impl TemplateDefinition {
    /// Whether `values` fit the definition: a value for each placeholder, of the kind each
    /// takes; the error names the part and what it takes.
    pub fn check(&self, values: &TemplateValues) -> Result<(), String> {
        let named = format!("the template {:?} ({})", self.name, self.language);
        if self.status != "APPROVED" {
            return Err(format!(
                "name: {named} is {}, not approved: only an approved template is sent",
                self.status
            ));
        }
        match (&self.header, &values.header) {
            (Some(TemplateHeader::Text { text }), given) => {
                let wanted = placeholders(text);
                let given = usize::from(given.is_some());
                if wanted != given {
                    return Err(format!(
                        "values.header: {named} has a text header with {wanted} placeholder(s); \
                         {given} value given"
                    ));
                }
            }
            (Some(TemplateHeader::Media { kind }), Some(link)) => {
                if !link.starts_with("https://") {
                    return Err(format!(
                        "values.header: {named} has a {kind} header: give the {kind}'s https:// \
                         link"
                    ));
                }
            }
            (Some(TemplateHeader::Media { kind }), None) => {
                return Err(format!(
                    "values.header: {named} has a {kind} header: give the {kind}'s https:// link"
                ));
            }
            (None | Some(TemplateHeader::Other), Some(_)) => {
                return Err(format!(
                    "values.header: {named} has no header that takes a value"
                ));
            }
            (None | Some(TemplateHeader::Other), None) => {}
        }
        let wanted = placeholders(&self.body);
        if values.body.len() != wanted {
            return Err(format!(
                "values.body: {named} takes {wanted} body value(s); {} given",
                values.body.len()
            ));
        }
        if let Some(empty) = values.body.iter().position(|value| value.trim().is_empty()) {
            return Err(format!(
                "values.body[{empty}]: WhatsApp refuses an empty parameter"
            ));
        }
        let wanted = self
            .buttons
            .iter()
            .filter(|button| button.takes_value())
            .count();
        if values.buttons.len() != wanted {
            return Err(format!(
                "values.buttons: {named} has {wanted} URL button(s) that take a value; {} given",
                values.buttons.len()
            ));
        }
        Ok(())
    }

    /// The message as the inbox shows it: the header and body with their values.
    pub fn render(&self, values: &TemplateValues) -> String {
        let body = fill(&self.body, &values.body);
        match (&self.header, &values.header) {
            (Some(TemplateHeader::Text { text }), Some(value)) => {
                format!("{}\n{body}", fill(text, std::slice::from_ref(value)))
            }
            (Some(TemplateHeader::Text { text }), None) => format!("{text}\n{body}"),
            _ => body,
        }
    }

    /// The request that sends it, checked values filled in.
    pub fn send_request(
        &self,
        graph: &str,
        access_token: &str,
        phone_number_id: &str,
        to: &str,
        values: &TemplateValues,
    ) -> OutboundRequest {
        let text = |value: &String| serde_json::json!({ "type": "text", "text": value });
        let mut components = Vec::new();
        match (&self.header, &values.header) {
            (Some(TemplateHeader::Text { .. }), Some(value)) => components
                .push(serde_json::json!({ "type": "header", "parameters": [text(value)] })),
            (Some(TemplateHeader::Media { kind }), Some(link)) => components
                .push(serde_json::json!({ "type": "header", "parameters": [
                    { "type": kind, (kind.as_str()): { "link": link } }] })),
            _ => {}
        }
        if !values.body.is_empty() {
            components.push(serde_json::json!({
                "type": "body", "parameters": values.body.iter().map(text).collect::<Vec<_>>(),
            }));
        }
        let mut button_values = values.buttons.iter();
        for (index, button) in self.buttons.iter().enumerate() {
            if button.takes_value()
                && let Some(value) = button_values.next()
            {
                components.push(serde_json::json!({
                    "type": "button", "sub_type": "url", "index": index.to_string(),
                    "parameters": [text(value)],
                }));
            }
        }
        let body = serde_json::json!({
            "messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
            "type": "template",
            "template": {
                "name": self.name, "language": { "code": self.language },
                "components": components,
            },
        });
        crate::whatsapp::message_request(graph, access_token, phone_number_id, &body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LISTED: &str = r#"{"data":[
        {"name":"order_update","language":"en_US","status":"APPROVED","category":"UTILITY","id":"1",
         "components":[
            {"type":"HEADER","format":"TEXT","text":"Order {{1}}"},
            {"type":"BODY","text":"Hi {{1}}, your order {{2}} ships today."},
            {"type":"FOOTER","text":"Acme"},
            {"type":"BUTTONS","buttons":[
                {"type":"URL","text":"Track","url":"https://acme.example/t/{{1}}"},
                {"type":"QUICK_REPLY","text":"Stop"}]}]},
        {"name":"welcome","language":"ar","status":"APPROVED","category":"MARKETING",
         "components":[{"type":"HEADER","format":"IMAGE"},{"type":"BODY","text":"أهلاً بك"}]},
        {"name":"draft","language":"en_US","status":"PENDING","components":[{"type":"BODY","text":"x"}]}
    ],"paging":{"cursors":{"before":"a","after":"b"}}}"#;

    fn values(header: Option<&str>, body: &[&str], buttons: &[&str]) -> TemplateValues {
        TemplateValues {
            header: header.map(str::to_string),
            body: body.iter().map(|value| value.to_string()).collect(),
            buttons: buttons.iter().map(|value| value.to_string()).collect(),
        }
    }

    #[test]
    fn values_are_checked_against_the_definition_naming_what_does_not_fit() {
        let listed = read_definitions(LISTED.as_bytes()).unwrap();
        let order = &listed[0];
        assert_eq!(
            order.check(&values(Some("A-17"), &["Huda", "A-17"], &["A-17"])),
            Ok(())
        );
        let short = order
            .check(&values(Some("A-17"), &["Huda"], &["A-17"]))
            .unwrap_err();
        assert!(
            short.starts_with("values.body:") && short.contains("takes 2"),
            "{short}"
        );
        let no_button = order
            .check(&values(Some("A-17"), &["Huda", "A-17"], &[]))
            .unwrap_err();
        assert!(no_button.starts_with("values.buttons:"), "{no_button}");
        let welcome = &listed[1];
        assert!(
            welcome
                .check(&values(Some("http://insecure.example/a.png"), &[], &[]))
                .unwrap_err()
                .contains("https://")
        );
        assert_eq!(
            welcome.check(&values(Some("https://acme.example/a.png"), &[], &[])),
            Ok(())
        );
        assert!(
            listed[2]
                .check(&values(None, &["x"], &[]))
                .unwrap_err()
                .contains("PENDING")
        );
    }

    #[test]
    fn a_send_carries_each_component_with_its_values() {
        let listed = read_definitions(LISTED.as_bytes()).unwrap();
        let order = &listed[0];
        let given = values(Some("A-17"), &["Huda", "A-17"], &["A-17"]);
        assert_eq!(
            order.render(&given),
            "Order A-17\nHi Huda, your order A-17 ships today."
        );
        let request = order.send_request("http://127.0.0.1:9/v21.0", "tok", "106", "9715", &given);
        assert_eq!(request.url, "http://127.0.0.1:9/v21.0/106/messages");
        let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
        assert_eq!(body["type"], "template");
        assert_eq!(body["template"]["language"]["code"], "en_US");
        let components = body["template"]["components"].as_array().unwrap();
        assert_eq!(components[0]["parameters"][0]["text"], "A-17");
        assert_eq!(components[1]["parameters"][1]["text"], "A-17");
        assert_eq!(components[2]["sub_type"], "url");
        assert_eq!(components[2]["index"], "0");
        let welcome = &listed[1];
        let request = welcome.send_request(
            "http://127.0.0.1:9/v21.0",
            "tok",
            "106",
            "9715",
            &values(Some("https://acme.example/a.png"), &[], &[]),
        );
        let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
        assert_eq!(
            body["template"]["components"][0]["parameters"][0]["image"]["link"],
            "https://acme.example/a.png"
        );
    }
}
