//! HTTP downloads that survive interruptions: into a `.part` file, resumed with a `Range`
//! request (from the same run's retry or from a later run), restarted from zero when the server
//! ignores `Range`. Every request has a connect timeout and a stall timeout (no byte for that
//! long), so a dead server is a typed error, never a hang.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use reqwest::header::{CONTENT_LENGTH, CONTENT_RANGE, RANGE};
use reqwest::StatusCode;
use url::Url;

use super::error::FetchError;
use super::progress::Progress;

/// Largest checksum listing accepted (Ensembl's biggest are a few KiB).
const MAX_LISTING_BYTES: usize = 4 << 20;

#[derive(Debug, Clone)]
pub struct Settings {
    pub connect_timeout: Duration,
    /// Longest wait for the response head or for the next piece of the body.
    pub stall_timeout: Duration,
    /// Tries per file (the first included); each retry resumes where the last stopped.
    pub attempts: u32,
    /// Pause before retry `n` is `n` times this.
    pub retry_pause: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(30),
            stall_timeout: Duration::from_secs(60),
            attempts: 5,
            retry_pause: Duration::from_secs(2),
        }
    }
}

pub struct Downloader {
    client: reqwest::Client,
    settings: Settings,
}

/// What a response says about the bytes it carries.
enum Body {
    /// The whole file from byte 0.
    Whole,
    /// The rest of the file from the byte we already have.
    Rest,
    /// The server has nothing after our bytes (416): the `.part` is complete.
    Complete,
}

impl Downloader {
    pub fn new(settings: Settings) -> Result<Self, FetchError> {
        let client = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .user_agent(concat!("vep-function/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| FetchError::Connect {
                url: String::new(),
                reason: format!("cannot build the HTTP client: {e}"),
            })?;
        Ok(Self { client, settings })
    }

    /// A small text file (a checksum listing), whole, with retries.
    pub async fn text(&self, url: &Url) -> Result<String, FetchError> {
        self.retrying(url, || self.text_once(url)).await
    }

    /// Downloads `url` into `part`, resuming what `part` already holds. Returns its size.
    pub async fn to_file(&self, url: &Url, part: &Path, label: &str) -> Result<u64, FetchError> {
        self.retrying(url, || self.to_file_once(url, part, label))
            .await
    }

    async fn retrying<T, F, Fut>(&self, url: &Url, mut once: F) -> Result<T, FetchError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, FetchError>>,
    {
        let mut attempt = 1;
        loop {
            match once().await {
                Err(e) if e.retryable() && attempt < self.settings.attempts => {
                    eprintln!(
                        "{url}: {e} [{}]; retry {attempt} of {}",
                        e.code(),
                        self.settings.attempts - 1
                    );
                    tokio::time::sleep(self.settings.retry_pause * attempt).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }

    async fn send(&self, url: &Url, from: u64) -> Result<reqwest::Response, FetchError> {
        let mut request = self.client.get(url.clone());
        if from > 0 {
            request = request.header(RANGE, format!("bytes={from}-"));
        }
        let stall = self.settings.stall_timeout;
        match tokio::time::timeout(stall, request.send()).await {
            Err(_) => Err(self.stalled(url)),
            Ok(Err(e)) if e.is_timeout() => Err(self.stalled(url)),
            Ok(Err(e)) => Err(FetchError::Connect {
                url: url.to_string(),
                reason: error_chain(&e),
            }),
            Ok(Ok(response)) => Ok(response),
        }
    }

    fn stalled(&self, url: &Url) -> FetchError {
        FetchError::Stalled {
            url: url.to_string(),
            seconds: self.settings.stall_timeout.as_secs(),
        }
    }

    async fn text_once(&self, url: &Url) -> Result<String, FetchError> {
        let mut response = self.send(url, 0).await?;
        check_status(url, response.status(), false)?;
        let mut body = Vec::new();
        while let Some(chunk) = self
            .next_chunk(url, &mut response, body.len() as u64)
            .await?
        {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_LISTING_BYTES {
                return Err(FetchError::ListingTooLarge {
                    url: url.to_string(),
                    limit: MAX_LISTING_BYTES,
                });
            }
        }
        Ok(String::from_utf8_lossy(&body).into_owned())
    }

    async fn to_file_once(&self, url: &Url, part: &Path, label: &str) -> Result<u64, FetchError> {
        let have = match std::fs::metadata(part) {
            Ok(m) => m.len(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
            Err(e) => return Err(FetchError::io(part, e)),
        };
        let mut response = self.send(url, have).await?;
        let body = match check_status(url, response.status(), have > 0)? {
            Body::Complete => return Ok(have),
            Body::Rest if range_start(&response) != Some(have) => {
                // Other bytes than asked for: never splice them; the next attempt starts over.
                open(part, false)?;
                return Err(FetchError::Truncated {
                    url: url.to_string(),
                    received: 0,
                    expected: format!("bytes from {have} (the server sent another range)"),
                });
            }
            body => body,
        };
        let length = response
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let (mut file, mut written) = match body {
            Body::Rest => (open(part, true)?, have),
            _ => (open(part, false)?, 0),
        };
        if have > 0 && written == 0 {
            eprintln!("{url}: the server ignored the range request; downloading from the start");
        }
        let expected_total = length.map(|l| l + written);
        let mut progress = Progress::start(label, expected_total, written);
        while let Some(chunk) = self.next_chunk(url, &mut response, written).await? {
            file.write_all(&chunk)
                .map_err(|e| FetchError::io(part, e))?;
            written += chunk.len() as u64;
            progress.advance(chunk.len() as u64);
        }
        file.flush().map_err(|e| FetchError::io(part, e))?;
        progress.finish();
        match expected_total {
            Some(total) if written < total => Err(FetchError::Truncated {
                url: url.to_string(),
                received: written,
                expected: total.to_string(),
            }),
            _ => Ok(written),
        }
    }

    /// The next piece of the body; `None` at its end. A body cut short is `Truncated`.
    async fn next_chunk(
        &self,
        url: &Url,
        response: &mut reqwest::Response,
        received: u64,
    ) -> Result<Option<bytes::Bytes>, FetchError> {
        match tokio::time::timeout(self.settings.stall_timeout, response.chunk()).await {
            Err(_) => Err(self.stalled(url)),
            Ok(Ok(chunk)) => Ok(chunk),
            Ok(Err(e)) if e.is_timeout() => Err(self.stalled(url)),
            Ok(Err(e)) => Err(FetchError::Truncated {
                url: url.to_string(),
                received,
                expected: format!("more ({})", error_chain(&e)),
            }),
        }
    }
}

fn check_status(url: &Url, status: StatusCode, resuming: bool) -> Result<Body, FetchError> {
    match status {
        StatusCode::OK => Ok(Body::Whole),
        StatusCode::PARTIAL_CONTENT if resuming => Ok(Body::Rest),
        StatusCode::RANGE_NOT_SATISFIABLE if resuming => Ok(Body::Complete),
        StatusCode::NOT_FOUND | StatusCode::GONE => Err(FetchError::NotFound {
            url: url.to_string(),
        }),
        other => Err(FetchError::HttpStatus {
            url: url.to_string(),
            status: other.as_u16(),
        }),
    }
}

/// First byte of a 206 answer (`Content-Range: bytes 100-199/200`).
fn range_start(response: &reqwest::Response) -> Option<u64> {
    let value = response.headers().get(CONTENT_RANGE)?.to_str().ok()?;
    let range = value.trim().strip_prefix("bytes")?.trim_start();
    range.split('-').next()?.trim().parse().ok()
}

fn open(part: &Path, append: bool) -> Result<File, FetchError> {
    let mut options = OpenOptions::new();
    options.create(true);
    if append {
        options.append(true);
    } else {
        options.write(true).truncate(true);
    }
    options.open(part).map_err(|e| FetchError::io(part, e))
}

/// reqwest's message with its causes ("error sending request: connection refused").
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
