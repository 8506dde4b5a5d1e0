//! The history under an S3 prefix: `s3://bucket/prefix/<scenario>/<run-id>.json`, written
//! with `If-None-Match: *` so that a result is never replaced, read back concurrently.

use aws_sdk_s3::primitives::ByteStream;
use futures::StreamExt;

use super::{HistoryError, Loaded, MAX_RESULT_BYTES, RunFiles, Stored, Unreadable, parse, result_key, run_keys};
use crate::result::DrillResult;

/// How many results are fetched at once.
const CONCURRENT_GETS: usize = 16;

/// An S3 client from the standard configuration chain (AWS_PROFILE, AWS_REGION,
/// AWS_ENDPOINT_URL, …), with adaptive retries.
pub async fn client(profile: Option<&str>, region: Option<&str>) -> aws_sdk_s3::Client {
    let config = crate::cloud::aws::config_loader(region, profile)
        .retry_config(aws_config::retry::RetryConfig::adaptive())
        .load()
        .await;
    // A custom endpoint (an S3-compatible store, an emulator) is usually addressed by path.
    let path_style = config.endpoint_url().is_some();
    let s3 = aws_sdk_s3::config::Builder::from(&config).force_path_style(path_style);
    aws_sdk_s3::Client::from_conf(s3.build())
}

pub struct S3Store {
    client: aws_sdk_s3::Client,
    bucket: String,
    prefix: String,
}

impl S3Store {
    pub fn new(client: aws_sdk_s3::Client, bucket: &str, prefix: &str) -> Self {
        Self {
            client,
            bucket: bucket.to_owned(),
            prefix: prefix.trim_matches('/').to_owned(),
        }
    }

    fn object_key(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{}/{key}", self.prefix)
        }
    }

    pub fn url_of(&self, key: &str) -> String {
        format!("s3://{}/{}", self.bucket, self.object_key(key))
    }

    fn error(&self, what: &str, error: impl std::error::Error) -> HistoryError {
        HistoryError::Io {
            location: self.url_of(""),
            message: format!("{what}: {}", aws_sdk_s3::error::DisplayErrorContext(error)),
        }
    }

    /// Every key of the prefix ending in `.json`, paged.
    async fn result_keys(&self) -> Result<Vec<(String, i64)>, HistoryError> {
        let listing_prefix = if self.prefix.is_empty() {
            String::new()
        } else {
            format!("{}/", self.prefix)
        };
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(&listing_prefix)
            .into_paginator()
            .send();
        let mut objects = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.error("ListObjectsV2", e))?;
            objects.extend(page.contents.unwrap_or_default());
        }
        Ok(objects
            .into_iter()
            .filter_map(|o| Some((o.key?, o.size.unwrap_or(0))))
            .filter(|(key, _)| key.ends_with(".json"))
            .map(|(key, size)| (key[listing_prefix.len()..].to_owned(), size))
            .collect())
    }

    pub async fn load(&self) -> Result<Loaded, HistoryError> {
        let keys = self.result_keys().await?;
        let reads = futures::stream::iter(keys)
            .map(|(key, size)| async move {
                let read = if size as u64 > MAX_RESULT_BYTES {
                    Err(format!(
                        "larger than {} MiB: not a result",
                        MAX_RESULT_BYTES / 1024 / 1024
                    ))
                } else {
                    self.get(&key).await.and_then(|bytes| parse(&bytes))
                };
                (key, read)
            })
            .buffer_unordered(CONCURRENT_GETS)
            .collect::<Vec<_>>()
            .await;
        let mut loaded = Loaded::default();
        for (key, read) in reads {
            match read {
                Ok(result) => loaded.results.push(Stored { key, result }),
                Err(problem) => loaded.unreadable.push(Unreadable {
                    name: self.url_of(&key),
                    problem,
                }),
            }
        }
        Ok(loaded)
    }

    async fn get(&self, key: &str) -> Result<Vec<u8>, String> {
        let object = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(self.object_key(key))
            .send()
            .await
            .map_err(|e| format!("cannot be read: {}", aws_sdk_s3::error::DisplayErrorContext(e)))?;
        let bytes = object
            .body
            .collect()
            .await
            .map_err(|e| format!("cannot be read: {e}"))?;
        Ok(bytes.to_vec())
    }

    /// Uploads a run: its result only if no result of that run is there yet, then its
    /// journal and report.
    pub async fn put(&self, result: &DrillResult, files: &RunFiles) -> Result<String, HistoryError> {
        let key = result_key(result);
        let [result_key, journal_key, report_key] = run_keys(&key);
        let text = serde_json::to_string_pretty(result).expect("a result serialises") + "\n";
        let put = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(self.object_key(&result_key))
            .content_type("application/json")
            .if_none_match("*")
            .body(ByteStream::from(text.into_bytes()))
            .send()
            .await;
        if let Err(error) = put {
            let precondition = error.raw_response().is_some_and(|r| r.status().as_u16() == 412);
            return Err(if precondition {
                HistoryError::Exists {
                    location: self.url_of(&result_key),
                    run_id: result.run_id.clone(),
                }
            } else {
                self.error("PutObject", error)
            });
        }
        for (key, body, content_type) in [
            (journal_key, &files.journal, "application/x-ndjson"),
            (report_key, &files.report, "text/html; charset=utf-8"),
        ] {
            if let Some(body) = body {
                self.put_object(&key, body.clone().into_bytes(), content_type).await?;
            }
        }
        Ok(key)
    }

    /// Writes one object, whatever is there (site pages, a run's journal and report).
    pub async fn put_object(&self, key: &str, body: Vec<u8>, content_type: &str) -> Result<(), HistoryError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(self.object_key(key))
            .content_type(content_type)
            .body(ByteStream::from(body))
            .send()
            .await
            .map(drop)
            .map_err(|e| self.error("PutObject", e))
    }

    pub async fn delete_run(&self, key: &str) -> Result<Vec<String>, HistoryError> {
        let mut deleted = Vec::new();
        for key in run_keys(key) {
            // S3 deletes of absent keys succeed, so the names said are those that were there.
            let there = self
                .client
                .head_object()
                .bucket(&self.bucket)
                .key(self.object_key(&key))
                .send()
                .await
                .is_ok();
            if !there {
                continue;
            }
            self.client
                .delete_object()
                .bucket(&self.bucket)
                .key(self.object_key(&key))
                .send()
                .await
                .map_err(|e| self.error("DeleteObject", e))?;
            deleted.push(self.url_of(&key));
        }
        Ok(deleted)
    }
}
