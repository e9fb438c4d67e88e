//! The caller's workspace: logging in, its balance and ledger, API keys, people, teams, audit.

use std::sync::Arc;

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::StatusCode;
use axum::http::Uri;
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::{delete, get, patch, post};
use axum::{Json, Router};
use records::{ApiKey, AuditEntry, Email, LedgerEntry, NewApiKey, Role, Team, User, Workspace};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::{Caller, bearer};
use super::error::{ApiError, Code, ErrorBody};
use super::pages::{self, PageQuery};

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/v1/sessions", post(log_in).delete(log_out))
        .route("/v1/setup", get(setup_needed).post(set_up))
        .route("/v1/workspace", get(workspace))
        .route("/v1/credits", get(credits))
        .route("/v1/api-keys", get(api_keys).post(create_api_key))
        .route("/v1/api-keys/{id}", delete(revoke_api_key))
        .route("/v1/users", get(users).post(create_user))
        .route("/v1/users/{id}", patch(update_user))
        .route("/v1/teams", get(teams).post(create_team))
        .route("/v1/audit-log", get(audit_log))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LogIn {
    email: String,
    password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Session {
    /// Send as `Authorization: Bearer <token>`; valid for 7 days.
    token: String,
    user: User,
}

/// Logs a person in with email and password.
#[utoipa::path(post, path = "/v1/sessions", tag = "workspace", request_body = LogIn,
    responses((status = 200, body = Session), (status = 401, body = ErrorBody),
        (status = 429, description = "Too many wrong passwords for this account or address; see Retry-After", body = ErrorBody)))]
async fn log_in(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Json(request): Json<LogIn>,
) -> Result<Json<Session>, ApiError> {
    let throttle = &state.login_throttle;
    let account = request.email.trim().to_lowercase();
    throttle.admit(&account, peer.ip())?;
    // An address that cannot exist has no account: the same answer as a wrong password.
    let signed_in = match Email::parse(&request.email) {
        Ok(email) => {
            state
                .app
                .store
                .people()
                .log_in(&email, &request.password)
                .await?
        }
        Err(_) => None,
    };
    let Some((user, token)) = signed_in else {
        return Err(wrong_credentials());
    };
    throttle.succeeded(&account, peer.ip());
    Ok(Json(Session { token, user }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SetupState {
    /// The service has no workspace yet: `POST /v1/setup` makes the first.
    needed: bool,
}

/// Whether this is a fresh install, which the first run sets up.
#[utoipa::path(get, path = "/v1/setup", tag = "workspace",
    responses((status = 200, body = SetupState)))]
async fn setup_needed(State(state): State<Arc<AppState>>) -> Result<Json<SetupState>, ApiError> {
    let any = state.app.store.workspaces().any().await?;
    Ok(Json(SetupState { needed: !any }))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct FirstRun {
    /// The workspace's name.
    workspace: String,
    /// The first admin's email and password (10 characters or more).
    email: String,
    password: String,
}

/// A fresh install's first run: the first workspace and its admin, signed in. Only while the
/// service has no workspace (409 after); without credentials, since none exists yet.
#[utoipa::path(post, path = "/v1/setup", tag = "workspace", request_body = FirstRun,
    responses((status = 201, body = Session),
        (status = 409, description = "The service is set up already: sign in", body = ErrorBody)))]
async fn set_up(
    State(state): State<Arc<AppState>>,
    Json(request): Json<FirstRun>,
) -> Result<(StatusCode, Json<Session>), ApiError> {
    let name = request.workspace.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(
            ApiError::invalid("workspace: a name of 1 to 100 characters").about("workspace"),
        );
    }
    let email =
        Email::parse(&request.email).map_err(|error| ApiError::invalid(error.to_string()))?;
    if request.password.chars().count() < 10 {
        return Err(ApiError::invalid("password: needs at least 10 characters"));
    }
    let credits = &state.config.credits;
    let made = state
        .app
        .store
        .people()
        .set_up(
            (name, &credits.plan, credits.allowance),
            &email,
            &request.password,
        )
        .await?;
    if made.is_none() {
        return Err(ApiError::new(
            Code::Conflict,
            "this service is set up already: sign in, or ask an admin for an account",
        ));
    }
    let signed_in = state
        .app
        .store
        .people()
        .log_in(&email, &request.password)
        .await?;
    let (user, token) = signed_in.ok_or_else(wrong_credentials)?;
    Ok((StatusCode::CREATED, Json(Session { token, user })))
}

fn wrong_credentials() -> ApiError {
    ApiError::new(Code::Unauthorized, "wrong email or password")
}

/// Ends the session whose token authorises this request.
#[utoipa::path(delete, path = "/v1/sessions", tag = "workspace", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody),
        (status = 422, description = "The credential is an API key, not a session", body = ErrorBody)))]
async fn log_out(
    State(state): State<Arc<AppState>>,
    _caller: Caller,
    parts: Parts,
) -> Result<StatusCode, ApiError> {
    let token = bearer(&parts).unwrap_or_default();
    if state.app.store.people().log_out(token).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::invalid(
            "this request carries an API key, not a session token: revoke keys with DELETE /v1/api-keys/{id}",
        ))
    }
}

/// The caller's workspace, with its plan and credit balance.
#[utoipa::path(get, path = "/v1/workspace", tag = "workspace", security(("bearer" = [])),
    responses((status = 200, body = Workspace), (status = 401, body = ErrorBody)))]
async fn workspace(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> Result<Json<Workspace>, ApiError> {
    Ok(Json(
        state.app.store.workspaces().get(caller.workspace()).await?,
    ))
}

/// The credit ledger, newest first.
#[utoipa::path(get, path = "/v1/credits", params(PageQuery), tag = "workspace", security(("bearer" = [])),
    responses((status = 200, description = "a page; the next page's cursor in X-Next-Cursor and a Link header", body = Vec<LedgerEntry>,
        headers(("X-Next-Cursor" = String, description = "the cursor of the next page, when there is one")))))]
async fn credits(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    uri: Uri,
    Query(query): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let page = query.page()?;
    let listed = state
        .app
        .store
        .credits()
        .ledger(caller.workspace(), &page)
        .await?;
    Ok(pages::respond(&uri, &page, listed))
}

#[utoipa::path(get, path = "/v1/api-keys", params(PageQuery), tag = "workspace", security(("bearer" = [])),
    responses((status = 200, description = "a page; the next page's cursor in X-Next-Cursor and a Link header", body = Vec<ApiKey>,
        headers(("X-Next-Cursor" = String, description = "the cursor of the next page, when there is one")))))]
async fn api_keys(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    uri: Uri,
    Query(query): Query<PageQuery>,
) -> Result<Response, ApiError> {
    caller.require(Role::Admin)?;
    let page = query.page()?;
    let listed = state
        .app
        .store
        .api_keys()
        .list(caller.workspace(), &page)
        .await?;
    Ok(pages::respond(&uri, &page, listed))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateApiKey {
    name: String,
}

/// Makes an API key; its secret is in this response and nowhere else, ever.
#[utoipa::path(post, path = "/v1/api-keys", tag = "workspace", security(("bearer" = [])),
    request_body = CreateApiKey, responses((status = 201, body = NewApiKey)))]
async fn create_api_key(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Json(request): Json<CreateApiKey>,
) -> Result<(StatusCode, Json<NewApiKey>), ApiError> {
    caller.require(Role::Admin)?;
    let key = state
        .app
        .store
        .api_keys()
        .create(caller.workspace(), caller.actor(), &request.name)
        .await?;
    Ok((StatusCode::CREATED, Json(key)))
}

#[utoipa::path(delete, path = "/v1/api-keys/{id}", params(("id" = String, Path, description = "the id")), tag = "workspace", security(("bearer" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn revoke_api_key(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(Role::Admin)?;
    state
        .app
        .store
        .api_keys()
        .revoke(caller.workspace(), caller.actor(), &id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateUser {
    email: String,
    password: String,
    role: Role,
    team_id: Option<String>,
}

/// Adds a person to the workspace.
#[utoipa::path(post, path = "/v1/users", tag = "workspace", security(("bearer" = [])),
    request_body = CreateUser, responses((status = 201, body = User), (status = 409, body = ErrorBody)))]
async fn create_user(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Json(request): Json<CreateUser>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    caller.require(Role::Admin)?;
    let email =
        Email::parse(&request.email).map_err(|error| ApiError::invalid(error.to_string()))?;
    if request.password.chars().count() < 10 {
        return Err(ApiError::invalid("password: needs at least 10 characters"));
    }
    let user = state
        .app
        .store
        .people()
        .create(
            caller.workspace(),
            caller.actor(),
            &email,
            &request.password,
            request.role,
            request.team_id.as_deref(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(user)))
}

#[utoipa::path(get, path = "/v1/users", params(PageQuery), tag = "workspace", security(("bearer" = [])),
    responses((status = 200, description = "a page; the next page's cursor in X-Next-Cursor and a Link header", body = Vec<User>,
        headers(("X-Next-Cursor" = String, description = "the cursor of the next page, when there is one")))))]
async fn users(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    uri: Uri,
    Query(query): Query<PageQuery>,
) -> Result<Response, ApiError> {
    caller.require(Role::TeamAdmin)?;
    let page = query.page()?;
    let listed = state
        .app
        .store
        .people()
        .list(caller.workspace(), &page)
        .await?;
    Ok(pages::respond(&uri, &page, listed))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct UpdateUser {
    role: Role,
    team_id: Option<String>,
    /// The most open conversations auto-assignment gives the person at once; 0: no limit;
    /// absent: unchanged.
    capacity: Option<i64>,
}

/// Changes a person's role and team.
#[utoipa::path(patch, path = "/v1/users/{id}", params(("id" = String, Path, description = "the id")),
    tag = "workspace", security(("bearer" = [])), request_body = UpdateUser,
    responses((status = 200, body = User), (status = 404, body = ErrorBody)))]
async fn update_user(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    Json(request): Json<UpdateUser>,
) -> Result<Json<User>, ApiError> {
    caller.require(Role::Admin)?;
    if request.capacity.is_some_and(|capacity| capacity < 0) {
        return Err(ApiError::invalid("capacity: 0 (no limit) or more").about("capacity"));
    }
    let user = state
        .app
        .store
        .people()
        .update(
            caller.workspace(),
            caller.actor(),
            &id,
            request.role,
            request.team_id.as_deref(),
        )
        .await?;
    let Some(capacity) = request.capacity else {
        return Ok(Json(user));
    };
    let people = state.app.store.people();
    people
        .set_capacity(caller.workspace(), &id, (capacity > 0).then_some(capacity))
        .await?;
    Ok(Json(people.get(caller.workspace(), &user.id).await?))
}

#[utoipa::path(get, path = "/v1/teams", params(PageQuery), tag = "workspace", security(("bearer" = [])),
    responses((status = 200, description = "a page; the next page's cursor in X-Next-Cursor and a Link header", body = Vec<Team>,
        headers(("X-Next-Cursor" = String, description = "the cursor of the next page, when there is one")))))]
async fn teams(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    uri: Uri,
    Query(query): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let page = query.page()?;
    let listed = state
        .app
        .store
        .teams()
        .list(caller.workspace(), &page)
        .await?;
    Ok(pages::respond(&uri, &page, listed))
}

/// The longest team name, in characters.
const MAX_TEAM_NAME: usize = 100;

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CreateTeam {
    name: String,
}

#[utoipa::path(post, path = "/v1/teams", tag = "workspace", security(("bearer" = [])),
    request_body = CreateTeam, responses((status = 201, body = Team),
        (status = 409, description = "A team of that name exists", body = ErrorBody)))]
async fn create_team(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Json(request): Json<CreateTeam>,
) -> Result<(StatusCode, Json<Team>), ApiError> {
    caller.require(Role::Admin)?;
    let name = request.name.trim();
    if name.is_empty() || name.chars().count() > MAX_TEAM_NAME {
        return Err(ApiError::invalid(format!(
            "name: a team's name has 1 to {MAX_TEAM_NAME} characters"
        ))
        .about("name"));
    }
    let team = state
        .app
        .store
        .teams()
        .create(caller.workspace(), caller.actor(), name)
        .await?;
    Ok((StatusCode::CREATED, Json(team)))
}

/// Who changed what, newest first.
#[utoipa::path(get, path = "/v1/audit-log", params(PageQuery), tag = "workspace", security(("bearer" = [])),
    responses((status = 200, description = "a page; the next page's cursor in X-Next-Cursor and a Link header", body = Vec<AuditEntry>,
        headers(("X-Next-Cursor" = String, description = "the cursor of the next page, when there is one")))))]
async fn audit_log(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    uri: Uri,
    Query(query): Query<PageQuery>,
) -> Result<Response, ApiError> {
    caller.require(Role::Admin)?;
    let page = query.page()?;
    let listed = state
        .app
        .store
        .audit_log()
        .list(caller.workspace(), &page)
        .await?;
    Ok(pages::respond(&uri, &page, listed))
}
