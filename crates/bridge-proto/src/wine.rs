//! What a Linux proxy and a Windows server under Wine agree on besides the messages: how a
//! descriptor is named for the server to open, the connection-request record, the kinds of
//! object handed over, and the doorbell choice the proxy passes on the server's command line.
//! (`bridge_ipc::os` does the opening; this is only the shared vocabulary.)

/// The size of one connection request on the rendezvous pipe: two [`DescriptorName`]s,
/// each ended by a newline, padded with zeros. Well under `PIPE_BUF`, so a record is written
/// whole and concurrent requests never interleave.
pub const RECORD_BYTES: usize = 128;

/// The kinds of object a Windows server under Wine is handed by name.
pub mod object_kind {
    /// Shared memory: a sealed memfd, mapped.
    pub const MEMORY: u8 = 0;
    /// A doorbell's pipe, opened for reading and writing.
    pub const PIPE: u8 = 1;
}

/// A descriptor of the proxy's process as the server opens it: the path
/// `/proc/<pid>/fd/<n>` and the inode it must turn out to be. A descriptor number is reused
/// once it is closed, so the inode is what proves the server opened the object meant (and
/// not a file the DAW opened since), before it reads or writes a byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DescriptorName {
    /// The process that holds the descriptor.
    pub pid: u32,
    /// The descriptor.
    pub fd: u32,
    /// The inode the descriptor refers to.
    pub inode: u64,
}

impl DescriptorName {
    /// The Linux path to open.
    pub fn path(&self) -> String {
        format!("/proc/{}/fd/{}", self.pid, self.fd)
    }

    /// The text form: `<pid>:<fd>:<inode>`.
    pub fn to_text(&self) -> String {
        format!("{}:{}:{}", self.pid, self.fd, self.inode)
    }

    /// Parses [`DescriptorName::to_text`]'s form; `None` for anything else.
    pub fn from_text(text: &str) -> Option<Self> {
        let mut parts = text.split(':');
        let name = Self {
            pid: parts.next()?.parse().ok()?,
            fd: parts.next()?.parse().ok()?,
            inode: parts.next()?.parse().ok()?,
        };
        parts.next().is_none().then_some(name)
    }
}

/// `wine_doorbell`: how a Windows server under Wine wakes the audio doorbells.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum WineDoorbell {
    /// `auto` (the default): a raw Linux futex call in an x64 server where the Wine allows
    /// it, else pipes. Measured (Wine 8, gain at 64 frames): x64 futex 2.4 µs per block,
    /// pipes 3.1 µs; a 32-bit program's `int 0x80` futex about 8 µs, so x86 takes pipes.
    #[default]
    Auto,
    /// `pipe`: pipes, whatever the Wine.
    Pipe,
    /// `futex`: the futex where the Wine allows it (x86 servers too), else pipes.
    Futex,
}

impl WineDoorbell {
    /// The choice a word names (`auto`, `pipe`, `futex`).
    pub fn from_word(word: &str) -> Option<Self> {
        match word {
            "auto" => Some(Self::Auto),
            "pipe" => Some(Self::Pipe),
            "futex" => Some(Self::Futex),
            _ => None,
        }
    }

    /// Its word.
    pub fn word(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::Pipe => "pipe",
            Self::Futex => "futex",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptor_names_round_trip_and_garbage_is_refused() {
        let name = DescriptorName {
            pid: 4242,
            fd: 7,
            inode: 1 << 40,
        };
        assert_eq!(DescriptorName::from_text(&name.to_text()), Some(name));
        assert_eq!(name.path(), "/proc/4242/fd/7");
        for bad in ["", "1:2", "1:2:3:4", "a:2:3", "-1:2:3", "1:2:x", "/etc/passwd"] {
            assert_eq!(DescriptorName::from_text(bad), None, "{bad}");
        }
    }

    #[test]
    fn doorbell_words_round_trip() {
        for choice in [WineDoorbell::Auto, WineDoorbell::Pipe, WineDoorbell::Futex] {
            assert_eq!(WineDoorbell::from_word(choice.word()), Some(choice));
        }
        assert_eq!(WineDoorbell::from_word("fast"), None);
    }
}
