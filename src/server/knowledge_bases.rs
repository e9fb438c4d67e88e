//! Knowledge bases and their sources: upload a file or add a URL (ingested in the background),
//! watch progress, re-sync, replace, delete.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use inbox::{KnowledgeBase, NewSource, Role, Source, SourceKind};
use knowledge::index::Scope;
use serde::Deserialize;

use super::auth::Caller;
use super::error::ErrorBody;
use super::{ApiError, AppState};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route(
            "/v1/knowledge-bases",
            get(knowledge_bases).post(create_knowledge_base),
        )
        .route(
            "/v1/knowledge-bases/{id}",
            get(knowledge_base).delete(delete_knowledge_base),
        )
        .route(
            "/v1/knowledge-bases/{id}/sources",
            get(sources).post(upload).layer(DefaultBodyLimit::disable()),
        )
        .route("/v1/knowledge-bases/{id}/urls", post(add_url))
        .route("/v1/sources/{id}", get(source).delete(delete_source))
        .route("/v1/sources/{id}/resync", post(resync))
        .route(
            "/v1/sources/{id}/file",
            put(replace_file).layer(DefaultBodyLimit::disable()),
        )
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateKnowledgeBase {
    name: String,
}

#[utoipa::path(post, path = "/v1/knowledge-bases", tag = "knowledge", security(("bearer" = [])),
    request_body = CreateKnowledgeBase, responses((status = 201, body = KnowledgeBase)))]
async fn create_knowledge_base(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Json(request): Json<CreateKnowledgeBase>,
) -> Result<(StatusCode, Json<KnowledgeBase>), ApiError> {
    caller.require(Role::TeamAdmin)?;
    if request.name.trim().is_empty() {
        return Err(ApiError::invalid("name: must not be empty"));
    }
    let knowledge_base = state
        .store
        .create_knowledge_base(caller.workspace(), caller.actor(), request.name.trim())
        .await?;
    Ok((StatusCode::CREATED, Json(knowledge_base)))
}

#[utoipa::path(get, path = "/v1/knowledge-bases", tag = "knowledge", security(("bearer" = [])),
    responses((status = 200, body = Vec<KnowledgeBase>)))]
async fn knowledge_bases(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> Result<Json<Vec<KnowledgeBase>>, ApiError> {
    Ok(Json(state.store.knowledge_bases(caller.workspace()).await?))
}

#[utoipa::path(get, path = "/v1/knowledge-bases/{id}", params(("id" = String, Path, description = "the id")), tag = "knowledge", security(("bearer" = [])),
    responses((status = 200, body = KnowledgeBase), (status = 404, body = ErrorBody)))]
async fn knowledge_base(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<KnowledgeBase>, ApiError> {
    Ok(Json(
        state.store.knowledge_base(caller.workspace(), &id).await?,
    ))
}

/// Deletes the knowledge base, its sources and their chunks.
#[utoipa::path(delete, path = "/v1/knowledge-bases/{id}", params(("id" = String, Path, description = "the id")), tag = "knowledge", security(("bearer" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_knowledge_base(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(Role::TeamAdmin)?;
    for source in state.store.sources(caller.workspace(), &id).await? {
        remove_points(&state, caller.workspace(), &id, &source.id).await?;
    }
    state
        .store
        .delete_knowledge_base(caller.workspace(), caller.actor(), &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/v1/knowledge-bases/{id}/sources", params(("id" = String, Path, description = "the id")), tag = "knowledge", security(("bearer" = [])),
    responses((status = 200, body = Vec<Source>), (status = 404, body = ErrorBody)))]
async fn sources(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<Vec<Source>>, ApiError> {
    Ok(Json(state.store.sources(caller.workspace(), &id).await?))
}

/// Uploads a file (multipart field `file`) as a new source; it is ingested in the background.
#[utoipa::path(post, path = "/v1/knowledge-bases/{id}/sources", params(("id" = String, Path, description = "the id")), tag = "knowledge", security(("bearer" = [])),
    request_body(content_type = "multipart/form-data", description = "a `file` field"),
    responses((status = 202, body = Source), (status = 413, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn upload(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Result<(StatusCode, Json<Source>), ApiError> {
    caller.require(Role::TeamAdmin)?;
    room_for_another_source(&state, caller.workspace(), &id).await?;
    let new_source = receive_file(&state, multipart).await?;
    let source = state
        .store
        .create_source(caller.workspace(), caller.actor(), &id, new_source)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(source)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct AddUrl {
    /// An http(s) page, or a Google Docs or Sheets share link.
    url: String,
}

/// Adds a web page (or Google Docs/Sheets link) as a new source.
#[utoipa::path(post, path = "/v1/knowledge-bases/{id}/urls", params(("id" = String, Path, description = "the id")), tag = "knowledge", security(("bearer" = [])),
    request_body = AddUrl, responses((status = 202, body = Source), (status = 422, body = ErrorBody)))]
async fn add_url(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    Json(request): Json<AddUrl>,
) -> Result<(StatusCode, Json<Source>), ApiError> {
    caller.require(Role::TeamAdmin)?;
    let url = request.url.trim();
    if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() > 2048 {
        return Err(ApiError::invalid(format!(
            "url: {url:?} is not an http(s) URL of at most 2048 characters"
        )));
    }
    room_for_another_source(&state, caller.workspace(), &id).await?;
    let source = state
        .store
        .create_source(
            caller.workspace(),
            caller.actor(),
            &id,
            NewSource {
                name: url.to_string(),
                kind: SourceKind::Url,
                location: url.to_string(),
                checksum: None,
            },
        )
        .await?;
    Ok((StatusCode::ACCEPTED, Json(source)))
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct SourceView {
    #[serde(flatten)]
    source: Source,
    /// Chunks of this source in the vector index now: equal to `chunks` once it is ready.
    indexed: usize,
}

/// A source with its status, progress and error, and what the index holds of it.
#[utoipa::path(get, path = "/v1/sources/{id}", params(("id" = String, Path, description = "the id")), tag = "knowledge", security(("bearer" = [])),
    responses((status = 200, body = SourceView), (status = 404, body = ErrorBody)))]
async fn source(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<SourceView>, ApiError> {
    let source = state.store.source(caller.workspace(), &id).await?;
    let retrieval = state.retrieval.clone();
    let scope = Scope::new(&source.workspace_id, &source.knowledge_base_id);
    let source_id = source.id.clone();
    let indexed =
        tokio::task::spawn_blocking(move || retrieval.index().count(&scope, Some(&source_id)))
            .await
            .map_err(ApiError::internal)?
            .map_err(ApiError::internal)?;
    Ok(Json(SourceView { source, indexed }))
}

/// Deletes the source and its chunks.
#[utoipa::path(delete, path = "/v1/sources/{id}", params(("id" = String, Path, description = "the id")), tag = "knowledge", security(("bearer" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn delete_source(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(Role::TeamAdmin)?;
    let source = state.store.source(caller.workspace(), &id).await?;
    remove_points(
        &state,
        caller.workspace(),
        &source.knowledge_base_id,
        &source.id,
    )
    .await?;
    state
        .store
        .delete_source(caller.workspace(), caller.actor(), &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ingests the source again (a page that changed, a failure that is fixed).
#[utoipa::path(post, path = "/v1/sources/{id}/resync", params(("id" = String, Path, description = "the id")), tag = "knowledge", security(("bearer" = [])),
    responses((status = 202, body = Source), (status = 404, body = ErrorBody)))]
async fn resync(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Source>), ApiError> {
    caller.require(Role::TeamAdmin)?;
    let source = state
        .store
        .resync_source(caller.workspace(), caller.actor(), &id, None)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(source)))
}

/// Replaces an uploaded source's file; its chunks are replaced once the new file is ingested.
#[utoipa::path(put, path = "/v1/sources/{id}/file", params(("id" = String, Path, description = "the id")), tag = "knowledge", security(("bearer" = [])),
    request_body(content_type = "multipart/form-data", description = "a `file` field"),
    responses((status = 202, body = Source), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody)))]
async fn replace_file(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Result<(StatusCode, Json<Source>), ApiError> {
    caller.require(Role::TeamAdmin)?;
    let existing = state.store.source(caller.workspace(), &id).await?;
    if existing.kind != SourceKind::File {
        return Err(ApiError::invalid(format!(
            "source {id} is a URL; re-sync it instead of uploading a file"
        )));
    }
    let replacement = receive_file(&state, multipart).await?;
    let source = state
        .store
        .resync_source(caller.workspace(), caller.actor(), &id, Some(replacement))
        .await?;
    Ok((StatusCode::ACCEPTED, Json(source)))
}

/// Refuses a source the knowledge base has no room for (and a knowledge base that is not the
/// workspace's).
async fn room_for_another_source(
    state: &AppState,
    workspace: &str,
    knowledge_base: &str,
) -> Result<(), ApiError> {
    let existing = state.store.sources(workspace, knowledge_base).await?;
    knowledge::Limits::default()
        .check_source_count(existing.len() + 1)
        .map_err(|error| ApiError::invalid(format!("knowledge base: {error}")))
}

/// Streams the multipart `file` field to the file store, refusing it past the upload limit.
async fn receive_file(state: &AppState, mut multipart: Multipart) -> Result<NewSource, ApiError> {
    let limit = state.config.limits.upload_bytes;
    let bad_form = |error: axum::extract::multipart::MultipartError| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("multipart body: {error}"),
        )
    };
    while let Some(mut field) = multipart.next_field().await.map_err(bad_form)? {
        if field.name() != Some("file") {
            continue;
        }
        let name = field
            .file_name()
            .map(|name| name.rsplit(['/', '\\']).next().unwrap_or(name).to_string())
            .filter(|name| !name.trim().is_empty())
            .ok_or_else(|| ApiError::invalid("file: the field needs a file name"))?;
        let mut incoming = state.files.begin().await.map_err(ApiError::internal)?;
        loop {
            let chunk = match field.chunk().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(error) => {
                    state.files.discard(incoming).await;
                    return Err(bad_form(error));
                }
            };
            if incoming.bytes + chunk.len() as u64 > limit {
                state.files.discard(incoming).await;
                return Err(ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    format!(
                        "{name} is larger than the upload limit of {limit} bytes ({} MB; limits.upload_bytes)",
                        limit / (1024 * 1024)
                    ),
                ));
            }
            if let Err(error) = incoming.write(&chunk).await {
                state.files.discard(incoming).await;
                return Err(ApiError::internal(error));
            }
        }
        if incoming.bytes == 0 {
            state.files.discard(incoming).await;
            return Err(ApiError::invalid(format!("file: {name} is empty")));
        }
        let checksum = state
            .files
            .keep(incoming)
            .await
            .map_err(ApiError::internal)?;
        return Ok(NewSource {
            name,
            kind: SourceKind::File,
            location: checksum.clone(),
            checksum: Some(checksum),
        });
    }
    Err(ApiError::invalid(
        "file: send the document as a multipart field named \"file\"",
    ))
}

async fn remove_points(
    state: &Arc<AppState>,
    workspace: &str,
    knowledge_base: &str,
    source: &str,
) -> Result<(), ApiError> {
    let retrieval = state.retrieval.clone();
    let scope = Scope::new(workspace, knowledge_base);
    let source = source.to_string();
    tokio::task::spawn_blocking(move || retrieval.delete_source(&scope, &source))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)
}
