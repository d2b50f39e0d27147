//! The probe's call log: records, their one-line text format, and the capped store.

use std::fmt;
use std::thread::{self, ThreadId};

use test_plugin_kit::ProcessFn;

/// Records kept before further ones are only counted.
pub const MAX_RECORDS: usize = 100_000;

/// Where a host callback was made from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// Inside the entry point (effect = NULL).
    Entry,
    /// Inside effOpen.
    Open,
    /// Inside effMainsChanged(1).
    MainsChanged,
    /// Inside effSetProgram.
    SetProgram,
    /// Inside one of the process functions.
    Process,
}

impl Context {
    /// The name used in the log (`entry`, `effOpen`, `effMainsChanged`, `effSetProgram`,
    /// `process`).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Entry => "entry",
            Self::Open => "effOpen",
            Self::MainsChanged => "effMainsChanged",
            Self::SetProgram => "effSetProgram",
            Self::Process => "process",
        }
    }
}

/// What a host callback answered.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Answer {
    /// A plain integer answer.
    Value(isize),
    /// An audioMasterGetTime answer: `None` for NULL, else (samplePos, sampleRate).
    Time(Option<(f64, f64)>),
}

/// One log entry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Record {
    /// A dispatcher call, logged when it returns.
    Call {
        /// Opcode.
        opcode: i32,
        /// `index`.
        index: i32,
        /// `value`.
        value: isize,
        /// `opt`.
        opt: f32,
        /// What the probe returned.
        ret: isize,
        /// Calling thread.
        thread: ThreadId,
    },
    /// A setParameter call.
    SetParameter {
        /// Parameter.
        index: i32,
        /// Value.
        value: f32,
        /// Calling thread.
        thread: ThreadId,
    },
    /// A getParameter call.
    GetParameter {
        /// Parameter.
        index: i32,
        /// Returned value.
        ret: f32,
        /// Calling thread.
        thread: ThreadId,
    },
    /// A process call, logged when it starts.
    Process {
        /// Which function.
        function: ProcessFn,
        /// `sampleFrames` as passed.
        frames: i32,
        /// Calling thread.
        thread: ThreadId,
    },
    /// A callback the probe made into the host, logged when it returns.
    Callback {
        /// Where it was made.
        context: Context,
        /// audioMaster opcode.
        opcode: i32,
        /// `index`.
        index: i32,
        /// `value`.
        value: isize,
        /// `opt`.
        opt: f32,
        /// The host's answer.
        answer: Answer,
        /// Calling thread.
        thread: ThreadId,
    },
}

/// The current thread's id, as recorded.
pub fn current_thread() -> ThreadId {
    thread::current().id()
}

impl fmt::Display for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Call {
                opcode,
                index,
                value,
                opt,
                ret,
                thread,
            } => {
                write!(
                    f,
                    "kind=call opcode={opcode} index={index} value={value} opt={opt} ret={ret} thread={thread:?}"
                )
            }
            Self::SetParameter { index, value, thread } => {
                write!(f, "kind=set_parameter index={index} value={value} thread={thread:?}")
            }
            Self::GetParameter { index, ret, thread } => {
                write!(f, "kind=get_parameter index={index} ret={ret} thread={thread:?}")
            }
            Self::Process {
                function,
                frames,
                thread,
            } => {
                write!(
                    f,
                    "kind=process fn={} frames={frames} thread={thread:?}",
                    function.name()
                )
            }
            Self::Callback {
                context,
                opcode,
                index,
                value,
                opt,
                answer,
                thread,
            } => {
                let context = context.name();
                write!(
                    f,
                    "kind=callback context={context} opcode={opcode} index={index} value={value} opt={opt} "
                )?;
                match answer {
                    Answer::Value(ret) => write!(f, "ret={ret}")?,
                    Answer::Time(None) => write!(f, "ret=null")?,
                    Answer::Time(Some((pos, rate))) => write!(f, "ret=nonnull sample_pos={pos} sample_rate={rate}")?,
                }
                write!(f, " thread={thread:?}")
            }
        }
    }
}

/// The capped record store.
#[derive(Debug)]
pub struct Log {
    records: Vec<Record>,
    dropped: u64,
}

impl Default for Log {
    fn default() -> Self {
        Self {
            records: Vec::with_capacity(MAX_RECORDS),
            dropped: 0,
        }
    }
}

impl Log {
    /// Appends `record`, or counts it as dropped when the log is full (never reallocates).
    pub fn push(&mut self, record: Record) {
        if self.records.len() < MAX_RECORDS {
            self.records.push(record);
        } else {
            self.dropped += 1;
        }
    }

    /// Forgets every record and the dropped count.
    pub fn clear(&mut self) {
        self.records.clear();
        self.dropped = 0;
    }

    /// The records so far.
    pub fn records(&self) -> &[Record] {
        &self.records
    }

    /// The whole log as text: one record per line, each ending in `\n`, then
    /// `kind=dropped count=N` if records were dropped.
    pub fn text(&self) -> String {
        use fmt::Write;
        let mut text = String::with_capacity(self.records.len() * 80);
        for record in &self.records {
            let _ = writeln!(text, "{record}");
        }
        if self.dropped > 0 {
            let _ = writeln!(text, "kind=dropped count={}", self.dropped);
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_formats() {
        let thread = current_thread();
        let t = format!("{thread:?}");
        let call = Record::Call {
            opcode: 12,
            index: 0,
            value: 1,
            opt: 0.0,
            ret: 0,
            thread,
        };
        assert_eq!(
            call.to_string(),
            format!("kind=call opcode=12 index=0 value=1 opt=0 ret=0 thread={t}")
        );
        let cb = Record::Callback {
            context: Context::Open,
            opcode: 0,
            index: 0,
            value: 0,
            opt: 0.5,
            answer: Answer::Value(0),
            thread,
        };
        assert_eq!(
            cb.to_string(),
            format!("kind=callback context=effOpen opcode=0 index=0 value=0 opt=0.5 ret=0 thread={t}")
        );
        let time = Record::Callback {
            context: Context::Process,
            opcode: 7,
            index: 0,
            value: 0xFE00,
            opt: 0.0,
            answer: Answer::Time(Some((512.0, 44_100.0))),
            thread,
        };
        assert_eq!(
            time.to_string(),
            format!(
                "kind=callback context=process opcode=7 index=0 value=65024 opt=0 ret=nonnull sample_pos=512 \
                 sample_rate=44100 thread={t}"
            )
        );
        let null = Record::Callback {
            context: Context::MainsChanged,
            opcode: 7,
            index: 0,
            value: 0xFE00,
            opt: 0.0,
            answer: Answer::Time(None),
            thread,
        };
        assert!(
            null.to_string()
                .contains("context=effMainsChanged opcode=7 index=0 value=65024 opt=0 ret=null thread=")
        );
        let process = Record::Process {
            function: ProcessFn::ProcessReplacing,
            frames: 64,
            thread,
        };
        assert_eq!(
            process.to_string(),
            format!("kind=process fn=processReplacing frames=64 thread={t}")
        );
        let set = Record::SetParameter {
            index: 1,
            value: 0.25,
            thread,
        };
        assert_eq!(
            set.to_string(),
            format!("kind=set_parameter index=1 value=0.25 thread={t}")
        );
        let get = Record::GetParameter {
            index: 1,
            ret: 0.25,
            thread,
        };
        assert_eq!(
            get.to_string(),
            format!("kind=get_parameter index=1 ret=0.25 thread={t}")
        );
        assert!(t.starts_with("ThreadId(") && !t.contains(' '));
    }

    #[test]
    fn log_is_capped() {
        let mut log = Log::default();
        let record = Record::SetParameter {
            index: 0,
            value: 1.0,
            thread: current_thread(),
        };
        for _ in 0..MAX_RECORDS + 5 {
            log.push(record);
        }
        assert_eq!(log.records().len(), MAX_RECORDS);
        let text = log.text();
        assert_eq!(text.lines().count(), MAX_RECORDS + 1);
        assert!(text.ends_with("kind=dropped count=5\n"));
        log.clear();
        assert_eq!(log.text(), "");
    }
}
