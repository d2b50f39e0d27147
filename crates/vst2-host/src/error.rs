//! The errors of loading a plugin and of driving its process functions. Each says what was
//! wrong in words a musician can act on.

use std::path::PathBuf;

use crate::binary::{Architecture, BinaryError, BinaryFormat};

/// Why [`crate::Plugin::load`] failed.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Nothing exists at the path.
    #[error("plugin not found: {0} does not exist")]
    NotFound(PathBuf),
    /// The path is a directory or another non-file.
    #[error("{0} is not a file")]
    NotAFile(PathBuf),
    /// The header could not be read or is not a binary.
    #[error(transparent)]
    Binary(#[from] BinaryError),
    /// The binary is for another platform (a Windows DLL on Linux, say).
    #[error("{path} is a {found} binary; this platform loads {expected} plugins")]
    WrongFormat {
        /// The plugin.
        path: PathBuf,
        /// Its format.
        found: BinaryFormat,
        /// The format this platform loads.
        expected: BinaryFormat,
    },
    /// The binary is for another CPU architecture.
    #[error(
        "{path}: this is a {} plugin, this process is {}; it cannot be loaded directly (bridge it)",
        plugin.describe(),
        host.describe()
    )]
    WrongArchitecture {
        /// The plugin.
        path: PathBuf,
        /// The plugin's architecture.
        plugin: Architecture,
        /// This process's architecture.
        host: Architecture,
    },
    /// The dynamic loader refused the library (often a missing dependency).
    #[error("the system could not load {path}: {reason}")]
    Library {
        /// The plugin.
        path: PathBuf,
        /// The loader's message.
        reason: String,
    },
    /// The library exports neither `VSTPluginMain` nor `main`.
    #[error("{0} exports no VST2 entry point (neither VSTPluginMain nor main): not a VST2 plugin")]
    MissingEntryPoint(PathBuf),
    /// The entry point returned NULL.
    #[error("{0}: the plugin's entry point returned no effect (the plugin refused to start)")]
    NullEffect(PathBuf),
    /// The returned struct does not carry the VST2 magic number.
    #[error("{path}: the entry point returned a struct with magic {found:#010x}, not 'VstP'")]
    BadMagic {
        /// The plugin.
        path: PathBuf,
        /// The value found.
        found: i32,
    },
}

/// Why a process call was refused before reaching the plugin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProcessError {
    /// The plugin threw a C++ exception out of its process function (caught, logged once;
    /// the outputs hold whatever it wrote before).
    #[error("the plugin threw an exception from process")]
    Threw,
    /// Fewer channel buffers than the plugin reads.
    #[error("the plugin needs {needed} {direction} channels, {given} were given")]
    ChannelCount {
        /// "input" or "output".
        direction: &'static str,
        /// What the plugin declares.
        needed: usize,
        /// What the caller passed.
        given: usize,
    },
    /// More channels than this library passes without allocating.
    #[error("{channels} channels is more than the supported maximum of {max}")]
    TooManyChannels {
        /// What the plugin declares.
        channels: usize,
        /// The most this library passes.
        max: usize,
    },
    /// A channel buffer is shorter than the frame count.
    #[error("a channel buffer holds {len} frames, {frames} were requested")]
    ShortBuffer {
        /// Buffer length.
        len: usize,
        /// Requested frames.
        frames: usize,
    },
    /// The frame count does not fit the ABI's `i32`.
    #[error("{0} frames do not fit in one process call")]
    TooManyFrames(usize),
    /// The plugin has no such process function (or its flag is not set).
    #[error("the plugin does not support {0}")]
    Unsupported(&'static str),
}
