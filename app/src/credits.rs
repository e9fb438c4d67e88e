//! Credits held for one AI action, as a guard: settled at what the action cost, or, when the
//! guard is dropped unsettled (a client that went away mid-turn, an error, a panic), at zero.

use records::{Reservation, Store};

use crate::AppError;

pub struct CreditGuard {
    store: Store,
    reservation: Option<Reservation>,
}

impl CreditGuard {
    /// Reserves the most the action may cost; refused with the plan and balance when the
    /// workspace cannot cover it.
    pub async fn reserve(
        store: &Store,
        workspace: &str,
        amount: i64,
        reason: &str,
    ) -> Result<Self, AppError> {
        let reservation = store.credits().reserve(workspace, amount, reason).await?;
        Ok(CreditGuard {
            store: store.clone(),
            reservation: Some(reservation),
        })
    }

    /// Charges `used` (at most what was reserved) and gives the rest back. The reservation is
    /// let go only once settled: a settlement that fails or is dropped midway leaves it to the
    /// guard, which settles it at zero (settling twice refunds once).
    pub async fn settle(mut self, used: i64) -> Result<(), AppError> {
        if let Some(reservation) = &self.reservation {
            self.store.credits().settle(reservation, used).await?;
            self.reservation = None;
        }
        Ok(())
    }
}

impl Drop for CreditGuard {
    fn drop(&mut self) {
        let Some(reservation) = self.reservation.take() else {
            return;
        };
        let store = self.store.clone();
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    if let Err(error) = store.credits().settle(&reservation, 0).await {
                        tracing::warn!(%error, workspace = reservation.workspace(), "giving back the credits of an abandoned action failed");
                    }
                });
            }
            Err(_) => tracing::warn!(
                workspace = reservation.workspace(),
                credits = reservation.amount(),
                "an unsettled reservation was dropped outside a runtime; its credits stay spent"
            ),
        }
    }
}
