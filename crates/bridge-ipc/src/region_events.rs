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

/// Builds a `VstEvents` list from event records without allocating: MIDI entries point at
/// the records themselves, SysEx entries at `VstMidiSysexEvent`s held here whose dumps
/// point into the area. Sized once for the most records an area can hold.
pub struct VstEventsBuilder {
    /// Pointer-aligned storage for the `VstEvents` header and its pointer array.
    table: Vec<usize>,
    sysex: Vec<vst2_abi::VstMidiSysexEvent>,
    capacity: usize,
}

impl VstEventsBuilder {
    /// A builder for up to `capacity` events.
    pub fn with_capacity(capacity: usize) -> Self {
        let words = vst2_abi::VstEvents::byte_size(capacity).div_ceil(size_of::<usize>());
        Self {
            table: vec![0; words],
            sysex: Vec::with_capacity(capacity),
            capacity,
        }
    }

    /// The most events one list holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Lays out `records` (at most [`VstEventsBuilder::capacity`] of them; the rest are
    /// skipped) and returns the list, valid until the next call and while the records'
    /// area is unchanged. Returns the list and how many events it holds.
    pub fn build(&mut self, records: impl Iterator<Item = EventRecord>) -> (*mut vst2_abi::VstEvents, usize) {
        use vst2_abi::{VstEvent, VstEvents, VstMidiSysexEvent};
        self.sysex.clear();
        let header = self.table.as_mut_ptr().cast::<VstEvents>();
        // SAFETY: `table` holds `byte_size(capacity)` pointer-aligned bytes: the header and
        // `capacity` entries; the pointer was derived from the whole buffer.
        let entries = unsafe { std::ptr::addr_of_mut!((*header).events) }.cast::<*mut VstEvent>();
        let mut count = 0;
        for record in records.take(self.capacity) {
            let event: *mut VstEvent = match record {
                EventRecord::Midi(midi) => midi.cast(),
                EventRecord::Sysex {
                    delta_frames,
                    flags,
                    data,
                    len,
                } => {
                    // Capacity was reserved up front, so this push never reallocates and
                    // earlier pointers into `sysex` stay valid.
                    self.sysex.push(VstMidiSysexEvent {
                        event_type: event_type::SYSEX,
                        byte_size: size_of::<VstMidiSysexEvent>() as i32,
                        delta_frames,
                        flags,
                        dump_bytes: len as i32,
                        resvd1: 0,
                        sysex_dump: data,
                        resvd2: 0,
                    });
                    let last = self.sysex.len() - 1;
                    (&raw mut self.sysex[last]).cast()
                }
            };
            // SAFETY: `count < capacity`, so the entry is inside `table`.
            unsafe { entries.add(count).write(event) };
            count += 1;
        }
        // SAFETY: the header fields are inside `table`.
        unsafe {
            std::ptr::addr_of_mut!((*header).num_events).write(count as i32);
            std::ptr::addr_of_mut!((*header).reserved).write(0);
        }
        (header, count)
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
                let dump = unsafe { std::slice::from_raw_parts(data, len) };
                assert_eq!(dump, &[0xF0, 1, 2, 3, 4, 0xF7]);
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
