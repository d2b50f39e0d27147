//! Fixed-size C string buffers: writing a clamped, NUL-terminated string into one and
//! reading one back leniently.
//!
//! The ABI exchanges strings as `char` arrays of (nominally) known size. Both sides overrun
//! those sizes in practice, so writers clamp and always terminate, and readers stop at the
//! first NUL or the end of the buffer, whichever comes first.

/// Writes `text` into `buffer`, truncated to `buffer.len() - 1` bytes (never splitting a
/// UTF-8 character), and NUL-terminates it. Returns the number of text bytes written.
/// An empty buffer receives nothing.
pub fn write_c_string(buffer: &mut [u8], text: &str) -> usize {
    let Some(room) = buffer.len().checked_sub(1) else {
        return 0;
    };
    let mut len = text.len().min(room);
    while !text.is_char_boundary(len) {
        len -= 1;
    }
    buffer[..len].copy_from_slice(&text.as_bytes()[..len]);
    buffer[len] = 0;
    len
}

/// The bytes of a C string in `buffer`: up to the first NUL, or the whole buffer if the
/// writer forgot to terminate it.
pub fn c_string_bytes(buffer: &[u8]) -> &[u8] {
    let end = buffer.iter().position(|&b| b == 0).unwrap_or(buffer.len());
    &buffer[..end]
}

/// Decodes a C string from `buffer` leniently: UTF-8 where valid, Latin-1 otherwise (no
/// encoding is specified by the ABI, and old plugins write Latin-1).
pub fn read_c_string(buffer: &[u8]) -> String {
    let bytes = c_string_bytes(buffer);
    match core::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_truncates_and_terminates() {
        let mut buffer = [0xAAu8; 8];
        assert_eq!(write_c_string(&mut buffer, "Frequency"), 7);
        assert_eq!(&buffer, b"Frequen\0");
    }

    #[test]
    fn write_never_splits_a_utf8_character() {
        let mut buffer = [0xAAu8; 4];
        assert_eq!(write_c_string(&mut buffer, "aäb"), 3);
        assert_eq!(read_c_string(&buffer), "aä");
        let mut buffer = [0xAAu8; 3];
        assert_eq!(write_c_string(&mut buffer, "aäb"), 1);
        assert_eq!(read_c_string(&buffer), "a");
    }

    #[test]
    fn write_into_empty_buffer_writes_nothing() {
        assert_eq!(write_c_string(&mut [], "x"), 0);
    }

    #[test]
    fn read_stops_at_nul_or_end() {
        assert_eq!(read_c_string(b"dB\0junk"), "dB");
        assert_eq!(read_c_string(b"unterminated"), "unterminated");
    }

    #[test]
    fn read_falls_back_to_latin1() {
        assert_eq!(read_c_string(b"caf\xe9\0"), "café");
    }
}
