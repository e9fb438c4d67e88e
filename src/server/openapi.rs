//! The API's OpenAPI 3.1 description, generated from the handlers' annotations.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{
    agents, chat, error, evals, events, inbox, knowledge_bases, ops, webhooks, widget, workspace,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Switchboard",
        description = "AI agents that answer from a business's knowledge, with a shared inbox for the humans. Every error is `{\"error\": {\"code\", \"message\"}}`."
    ),
    paths(
        ops::healthz, ops::readyz, ops::metrics,
        workspace::log_in, workspace::log_out, workspace::setup_needed, workspace::set_up, workspace::workspace, workspace::credits, workspace::api_keys,
        workspace::create_api_key, workspace::revoke_api_key, workspace::users, workspace::create_user,
        workspace::update_user, workspace::teams,
        workspace::create_team, workspace::audit_log,
        knowledge_bases::create_knowledge_base, knowledge_bases::knowledge_bases,
        knowledge_bases::knowledge_base, knowledge_bases::delete_knowledge_base,
        knowledge_bases::sources, knowledge_bases::upload, knowledge_bases::add_url,
        knowledge_bases::source, knowledge_bases::delete_source, knowledge_bases::resync,
        knowledge_bases::replace_file,
        agents::create, agents::list, agents::show, agents::update, agents::remove,
        agents::versions, agents::message, agents::suggestions, agents::polish, agents::feedback,
        agents::rated_turns,
        evals::start_eval_run, evals::eval_runs, evals::eval_run, evals::compare_eval_runs,
        chat::completions, chat::models,
        inbox::create_channel, inbox::channel_type_list, inbox::channels, inbox::channel, inbox::set_routing, inbox::channel_templates, inbox::send_template, inbox::inbound, inbox::contact, inbox::attachment,
        inbox::delivery_status, inbox::conversations, inbox::conversation, inbox::messages,
        inbox::post_message, inbox::claim, inbox::assign, inbox::set_status, inbox::person_typing, inbox::labels, inbox::set_priority,
        inbox::hand_back, inbox::conversation_suggestions, inbox::set_presence, inbox::create_canned,
        inbox::canned_responses, inbox::delete_canned, inbox::create_macro, inbox::macros,
        inbox::delete_macro, inbox::run_macro, inbox::bulk, inbox::mark_read, inbox::polish_reply, events::events,
        webhooks::handshake, webhooks::deliver,
        widget::widget_script, widget::widget_preview, widget::widget_config,
        widget::start_visitor_session, widget::visitor_messages, widget::send_visitor_message,
        widget::visitor_typing, widget::visitor_events,
    ),
    components(schemas(error::ErrorBody, error::ErrorDetail, agentflow::Action)),
    modifiers(&BearerAuth, &CommonErrors),
    tags(
        (name = "operations"), (name = "workspace"), (name = "knowledge"),
        (name = "agents"), (name = "evals"), (name = "assistants"), (name = "inbox"),
        (name = "channels", description = "The messaging platforms' webhooks: signed by the platform, not authenticated with an API key"),
        (name = "widget", description = "The web chat widget, called by site visitors' browsers from any origin: a visitor's token (from `sessions`) is their credential")
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("an API key (sb_...) or a session token (ss_...)"))
                    .build(),
            ),
        );
    }
}

/// The errors any operation may answer besides its own: 401, 403 and 429 where a credential
/// is needed (a missing or revoked one; a role that may not; its rate limit), 400 and 422 where the request carries
/// parameters or a body that can be malformed or invalid, 415 where a body comes without its
/// media type. Written once here rather than on
/// every handler, so that no operation leaves one out (schemathesis found 62 such answers).
struct CommonErrors;

impl Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{Ref, ResponseBuilder, content::ContentBuilder};
        let error = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
                .build()
        };
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                let secured = operation
                    .security
                    .as_ref()
                    .is_some_and(|requirements| !requirements.is_empty());
                let takes_input = operation
                    .parameters
                    .as_ref()
                    .is_some_and(|parameters| !parameters.is_empty())
                    || operation.request_body.is_some();
                let mut common = Vec::new();
                if secured {
                    common.push(("401", "No valid credential."));
                    common.push(("403", "The caller's role may not do this."));
                    common.push(("429", "Too many requests for this credential."));
                }
                if takes_input {
                    common.push(("400", "The request is malformed."));
                    common.push(("422", "A parameter or field is invalid."));
                }
                if operation.request_body.is_some() {
                    common.push(("415", "The body is not of the documented media type."));
                }
                for (status, description) in common {
                    operation
                        .responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| error(description).into());
                }
            }
        }
    }
}

pub fn spec() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

#[utoipa::path(get, path = "/openapi.json", tag = "operations", responses((status = 200)))]
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(spec())
}
