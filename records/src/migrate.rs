//! Migrations embedded in the binary, one list per dialect, applied in one transaction. Each
//! applied migration is recorded with the SHA-256 of its text, and a database whose applied
//! migration differs from this version's text is refused: the schema it describes is not the
//! schema the database has.

use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::error::StoreError;
use crate::store::{Backend, Store, now};

pub(crate) struct Migration {
    pub(crate) version: i64,
    pub(crate) description: &'static str,
    pub(crate) sql: &'static str,
}

impl Migration {
    fn checksum(&self) -> String {
        Sha256::digest(self.sql.as_bytes())
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }
}

pub(crate) const SQLITE: &[Migration] = &[
    Migration {
        version: 1,
        description: "records",
        sql: include_str!("../../migrations/sqlite/0001_records.sql"),
    },
    Migration {
        version: 2,
        description: "job queue",
        sql: include_str!("../../migrations/sqlite/0002_job_queue.sql"),
    },
    Migration {
        version: 3,
        description: "inbox",
        sql: include_str!("../../migrations/sqlite/0003_inbox.sql"),
    },
    Migration {
        version: 4,
        description: "message search",
        sql: include_str!("../../migrations/sqlite/0004_message_search.sql"),
    },
    Migration {
        version: 5,
        description: "canned responses",
        sql: include_str!("../../migrations/sqlite/0005_canned_responses.sql"),
    },
    Migration {
        version: 6,
        description: "macros",
        sql: include_str!("../../migrations/sqlite/0006_macros.sql"),
    },
    Migration {
        version: 7,
        description: "conversation reads",
        sql: include_str!("../../migrations/sqlite/0007_conversation_reads.sql"),
    },
    Migration {
        version: 8,
        description: "routing",
        sql: include_str!("../../migrations/sqlite/0008_routing.sql"),
    },
    Migration {
        version: 9,
        description: "contact handles",
        sql: include_str!("../../migrations/sqlite/0009_contact_handles.sql"),
    },
    Migration {
        version: 10,
        description: "message attachments",
        sql: include_str!("../../migrations/sqlite/0010_message_attachments.sql"),
    },
    Migration {
        version: 11,
        description: "platform sends",
        sql: include_str!("../../migrations/sqlite/0011_platform_sends.sql"),
    },
    Migration {
        version: 12,
        description: "channel events",
        sql: include_str!("../../migrations/sqlite/0012_channel_events.sql"),
    },
    Migration {
        version: 13,
        description: "unsubscribed",
        sql: include_str!("../../migrations/sqlite/0013_unsubscribed.sql"),
    },
    Migration {
        version: 14,
        description: "eval runs",
        sql: include_str!("../../migrations/sqlite/0014_eval_runs.sql"),
    },
];

pub(crate) const POSTGRES: &[Migration] = &[
    Migration {
        version: 1,
        description: "records",
        sql: include_str!("../../migrations/postgres/0001_records.sql"),
    },
    Migration {
        version: 2,
        description: "job queue",
        sql: include_str!("../../migrations/postgres/0002_job_queue.sql"),
    },
    Migration {
        version: 3,
        description: "inbox",
        sql: include_str!("../../migrations/postgres/0003_inbox.sql"),
    },
    Migration {
        version: 4,
        description: "message search",
        sql: include_str!("../../migrations/postgres/0004_message_search.sql"),
    },
    Migration {
        version: 5,
        description: "canned responses",
        sql: include_str!("../../migrations/postgres/0005_canned_responses.sql"),
    },
    Migration {
        version: 6,
        description: "macros",
        sql: include_str!("../../migrations/postgres/0006_macros.sql"),
    },
    Migration {
        version: 7,
        description: "conversation reads",
        sql: include_str!("../../migrations/postgres/0007_conversation_reads.sql"),
    },
    Migration {
        version: 8,
        description: "routing",
        sql: include_str!("../../migrations/postgres/0008_routing.sql"),
    },
    Migration {
        version: 9,
        description: "contact handles",
        sql: include_str!("../../migrations/postgres/0009_contact_handles.sql"),
    },
    Migration {
        version: 10,
        description: "message attachments",
        sql: include_str!("../../migrations/postgres/0010_message_attachments.sql"),
    },
    Migration {
        version: 11,
        description: "platform sends",
        sql: include_str!("../../migrations/postgres/0011_platform_sends.sql"),
    },
    Migration {
        version: 12,
        description: "channel events",
        sql: include_str!("../../migrations/postgres/0012_channel_events.sql"),
    },
    Migration {
        version: 13,
        description: "unsubscribed",
        sql: include_str!("../../migrations/postgres/0013_unsubscribed.sql"),
    },
    Migration {
        version: 14,
        description: "eval runs",
        sql: include_str!("../../migrations/postgres/0014_eval_runs.sql"),
    },
];

pub(crate) async fn run(store: &Store) -> Result<(), StoreError> {
    let migrations = match store.backend() {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    };
    let mut transaction = store.write().await?;
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
            applied_at BIGINT NOT NULL,
            checksum TEXT
        )",
    )
    .execute(&mut *transaction)
    .await?;
    // Databases made before checksums were recorded lack the column.
    let has_checksum = match store.backend() {
        Backend::Sqlite => {
            "SELECT COUNT(*) FROM pragma_table_info('schema_migrations') WHERE name = 'checksum'"
        }
        Backend::Postgres => {
            "SELECT COUNT(*) FROM information_schema.columns
             WHERE table_schema = current_schema() AND table_name = 'schema_migrations'
               AND column_name = 'checksum'"
        }
    };
    let columns: i64 = sqlx::query(has_checksum)
        .fetch_one(&mut *transaction)
        .await?
        .try_get(0)?;
    if columns == 0 {
        sqlx::raw_sql("ALTER TABLE schema_migrations ADD COLUMN checksum TEXT")
            .execute(&mut *transaction)
            .await?;
    }
    let applied: Vec<(i64, Option<String>)> =
        sqlx::query("SELECT version, checksum FROM schema_migrations")
            .fetch_all(&mut *transaction)
            .await?
            .iter()
            .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
            .collect::<Result<_, sqlx::Error>>()?;
    for (version, recorded) in &applied {
        let Some(known) = migrations.iter().find(|known| known.version == *version) else {
            return Err(StoreError::Migration {
                version: *version,
                description: "unknown",
                reason: "the database was migrated by a newer Switchboard; run that version".into(),
            });
        };
        match recorded {
            Some(recorded) if *recorded != known.checksum() => {
                return Err(StoreError::Migration {
                    version: *version,
                    description: known.description,
                    reason: format!(
                        "it was changed after it was applied (recorded checksum {recorded}, this version's {}); restore it and add a new migration instead",
                        known.checksum()
                    ),
                });
            }
            Some(_) => {}
            // Applied before checksums were kept: recorded now, as it is.
            None => {
                sqlx::query("UPDATE schema_migrations SET checksum = $1 WHERE version = $2")
                    .bind(known.checksum())
                    .bind(version)
                    .execute(&mut *transaction)
                    .await?;
            }
        }
    }
    for migration in migrations {
        if applied
            .iter()
            .any(|(version, _)| *version == migration.version)
        {
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
            "INSERT INTO schema_migrations (version, description, applied_at, checksum)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(migration.version)
        .bind(migration.description)
        .bind(now())
        .bind(migration.checksum())
        .execute(&mut *transaction)
        .await?;
    }
    transaction.commit().await?;
    Ok(())
}
