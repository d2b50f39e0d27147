//! The gain plugin's programs and their chunk format (pure, allocation on the GUI thread
//! only).
//!
//! Both chunks are little-endian and self-describing:
//!
//! ```text
//! program chunk (effGetChunk index 1)      bank chunk (effGetChunk index 0)
//!   0  magic   "VbGp"                        0  magic   "VbGb"
//!   4  version u32 = 1                       4  version u32 = 1
//!   8  program record                        8  count   u32 = 3
//!                                           12  current u32 < count
//!                                           16  count program records
//! program record: gain f32, pan f32 (both finite, 0..=1), name_len u32 (<= 23),
//!                 name (UTF-8, name_len bytes)
//! ```
//!
//! Decoding rejects (returns `None`) a wrong magic or version, a truncated chunk, trailing
//! bytes, a bad count or current index, a name that is too long or not UTF-8, and values
//! outside 0..=1.

/// Bytes a program name may take (24-byte buffers with their NUL).
pub const MAX_NAME_BYTES: usize = 23;
/// Magic of a program chunk.
pub const PROGRAM_MAGIC: [u8; 4] = *b"VbGp";
/// Magic of a bank chunk.
pub const BANK_MAGIC: [u8; 4] = *b"VbGb";
/// The chunk format version.
pub const VERSION: u32 = 1;
/// The number of programs.
pub const NUM_PROGRAMS: usize = 3;

/// One program: a name and the two parameter values.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    /// Name, at most [`MAX_NAME_BYTES`] bytes.
    pub name: String,
    /// Parameter 0, normalized.
    pub gain: f32,
    /// Parameter 1, normalized.
    pub pan: f32,
}

impl Program {
    /// A program with `name` cut to [`MAX_NAME_BYTES`] (on a character boundary).
    pub fn new(name: &str, gain: f32, pan: f32) -> Self {
        Self {
            name: clamp_name(name).to_owned(),
            gain,
            pan,
        }
    }
}

/// `name` cut to at most [`MAX_NAME_BYTES`] bytes on a character boundary.
pub fn clamp_name(name: &str) -> &str {
    let mut len = name.len().min(MAX_NAME_BYTES);
    while !name.is_char_boundary(len) {
        len -= 1;
    }
    &name[..len]
}

/// The factory programs: "Unity" (0.5, 0.5), "Quiet" (0.25, 0.5), "Left" (0.5, 0.0).
pub fn factory_programs() -> Vec<Program> {
    vec![
        Program::new("Unity", 0.5, 0.5),
        Program::new("Quiet", 0.25, 0.5),
        Program::new("Left", 0.5, 0.0),
    ]
}

fn put_program(out: &mut Vec<u8>, program: &Program) {
    let name = clamp_name(&program.name);
    out.extend_from_slice(&program.gain.to_le_bytes());
    out.extend_from_slice(&program.pan.to_le_bytes());
    out.extend_from_slice(&(name.len() as u32).to_le_bytes());
    out.extend_from_slice(name.as_bytes());
}

/// Appends the program chunk of `program` to `out`.
pub fn encode_program(out: &mut Vec<u8>, program: &Program) {
    out.extend_from_slice(&PROGRAM_MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    put_program(out, program);
}

/// Appends the bank chunk of `programs` with `current` selected to `out`.
pub fn encode_bank(out: &mut Vec<u8>, programs: &[Program], current: usize) {
    out.extend_from_slice(&BANK_MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(programs.len() as u32).to_le_bytes());
    out.extend_from_slice(&(current as u32).to_le_bytes());
    for program in programs {
        put_program(out, program);
    }
}

struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    fn bytes(&mut self, len: usize) -> Option<&'a [u8]> {
        if self.data.len() < len {
            return None;
        }
        let (head, rest) = self.data.split_at(len);
        self.data = rest;
        Some(head)
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.bytes(4)?.try_into().ok()?))
    }
    fn value(&mut self) -> Option<f32> {
        let value = f32::from_le_bytes(self.bytes(4)?.try_into().ok()?);
        (0.0..=1.0).contains(&value).then_some(value)
    }
    fn header(&mut self, magic: [u8; 4]) -> Option<()> {
        (self.bytes(4)? == magic && self.u32()? == VERSION).then_some(())
    }
    fn program(&mut self) -> Option<Program> {
        let gain = self.value()?;
        let pan = self.value()?;
        let len = self.u32()? as usize;
        if len > MAX_NAME_BYTES {
            return None;
        }
        let name = core::str::from_utf8(self.bytes(len)?).ok()?;
        Some(Program::new(name, gain, pan))
    }
    fn finish<T>(self, value: T) -> Option<T> {
        self.data.is_empty().then_some(value)
    }
}

/// Decodes a program chunk.
pub fn decode_program(data: &[u8]) -> Option<Program> {
    let mut reader = Reader { data };
    reader.header(PROGRAM_MAGIC)?;
    let program = reader.program()?;
    reader.finish(program)
}

/// Decodes a bank chunk into its programs and current index.
pub fn decode_bank(data: &[u8]) -> Option<(Vec<Program>, usize)> {
    let mut reader = Reader { data };
    reader.header(BANK_MAGIC)?;
    let count = reader.u32()? as usize;
    let current = reader.u32()? as usize;
    if count != NUM_PROGRAMS || current >= count {
        return None;
    }
    let programs = (0..count).map(|_| reader.program()).collect::<Option<Vec<_>>>()?;
    reader.finish((programs, current))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn program_round_trip() {
        let program = Program::new("Sößé", 0.125, 1.0);
        let mut chunk = Vec::new();
        encode_program(&mut chunk, &program);
        assert_eq!(&chunk[..4], b"VbGp");
        assert_eq!(decode_program(&chunk), Some(program));
    }

    #[test]
    fn bank_round_trip() {
        let mut programs = factory_programs();
        programs[1].name = "Renamed".into();
        let mut chunk = Vec::new();
        encode_bank(&mut chunk, &programs, 2);
        assert_eq!(decode_bank(&chunk), Some((programs, 2)));
    }

    #[test]
    fn names_are_clamped_on_char_boundaries() {
        assert_eq!(clamp_name(&"x".repeat(40)).len(), MAX_NAME_BYTES);
        assert_eq!(clamp_name(&"é".repeat(20)), "é".repeat(11));
    }

    #[test]
    fn malformed_chunks_are_rejected() {
        let mut bank = Vec::new();
        encode_bank(&mut bank, &factory_programs(), 0);
        let mut program = Vec::new();
        encode_program(&mut program, &factory_programs()[0]);
        assert_eq!(decode_bank(&[]), None);
        assert_eq!(decode_program(&[]), None);
        assert_eq!(decode_bank(&program), None, "program chunk as bank");
        assert_eq!(decode_program(&bank), None, "bank chunk as program");
        for len in 0..bank.len() {
            assert_eq!(decode_bank(&bank[..len]), None, "truncated to {len}");
        }
        let mut long = bank.clone();
        long.push(0);
        assert_eq!(decode_bank(&long), None, "trailing byte");
        let mut version = bank.clone();
        version[4] = 2;
        assert_eq!(decode_bank(&version), None, "version");
        let mut current = bank.clone();
        current[12] = 3;
        assert_eq!(decode_bank(&current), None, "current index");
        let mut value = program.clone();
        value[8..12].copy_from_slice(&f32::NAN.to_le_bytes());
        assert_eq!(decode_program(&value), None, "NaN gain");
        value[8..12].copy_from_slice(&1.5f32.to_le_bytes());
        assert_eq!(decode_program(&value), None, "gain > 1");
        let mut name = program.clone();
        name[16] = 200;
        assert_eq!(decode_program(&name), None, "name too long");
        let mut utf8 = program.clone();
        utf8[20] = 0xFF;
        assert_eq!(decode_program(&utf8), None, "name not UTF-8");
        assert_eq!(decode_program(&[0xAB; 1000]), None, "garbage");
    }
}
