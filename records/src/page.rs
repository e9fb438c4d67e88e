//! Cursor pagination, the same for every list: items in a fixed order by a time and their id,
//! `limit` at a time, each page after the cursor the previous one ended with. A cursor is
//! opaque to callers (`<millis>.<id>`); one that does not parse is refused by name.

use sqlx::any::AnyRow;
use sqlx::{AnyPool, FromRow};

use crate::error::StoreError;

/// The condition a page's rows meet, oldest first: after the cursor's time and id (`$2`,
/// `$3`; both null on the first page). Every paged query binds them in those places.
pub(crate) const AFTER: &str =
    "AND (CAST($2 AS BIGINT) IS NULL OR created_at > $2 OR (created_at = $2 AND id > $3))";
/// The same, newest first.
pub(crate) const BEFORE: &str =
    "AND (CAST($2 AS BIGINT) IS NULL OR created_at < $2 OR (created_at = $2 AND id < $3))";

/// The most items one page holds.
pub const MAX_LIMIT: u32 = 500;
pub const DEFAULT_LIMIT: u32 = 100;

/// Which page of a list.
#[derive(Debug, Clone)]
pub struct Page {
    pub limit: u32,
    pub after: Option<Cursor>,
}

impl Default for Page {
    fn default() -> Self {
        Page {
            limit: DEFAULT_LIMIT,
            after: None,
        }
    }
}

impl Page {
    /// Everything at once: for the service's own use, never a request's.
    pub fn all() -> Self {
        Page {
            limit: u32::MAX,
            after: None,
        }
    }

    /// A page as a request asks for it: `limit` from 1 to [`MAX_LIMIT`], a cursor from a
    /// previous page.
    pub fn parse(limit: Option<u32>, cursor: Option<&str>) -> Result<Self, StoreError> {
        let limit = limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(StoreError::InvalidPage(format!(
                "limit: {limit} is not between 1 and {MAX_LIMIT}"
            )));
        }
        let after = cursor
            .filter(|cursor| !cursor.is_empty())
            .map(Cursor::decode)
            .transpose()?;
        Ok(Page { limit, after })
    }

    /// The rows to fetch: one more than the page, to know whether another follows.
    pub(crate) fn fetch(&self) -> i64 {
        i64::from(self.limit) + 1
    }

    /// The cursor's time and id as query parameters (both null on the first page), when the
    /// cursor was made by the list's `order` (`None`: the list's one order): a cursor of
    /// another order points somewhere else in the list, and would give a wrong page.
    pub(crate) fn bounds(
        &self,
        order: Option<&str>,
    ) -> Result<(Option<i64>, Option<String>), StoreError> {
        match &self.after {
            Some(cursor) if cursor.order.as_deref() != order => Err(StoreError::InvalidPage(
                "cursor: it was given by another order of this list; ask for the first page \
                 of this order again"
                    .into(),
            )),
            Some(cursor) => Ok((Some(cursor.at), Some(cursor.id.clone()))),
            None => Ok((None, None)),
        }
    }

    /// Cuts the fetched rows to the page and says where the next one starts.
    pub(crate) fn cut<T>(&self, mut rows: Vec<T>, key: impl Fn(&T) -> Cursor) -> Listed<T> {
        let more = rows.len() > self.limit as usize;
        rows.truncate(self.limit as usize);
        let next = if more { rows.last().map(key) } else { None };
        Listed { items: rows, next }
    }
}

/// Where a page ended: the last item's time and id, and the order that made it when a list
/// has more than one (`waiting:<millis>.<id>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub at: i64,
    pub id: String,
    pub order: Option<String>,
}

impl Cursor {
    pub fn new(at: i64, id: &str) -> Self {
        Cursor {
            at,
            id: id.to_string(),
            order: None,
        }
    }

    /// A cursor of a list's other order than its first.
    pub fn in_order(order: &str, at: i64, id: &str) -> Self {
        Cursor {
            order: Some(order.to_string()),
            ..Cursor::new(at, id)
        }
    }

    pub fn encode(&self) -> String {
        match &self.order {
            Some(order) => format!("{order}:{}.{}", self.at, self.id),
            None => format!("{}.{}", self.at, self.id),
        }
    }

    pub fn decode(text: &str) -> Result<Self, StoreError> {
        let invalid =
            || StoreError::InvalidPage(format!("cursor: {text:?} is not a cursor this list gave"));
        let (order, rest) = match text.split_once(':') {
            Some((order, rest))
                if (1..=20).contains(&order.len())
                    && order.bytes().all(|byte| byte.is_ascii_lowercase()) =>
            {
                (Some(order), rest)
            }
            Some(_) => return Err(invalid()),
            None => (None, text),
        };
        let (at, id) = rest.split_once('.').ok_or_else(invalid)?;
        let at = at.parse().map_err(|_| invalid())?;
        if id.is_empty() || id.len() > 100 {
            return Err(invalid());
        }
        Ok(Cursor {
            order: order.map(str::to_string),
            ..Cursor::new(at, id)
        })
    }
}

/// A record a list pages through by its time and id.
pub(crate) trait Dated {
    fn cursor(&self) -> Cursor;
}

/// Records paged by their creation time and id.
macro_rules! dated_by_creation {
    ($($record:ty),* $(,)?) => {
        $(impl Dated for $record {
            fn cursor(&self) -> Cursor {
                Cursor::new(self.created_at, &self.id)
            }
        })*
    };
}

dated_by_creation!(
    crate::Team,
    crate::User,
    crate::ApiKey,
    crate::AgentRecord,
    crate::AuditEntry,
    crate::LedgerEntry,
    crate::KnowledgeBase,
    crate::Source,
    crate::ChannelRecord,
    crate::MessageRecord,
    crate::EvalRun,
);

/// Runs a paged query: `sql` filters by the workspace (`$1`) and [`AFTER`] or [`BEFORE`]
/// (`$2`, `$3`), ends with `LIMIT $4`, and may use `extra` as `$5`, `$6`, ...
pub(crate) async fn fetch<T>(
    pool: &AnyPool,
    sql: &str,
    workspace: &str,
    extra: &[&str],
    page: &Page,
) -> Result<Listed<T>, StoreError>
where
    T: Dated + for<'r> FromRow<'r, AnyRow> + Send + Unpin,
{
    let (at, id) = page.bounds(None)?;
    let mut query = sqlx::query_as(sql)
        .bind(workspace)
        .bind(at)
        .bind(id)
        .bind(page.fetch());
    for value in extra {
        query = query.bind(*value);
    }
    let rows: Vec<T> = query.fetch_all(pool).await?;
    Ok(page.cut(rows, Dated::cursor))
}

/// One page of a list, and the cursor of the next when there is one.
#[derive(Debug, Clone)]
pub struct Listed<T> {
    pub items: Vec<T>,
    pub next: Option<Cursor>,
}

impl<T> Listed<T> {
    /// The same page with each item turned into another thing, or the first failure.
    pub fn try_map<U, E>(self, convert: impl FnMut(T) -> Result<U, E>) -> Result<Listed<U>, E> {
        Ok(Listed {
            items: self
                .items
                .into_iter()
                .map(convert)
                .collect::<Result<_, _>>()?,
            next: self.next,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_serves_only_the_order_that_made_it() {
        let page = |cursor: Cursor| Page::parse(None, Some(&cursor.encode())).unwrap();
        let waiting = page(Cursor::in_order("waiting", 5, "c-9"));
        assert_eq!(
            waiting.bounds(Some("waiting")).unwrap(),
            (Some(5), Some("c-9".into()))
        );
        let error = waiting.bounds(None).unwrap_err().to_string();
        assert!(error.contains("another order"), "{error}");
        assert!(page(Cursor::new(5, "c-9")).bounds(Some("waiting")).is_err());
        assert_eq!(
            Page::default().bounds(Some("waiting")).unwrap(),
            (None, None)
        );
    }

    #[test]
    fn cursors_read_back_and_bad_ones_are_named() {
        let cursor = Cursor::new(1_764_000_000_000, "4f1c2a9e-0000-4000-8000-000000000001");
        assert_eq!(Cursor::decode(&cursor.encode()).unwrap(), cursor);
        let waiting = Cursor::in_order("waiting", 1_764_000_000_000, "4f1c2a9e");
        assert_eq!(Cursor::decode(&waiting.encode()).unwrap(), waiting);
        for bad in ["", "12", "x.y", "12.", "Bad:12.x", ":12.x"] {
            let error = Cursor::decode(bad).unwrap_err().to_string();
            assert!(error.contains("cursor"), "{bad}: {error}");
        }
        assert!(
            Page::parse(Some(0), None)
                .unwrap_err()
                .to_string()
                .contains("limit")
        );
        assert!(Page::parse(Some(501), None).is_err());
        let page = Page::parse(Some(2), None).unwrap();
        let listed = page.cut(vec![1, 2, 3], |n| Cursor::new(*n, "id"));
        assert_eq!(listed.items, [1, 2]);
        assert_eq!(listed.next, Some(Cursor::new(2, "id")));
    }
}
