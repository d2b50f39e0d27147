//! `vstbridge scan`: probes every plugin under some folders in parallel sandboxes, with a
//! progress bar and a summary; results are cached by path, modification time and size in
//! `$XDG_CACHE_HOME/vstbridge/scan.json` (or `~/.cache/...`), so a rescan only probes what
//! changed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Result;
use indicatif::ProgressBar;
use serde::{Deserialize, Serialize};

use crate::probe::{Report, probe};

/// A cached probe result.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct CacheEntry {
    modified: u64,
    size: u64,
    report: serde_json::Value,
}

fn cache_path() -> Option<PathBuf> {
    let base = match std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME")?).join(".cache"),
    };
    Some(base.join("vstbridge").join("scan.json"))
}

fn stamp(path: &Path) -> Option<(u64, u64)> {
    let metadata = std::fs::metadata(path).ok()?;
    let modified = metadata
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    Some((modified, metadata.len()))
}

/// Scans `dirs` and returns one JSON report per plugin file (from the cache or fresh).
pub fn scan(dirs: &[PathBuf], dist: &Path, jobs: usize, timeout: Duration) -> Result<Vec<serde_json::Value>> {
    let mut files = Vec::new();
    for dir in dirs {
        collect(dir, &mut files, 0);
    }
    files.sort();
    let cache_file = cache_path();
    let cache: HashMap<String, CacheEntry> = cache_file
        .as_ref()
        .and_then(|p| std::fs::read(p).ok())
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let cache = Arc::new(Mutex::new(cache));
    let queue = Arc::new(Mutex::new(files.clone()));
    let results = Arc::new(Mutex::new(HashMap::<PathBuf, serde_json::Value>::new()));
    let progress = ProgressBar::new(files.len() as u64);
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            scope.spawn(|| {
                loop {
                    let Some(file) = queue.lock().unwrap_or_else(|e| e.into_inner()).pop() else {
                        return;
                    };
                    let key = file.display().to_string();
                    let stamp = stamp(&file);
                    let cached = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key).cloned();
                    let report = match (cached, stamp) {
                        (Some(entry), Some((modified, size))) if entry.modified == modified && entry.size == size => {
                            entry.report
                        }
                        _ => {
                            let report: Report = probe(&file, dist, timeout);
                            let value = serde_json::to_value(&report).unwrap_or(serde_json::Value::Null);
                            if let Some((modified, size)) = stamp {
                                cache.lock().unwrap_or_else(|e| e.into_inner()).insert(
                                    key,
                                    CacheEntry {
                                        modified,
                                        size,
                                        report: value.clone(),
                                    },
                                );
                            }
                            value
                        }
                    };
                    results.lock().unwrap_or_else(|e| e.into_inner()).insert(file, report);
                    progress.inc(1);
                }
            });
        }
    });
    progress.finish_and_clear();
    if let Some(path) = cache_file {
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let cache = cache.lock().unwrap_or_else(|e| e.into_inner());
        let _ = std::fs::write(path, serde_json::to_vec(&*cache)?);
    }
    let results = results.lock().unwrap_or_else(|e| e.into_inner());
    Ok(files.iter().filter_map(|file| results.get(file).cloned()).collect())
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>, depth: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        match entry.file_type() {
            Ok(kind) if kind.is_dir() && depth < 8 => collect(&path, files, depth + 1),
            Ok(_) if path.extension().is_some_and(crate::bridge_files::is_plugin_extension) => files.push(path),
            _ => {}
        }
    }
}

/// The one-word status of a JSON report (as [`Report::status`] gives it).
pub fn status_of(report: &serde_json::Value) -> &'static str {
    let needs_bridge = report["needs_bridge"].as_bool().unwrap_or(false);
    match report["status"].as_str().unwrap_or("") {
        "ok" if needs_bridge => "needs bridge",
        "ok" => "ok",
        "crashed" => "crashed",
        "timed_out" => "timed out",
        "failed" => "failed",
        _ => "not a plugin",
    }
}
