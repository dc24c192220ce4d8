//! `POST /api/upload`: multipart with one or more `file` fields, streamed to the staging
//! directory, then parsed one at a time and stored all together or not at all (see
//! `service::store_uploads`).
//!
//! Bounded at every step: the session's quotas and the disk are checked from
//! `Content-Length` before anything is read; the body may hold at most
//! `MAX_FILES_PER_UPLOAD` files of `max-upload-mb` each; the preamble and each part's headers
//! are limited (`max-multipart-header-kb`: the multipart parser would otherwise buffer them
//! up to the body limit); a client that stops sending for `body-idle-timeout-seconds` gets a
//! 408.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use bytes::Bytes;
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

use super::AppState;
use super::api::Session;
use super::service::{self, Received};
use crate::model::{AppError, ProfileId};

/// Most files one upload request may carry.
pub const MAX_FILES_PER_UPLOAD: u64 = 20;

/// Deletes staged temp files unless the upload committed them.
struct TempFiles(Vec<std::path::PathBuf>);

impl Drop for TempFiles {
    fn drop(&mut self) {
        for p in &self.0 {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// A display name from an uploaded file name: its last path component, printable, short.
fn clean_name(raw: Option<&str>) -> String {
    let base = raw.unwrap_or("").rsplit(['/', '\\']).next().unwrap_or("");
    let name: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    if name.trim().is_empty() {
        "profile".into()
    } else {
        name
    }
}

pub async fn upload(
    State(state): State<AppState>,
    Session(id, _): Session,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let config = &state.config;
    let boundary = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|ct| multer::parse_boundary(ct).ok())
        .ok_or_else(|| {
            AppError::bad(
                "no file in the upload: send multipart/form-data with one or more `file` fields",
            )
        })?;
    let max_file = config.max_upload_mb << 20;
    let max_body = max_file.saturating_mul(MAX_FILES_PER_UPLOAD) + (1 << 20);
    let length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if length.is_some_and(|n| n > max_body) {
        return Err(AppError::TooLarge(format!(
            "the upload is larger than {MAX_FILES_PER_UPLOAD} files of {} MB (max-upload-mb)",
            config.max_upload_mb
        )));
    }
    let header_limit = (config.max_multipart_header_kb << 10) as usize;
    let idle = Duration::from_secs_f64(config.body_idle_timeout_seconds);
    let guard = HeaderGuard::new(&boundary, header_limit);
    let drain = length.unwrap_or(u64::MAX) <= DRAIN_BYTES;
    let (stream, why) = read_body(body, guard, idle, drain);
    // Refused here, the body is still read and dropped (see `read_body`).
    service::precheck_upload(&state, id, length).await?;

    let constraints =
        multer::Constraints::new().size_limit(multer::SizeLimit::new().whole_stream(max_body));
    let mut multipart = multer::Multipart::with_constraints(stream, boundary, constraints);

    let multipart_error = |e: multer::Error| {
        if why.stalled.load(Ordering::Relaxed) {
            return AppError::Timeout(format!(
                "the upload stalled: nothing arrived for {} s (body-idle-timeout-seconds)",
                config.body_idle_timeout_seconds
            ));
        }
        if why.header_too_large.load(Ordering::Relaxed) {
            return AppError::bad(format!(
                "a multipart preamble or part header is larger than {} KiB (max-multipart-header-kb)",
                config.max_multipart_header_kb
            ));
        }
        match e {
            multer::Error::StreamSizeExceeded { .. } => AppError::TooLarge(format!(
                "the upload is larger than {MAX_FILES_PER_UPLOAD} files of {} MB (max-upload-mb)",
                config.max_upload_mb
            )),
            e => AppError::bad(format!("invalid multipart upload: {e}")),
        }
    };

    let staging = state.store.staging_dir();
    let mut temps = TempFiles(Vec::new());
    let mut received = Vec::new();
    loop {
        let next = multipart.next_field().await.map_err(multipart_error)?;
        let Some(mut field) = next else { break };
        if field.name() != Some("file") {
            continue;
        }
        if received.len() as u64 >= MAX_FILES_PER_UPLOAD {
            return Err(AppError::bad(format!(
                "at most {MAX_FILES_PER_UPLOAD} files per upload"
            )));
        }
        let name = clean_name(field.file_name());
        let pid = ProfileId::new();
        let path = staging.join(format!("{pid}.part"));
        let mut file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .await?;
        temps.0.push(path.clone());
        let mut size = 0u64;
        loop {
            let chunk = field.chunk().await.map_err(multipart_error)?;
            let Some(chunk) = chunk else { break };
            size += chunk.len() as u64;
            if size > max_file {
                return Err(AppError::TooLarge(format!(
                    "{name} is larger than the {} MB upload limit (max-upload-mb)",
                    config.max_upload_mb
                )));
            }
            file.write_all(&chunk).await?;
        }
        file.flush().await?;
        received.push(Received {
            id: pid,
            name,
            path,
            size,
        });
    }
    if received.is_empty() {
        return Err(AppError::bad(
            "no file in the upload: send multipart/form-data with one or more `file` fields",
        ));
    }
    let metas = service::store_uploads(&state, id, received).await?;
    // Committed: the files were moved into the session.
    temps.0.clear();
    Ok((StatusCode::CREATED, Json(json!({ "profiles": metas }))))
}

/// A refused upload whose body is at most this large is still read, and dropped, while the
/// refusal is answered: a client still sending then reads the answer instead of a reset
/// connection (browsers show "network error" otherwise). Larger bodies are cut off.
const DRAIN_BYTES: u64 = 64 << 20;
/// ...and for at most this long.
const DRAIN_TIME: Duration = Duration::from_secs(30);

/// Why the body stream ended in an error.
#[derive(Default)]
struct Why {
    stalled: AtomicBool,
    header_too_large: AtomicBool,
}

/// Reads the request body in a task of its own and hands its chunks to the multipart parser
/// through a small channel, failing the stream when nothing arrives for `idle` or a header
/// block grows past its limit. When the parser is dropped (the upload was refused) before
/// the body ended, the task goes on reading and dropping it if `drain` (bounded by
/// [`DRAIN_BYTES`] and [`DRAIN_TIME`]), so that the answer reaches the client.
fn read_body(
    body: Body,
    mut guard: HeaderGuard,
    idle: Duration,
    drain: bool,
) -> (
    impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static,
    Arc<Why>,
) {
    let why = Arc::new(Why::default());
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let flags = why.clone();
    tokio::spawn(async move {
        let mut body = body.into_data_stream();
        let mut feeding = true;
        let (mut drained, drain_until) = (0u64, tokio::time::Instant::now() + DRAIN_TIME);
        loop {
            let next = match tokio::time::timeout(idle, body.next()).await {
                Ok(next) => next,
                Err(_) => {
                    if feeding {
                        flags.stalled.store(true, Ordering::Relaxed);
                        let _ = tx.send(Err(std::io::Error::other("stalled"))).await;
                    }
                    return;
                }
            };
            let chunk = match next {
                None => return,
                Some(Err(e)) => {
                    if feeding {
                        let _ = tx.send(Err(std::io::Error::other(e))).await;
                    }
                    return;
                }
                Some(Ok(chunk)) => chunk,
            };
            if feeding {
                if !guard.scan(&chunk) {
                    flags.header_too_large.store(true, Ordering::Relaxed);
                    let _ = tx
                        .send(Err(std::io::Error::other("multipart header too large")))
                        .await;
                    feeding = false;
                } else if tx.send(Ok(chunk)).await.is_err() {
                    // The parser is gone: the upload was refused or failed.
                    feeding = false;
                }
                if !feeding && !drain {
                    return;
                }
            } else {
                drained += chunk.len() as u64;
                if drained > DRAIN_BYTES || tokio::time::Instant::now() > drain_until {
                    return;
                }
            }
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    (stream, why)
}

/// Where [`HeaderGuard`] is in the multipart stream.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Stage {
    /// Before the first delimiter; this many bytes so far.
    Preamble(usize),
    /// A part's header block, from its delimiter to the blank line; this many bytes so far.
    Header(usize),
    /// A part's data, up to CRLF + the next delimiter.
    Body,
}

/// Watches the raw multipart bytes and fails the stream when the text before the first
/// delimiter, or a part's header block (from its delimiter to the blank line), passes
/// `limit` bytes: the parser would otherwise buffer either whole. Part bodies are not
/// limited here (the per-file limit counts them).
struct HeaderGuard {
    /// `--boundary`, which opens every part.
    delimiter: Vec<u8>,
    /// CRLF + `--boundary`, which ends a part's data.
    end_of_data: Vec<u8>,
    limit: usize,
    stage: Stage,
    /// The last bytes of the previous chunk (already counted), so that a pattern split
    /// between two chunks is still found.
    tail: Vec<u8>,
}

impl HeaderGuard {
    fn new(boundary: &str, limit: usize) -> HeaderGuard {
        let delimiter = format!("--{boundary}").into_bytes();
        let mut end_of_data = b"\r\n".to_vec();
        end_of_data.extend_from_slice(&delimiter);
        HeaderGuard {
            delimiter,
            end_of_data,
            limit,
            stage: Stage::Preamble(0),
            tail: Vec::new(),
        }
    }

    /// Scans one chunk; `false` once a limit is passed.
    fn scan(&mut self, chunk: &[u8]) -> bool {
        let old = self.tail.len();
        let mut data = std::mem::take(&mut self.tail);
        data.extend_from_slice(chunk);
        // New bytes in `data[from..to]`: those past the carried tail.
        let fresh = |from: usize, to: usize| to.saturating_sub(from.max(old));
        let mut at = 0;
        loop {
            let (pattern, seen): (&[u8], usize) = match self.stage {
                Stage::Preamble(seen) => (&self.delimiter, seen),
                Stage::Header(seen) => (b"\r\n\r\n", seen),
                Stage::Body => (&self.end_of_data, 0),
            };
            let found = memchr::memmem::find(&data[at..], pattern).map(|p| at + p + pattern.len());
            let counted = !matches!(self.stage, Stage::Body);
            let upto = found.unwrap_or(data.len());
            if counted && seen + fresh(at, upto) > self.limit {
                return false;
            }
            match (self.stage, found) {
                (Stage::Preamble(_) | Stage::Body, Some(end)) => {
                    self.stage = Stage::Header(0);
                    at = end;
                }
                (Stage::Header(_), Some(end)) => {
                    self.stage = Stage::Body;
                    at = end;
                }
                (Stage::Preamble(seen), None) => {
                    self.stage = Stage::Preamble(seen + fresh(at, upto));
                    break;
                }
                (Stage::Header(seen), None) => {
                    self.stage = Stage::Header(seen + fresh(at, upto));
                    break;
                }
                (Stage::Body, None) => break,
            }
        }
        let keep = self.end_of_data.len() - 1;
        let from = data.len().saturating_sub(keep).max(at);
        self.tail = data[from..].to_vec();
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(limit: usize) -> HeaderGuard {
        HeaderGuard::new("XyZ", limit)
    }

    fn body(header_pad: usize, data: &[u8]) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(
            b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.prof\"\r\n",
        );
        b.extend_from_slice(format!("X-Pad: {}\r\n\r\n", "p".repeat(header_pad)).as_bytes());
        b.extend_from_slice(data);
        b.extend_from_slice(b"\r\n--XyZ--\r\n");
        b
    }

    #[test]
    fn normal_uploads_pass_in_any_chunking() {
        let b = body(10, &vec![b'\r'; 50_000]);
        for size in [1, 3, 7, 64, 1000, b.len()] {
            let mut g = guard(256);
            assert!(b.chunks(size).all(|c| g.scan(c)), "chunks of {size}");
        }
    }

    #[test]
    fn long_headers_and_preambles_trip() {
        let b = body(5000, b"data");
        for size in [1, 100, b.len()] {
            let mut g = guard(1024);
            assert!(!b.chunks(size).all(|c| g.scan(c)), "chunks of {size}");
        }
        // A preamble that never reaches a boundary.
        let mut g = guard(1024);
        assert!(!(0..100).all(|_| g.scan(&[b'x'; 100])));
        // A preamble with a blank line in it does not hide the first part's header.
        let mut sneaky = b"junk\r\n\r\n".to_vec();
        sneaky.extend_from_slice(&body(5000, b"data"));
        let mut g = guard(1024);
        assert!(!sneaky.chunks(50).all(|c| g.scan(c)));
        let mut fine = b"junk\r\n\r\n".to_vec();
        fine.extend_from_slice(&body(10, b"data"));
        let mut g = guard(1024);
        assert!(fine.chunks(5).all(|c| g.scan(c)));
        // Two parts, the second with a long header.
        let mut two = body(10, b"one");
        two.truncate(two.len() - 4); // drop "--\r\n": another part follows
        two.extend_from_slice(b"\r\n");
        two.extend_from_slice(&body(5000, b"two")[2..]);
        let mut g = guard(1024);
        assert!(!two.chunks(333).all(|c| g.scan(c)));
    }
}
