//! Bringing web sources in: fetch a URL with a timeout, a size cap and a redirect cap, refuse
//! addresses inside the network (private, loopback, link-local) unless told otherwise, turn
//! Google Docs and Sheets share links into their export URLs, and optionally crawl a site.

use std::collections::{HashSet, VecDeque};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use url::Url;

use crate::detect::{SourceKind, detect};
use crate::document::Document;
use crate::error::Error;
use crate::limits::Limits;

#[derive(Debug, Clone)]
pub struct FetchOptions {
    pub timeout: Duration,
    pub max_redirects: usize,
    /// Allow addresses inside the network. Off in production: a URL from a user must not reach
    /// the service's own neighbours. Tests against a local server turn it on.
    pub allow_private: bool,
    /// Pages to fetch from the same site, the first included (1 = no crawl).
    pub crawl_pages: usize,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            timeout: Duration::from_secs(20),
            max_redirects: 5,
            allow_private: false,
            crawl_pages: 1,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error(
        "refusing to fetch {url}: {host} resolves to {address}, a private, loopback or link-local address"
    )]
    Blocked {
        url: String,
        host: String,
        address: IpAddr,
    },
    #[error("fetching {url} took longer than the {seconds} s limit")]
    Timeout { url: String, seconds: u64 },
    #[error("{url} is larger than the limit of {limit} bytes")]
    TooLarge { url: String, limit: u64 },
    #[error("{url} redirected more than {limit} times")]
    TooManyRedirects { url: String, limit: usize },
    #[error("{url} answered HTTP {status}")]
    Status { url: String, status: u16 },
    #[error("could not fetch {url}: {reason}")]
    Network { url: String, reason: String },
}

/// What a fetch brought back.
#[derive(Debug)]
pub struct Fetched {
    /// The URL after redirects.
    pub url: Url,
    pub content_type: Option<String>,
    pub bytes: Vec<u8>,
}

/// Google Docs and Sheets share links point at an editor page; their export URLs give the
/// document as DOCX or XLSX.
pub fn export_url(url: &Url) -> Option<Url> {
    if url.host_str() != Some("docs.google.com") {
        return None;
    }
    let segments: Vec<&str> = url.path_segments()?.collect();
    let at = segments.iter().position(|segment| *segment == "d")?;
    let id = segments.get(at + 1)?;
    let format = match *segments.first()? {
        "document" => "docx",
        "spreadsheets" => "xlsx",
        _ => return None,
    };
    let kind = segments[0];
    Url::parse(&format!(
        "https://docs.google.com/{kind}/d/{id}/export?format={format}"
    ))
    .ok()
}

/// Fetches one URL, following redirects itself so that every hop is checked.
pub async fn fetch(
    url: &str,
    options: &FetchOptions,
    limits: &Limits,
) -> Result<Fetched, FetchError> {
    let mut current = Url::parse(url).map_err(|error| FetchError::InvalidUrl {
        url: url.into(),
        reason: error.to_string(),
    })?;
    for _ in 0..=options.max_redirects {
        let response = request(&current, options).await?;
        if response.status().is_redirection() {
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|value| value.to_str().ok())
                .ok_or_else(|| FetchError::Network {
                    url: current.to_string(),
                    reason: "redirect without a Location".into(),
                })?;
            current = current
                .join(location)
                .map_err(|error| FetchError::InvalidUrl {
                    url: location.to_string(),
                    reason: error.to_string(),
                })?;
            continue;
        }
        if !response.status().is_success() {
            return Err(FetchError::Status {
                url: current.to_string(),
                status: response.status().as_u16(),
            });
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(str::to_string);
        let bytes = read_capped(response, &current, options, limits.max_file_bytes).await?;
        return Ok(Fetched {
            url: current,
            content_type,
            bytes,
        });
    }
    Err(FetchError::TooManyRedirects {
        url: url.to_string(),
        limit: options.max_redirects,
    })
}

/// What can be known of a URL before fetching it: that it parses, is http(s) with a host, and
/// that its host resolves to no address inside the network. Errors read as a fetch's would;
/// a host that does not resolve now is not refused (the fetch will say, or retry).
pub async fn check_url(url: &str, options: &FetchOptions) -> Result<(), FetchError> {
    let parsed = Url::parse(url).map_err(|error| FetchError::InvalidUrl {
        url: url.into(),
        reason: error.to_string(),
    })?;
    match target(&parsed, options).await {
        Err(FetchError::Network { .. } | FetchError::Timeout { .. }) | Ok(_) => Ok(()),
        Err(error) => Err(error),
    }
}

/// The host to ask and the checked address to connect to.
async fn target<'u>(
    url: &'u Url,
    options: &FetchOptions,
) -> Result<(&'u str, SocketAddr), FetchError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(FetchError::InvalidUrl {
            url: url.to_string(),
            reason: "only http and https are fetched".into(),
        });
    }
    let host = url.host_str().ok_or_else(|| FetchError::InvalidUrl {
        url: url.to_string(),
        reason: "no host".into(),
    })?;
    let port = url.port_or_known_default().unwrap_or(80);
    Ok((host, resolve(url, host, port, options).await?))
}

async fn request(url: &Url, options: &FetchOptions) -> Result<reqwest::Response, FetchError> {
    let (host, address) = target(url, options).await?;
    // The client connects to the address checked above, so a second DNS answer cannot point the
    // request somewhere else.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(options.timeout)
        .connect_timeout(options.timeout)
        .user_agent(concat!("Switchboard/", env!("CARGO_PKG_VERSION")))
        .resolve(host.trim_start_matches('[').trim_end_matches(']'), address)
        .build()
        .map_err(|error| network(url, error))?;
    client.get(url.clone()).send().await.map_err(|error| {
        if error.is_timeout() {
            timeout(url, options)
        } else {
            network(url, error)
        }
    })
}

async fn resolve(
    url: &Url,
    host: &str,
    port: u16,
    options: &FetchOptions,
) -> Result<SocketAddr, FetchError> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addresses: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => tokio::time::timeout(options.timeout, tokio::net::lookup_host((bare, port)))
            .await
            .map_err(|_| timeout(url, options))?
            .map_err(|error| network(url, error))?
            .collect(),
    };
    let first = *addresses
        .first()
        .ok_or_else(|| network(url, "the host has no address"))?;
    if !options.allow_private
        && let Some(inside) = addresses.iter().find(|address| is_internal(address.ip()))
    {
        return Err(FetchError::Blocked {
            url: url.to_string(),
            host: host.to_string(),
            address: inside.ip(),
        });
    }
    Ok(first)
}

/// Addresses a fetch from user input must never reach.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 198 && (b == 18 || b == 19))
                || a >= 240
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_internal(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
        }
    }
}

async fn read_capped(
    mut response: reqwest::Response,
    url: &Url,
    options: &FetchOptions,
    limit: u64,
) -> Result<Vec<u8>, FetchError> {
    let too_large = || FetchError::TooLarge {
        url: url.to_string(),
        limit,
    };
    if response
        .content_length()
        .is_some_and(|length| length > limit)
    {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    loop {
        let next = response.chunk().await.map_err(|error| {
            if error.is_timeout() {
                timeout(url, options)
            } else {
                network(url, error)
            }
        })?;
        let Some(chunk) = next else { break };
        if (bytes.len() + chunk.len()) as u64 > limit {
            return Err(too_large());
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

fn network(url: &Url, reason: impl std::fmt::Display) -> FetchError {
    FetchError::Network {
        url: url.to_string(),
        reason: reason.to_string(),
    }
}

fn timeout(url: &Url, options: &FetchOptions) -> FetchError {
    FetchError::Timeout {
        url: url.to_string(),
        seconds: options.timeout.as_secs().max(1),
    }
}

/// Fetches a URL (a Google Docs or Sheets link is fetched as its export) and parses it. With
/// `crawl_pages` above one, an HTML page's same-site links are followed breadth-first and every
/// page's blocks join the one document, each block keeping its page's URL.
pub async fn fetch_document(
    url: &str,
    options: &FetchOptions,
    limits: &Limits,
) -> Result<Document, Error> {
    let parsed = Url::parse(url).map_err(|error| FetchError::InvalidUrl {
        url: url.into(),
        reason: error.to_string(),
    })?;
    let target = export_url(&parsed).unwrap_or(parsed);
    let first = fetch(target.as_str(), options, limits).await?;
    let mut document = parse_fetched(&first)?;
    if document.kind != SourceKind::Html || options.crawl_pages <= 1 {
        return Ok(document);
    }
    let site = first.url.host_str().map(str::to_string);
    let mut seen: HashSet<String> = HashSet::from([without_fragment(&first.url)]);
    let mut queue: VecDeque<Url> = crate::html::links(&first.bytes, &first.url)
        .into_iter()
        .collect();
    let mut pages = 1;
    while pages < options.crawl_pages {
        let Some(mut next) = queue.pop_front() else {
            break;
        };
        next.set_fragment(None);
        if next.host_str().map(str::to_string) != site || !matches!(next.scheme(), "http" | "https")
        {
            continue;
        }
        if !seen.insert(next.to_string()) {
            continue;
        }
        match fetch(next.as_str(), options, limits).await {
            Ok(page) => match parse_fetched(&page) {
                Ok(parsed) if parsed.kind == SourceKind::Html => {
                    pages += 1;
                    queue.extend(crate::html::links(&page.bytes, &page.url));
                    document.blocks.extend(parsed.blocks);
                }
                Ok(_) => {}
                Err(error) => document.warnings.push(format!("{next}: {error}")),
            },
            Err(error) => document.warnings.push(error.to_string()),
        }
    }
    document.stats.pages = Some(pages);
    Ok(document)
}

fn without_fragment(url: &Url) -> String {
    let mut url = url.clone();
    url.set_fragment(None);
    url.to_string()
}

fn parse_fetched(fetched: &Fetched) -> Result<Document, Error> {
    let is_html = fetched
        .content_type
        .as_deref()
        .is_some_and(|kind| kind.contains("html"));
    let kind = match detect(fetched.url.path(), &fetched.bytes) {
        Ok(SourceKind::Text) | Err(_) if is_html => SourceKind::Html,
        Ok(kind) => kind,
        Err(error) => return Err(error),
    };
    if kind == SourceKind::Html {
        let mut document = crate::html::parse(&fetched.bytes, Some(fetched.url.as_str()))?;
        document.stats.pages = Some(1);
        return Ok(document);
    }
    crate::parse_as(kind, &fetched.bytes, &Limits::default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;

    /// A small HTTP/1.1 server on 127.0.0.1 answering by path, for as long as the test runs.
    fn serve(routes: fn(&str, u16) -> Option<String>) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut request_line = String::new();
                    reader.read_line(&mut request_line).ok();
                    let path = request_line
                        .split_whitespace()
                        .nth(1)
                        .unwrap_or("/")
                        .to_string();
                    loop {
                        let mut header = String::new();
                        if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                            break;
                        }
                    }
                    match routes(&path, port) {
                        Some(response) => {
                            let mut stream = stream;
                            stream.write_all(response.as_bytes()).ok();
                        }
                        None => std::thread::sleep(Duration::from_secs(5)),
                    }
                });
            }
        });
        port
    }

    fn page(body: &str) -> String {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
    }

    fn site(path: &str, port: u16) -> Option<String> {
        let long = "Our shop ships across the region within two working days, with tracking.";
        Some(match path {
            "/" => page(&format!(
                "<html><title>Home</title><body><p>{long}</p><a href='/faq#top'>FAQ</a><a href='https://elsewhere.test/'>x</a><a href='/faq'>again</a></body></html>"
            )),
            "/faq" => page(
                "<html><title>FAQ</title><body><h1>FAQ</h1><p>Refunds are accepted within thirty days of delivery, always.</p></body></html>",
            ),
            "/loop" => format!(
                "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:{port}/loop\r\nContent-Length: 0\r\n\r\n"
            ),
            "/big" => format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n{}",
                "x".repeat(5000)
            ),
            "/slow" => return None,
            _ => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_string(),
        })
    }

    fn local(crawl_pages: usize) -> FetchOptions {
        FetchOptions {
            allow_private: true,
            crawl_pages,
            timeout: Duration::from_secs(2),
            ..FetchOptions::default()
        }
    }

    #[tokio::test]
    async fn crawls_the_same_site_only_once_per_page() {
        let port = serve(site);
        let document = fetch_document(
            &format!("http://127.0.0.1:{port}/"),
            &local(5),
            &Limits::default(),
        )
        .await
        .unwrap();
        assert_eq!(document.stats.pages, Some(2));
        let urls: Vec<_> = document
            .blocks
            .iter()
            .filter_map(|block| block.position.url.clone())
            .collect();
        assert!(urls.iter().any(|url| url.ends_with("/faq")), "{urls:?}");
        assert!(
            document
                .blocks
                .iter()
                .any(|block| block.text.contains("thirty days"))
        );
    }

    #[tokio::test]
    async fn refuses_internal_addresses_by_default() {
        let port = serve(site);
        let error = fetch(
            &format!("http://127.0.0.1:{port}/"),
            &FetchOptions::default(),
            &Limits::default(),
        )
        .await
        .unwrap_err();
        assert!(matches!(error, FetchError::Blocked { .. }), "{error}");
        assert!(error.to_string().contains("127.0.0.1"));
        let error = fetch(
            "http://localhost:9/",
            &FetchOptions::default(),
            &Limits::default(),
        )
        .await
        .unwrap_err();
        assert!(matches!(error, FetchError::Blocked { .. }), "{error}");
        let error = fetch(
            "file:///etc/passwd",
            &FetchOptions::default(),
            &Limits::default(),
        )
        .await
        .unwrap_err();
        assert!(matches!(error, FetchError::InvalidUrl { .. }), "{error}");
    }

    #[tokio::test]
    async fn caps_redirects_size_and_time() {
        let port = serve(site);
        let base = format!("http://127.0.0.1:{port}");
        let error = fetch(&format!("{base}/loop"), &local(1), &Limits::default())
            .await
            .unwrap_err();
        assert!(
            matches!(error, FetchError::TooManyRedirects { limit: 5, .. }),
            "{error}"
        );
        let small = Limits {
            max_file_bytes: 1000,
            ..Limits::default()
        };
        let error = fetch(&format!("{base}/big"), &local(1), &small)
            .await
            .unwrap_err();
        assert!(
            matches!(error, FetchError::TooLarge { limit: 1000, .. }),
            "{error}"
        );
        let quick = FetchOptions {
            timeout: Duration::from_millis(300),
            ..local(1)
        };
        let error = fetch(&format!("{base}/slow"), &quick, &Limits::default())
            .await
            .unwrap_err();
        assert!(matches!(error, FetchError::Timeout { .. }), "{error}");
        let error = fetch(&format!("{base}/missing"), &local(1), &Limits::default())
            .await
            .unwrap_err();
        assert!(
            matches!(error, FetchError::Status { status: 404, .. }),
            "{error}"
        );
    }

    #[test]
    fn google_share_links_become_exports() {
        let doc =
            Url::parse("https://docs.google.com/document/d/1AbC_x-9/edit?usp=sharing").unwrap();
        assert_eq!(
            export_url(&doc).unwrap().as_str(),
            "https://docs.google.com/document/d/1AbC_x-9/export?format=docx"
        );
        let sheet = Url::parse("https://docs.google.com/spreadsheets/d/XyZ/edit#gid=0").unwrap();
        assert_eq!(
            export_url(&sheet).unwrap().as_str(),
            "https://docs.google.com/spreadsheets/d/XyZ/export?format=xlsx"
        );
        assert!(export_url(&Url::parse("https://example.com/document/d/x").unwrap()).is_none());
    }

    #[test]
    fn internal_ranges() {
        for ip in [
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "127.0.0.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:10.0.0.1",
        ] {
            assert!(is_internal(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:2800:220:1::1", "8.8.8.8"] {
            assert!(!is_internal(ip.parse().unwrap()), "{ip}");
        }
    }
}
