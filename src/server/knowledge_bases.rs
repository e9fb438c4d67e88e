//! Knowledge bases and their sources: upload a file or add a URL (ingested in the background),
//! watch progress, re-sync, replace, delete.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::http::Uri;
use axum::response::Response;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use records::{KnowledgeBase, NewSource, Role, Source, SourceOrigin, SourceStatus};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::Caller;
use super::error::{ApiError, Code, ErrorBody};
use super::pages::{self, PageQuery};

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
        .app
        .store
        .knowledge_bases()
        .create(caller.workspace(), caller.actor(), request.name.trim())
        .await?;
    Ok((StatusCode::CREATED, Json(knowledge_base)))
}

#[utoipa::path(get, path = "/v1/knowledge-bases", params(PageQuery), tag = "knowledge", security(("bearer" = [])),
    responses((status = 200, description = "a page, oldest first; the next page's cursor in X-Next-Cursor", body = Vec<KnowledgeBase>)))]
async fn knowledge_bases(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    uri: Uri,
    Query(query): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let page = query.page()?;
    let listed = state
        .app
        .store
        .knowledge_bases()
        .list(caller.workspace(), &page)
        .await?;
    Ok(pages::respond(&uri, &page, listed))
}

#[utoipa::path(get, path = "/v1/knowledge-bases/{id}", params(("id" = String, Path, description = "the id")), tag = "knowledge", security(("bearer" = [])),
    responses((status = 200, body = KnowledgeBase), (status = 404, body = ErrorBody)))]
async fn knowledge_base(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<KnowledgeBase>, ApiError> {
    Ok(Json(
        state
            .app
            .store
            .knowledge_bases()
            .get(caller.workspace(), &id)
            .await?,
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
    state
        .app
        .delete_knowledge_base(caller.workspace(), caller.actor(), &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/v1/knowledge-bases/{id}/sources", params(("id" = String, Path, description = "the id"), PageQuery), tag = "knowledge", security(("bearer" = [])),
    responses((status = 200, body = Vec<SourceView>), (status = 404, body = ErrorBody)))]
async fn sources(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    uri: Uri,
    Query(query): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let page = query.page()?;
    let listed = state
        .app
        .store
        .sources()
        .page(caller.workspace(), &id, &page)
        .await?;
    let views = listed.try_map(|source| Ok::<_, ApiError>(SourceView::from(source)))?;
    Ok(pages::respond(&uri, &page, views))
}

/// Uploads a file (multipart field `file`) as a new source; it is ingested in the background.
#[utoipa::path(post, path = "/v1/knowledge-bases/{id}/sources", params(("id" = String, Path, description = "the id")), tag = "knowledge", security(("bearer" = [])),
    request_body(content = FileUpload, content_type = "multipart/form-data", description = "a `file` field"),
    responses((status = 202, body = SourceView), (status = 413, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn upload(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Result<(StatusCode, Json<SourceView>), ApiError> {
    caller.require(Role::TeamAdmin)?;
    state.app.room_for_source(caller.workspace(), &id).await?;
    let new_source = receive_file(&state, multipart).await?;
    let source = state
        .app
        .add_source(caller.workspace(), caller.actor(), &id, new_source)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(source.into())))
}

/// A document sent as a multipart form. Only described here: the handlers stream the field
/// to disk rather than reading it into this struct.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct FileUpload {
    /// The document, with its file name.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct AddUrl {
    /// An http(s) page, or a Google Docs or Sheets share link.
    url: String,
}

/// Adds a web page (or Google Docs/Sheets link) as a new source.
#[utoipa::path(post, path = "/v1/knowledge-bases/{id}/urls", params(("id" = String, Path, description = "the id")), tag = "knowledge", security(("bearer" = [])),
    request_body = AddUrl, responses((status = 202, body = SourceView), (status = 422, body = ErrorBody)))]
async fn add_url(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    Json(request): Json<AddUrl>,
) -> Result<(StatusCode, Json<SourceView>), ApiError> {
    caller.require(Role::TeamAdmin)?;
    let url = request.url.trim();
    if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() > 2048 {
        return Err(ApiError::invalid(format!(
            "url: {url:?} is not an http(s) URL of at most 2048 characters"
        )));
    }
    state.app.check_url(url).await?;
    let source = state
        .app
        .add_source(
            caller.workspace(),
            caller.actor(),
            &id,
            NewSource {
                name: url.to_string(),
                origin: SourceOrigin::Url,
                location: url.to_string(),
                checksum: None,
            },
        )
        .await?;
    Ok((StatusCode::ACCEPTED, Json(source.into())))
}

/// A source as the API shows it: never where its bytes are kept.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SourceView {
    id: String,
    knowledge_base_id: String,
    /// The file name or URL.
    name: String,
    kind: SourceOrigin,
    checksum: Option<String>,
    status: SourceStatus,
    /// Pages parsed or chunks embedded so far, of `progress_total`.
    progress_done: i64,
    progress_total: i64,
    chunks: i64,
    error: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl From<Source> for SourceView {
    fn from(source: Source) -> Self {
        SourceView {
            id: source.id,
            knowledge_base_id: source.knowledge_base_id,
            name: source.name,
            kind: source.origin,
            checksum: source.checksum,
            status: source.status,
            progress_done: source.progress_done,
            progress_total: source.progress_total,
            chunks: source.chunks,
            error: source.error,
            created_at: source.created_at,
            updated_at: source.updated_at,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SourceDetail {
    #[serde(flatten)]
    source: SourceView,
    /// Chunks of this source in the vector index now: equal to `chunks` once it is ready.
    indexed: usize,
}

/// A source with its status, progress and error, and what the index holds of it.
#[utoipa::path(get, path = "/v1/sources/{id}", params(("id" = String, Path, description = "the id")), tag = "knowledge", security(("bearer" = [])),
    responses((status = 200, body = SourceDetail), (status = 404, body = ErrorBody)))]
async fn source(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<SourceDetail>, ApiError> {
    let source = state
        .app
        .store
        .sources()
        .get(caller.workspace(), &id)
        .await?;
    let indexed = state.app.indexed_chunks(&source).await?;
    Ok(Json(SourceDetail {
        source: source.into(),
        indexed,
    }))
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
    state
        .app
        .delete_source(caller.workspace(), caller.actor(), &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Ingests the source again (a page that changed, a failure that is fixed).
#[utoipa::path(post, path = "/v1/sources/{id}/resync", params(("id" = String, Path, description = "the id")), tag = "knowledge", security(("bearer" = [])),
    responses((status = 202, body = SourceView), (status = 404, body = ErrorBody)))]
async fn resync(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<SourceView>), ApiError> {
    caller.require(Role::TeamAdmin)?;
    let source = state
        .app
        .store
        .sources()
        .resync(
            caller.workspace(),
            caller.actor(),
            &id,
            None,
            state.app.settings.lease / 2,
        )
        .await?;
    Ok((StatusCode::ACCEPTED, Json(source.into())))
}

/// Replaces an uploaded source's file; its chunks are replaced once the new file is ingested.
#[utoipa::path(put, path = "/v1/sources/{id}/file", params(("id" = String, Path, description = "the id")), tag = "knowledge", security(("bearer" = [])),
    request_body(content = FileUpload, content_type = "multipart/form-data", description = "a `file` field"),
    responses((status = 202, body = SourceView), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody)))]
async fn replace_file(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    multipart: Multipart,
) -> Result<(StatusCode, Json<SourceView>), ApiError> {
    caller.require(Role::TeamAdmin)?;
    state
        .app
        .store
        .sources()
        .get(caller.workspace(), &id)
        .await?;
    let replacement = receive_file(&state, multipart).await?;
    let source = state
        .app
        .replace_source_file(caller.workspace(), caller.actor(), &id, replacement)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(source.into())))
}

/// Reads and drops up to `most` more bytes of a refused upload, for at most a few seconds: a
/// client still sending when the answer comes can find the connection cut under it and never
/// read the 413 (seen as a flaky "incomplete message" under load). Beyond that, it is cut.
async fn drain(field: &mut axum::extract::multipart::Field<'_>, most: u64) {
    let read = async {
        let mut drained = 0u64;
        while drained < most {
            match field.chunk().await {
                Ok(Some(chunk)) => drained += chunk.len() as u64,
                _ => break,
            }
        }
    };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), read).await;
}

/// Streams the multipart `file` field to the file store, refusing it past the upload limit.
async fn receive_file(state: &AppState, mut multipart: Multipart) -> Result<NewSource, ApiError> {
    let limit = state.config.limits.upload_bytes;
    let bad_form = |error: axum::extract::multipart::MultipartError| {
        ApiError::new(Code::BadRequest, format!("multipart body: {error}"))
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
        let mut incoming = state.app.files.begin().await.map_err(ApiError::internal)?;
        loop {
            let chunk = match field.chunk().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(error) => {
                    state.app.files.discard(incoming).await;
                    return Err(bad_form(error));
                }
            };
            if incoming.bytes + chunk.len() as u64 > limit {
                state.app.files.discard(incoming).await;
                drain(&mut field, limit).await;
                return Err(ApiError::new(
                    Code::PayloadTooLarge,
                    format!(
                        "{name} is larger than the upload limit of {limit} bytes ({} MB; limits.upload_bytes)",
                        limit / (1024 * 1024)
                    ),
                ));
            }
            if let Err(error) = incoming.write(&chunk).await {
                state.app.files.discard(incoming).await;
                return Err(ApiError::internal(error));
            }
        }
        if incoming.bytes == 0 {
            state.app.files.discard(incoming).await;
            return Err(ApiError::invalid(format!("file: {name} is empty")));
        }
        let received = match incoming.read().await {
            Ok(received) => received,
            Err(error) => {
                state.app.files.discard(incoming).await;
                return Err(ApiError::internal(error));
            }
        };
        if let Err(error) = state.app.check_file_type(&name, &received) {
            state.app.files.discard(incoming).await;
            return Err(error.into());
        }
        let checksum = state
            .app
            .files
            .keep(incoming)
            .await
            .map_err(ApiError::internal)?;
        return Ok(NewSource {
            name,
            origin: SourceOrigin::File,
            location: checksum.clone(),
            checksum: Some(checksum),
        });
    }
    Err(ApiError::invalid(
        "file: send the document as a multipart field named \"file\"",
    ))
}
