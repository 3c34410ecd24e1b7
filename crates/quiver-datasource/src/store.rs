//! Object stores: remote locations (`s3://bucket/key`, `http(s)://host/path`),
//! the settings that reach them, and the runtime their requests run on.
//!
//! Every request goes through one process-wide I/O runtime, whatever runtime
//! (or plain thread) asks for it, so a store's pooled connections outlive the
//! query that opened them and CPU-heavy operators never delay network I/O.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::str::FromStr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::client::SpawnedReqwestConnector;
use object_store::http::HttpBuilder;
use object_store::path::Path as ObjectPath;
use object_store::{BackoffConfig, ClientConfigKey, ObjectStore, RetryConfig};
use quiver_expr::{QuiverError, Result};
use tokio::runtime::Runtime;

/// The runtime that performs all object-store I/O.
fn io_runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("quiver-io")
            .enable_all()
            .build()
            .expect("the I/O runtime starts")
    })
}

/// Runs `future` as a task on the I/O runtime: fetches that run ahead of a
/// query must not wait for its CPU-bound operators to yield.
pub(crate) fn spawn_io<F>(future: F) -> tokio::task::JoinHandle<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    io_runtime().spawn(future)
}

/// Runs `future` on the I/O runtime and waits for it, from code that is not
/// async (opening a table while a query is planned, reading a text file on a
/// blocking thread). It must not be called from the I/O runtime itself.
pub fn block_on<F>(future: F) -> Result<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let task = io_runtime().spawn(future);
    // Unconstrained: called from a tokio task (planning), each poll of the
    // join handle would use up that task's cooperative budget, which only
    // the task's own return to its scheduler renews. After 128 waits (a
    // hive table of 129 directories opened while planning) the handle would
    // answer "not yet" for ever.
    futures::executor::block_on(tokio::task::unconstrained(task))
        .map_err(|e| QuiverError::Internal(format!("object store request failed: {e}")))
}

/// DuckDB's names for S3 settings, accepted beside the `aws.*` ones.
const ALIASES: [(&str, &str); 7] = [
    ("s3_region", "aws.region"),
    ("s3_use_ssl", "aws.allow_http"),
    ("s3_access_key_id", "aws.access_key_id"),
    ("s3_secret_access_key", "aws.secret_access_key"),
    ("s3_session_token", "aws.session_token"),
    ("s3_endpoint", "aws.endpoint"),
    ("s3_url_style", "aws.virtual_hosted_style_request"),
];

/// Settings for reaching S3 (`aws.region`, `aws.endpoint`,
/// `aws.access_key_id`, `aws.allow_http`, `aws.skip_signature`, …), from
/// `SET` or a table's `OPTIONS`. Anything not set comes from the standard
/// `AWS_*` environment variables.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StorageOptions {
    values: BTreeMap<String, String>,
}

impl StorageOptions {
    /// True for option keys that configure storage rather than a format.
    pub fn is_storage_key(key: &str) -> bool {
        let key = key.to_ascii_lowercase();
        key.starts_with("aws.") || ALIASES.iter().any(|(alias, _)| *alias == key)
    }

    /// Sets `key` to `value`; keys S3 does not know are an error naming them.
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let lower = key.to_ascii_lowercase();
        let (key, value) = match ALIASES.iter().find(|(alias, _)| *alias == lower) {
            Some((_, "aws.virtual_hosted_style_request")) => (
                "aws.virtual_hosted_style_request".to_string(),
                value.eq_ignore_ascii_case("vhost").to_string(),
            ),
            // s3_use_ssl = false allows plain HTTP.
            Some((_, "aws.allow_http")) => {
                ("aws.allow_http".to_string(), (!is_true(value)).to_string())
            }
            Some((_, canonical)) => (canonical.to_string(), value.to_string()),
            None => (lower, value.to_string()),
        };
        config_key(&key)?;
        self.values.insert(key, value);
        Ok(())
    }

    /// The value of `key` (an `aws.*` name), if set.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    /// Every setting, sorted by key.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// True when no setting is given.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// These settings with `overrides` taking precedence.
    pub fn with_overrides(&self, overrides: &StorageOptions) -> StorageOptions {
        let mut values = self.values.clone();
        values.extend(overrides.values.clone());
        StorageOptions { values }
    }

    /// Splits a table's `OPTIONS` into storage settings and the rest.
    pub fn split(options: &[(String, String)]) -> Result<(Self, Vec<(String, String)>)> {
        let mut storage = Self::default();
        let mut rest = vec![];
        for (key, value) in options {
            if Self::is_storage_key(key) {
                storage.set(key, value)?;
            } else {
                rest.push((key.clone(), value.clone()));
            }
        }
        Ok((storage, rest))
    }

    fn is_true(&self, key: &str) -> Option<bool> {
        self.get(key).map(is_true)
    }
}

/// Whether a setting's text means true.
fn is_true(value: &str) -> bool {
    value.eq_ignore_ascii_case("true") || value == "1"
}

/// The S3 configuration key an `aws.*` setting names.
fn config_key(key: &str) -> Result<AmazonS3ConfigKey> {
    let unknown = || {
        QuiverError::Plan(format!(
            "unknown S3 setting '{key}'; expected aws.region, aws.endpoint, aws.access_key_id, \
             aws.secret_access_key, aws.session_token, aws.allow_http, aws.skip_signature or \
             another aws.* option"
        ))
    };
    let name = key.strip_prefix("aws.").ok_or_else(unknown)?;
    AmazonS3ConfigKey::from_str(&format!("aws_{}", name.replace('.', "_"))).map_err(|_| unknown())
}

/// A location in an object store: the store's root (`s3://bucket`,
/// `http://host:port`) and the key under it.
#[derive(Debug, Clone)]
pub struct RemoteLocation {
    /// The store's root URL, without a trailing slash.
    pub root: String,
    /// The key (path) under the root, without a leading slash; may hold glob
    /// wildcards.
    pub key: String,
    /// True for `http(s)://` locations, which name single files and cannot
    /// be listed.
    pub is_http: bool,
}

impl RemoteLocation {
    /// Parses `s3://bucket/key` or `http(s)://host[:port]/path`; `None` for
    /// local paths (including `file://`).
    pub fn parse(location: &str) -> Result<Option<Self>> {
        let Some((scheme, rest)) = location.split_once("://") else {
            return Ok(None);
        };
        let scheme = scheme.to_ascii_lowercase();
        let is_http = match scheme.as_str() {
            "file" => return Ok(None),
            "s3" | "s3a" => false,
            "http" | "https" => true,
            other => {
                return Err(QuiverError::Plan(format!(
                    "unsupported location scheme '{other}://' in '{location}'; expected a local \
                     path, file://, s3:// or http(s)://"
                )))
            }
        };
        let (authority, key) = rest.split_once('/').unwrap_or((rest, ""));
        if authority.is_empty() {
            return Err(QuiverError::Plan(format!(
                "'{location}' names no {}",
                if is_http { "host" } else { "bucket" }
            )));
        }
        let root = if is_http {
            format!("{scheme}://{authority}")
        } else {
            format!("s3://{authority}")
        };
        Ok(Some(Self {
            root,
            key: key.to_string(),
            is_http,
        }))
    }

    /// The URL of `key` in this location's store.
    pub fn url_of(&self, key: &str) -> String {
        format!("{}/{}", self.root, key.trim_start_matches('/'))
    }

    /// The object path of `key` (percent-escapes in HTTP URLs decoded).
    pub fn object_path(&self, key: &str) -> Result<ObjectPath> {
        if self.is_http {
            ObjectPath::from_url_path(key).map_err(|e| {
                QuiverError::Plan(format!("invalid URL path in '{}': {e}", self.url_of(key)))
            })
        } else {
            Ok(ObjectPath::from(key))
        }
    }

    /// The store this location lives in, built once per root and settings.
    pub fn store(&self, options: &StorageOptions) -> Result<Arc<dyn ObjectStore>> {
        type Cache = Mutex<HashMap<(String, StorageOptions), Arc<dyn ObjectStore>>>;
        static STORES: OnceLock<Cache> = OnceLock::new();
        let cache = STORES.get_or_init(Default::default);
        let cache_key = (self.root.clone(), options.clone());
        if let Some(store) = cache.lock().ok().and_then(|c| c.get(&cache_key).cloned()) {
            return Ok(store);
        }
        let store = if self.is_http {
            self.build_http()?
        } else {
            self.build_s3(options)?
        };
        if let Ok(mut c) = cache.lock() {
            c.insert(cache_key, Arc::clone(&store));
        }
        Ok(store)
    }

    fn build_http(&self) -> Result<Arc<dyn ObjectStore>> {
        let store = HttpBuilder::new()
            .with_url(&self.root)
            .with_config(
                ClientConfigKey::AllowHttp,
                self.root.starts_with("http:").to_string(),
            )
            .with_retry(retry_config())
            .with_http_connector(SpawnedReqwestConnector::new(io_runtime().handle().clone()))
            .build()
            .map_err(|e| QuiverError::Io(format!("cannot reach '{}': {e}", self.root)))?;
        Ok(Arc::new(store))
    }

    fn build_s3(&self, options: &StorageOptions) -> Result<Arc<dyn ObjectStore>> {
        let bucket = self.root.trim_start_matches("s3://");
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
        for (key, value) in options.entries() {
            builder = builder.with_config(config_key(key)?, value);
        }
        let endpoint = builder.get_config_value(&AmazonS3ConfigKey::Endpoint);
        let allow_http = options.is_true("aws.allow_http");
        if let Some(endpoint) = &endpoint {
            if !endpoint.contains("://") {
                // DuckDB-style endpoints name only the host.
                let scheme = if allow_http == Some(true) {
                    "http"
                } else {
                    "https"
                };
                builder = builder.with_endpoint(format!("{scheme}://{endpoint}"));
            } else if endpoint.starts_with("http://") && allow_http.is_none() {
                // An explicit http:// endpoint is the user's choice of plain HTTP.
                builder = builder.with_allow_http(true);
            }
        }
        if wants_anonymous(&builder, options) {
            builder = builder.with_skip_signature(true);
        }
        let store = builder
            .with_retry(retry_config())
            .with_http_connector(SpawnedReqwestConnector::new(io_runtime().handle().clone()))
            .build()
            .map_err(|e| {
                QuiverError::Io(format!("cannot configure S3 for '{}': {e}", self.root))
            })?;
        Ok(Arc::new(store))
    }
}

/// Without credentials from the settings or the environment, requests are
/// sent unsigned (public buckets), as DuckDB does, instead of waiting on the
/// EC2 instance metadata service. `aws.skip_signature = false` asks for the
/// instance's credentials.
fn wants_anonymous(builder: &AmazonS3Builder, options: &StorageOptions) -> bool {
    if let Some(skip) = options.is_true("aws.skip_signature") {
        return skip;
    }
    let has = |key: AmazonS3ConfigKey| builder.get_config_value(&key).is_some();
    !(has(AmazonS3ConfigKey::AccessKeyId)
        || has(AmazonS3ConfigKey::WebIdentityTokenFile)
        || has(AmazonS3ConfigKey::ContainerCredentialsRelativeUri)
        || has(AmazonS3ConfigKey::ContainerCredentialsFullUri))
}

/// The error for a failed request: what could not be done (`list`,
/// `read`, `write`) to which location, and why.
pub(crate) fn store_error(what: &str, location: &str, error: &object_store::Error) -> QuiverError {
    QuiverError::Io(format!(
        "cannot {what} '{location}': {}",
        describe_error(error)
    ))
}

/// Why an object-store request failed, in a line: S3's error code and
/// message when the server sent them (`NoSuchBucket: The specified bucket
/// does not exist`), else the client's own description, with a hint for
/// refused credentials.
pub fn describe_error(error: &object_store::Error) -> String {
    let text = error.to_string();
    let tag = |name: &str| {
        let open = format!("<{name}>");
        let start = text.find(&open)? + open.len();
        let end = text[start..].find("</")? + start;
        Some(text[start..end].to_string())
    };
    let reason = match (tag("Code"), tag("Message")) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(code), None) => code,
        _ => text.clone(),
    };
    let denied = matches!(
        error,
        object_store::Error::PermissionDenied { .. } | object_store::Error::Unauthenticated { .. }
    ) || text.contains("403 Forbidden")
        || text.contains("AccessDenied");
    if denied {
        format!(
            "{reason} (access denied: set aws.access_key_id and aws.secret_access_key, or the \
             AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY environment variables)"
        )
    } else {
        reason
    }
}

/// Runs `request` again, up to twice more after a short pause, when it
/// fails reading a response's body (a connection cut mid-response): the
/// object store client retries failed requests and error statuses itself,
/// but a list response cut part-way reaches its caller as an error.
pub(crate) async fn retry_cut_responses<T, F, Fut>(mut request: F) -> object_store::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = object_store::Result<T>>,
{
    let mut pause = Duration::from_millis(100);
    for _ in 0..2 {
        match request().await {
            Err(e) if is_cut_response(&e) => {
                tokio::time::sleep(pause).await;
                pause *= 2;
            }
            done => return done,
        }
    }
    request().await
}

/// Whether `e` is a response whose body broke off.
fn is_cut_response(e: &object_store::Error) -> bool {
    matches!(e, object_store::Error::Generic { .. }) && e.to_string().contains("body error")
}

/// Few, quick retries: a wrong endpoint should fail in seconds, not minutes.
fn retry_config() -> RetryConfig {
    RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
            base: 2.0,
        },
        max_retries: 3,
        retry_timeout: Duration::from_secs(30),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiting_from_a_task_never_runs_out_of_its_budget() {
        // Inside a tokio task, as while planning; a task polls at most 128
        // times before its budget is used up.
        let (done, waited) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            runtime.block_on(async {
                for i in 0..1000 {
                    assert_eq!(block_on(async move { i }).unwrap(), i);
                }
            });
            let _ = done.send(());
        });
        let within = std::time::Duration::from_secs(30);
        assert!(waited.recv_timeout(within).is_ok(), "block_on hung");
    }

    #[test]
    fn parses_remote_locations() {
        let s3 = RemoteLocation::parse("s3://bucket/data/*.parquet")
            .unwrap()
            .unwrap();
        assert_eq!(
            (s3.root.as_str(), s3.key.as_str(), s3.is_http),
            ("s3://bucket", "data/*.parquet", false)
        );
        let http = RemoteLocation::parse("http://127.0.0.1:8080/a%20b.csv")
            .unwrap()
            .unwrap();
        assert_eq!(http.root, "http://127.0.0.1:8080");
        assert_eq!(http.object_path(&http.key).unwrap().as_ref(), "a b.csv");
        assert!(RemoteLocation::parse("data/x.csv").unwrap().is_none());
        assert!(RemoteLocation::parse("file:///x.csv").unwrap().is_none());
        let err = RemoteLocation::parse("gopher://x/y").unwrap_err();
        assert!(err.to_string().contains("gopher"), "{err}");
        assert!(RemoteLocation::parse("s3:///key").is_err());
    }

    #[test]
    fn storage_settings_are_checked_and_aliased() {
        let mut options = StorageOptions::default();
        options.set("AWS.REGION", "eu-west-1").unwrap();
        options.set("s3_endpoint", "localhost:9000").unwrap();
        options.set("s3_url_style", "path").unwrap();
        options.set("s3_use_ssl", "false").unwrap();
        assert_eq!(options.get("aws.allow_http"), Some("true"));
        assert_eq!(options.get("aws.region"), Some("eu-west-1"));
        assert_eq!(options.get("aws.endpoint"), Some("localhost:9000"));
        assert_eq!(
            options.get("aws.virtual_hosted_style_request"),
            Some("false")
        );
        let err = options.set("aws.colour", "blue").unwrap_err().to_string();
        assert!(err.contains("aws.colour"), "{err}");
        let (storage, rest) = StorageOptions::split(&[
            ("aws.allow_http".into(), "true".into()),
            ("header".into(), "true".into()),
        ])
        .unwrap();
        assert_eq!(storage.get("aws.allow_http"), Some("true"));
        assert_eq!(rest, vec![("header".to_string(), "true".to_string())]);
        let merged = options.with_overrides(&storage);
        assert_eq!(merged.entries().count(), 4);
    }

    #[test]
    fn block_on_runs_on_the_io_runtime() {
        let name = block_on(async { std::thread::current().name().map(str::to_string) }).unwrap();
        assert_eq!(name.as_deref(), Some("quiver-io"));
    }
}
