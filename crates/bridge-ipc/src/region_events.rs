//! Event records in the region's input and output event areas.
//!
//! A MIDI record is the 32-byte `VstMidiEvent` itself (its layout is the same on every
//! target), so the reading side can hand the plugin or the host a pointer straight into
//! the region. A SysEx record is a 16-byte header (`type` = 6, `deltaFrames`, `flags`,
//! length) followed by the dump, padded to 8 bytes. Readers check every length against the
//! area; a malformed record ends the list rather than reading out of bounds.

use vst2_abi::VstMidiEvent;
use vst2_abi::events::event_type;

/// Bytes of a MIDI record.
pub const MIDI_RECORD_BYTES: usize = size_of::<VstMidiEvent>();
/// Bytes of a SysEx record's header.
pub const SYSEX_HEADER_BYTES: usize = 16;

const fn padded(len: usize) -> usize {
    (len + 7) & !7
}

/// Appends records to an event area.
pub struct EventWriter {
    area: *mut u8,
    capacity: usize,
    used: usize,
    count: u32,
    dropped: u32,
}

impl EventWriter {
    /// A writer over `capacity` bytes at `area`, continuing after `used` bytes holding
    /// `count` records.
    ///
    /// # Safety
    /// `area` must be valid for writes of `capacity` bytes, 8-aligned, and not written by
    /// anyone else while the writer lives.
    pub unsafe fn resume(area: *mut u8, capacity: usize, used: usize, count: u32) -> Self {
        Self {
            area,
            capacity,
            used: used.min(capacity),
            count,
            dropped: 0,
        }
    }

    /// Bytes used so far.
    pub fn used(&self) -> usize {
        self.used
    }

    /// Records written so far.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// Records refused for lack of room.
    pub fn dropped(&self) -> u32 {
        self.dropped
    }

    /// Whether a SysEx dump of `len` bytes would still fit.
    pub fn fits_sysex(&self, len: usize) -> bool {
        self.used + SYSEX_HEADER_BYTES + padded(len) <= self.capacity
    }

    /// Appends a MIDI event; `false` (and counted as dropped) when full.
    pub fn push_midi(&mut self, event: &VstMidiEvent) -> bool {
        if self.used + MIDI_RECORD_BYTES > self.capacity {
            self.dropped += 1;
            return false;
        }
        let record = VstMidiEvent {
            event_type: event_type::MIDI,
            byte_size: MIDI_RECORD_BYTES as i32,
            ..*event
        };
        // SAFETY: in bounds (checked above) and 8-aligned (every record size is a multiple
        // of 8 and the area is 8-aligned).
        unsafe { self.area.add(self.used).cast::<VstMidiEvent>().write(record) };
        self.used += MIDI_RECORD_BYTES;
        self.count += 1;
        true
    }

    /// Appends a SysEx dump; `false` (and counted as dropped) when full.
    pub fn push_sysex(&mut self, delta_frames: i32, flags: i32, data: &[u8]) -> bool {
        if !self.fits_sysex(data.len()) || data.len() > u32::MAX as usize {
            self.dropped += 1;
            return false;
        }
        let header = [event_type::SYSEX, delta_frames, flags, data.len() as i32];
        // SAFETY: header and dump fit (checked above); the destination is 8-aligned.
        unsafe {
            let at = self.area.add(self.used);
            at.cast::<[i32; 4]>().write(header);
            std::ptr::copy_nonoverlapping(data.as_ptr(), at.add(SYSEX_HEADER_BYTES), data.len());
        }
        self.used += SYSEX_HEADER_BYTES + padded(data.len());
        self.count += 1;
        true
    }
}

/// One record read back.
#[derive(Debug, Clone, Copy)]
pub enum EventRecord {
    /// A MIDI event; the pointer addresses the record inside the area.
    Midi(*mut VstMidiEvent),
    /// A SysEx dump; the pointer addresses the bytes inside the area.
    Sysex {
        /// `deltaFrames`.
        delta_frames: i32,
        /// `flags`.
        flags: i32,
        /// The dump's bytes.
        data: *mut u8,
        /// Its length.
        len: usize,
    },
}

/// Iterates over the records of an event area.
pub struct EventReader {
    area: *mut u8,
    used: usize,
    offset: usize,
    remaining: u32,
}

impl EventReader {
    /// A reader over `count` records in the first `used` bytes at `area` (clamped to
    /// `capacity`).
    ///
    /// # Safety
    /// `area` must be valid for reads of `capacity` bytes, 8-aligned, and not written by
    /// anyone else while records are read.
    pub unsafe fn new(area: *mut u8, capacity: usize, used: usize, count: u32) -> Self {
        Self {
            area,
            used: used.min(capacity),
            offset: 0,
            remaining: count,
        }
    }
}

impl Iterator for EventReader {
    type Item = EventRecord;

    fn next(&mut self) -> Option<EventRecord> {
        if self.remaining == 0 || self.offset + SYSEX_HEADER_BYTES > self.used {
            return None;
        }
        self.remaining -= 1;
        // SAFETY: the header is in bounds (checked above) and 8-aligned.
        let at = unsafe { self.area.add(self.offset) };
        // SAFETY: as above.
        let header = unsafe { at.cast::<[i32; 4]>().read() };
        match header[0] {
            event_type::MIDI if self.offset + MIDI_RECORD_BYTES <= self.used => {
                self.offset += MIDI_RECORD_BYTES;
                Some(EventRecord::Midi(at.cast()))
            }
            event_type::SYSEX => {
                let len = header[3].max(0) as usize;
                let end = self.offset + SYSEX_HEADER_BYTES + padded(len);
                if end > self.used {
                    self.remaining = 0;
                    return None;
                }
                self.offset = end;
                // SAFETY: the dump lies inside the used area (checked above).
                let data = unsafe { at.add(SYSEX_HEADER_BYTES) };
                Some(EventRecord::Sysex {
                    delta_frames: header[1],
                    flags: header[2],
                    data,
                    len,
                })
            }
            _ => {
                self.remaining = 0;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_overflow_is_counted() {
        let mut area = vec![0u64; 16]; // 128 bytes, 8-aligned
        let base = area.as_mut_ptr().cast::<u8>();
        // SAFETY: `area` is 128 writable, 8-aligned bytes used only here.
        let mut writer = unsafe { EventWriter::resume(base, 128, 0, 0) };
        assert!(writer.push_midi(&VstMidiEvent::new(5, [0x90, 64, 90])));
        assert!(writer.push_sysex(7, 0, &[0xF0, 1, 2, 3, 4, 0xF7]));
        assert!(writer.push_midi(&VstMidiEvent::new(9, [0x80, 64, 0])));
        assert!(!writer.push_sysex(8, 0, &[0; 64]));
        assert_eq!((writer.count(), writer.dropped()), (3, 1));
        // SAFETY: as above.
        let records: Vec<_> = unsafe { EventReader::new(base, 128, writer.used(), writer.count()) }.collect();
        assert_eq!(records.len(), 3);
        match records[1] {
            // SAFETY: the record points into `area`.
            EventRecord::Sysex {
                delta_frames,
                data,
                len,
                ..
            } => {
                assert_eq!(delta_frames, 7);
                // SAFETY: `len` bytes at `data` lie inside `area`.
                assert_eq!(
                    unsafe { std::slice::from_raw_parts(data, len) },
                    &[0xF0, 1, 2, 3, 4, 0xF7]
                );
            }
            _ => panic!("expected sysex"),
        }
        match records[2] {
            // SAFETY: the record points into `area`.
            EventRecord::Midi(midi) => assert_eq!(unsafe { (*midi).midi_data }, [0x80, 64, 0, 0]),
            _ => panic!("expected midi"),
        }
    }

    #[test]
    fn malformed_lengths_end_the_list() {
        let mut area = vec![0u64; 4];
        let base = area.as_mut_ptr().cast::<u8>();
        // SAFETY: 32 writable bytes.
        unsafe { base.cast::<[i32; 4]>().write([event_type::SYSEX, 0, 0, 1_000_000]) };
        // SAFETY: as above.
        let mut reader = unsafe { EventReader::new(base, 32, 32, 5) };
        assert!(reader.next().is_none());
    }
}
