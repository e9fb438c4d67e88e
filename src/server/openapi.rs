//! The API's OpenAPI 3.1 description, generated from the handlers' annotations.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{agents, chat, error, knowledge_bases, ops, workspace};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Switchboard",
        description = "AI agents that answer from a business's knowledge, with a shared inbox for the humans. Every error is `{\"error\": {\"code\", \"message\"}}`."
    ),
    paths(
        ops::healthz, ops::readyz, ops::metrics,
        workspace::log_in, workspace::log_out, workspace::workspace, workspace::credits, workspace::api_keys,
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
        chat::completions, chat::models,
    ),
    components(schemas(error::ErrorBody, error::ErrorDetail, agentflow::Action)),
    modifiers(&BearerAuth),
    tags(
        (name = "operations"), (name = "workspace"), (name = "knowledge"),
        (name = "agents"), (name = "assistants")
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

pub fn spec() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

#[utoipa::path(get, path = "/openapi.json", tag = "operations", responses((status = 200)))]
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(spec())
}
