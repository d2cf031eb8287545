//! A client for the Open Inference Protocol (KServe V2) REST API, as served by KServe,
//! ModelMesh (REST port 8008), OpenShift AI model serving and MLServer.

mod response;

pub use response::{error_message, InferResponse, OutputTensor};

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use url::Url;

use super::settings::{Datatype, Token};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum V2Error {
    #[error("cannot connect to the model server: {0}")]
    Connect(String),
    #[error("the model server did not answer within {0:?}")]
    Timeout(Duration),
    #[error("the model server answered {status}: {message}")]
    Status { status: u16, message: String },
    #[error("unreadable answer: {0}")]
    Decode(String),
    #[error("request failed: {0}")]
    Transport(String),
    #[error("client set-up: {0}")]
    Setup(String),
}

impl V2Error {
    /// Only failures where the request cannot have been processed are worth another attempt.
    pub fn retryable(&self) -> bool {
        match self {
            V2Error::Connect(_) => true,
            V2Error::Status { status, .. } => matches!(status, 502..=504),
            _ => false,
        }
    }
}

/// Where one model is served.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub base: Url,
    pub name: String,
    pub version: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub token: Option<Token>,
    /// PEM bundle of extra trusted CAs (e.g. the OpenShift service CA).
    pub ca_pem: Option<Vec<u8>>,
    pub timeout: Duration,
    pub first_timeout: Duration,
    pub attempts: u32,
    pub backoff: Duration,
}

/// A batch of rows of `f64` features sent as one `[rows, columns]` tensor.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch<'a> {
    pub input_name: &'a str,
    pub datatype: Datatype,
    pub rows: &'a [Vec<f64>],
    pub output: Option<&'a str>,
}

impl Batch<'_> {
    pub fn body(&self, id: &str) -> Value {
        let columns = self.rows.first().map_or(0, Vec::len);
        let data: Vec<f64> = self.rows.iter().flatten().copied().collect();
        let mut body = json!({
            "id": id,
            "inputs": [{
                "name": self.input_name,
                "shape": [self.rows.len(), columns],
                "datatype": self.datatype.as_str(),
                "data": data,
            }],
        });
        if let Some(output) = self.output {
            body["outputs"] = json!([{ "name": output }]);
        }
        body
    }
}

pub struct V2Client {
    http: reqwest::Client,
    endpoint: Endpoint,
    options: ClientOptions,
    /// Until the model has answered once it may be scaling from zero: use `first_timeout`.
    warm: AtomicBool,
}

impl V2Client {
    pub fn new(endpoint: Endpoint, options: ClientOptions) -> Result<Self, V2Error> {
        let mut builder = reqwest::Client::builder().connect_timeout(Duration::from_secs(10));
        if let Some(pem) = &options.ca_pem {
            for cert in reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| V2Error::Setup(format!("CA bundle: {e}")))?
            {
                builder = builder.add_root_certificate(cert);
            }
        }
        let http = builder.build().map_err(|e| V2Error::Setup(e.to_string()))?;
        Ok(Self {
            http,
            endpoint,
            options,
            warm: AtomicBool::new(false),
        })
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    fn url(&self, last: &str) -> Result<Url, V2Error> {
        let mut url = self.endpoint.base.clone();
        {
            let mut path = url.path_segments_mut().map_err(|()| {
                V2Error::Setup(format!("{} is not a base URL", self.endpoint.base))
            })?;
            path.pop_if_empty()
                .extend(["v2", "models", self.endpoint.name.as_str()]);
            if let Some(v) = &self.endpoint.version {
                path.extend(["versions", v.as_str()]);
            }
            path.push(last);
        }
        Ok(url)
    }

    fn authorized(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match &self.options.token {
            Some(Token(token)) => request.bearer_auth(token),
            None => request,
        }
    }

    fn classify(&self, e: reqwest::Error, timeout: Duration) -> V2Error {
        if e.is_connect() {
            V2Error::Connect(e.to_string())
        } else if e.is_timeout() {
            V2Error::Timeout(timeout)
        } else {
            V2Error::Transport(e.to_string())
        }
    }

    /// Whether the model is ready, from the status code only (servers differ in the body).
    pub async fn ready(&self) -> Result<bool, V2Error> {
        let timeout = self.options.timeout;
        let response = self
            .authorized(self.http.get(self.url("ready")?))
            .timeout(timeout)
            .send()
            .await
            .map_err(|e| self.classify(e, timeout))?;
        Ok(response.status() == StatusCode::OK)
    }

    /// One inference, retried only where the server cannot have processed it.
    pub async fn infer(&self, batch: &Batch<'_>) -> Result<InferResponse, V2Error> {
        let body = batch.body(&uuid::Uuid::new_v4().to_string());
        let mut attempt = 1;
        loop {
            match self.infer_once(&body).await {
                Err(e) if e.retryable() && attempt < self.options.attempts => {
                    tokio::time::sleep(self.options.backoff * 2u32.pow(attempt - 1)).await;
                    attempt += 1;
                }
                done => return done,
            }
        }
    }

    async fn infer_once(&self, body: &Value) -> Result<InferResponse, V2Error> {
        let timeout = if self.warm.load(Ordering::Relaxed) {
            self.options.timeout
        } else {
            self.options.first_timeout
        };
        let response = self
            .authorized(self.http.post(self.url("infer")?))
            .timeout(timeout)
            .json(body)
            .send()
            .await
            .map_err(|e| self.classify(e, timeout))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| self.classify(e, timeout))?;
        if !status.is_success() {
            return Err(V2Error::Status {
                status: status.as_u16(),
                message: error_message(&bytes),
            });
        }
        self.warm.store(true, Ordering::Relaxed);
        InferResponse::parse(&bytes)
    }
}
