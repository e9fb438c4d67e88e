//! A throwaway PostgreSQL database for tests (feature `test-support`): created empty on the
//! server named by SWITCHBOARD_TEST_POSTGRES (default postgres://postgres@127.0.0.1:5432/postgres)
//! and dropped when the test is done. Where SWITCHBOARD_REQUIRE_POSTGRES is set (CI, on a
//! machine kind that runs PostgreSQL), a server that does not answer is a failure, not a skip.

use crate::error::StoreError;

pub struct ScratchPostgres {
    /// Where the new database is.
    pub url: String,
    name: String,
    server: String,
}

/// A new empty database, or `None` with the reason printed when no server answers (the test
/// then skips).
pub async fn scratch_postgres() -> Result<Option<ScratchPostgres>, StoreError> {
    let server = std::env::var("SWITCHBOARD_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string());
    sqlx::any::install_default_drivers();
    let admin = match sqlx::AnyPool::connect(&server).await {
        Ok(pool) => pool,
        Err(error) => {
            assert!(
                std::env::var_os("SWITCHBOARD_REQUIRE_POSTGRES").is_none(),
                "PostgreSQL is required here and {server} does not answer: {error}"
            );
            println!("skipped: no PostgreSQL at {server} ({error}); set SWITCHBOARD_TEST_POSTGRES");
            return Ok(None);
        }
    };
    let name = format!("switchboard_test_{}", uuid::Uuid::new_v4().simple());
    sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await?;
    admin.close().await;
    let base = server
        .rsplit_once('/')
        .map_or(server.as_str(), |(base, _)| base);
    Ok(Some(ScratchPostgres {
        url: format!("{base}/{name}"),
        name,
        server,
    }))
}

impl ScratchPostgres {
    /// Drops the database, closing whatever connections are still open to it.
    pub async fn drop(self) -> Result<(), StoreError> {
        let admin = sqlx::AnyPool::connect(&self.server).await?;
        sqlx::raw_sql(&format!("DROP DATABASE {} WITH (FORCE)", self.name))
            .execute(&admin)
            .await?;
        admin.close().await;
        Ok(())
    }
}
