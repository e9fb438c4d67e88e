//! The credit ledger. An AI action first reserves the most it may cost (refused, with the plan
//! and balance, when the balance cannot cover it), then settles at what it did cost; an action
//! that fails settles at zero. The balance never goes below zero and no action is half-paid.

use serde::Serialize;
use sqlx::{AnyConnection, Row};

use crate::error::StoreError;
use crate::page::{self, BEFORE, Listed, Page};
use crate::store::{Store, new_id, now};

/// Credits held for one action until it settles. The records only hold the numbers; the
/// guard that settles a reservation dropped mid-action lives with the use cases (`app`).
#[derive(Debug, Clone)]
pub struct Reservation {
    ledger_entry: String,
    workspace: String,
    amount: i64,
}

impl Reservation {
    pub fn workspace(&self) -> &str {
        &self.workspace
    }

    pub fn amount(&self) -> i64 {
        self.amount
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct LedgerEntry {
    pub id: String,
    /// Positive for allowances, negative for what actions spent.
    pub delta: i64,
    pub reason: String,
    pub created_at: i64,
}

/// Writes one ledger line; returns its id.
pub(crate) async fn insert_entry(
    connection: &mut AnyConnection,
    workspace: &str,
    delta: i64,
    reason: &str,
) -> Result<String, sqlx::Error> {
    let id = new_id();
    sqlx::query(
        "INSERT INTO credit_ledger (id, workspace_id, delta, reason, created_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(workspace)
    .bind(delta)
    .bind(reason)
    .bind(now())
    .execute(connection)
    .await?;
    Ok(id)
}

/// The credits area of the records.
pub struct Credits<'a>(pub(crate) &'a Store);

impl Credits<'_> {
    pub async fn reserve(
        &self,
        workspace: &str,
        amount: i64,
        reason: &str,
    ) -> Result<Reservation, StoreError> {
        let mut transaction = self.0.write().await?;
        let taken = sqlx::query(
            "UPDATE workspaces SET credit_balance = credit_balance - $1
             WHERE id = $2 AND credit_balance >= $1",
        )
        .bind(amount)
        .bind(workspace)
        .execute(&mut *transaction)
        .await?;
        if taken.rows_affected() == 0 {
            let row = sqlx::query("SELECT plan, credit_balance FROM workspaces WHERE id = $1")
                .bind(workspace)
                .fetch_optional(&mut *transaction)
                .await?
                .ok_or(StoreError::NotFound("workspace"))?;
            return Err(StoreError::InsufficientCredits {
                workspace: workspace.to_string(),
                plan: row.try_get("plan")?,
                balance: row.try_get("credit_balance")?,
                needed: amount,
            });
        }
        let ledger_entry = insert_entry(&mut transaction, workspace, -amount, reason).await?;
        transaction.commit().await?;
        Ok(Reservation {
            ledger_entry,
            workspace: workspace.to_string(),
            amount,
        })
    }

    /// Charges `used` (at most what was reserved) and gives the rest back. Settling again is
    /// harmless: only a ledger line still holding the whole reservation is settled, so a retry
    /// after a failure (or a guard settling what an interrupted settlement already did)
    /// refunds nothing twice.
    pub async fn settle(&self, reservation: &Reservation, used: i64) -> Result<(), StoreError> {
        let used = used.clamp(0, reservation.amount);
        let refund = reservation.amount - used;
        if refund == 0 {
            return Ok(());
        }
        let mut transaction = self.0.write().await?;
        let settled =
            sqlx::query("UPDATE credit_ledger SET delta = $1 WHERE id = $2 AND delta = $3")
                .bind(-used)
                .bind(&reservation.ledger_entry)
                .bind(-reservation.amount)
                .execute(&mut *transaction)
                .await?;
        if settled.rows_affected() > 0 {
            sqlx::query("UPDATE workspaces SET credit_balance = credit_balance + $1 WHERE id = $2")
                .bind(refund)
                .bind(&reservation.workspace)
                .execute(&mut *transaction)
                .await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    /// Adds credits (a plan renewal, a top-up).
    pub async fn grant(
        &self,
        workspace: &str,
        amount: i64,
        reason: &str,
    ) -> Result<(), StoreError> {
        let mut transaction = self.0.write().await?;
        let updated =
            sqlx::query("UPDATE workspaces SET credit_balance = credit_balance + $1 WHERE id = $2")
                .bind(amount)
                .bind(workspace)
                .execute(&mut *transaction)
                .await?;
        if updated.rows_affected() == 0 {
            return Err(StoreError::NotFound("workspace"));
        }
        insert_entry(&mut transaction, workspace, amount, reason).await?;
        transaction.commit().await?;
        Ok(())
    }

    /// The ledger, newest first. Reservations not yet settled show what they hold.
    pub async fn ledger(
        &self,
        workspace: &str,
        page: &Page,
    ) -> Result<Listed<LedgerEntry>, StoreError> {
        let sql = format!(
            "SELECT id, delta, reason, created_at FROM credit_ledger WHERE workspace_id = $1
             {BEFORE} ORDER BY created_at DESC, id DESC LIMIT $4"
        );
        page::fetch(&self.0.pool, &sql, workspace, &[], page).await
    }
}
