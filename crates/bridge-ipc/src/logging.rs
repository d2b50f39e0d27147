//! Logging for the proxy and the server: `tracing` events go to stderr and, because DAWs
//! swallow stderr, to a log file.
//!
//! - `VSTBRIDGE_LOG` sets the filter (`error`, `warn`, `info` (default), `debug`, `trace`,
//!   or per-target like `info,vstbridge_proxy=trace`); `trace` logs every call.
//! - The file is `$VSTBRIDGE_LOG_FILE` if set, else `$XDG_STATE_HOME/vstbridge/vstbridge.log`,
//!   else `~/.local/state/vstbridge/vstbridge.log`; on Windows
//!   `%LOCALAPPDATA%\vstbridge\vstbridge.log`. Lines carry the crate that logged them
//!   (`vstbridge_proxy`, `vstbridge_server`), and each process logs its id when it starts.

use std::fs::OpenOptions;
use std::path::PathBuf;
use std::sync::Mutex;

use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::writer::MakeWriterExt as _;
use tracing_subscriber::layer::SubscriberExt as _;

/// The log file path the docs promise.
pub fn log_file_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("VSTBRIDGE_LOG_FILE") {
        return Some(PathBuf::from(path));
    }
    let variable = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    // Where each system keeps a user's local state: %LOCALAPPDATA% on Windows, the XDG state
    // directory elsewhere.
    let state = if cfg!(windows) {
        variable("LOCALAPPDATA")?
    } else {
        variable("XDG_STATE_HOME").or_else(|| variable("HOME").map(|home| home.join(".local/state")))?
    };
    Some(state.join("vstbridge").join("vstbridge.log"))
}

/// Installs the global subscriber once for this process, labelling lines with
/// `process` (e.g. `proxy` or `server-i686`). Does nothing if the process already has a
/// subscriber (another plugin in the same DAW may have set one).
pub fn init(process: &str) {
    let filter_text = std::env::var("VSTBRIDGE_LOG").unwrap_or_else(|_| "info".to_owned());
    let filter: Targets = filter_text.parse().unwrap_or_else(|_| {
        eprintln!("vstbridge: cannot parse VSTBRIDGE_LOG={filter_text:?}; using info");
        Targets::new().with_default(tracing::Level::INFO)
    });
    let file = log_file_path().and_then(|path| {
        std::fs::create_dir_all(path.parent()?).ok()?;
        OpenOptions::new().create(true).append(true).open(path).ok()
    });
    let label = format!("{process}[{}]", std::process::id());
    let stderr_layer =
        tracing_subscriber::fmt::layer().with_writer(std::io::stderr.with_max_level(tracing::Level::TRACE));
    let subscriber = tracing_subscriber::registry().with(filter);
    let result = match file {
        Some(file) => {
            let file_layer = tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(Mutex::new(file));
            tracing::subscriber::set_global_default(subscriber.with(stderr_layer).with(file_layer))
        }
        None => tracing::subscriber::set_global_default(subscriber.with(stderr_layer)),
    };
    if result.is_ok() {
        tracing::debug!(process = %label, "logging started");
    }
}
