//! Reading a plugin binary's header: its object format (ELF, PE, Mach-O) and CPU
//! architecture, so a loader can refuse a plugin of the wrong kind with a clear message
//! before asking the dynamic linker, whose errors are cryptic.

use std::fmt;
use std::fs::File;
use std::io;
use std::path::Path;

use object::read::ReadCache;
use object::{Object, ObjectKind};

/// The CPU architecture a binary was built for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Architecture {
    /// 32-bit x86 (i386/i686).
    X86,
    /// 64-bit x86 (amd64).
    X86_64,
    /// 32-bit ARM.
    Arm,
    /// 64-bit ARM.
    Aarch64,
    /// Anything else the header names.
    Other,
}

impl Architecture {
    /// The architecture this process was built for.
    pub const fn current() -> Self {
        if cfg!(target_arch = "x86") {
            Self::X86
        } else if cfg!(target_arch = "x86_64") {
            Self::X86_64
        } else if cfg!(target_arch = "arm") {
            Self::Arm
        } else if cfg!(target_arch = "aarch64") {
            Self::Aarch64
        } else {
            Self::Other
        }
    }

    /// Pointer width in bits, when known.
    pub const fn bits(self) -> Option<u32> {
        match self {
            Self::X86 | Self::Arm => Some(32),
            Self::X86_64 | Self::Aarch64 => Some(64),
            Self::Other => None,
        }
    }

    /// The name used in file names and messages (`x86_64`, `i686`, …).
    pub const fn name(self) -> &'static str {
        match self {
            Self::X86 => "i686",
            Self::X86_64 => "x86_64",
            Self::Arm => "arm",
            Self::Aarch64 => "aarch64",
            Self::Other => "unknown architecture",
        }
    }

    /// A phrase for messages: "32-bit (i686)".
    pub fn describe(self) -> String {
        match self.bits() {
            Some(bits) => format!("{bits}-bit ({})", self.name()),
            None => self.name().to_owned(),
        }
    }
}

impl fmt::Display for Architecture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The object-file format of a binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryFormat {
    /// ELF (Linux, BSD).
    Elf,
    /// PE/COFF (Windows DLLs).
    Pe,
    /// Mach-O (macOS).
    MachO,
    /// Another format `object` understands.
    Other,
}

impl BinaryFormat {
    /// The format this platform's dynamic loader opens.
    pub const fn native() -> Self {
        if cfg!(windows) {
            Self::Pe
        } else if cfg!(target_os = "macos") {
            Self::MachO
        } else {
            Self::Elf
        }
    }
}

impl fmt::Display for BinaryFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Elf => "ELF",
            Self::Pe => "PE (Windows)",
            Self::MachO => "Mach-O (macOS)",
            Self::Other => "unrecognised object",
        })
    }
}

/// What a binary's header says about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BinaryInfo {
    /// Object format.
    pub format: BinaryFormat,
    /// CPU architecture.
    pub architecture: Architecture,
    /// Whether it is a shared library (as opposed to an executable or object file).
    pub is_shared_library: bool,
}

/// Why a file's header could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BinaryError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: io::Error,
    },
    /// The file is not a binary this library understands (a text file, a truncated file).
    #[error("{path} is not a plugin binary: {reason}")]
    NotABinary {
        /// The file.
        path: String,
        /// What the parser said.
        reason: String,
    },
}

impl BinaryInfo {
    /// Whether the binary at `path` exports a symbol named `name` (its dynamic symbols, as
    /// the dynamic loader sees them).
    pub fn exports_symbol(path: &Path, name: &str) -> Result<bool, BinaryError> {
        use object::Object as _;
        let shown = path.display().to_string();
        let file = File::open(path).map_err(|source| BinaryError::Io {
            path: shown.clone(),
            source,
        })?;
        let cache = ReadCache::new(file);
        let parsed = object::File::parse(&cache).map_err(|error| BinaryError::NotABinary {
            path: shown.clone(),
            reason: error.to_string(),
        })?;
        let exports = parsed.exports().map_err(|error| BinaryError::NotABinary {
            path: shown,
            reason: error.to_string(),
        })?;
        for export in exports {
            let export = export.map_err(|error| BinaryError::NotABinary {
                path: path.display().to_string(),
                reason: error.to_string(),
            })?;
            if export.name() == object::NameOrOrdinal::Name(name.as_bytes()) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Reads the header of the file at `path`. Only the parts of the file the parser asks
    /// for are read, so large plugins cost little.
    pub fn read(path: &Path) -> Result<Self, BinaryError> {
        let shown = path.display().to_string();
        let file = File::open(path).map_err(|source| BinaryError::Io {
            path: shown.clone(),
            source,
        })?;
        let cache = ReadCache::new(file);
        let parsed = object::File::parse(&cache).map_err(|error| BinaryError::NotABinary {
            path: shown,
            reason: error.to_string(),
        })?;
        let format = match parsed.format() {
            object::BinaryFormat::Elf => BinaryFormat::Elf,
            object::BinaryFormat::Pe => BinaryFormat::Pe,
            object::BinaryFormat::MachO => BinaryFormat::MachO,
            _ => BinaryFormat::Other,
        };
        let architecture = match parsed.architecture() {
            object::Architecture::I386 => Architecture::X86,
            object::Architecture::X86_64 => Architecture::X86_64,
            object::Architecture::Arm => Architecture::Arm,
            object::Architecture::Aarch64 => Architecture::Aarch64,
            _ => Architecture::Other,
        };
        Ok(Self {
            format,
            architecture,
            is_shared_library: parsed.kind() == ObjectKind::Dynamic,
        })
    }
}
