//! Migrations embedded in the binary, one list per dialect, applied in one transaction.

use sqlx::Row;

use crate::error::StoreError;
use crate::store::{Backend, Store, now};

struct Migration {
    version: i64,
    description: &'static str,
    sql: &'static str,
}

const SQLITE: &[Migration] = &[Migration {
    version: 1,
    description: "records",
    sql: include_str!("../../migrations/sqlite/0001_records.sql"),
}];

const POSTGRES: &[Migration] = &[Migration {
    version: 1,
    description: "records",
    sql: include_str!("../../migrations/postgres/0001_records.sql"),
}];

pub(crate) async fn run(store: &Store) -> Result<(), StoreError> {
    let migrations = match store.backend() {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    };
    let mut transaction = store.pool.begin().await?;
    if store.backend() == Backend::Postgres {
        // Two instances starting at once: the second waits, then finds nothing to do.
        sqlx::raw_sql("DO $$ BEGIN PERFORM pg_advisory_xact_lock(72620104); END $$")
            .execute(&mut *transaction)
            .await?;
    }
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version BIGINT PRIMARY KEY,
            description TEXT NOT NULL,
            applied_at BIGINT NOT NULL
        )",
    )
    .execute(&mut *transaction)
    .await?;
    let applied: Vec<i64> = sqlx::query("SELECT version FROM schema_migrations")
        .fetch_all(&mut *transaction)
        .await?
        .iter()
        .map(|row| row.try_get::<i64, _>(0))
        .collect::<Result<_, _>>()?;
    if let Some(newer) = applied
        .iter()
        .find(|version| !migrations.iter().any(|known| known.version == **version))
    {
        return Err(StoreError::Migration {
            version: *newer,
            description: "unknown",
            reason: "the database was migrated by a newer Switchboard; run that version".into(),
        });
    }
    for migration in migrations {
        if applied.contains(&migration.version) {
            continue;
        }
        sqlx::raw_sql(migration.sql)
            .execute(&mut *transaction)
            .await
            .map_err(|error| StoreError::Migration {
                version: migration.version,
                description: migration.description,
                reason: error.to_string(),
            })?;
        sqlx::query(
            "INSERT INTO schema_migrations (version, description, applied_at) VALUES ($1, $2, $3)",
        )
        .bind(migration.version)
        .bind(migration.description)
        .bind(now())
        .execute(&mut *transaction)
        .await?;
    }
    transaction.commit().await?;
    Ok(())
}
