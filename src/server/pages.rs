//! Cursor pagination as the API shows it: every list takes `?limit=N` (1 to 500, default 100)
//! and `?cursor=C`, and answers the page as a JSON array with the next page's cursor in
//! `X-Next-Cursor` and a `Link: <...>; rel="next"` header (with the request's other
//! parameters, so a filtered list's next page is filtered alike); the last page has neither.

use axum::Json;
use axum::http::{HeaderName, HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use records::{Listed, Page};
use serde::{Deserialize, Serialize};

use super::error::ApiError;

pub const NEXT_CURSOR: HeaderName = HeaderName::from_static("x-next-cursor");

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// How many items, 1 to 500 (default 100).
    limit: Option<u32>,
    /// Where to go on from: the `X-Next-Cursor` of the previous page.
    cursor: Option<String>,
}

impl PageQuery {
    pub fn page(&self) -> Result<Page, ApiError> {
        Ok(Page::parse(self.limit, self.cursor.as_deref())?)
    }
}

/// The page's items, with the headers that lead on.
pub fn respond<T: Serialize>(uri: &Uri, page: &Page, listed: Listed<T>) -> Response {
    let mut response = Json(listed.items).into_response();
    if let Some(next) = listed.next {
        let cursor = next.encode();
        // The request's other parameters (a list's filters) carry over to the next page.
        let kept: String = uri
            .query()
            .unwrap_or_default()
            .split('&')
            .filter(|pair| {
                !pair.is_empty() && !pair.starts_with("limit=") && !pair.starts_with("cursor=")
            })
            .map(|pair| format!("{pair}&"))
            .collect();
        let link = format!(
            "<{}?{kept}limit={}&cursor={cursor}>; rel=\"next\"",
            uri.path(),
            page.limit
        );
        let headers = response.headers_mut();
        if let (Ok(cursor), Ok(link)) =
            (HeaderValue::from_str(&cursor), HeaderValue::from_str(&link))
        {
            headers.insert(NEXT_CURSOR, cursor);
            headers.insert(header::LINK, link);
        }
    }
    response
}
