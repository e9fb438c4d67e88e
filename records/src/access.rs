//! Who may act for a workspace: people (argon2-hashed passwords, roles, teams, sessions) and
//! programs (API keys, stored hashed and shown once).

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::Serialize;
use sqlx::{AnyConnection, Row};
use types::{Email, Presence, Role};

use crate::audit;
use crate::error::StoreError;
use crate::page::{self, AFTER, Listed, Page};
use crate::secret;
use crate::store::{Backend, Store, new_id, now};
use crate::workspaces::Workspace;

const API_KEY_PREFIX: &str = "sb_";
const SESSION_PREFIX: &str = "ss_";
const SESSION_MILLIS: i64 = 7 * 24 * 3600 * 1000;

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct User {
    pub id: String,
    pub workspace_id: String,
    pub email: String,
    #[sqlx(try_from = "String")]
    pub role: Role,
    pub team_id: Option<String>,
    /// Whether they take conversations now.
    #[sqlx(try_from = "String")]
    pub presence: Presence,
    /// The most open conversations auto-assignment gives them at once; null: no limit.
    pub capacity: Option<i64>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Team {
    pub id: String,
    pub name: String,
    pub created_at: i64,
}

/// An API key as listed: never the secret.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    /// The first characters of the secret, to tell keys apart.
    pub prefix: String,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// A key just made: the only time its secret is seen.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct NewApiKey {
    #[serde(flatten)]
    pub key: ApiKey,
    pub secret: String,
}

/// A team member online now, as auto-assignment weighs them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OnlineMember {
    pub id: String,
    pub capacity: Option<i64>,
    pub last_assigned_at: Option<i64>,
    /// Open conversations they own.
    pub open: i64,
}

/// The caller a credential stands for.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Principal {
    pub workspace_id: String,
    /// `key:<id>` or `user:<id>`: what the audit log names.
    pub actor: String,
    /// A person's role; a key acts as an admin of its workspace.
    #[sqlx(try_from = "String")]
    pub role: Role,
}

const USER_COLUMNS: &str = "id, workspace_id, email, role, team_id, presence, capacity, created_at";

/// Hashes on the blocking pool: argon2 is meant to be slow, and must not hold up the tasks
/// answering other requests.
async fn hash_password(password: &str) -> Result<String, StoreError> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || hash_password_now(&password))
        .await
        .map_err(|error| StoreError::Password(error.to_string()))?
}

/// Whether `password` matches `stored`, checked on the blocking pool.
async fn verify_password(stored: String, password: &str) -> Result<bool, StoreError> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        let parsed =
            PasswordHash::new(&stored).map_err(|error| StoreError::Password(error.to_string()))?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(|error| StoreError::Password(error.to_string()))?
}

/// The hash an unknown email's password is checked against, so that a wrong email costs what
/// a wrong password costs and the time of an answer does not tell whether an account exists.
fn stand_in_hash() -> Result<String, StoreError> {
    static STAND_IN: OnceLock<String> = OnceLock::new();
    if let Some(hash) = STAND_IN.get() {
        return Ok(hash.clone());
    }
    let hash = hash_password_now(&secret::generate("stand-in-"))?;
    Ok(STAND_IN.get_or_init(|| hash).clone())
}

fn hash_password_now(password: &str) -> Result<String, StoreError> {
    let salt = SaltString::encode_b64(uuid::Uuid::new_v4().as_bytes())
        .map_err(|error| StoreError::Password(error.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| StoreError::Password(error.to_string()))
}

/// The teams area of the records.
pub struct Teams<'a>(pub(crate) &'a Store);

impl Teams<'_> {
    pub async fn create(
        &self,
        workspace: &str,
        actor: &str,
        name: &str,
    ) -> Result<Team, StoreError> {
        let team = Team {
            id: new_id(),
            name: name.to_string(),
            created_at: now(),
        };
        let mut transaction = self.0.write().await?;
        sqlx::query(
            "INSERT INTO teams (id, workspace_id, name, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&team.id)
        .bind(workspace)
        .bind(&team.name)
        .bind(team.created_at)
        .execute(&mut *transaction)
        .await
        .map_err(|error| {
            StoreError::conflict_or(error, || format!("a team named {name:?} exists already"))
        })?;
        audit::record(&mut transaction, workspace, actor, "team.create", &team.id).await?;
        transaction.commit().await?;
        Ok(team)
    }

    /// The workspace's teams, oldest first.
    pub async fn list(&self, workspace: &str, page: &Page) -> Result<Listed<Team>, StoreError> {
        let sql = format!(
            "SELECT id, name, created_at FROM teams WHERE workspace_id = $1 {AFTER}
             ORDER BY created_at, id LIMIT $4"
        );
        page::fetch(&self.0.pool, &sql, workspace, &[], page).await
    }

    pub async fn get(&self, workspace: &str, id: &str) -> Result<Team, StoreError> {
        sqlx::query_as("SELECT id, name, created_at FROM teams WHERE id = $1 AND workspace_id = $2")
            .bind(id)
            .bind(workspace)
            .fetch_optional(&self.0.pool)
            .await?
            .ok_or(StoreError::NotFound("team"))
    }

    /// The workspace's team of this name, if there is one (an agent's handoff names its team).
    pub async fn find_by_name(
        &self,
        workspace: &str,
        name: &str,
    ) -> Result<Option<Team>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, name, created_at FROM teams WHERE workspace_id = $1 AND name = $2",
        )
        .bind(workspace)
        .bind(name)
        .fetch_optional(&self.0.pool)
        .await?)
    }

    /// Refuses a team id that is not the workspace's own (another tenant's is "not found").
    pub(crate) async fn check(
        &self,
        workspace: &str,
        team: Option<&str>,
    ) -> Result<(), StoreError> {
        match team {
            Some(team) => self.get(workspace, team).await.map(|_| ()),
            None => Ok(()),
        }
    }
}

/// Writes a person's account and its audit entry in the caller's transaction.
async fn insert_user_in(
    connection: &mut AnyConnection,
    workspace: &str,
    actor: &str,
    (email, role, team): (&Email, Role, Option<&str>),
    password_hash: &str,
) -> Result<User, StoreError> {
    let user = User {
        id: new_id(),
        workspace_id: workspace.to_string(),
        email: email.to_string(),
        role,
        team_id: team.map(str::to_string),
        presence: Presence::Offline,
        capacity: None,
        created_at: now(),
    };
    sqlx::query(
        "INSERT INTO users (id, workspace_id, email, password_hash, role, team_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&user.id)
    .bind(workspace)
    .bind(&user.email)
    .bind(password_hash)
    .bind(role.as_str())
    .bind(user.team_id.clone())
    .bind(user.created_at)
    .execute(&mut *connection)
    .await
    .map_err(|error| {
        StoreError::conflict_or(error, || format!("{} has an account already", user.email))
    })?;
    audit::record(connection, workspace, actor, "user.create", &user.id).await?;
    Ok(user)
}

/// The people area of the records: accounts, roles, sessions.
pub struct People<'a>(pub(crate) &'a Store);

impl People<'_> {
    pub async fn create(
        &self,
        workspace: &str,
        actor: &str,
        email: &Email,
        password: &str,
        role: Role,
        team: Option<&str>,
    ) -> Result<User, StoreError> {
        self.0.teams().check(workspace, team).await?;
        let password_hash = hash_password(password).await?;
        let mut transaction = self.0.write().await?;
        let new = (email, role, team);
        let user = insert_user_in(&mut transaction, workspace, actor, new, &password_hash).await?;
        transaction.commit().await?;
        Ok(user)
    }

    /// A fresh install's first run: its first workspace and that workspace's first admin, in
    /// one transaction, and only while the service has no workspace (taken in turn, so two
    /// first runs at once make one). `None` when a workspace exists already.
    pub async fn set_up(
        &self,
        (name, plan, allowance): (&str, &str, i64),
        email: &Email,
        password: &str,
    ) -> Result<Option<(Workspace, User)>, StoreError> {
        let password_hash = hash_password(password).await?;
        let mut transaction = self.0.write().await?;
        if self.0.backend() == Backend::Postgres {
            // Selected from, not selected: the Any driver cannot read the `void` it returns.
            sqlx::query("SELECT 1 FROM pg_advisory_xact_lock(72620106)")
                .execute(&mut *transaction)
                .await?;
        }
        let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM workspaces")
            .fetch_one(&mut *transaction)
            .await?;
        if existing > 0 {
            return Ok(None);
        }
        let workspace =
            crate::workspaces::insert_in(&mut transaction, name, plan, allowance).await?;
        let new = (email, Role::Admin, None);
        let user = insert_user_in(
            &mut transaction,
            &workspace.id,
            "system",
            new,
            &password_hash,
        )
        .await?;
        transaction.commit().await?;
        Ok(Some((workspace, user)))
    }

    /// A session token for the person with this email and password, or `None` when either is
    /// wrong (the caller cannot tell which).
    pub async fn log_in(
        &self,
        email: &Email,
        password: &str,
    ) -> Result<Option<(User, String)>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, password_hash FROM users WHERE email = $1"
        ))
        .bind(email.as_str())
        .fetch_optional(&self.0.pool)
        .await?;
        let stored = match &row {
            Some(row) => row.try_get("password_hash")?,
            None => tokio::task::spawn_blocking(stand_in_hash)
                .await
                .map_err(|error| StoreError::Password(error.to_string()))??,
        };
        let matches = verify_password(stored, password).await?;
        let (Some(row), true) = (row, matches) else {
            return Ok(None);
        };
        let user = <User as sqlx::FromRow<_>>::from_row(&row)?;
        let token = secret::generate(SESSION_PREFIX);
        sqlx::query("INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, $3)")
            .bind(secret::hash(&token))
            .bind(&user.id)
            .bind(now() + SESSION_MILLIS)
            .execute(self.0.writer())
            .await?;
        Ok(Some((user, token)))
    }

    /// Ends the session this token opened; true when there was one.
    pub async fn log_out(&self, token: &str) -> Result<bool, StoreError> {
        let ended = sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(secret::hash(token))
            .execute(self.0.writer())
            .await?;
        Ok(ended.rows_affected() > 0)
    }

    /// The workspace's people, oldest first.
    pub async fn list(&self, workspace: &str, page: &Page) -> Result<Listed<User>, StoreError> {
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE workspace_id = $1 {AFTER}
             ORDER BY created_at, id LIMIT $4"
        );
        page::fetch(&self.0.pool, &sql, workspace, &[], page).await
    }

    pub async fn get(&self, workspace: &str, id: &str) -> Result<User, StoreError> {
        sqlx::query_as(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE id = $1 AND workspace_id = $2"
        ))
        .bind(id)
        .bind(workspace)
        .fetch_optional(&self.0.pool)
        .await?
        .ok_or(StoreError::NotFound("user"))
    }

    /// Whether a person takes conversations now, told to their team live.
    pub async fn set_presence(
        &self,
        workspace: &str,
        id: &str,
        presence: Presence,
    ) -> Result<User, StoreError> {
        let mut transaction = self.0.write().await?;
        let user: User = sqlx::query_as(&format!(
            "UPDATE users SET presence = $1 WHERE id = $2 AND workspace_id = $3
             RETURNING {USER_COLUMNS}"
        ))
        .bind(presence.as_str())
        .bind(id)
        .bind(workspace)
        .fetch_optional(&mut *transaction)
        .await?
        .ok_or(StoreError::NotFound("user"))?;
        crate::events::append_in(
            &mut transaction,
            self.0.backend(),
            workspace,
            &crate::events::NewEvent {
                kind: "presence",
                conversation_id: None,
                team_id: user.team_id.as_deref(),
                user_id: Some(id),
                payload: serde_json::json!({ "user_id": id, "presence": presence }),
            },
        )
        .await?;
        transaction.commit().await?;
        Ok(user)
    }

    /// The most open conversations a person is given at once (none: no limit).
    pub async fn set_capacity(
        &self,
        workspace: &str,
        id: &str,
        capacity: Option<i64>,
    ) -> Result<(), StoreError> {
        let changed =
            sqlx::query("UPDATE users SET capacity = $1 WHERE id = $2 AND workspace_id = $3")
                .bind(capacity)
                .bind(id)
                .bind(workspace)
                .execute(self.0.writer())
                .await?;
        if changed.rows_affected() == 0 {
            return Err(StoreError::NotFound("user"));
        }
        Ok(())
    }

    /// The team's members who are online, with their open conversations and capacity: whom
    /// auto-assignment chooses among.
    pub async fn online_in_team(
        &self,
        workspace: &str,
        team: &str,
    ) -> Result<Vec<OnlineMember>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT users.id, users.capacity, users.last_assigned_at,
                    (SELECT COUNT(*) FROM conversations
                     WHERE conversations.owner_kind = 'user' AND conversations.owner_id = users.id
                       AND conversations.status = 'open') AS open
             FROM users
             WHERE users.workspace_id = $1 AND users.team_id = $2 AND users.presence = 'online'",
        )
        .bind(workspace)
        .bind(team)
        .fetch_all(&self.0.pool)
        .await?)
    }

    /// Remembers that a person was just given a conversation (round robin goes on from them).
    pub async fn mark_assigned(&self, id: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET last_assigned_at = $1 WHERE id = $2")
            .bind(now())
            .bind(id)
            .execute(self.0.writer())
            .await?;
        Ok(())
    }

    /// Changes a person's role and team. A team must be the workspace's own.
    pub async fn update(
        &self,
        workspace: &str,
        actor: &str,
        id: &str,
        role: Role,
        team: Option<&str>,
    ) -> Result<User, StoreError> {
        self.0.teams().check(workspace, team).await?;
        let mut transaction = self.0.write().await?;
        let user = sqlx::query_as(&format!(
            "UPDATE users SET role = $1, team_id = $2 WHERE id = $3 AND workspace_id = $4
             RETURNING {USER_COLUMNS}"
        ))
        .bind(role.as_str())
        .bind(team.map(str::to_string))
        .bind(id)
        .bind(workspace)
        .fetch_optional(&mut *transaction)
        .await?
        .ok_or(StoreError::NotFound("user"))?;
        audit::record(&mut transaction, workspace, actor, "user.update", id).await?;
        transaction.commit().await?;
        Ok(user)
    }

    /// Who a bearer credential (an API key or a session token) stands for; `None` when it is
    /// unknown, revoked or expired.
    pub async fn authenticate(&self, credential: &str) -> Result<Option<Principal>, StoreError> {
        let hash = secret::hash(credential);
        let principal = if credential.starts_with(API_KEY_PREFIX) {
            sqlx::query_as(
                "SELECT workspace_id, 'key:' || id AS actor, 'admin' AS role FROM api_keys
                 WHERE key_hash = $1 AND revoked_at IS NULL",
            )
            .bind(&hash)
            .fetch_optional(&self.0.pool)
            .await?
        } else if credential.starts_with(SESSION_PREFIX) {
            sqlx::query_as(
                "SELECT users.workspace_id, 'user:' || users.id AS actor, users.role FROM sessions
                 JOIN users ON users.id = sessions.user_id
                 WHERE sessions.token_hash = $1 AND sessions.expires_at > $2",
            )
            .bind(&hash)
            .bind(now())
            .fetch_optional(&self.0.pool)
            .await?
        } else {
            None
        };
        Ok(principal)
    }
}

/// The API keys area of the records.
pub struct ApiKeys<'a>(pub(crate) &'a Store);

impl ApiKeys<'_> {
    pub async fn create(
        &self,
        workspace: &str,
        actor: &str,
        name: &str,
    ) -> Result<NewApiKey, StoreError> {
        let secret = secret::generate(API_KEY_PREFIX);
        let key = ApiKey {
            id: new_id(),
            name: name.to_string(),
            prefix: secret[..API_KEY_PREFIX.len() + 8].to_string(),
            created_at: now(),
            revoked_at: None,
        };
        let mut transaction = self.0.write().await?;
        sqlx::query(
            "INSERT INTO api_keys (id, workspace_id, name, prefix, key_hash, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&key.id)
        .bind(workspace)
        .bind(&key.name)
        .bind(&key.prefix)
        .bind(secret::hash(&secret))
        .bind(key.created_at)
        .execute(&mut *transaction)
        .await?;
        audit::record(
            &mut transaction,
            workspace,
            actor,
            "api_key.create",
            &key.id,
        )
        .await?;
        transaction.commit().await?;
        Ok(NewApiKey { key, secret })
    }

    /// The workspace's keys, oldest first.
    pub async fn list(&self, workspace: &str, page: &Page) -> Result<Listed<ApiKey>, StoreError> {
        let sql = format!(
            "SELECT id, name, prefix, created_at, revoked_at FROM api_keys
             WHERE workspace_id = $1 {AFTER} ORDER BY created_at, id LIMIT $4"
        );
        page::fetch(&self.0.pool, &sql, workspace, &[], page).await
    }

    pub async fn revoke(&self, workspace: &str, actor: &str, id: &str) -> Result<(), StoreError> {
        let mut transaction = self.0.write().await?;
        let revoked = sqlx::query(
            "UPDATE api_keys SET revoked_at = $1
             WHERE id = $2 AND workspace_id = $3 AND revoked_at IS NULL",
        )
        .bind(now())
        .bind(id)
        .bind(workspace)
        .execute(&mut *transaction)
        .await?;
        if revoked.rows_affected() == 0 {
            return Err(StoreError::NotFound("api key"));
        }
        audit::record(&mut transaction, workspace, actor, "api_key.revoke", id).await?;
        transaction.commit().await?;
        Ok(())
    }
}
