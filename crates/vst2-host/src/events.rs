//! Events in both directions: [`EventList`] builds the `VstEvents` a host passes to
//! `effProcessEvents`, and [`Event`] is the safe, decoded view of events a plugin sends with
//! `audioMasterProcessEvents`.

use std::ptr;

use vst2_abi::events::event_type;
use vst2_abi::{VstEvent, VstEvents, VstMidiEvent, VstMidiSysexEvent};

/// One decoded event. Borrowed data is valid only during the call that produced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event<'a> {
    /// A short MIDI message.
    Midi(VstMidiEvent),
    /// A SysEx dump.
    Sysex {
        /// Offset into the block.
        delta_frames: i32,
        /// Event flags.
        flags: i32,
        /// The dump bytes.
        data: &'a [u8],
    },
    /// A deprecated or unknown event type, reported but not decoded.
    Other {
        /// Its `type` field.
        event_type: i32,
        /// Offset into the block.
        delta_frames: i32,
    },
}

impl Event<'_> {
    /// The event's offset into the block.
    pub fn delta_frames(&self) -> i32 {
        match self {
            Event::Midi(midi) => midi.delta_frames,
            Event::Sysex { delta_frames, .. } | Event::Other { delta_frames, .. } => *delta_frames,
        }
    }
}

/// The most events one `VstEvents` is trusted to hold, and the largest SysEx dump, when
/// reading what a plugin hands us. Anything larger is treated as corrupt.
pub const MAX_EVENTS: usize = 1 << 20;
/// The largest SysEx dump accepted from a plugin (64 MiB).
pub const MAX_SYSEX_BYTES: usize = 64 << 20;

/// A borrowed, lazily decoded view of a `VstEvents` list someone else owns. Decoding
/// allocates nothing, so it is usable on the audio thread.
#[derive(Debug, Clone, Copy)]
pub struct EventsView<'a> {
    entries: *const *const VstEvent,
    len: usize,
    _owner: std::marker::PhantomData<&'a VstEvents>,
}

impl<'a> EventsView<'a> {
    /// Views `events`. A NULL list is an empty view; counts past [`MAX_EVENTS`] are cut.
    ///
    /// # Safety
    /// `events` must be NULL or point to a `VstEvents` whose `num_events` entries are NULL
    /// or point to events of the type they declare, with SysEx dumps of `dump_bytes`
    /// readable bytes, all valid and unchanged for `'a`.
    pub unsafe fn new(events: *const VstEvents) -> Self {
        if events.is_null() {
            return Self {
                entries: ptr::null(),
                len: 0,
                _owner: std::marker::PhantomData,
            };
        }
        // SAFETY: non-NULL and, per the contract, a valid VstEvents header.
        let len = unsafe { (*events).num_events }.clamp(0, MAX_EVENTS as i32) as usize;
        // SAFETY: the entries start at `events.events`; the list holds `len` of them (the
        // declared two-entry array is only the declaration, not the extent).
        let entries = unsafe { ptr::addr_of!((*events).events) }.cast::<*const VstEvent>();
        Self {
            entries,
            len,
            _owner: std::marker::PhantomData,
        }
    }

    /// Number of entries (including NULL ones, which decode to nothing).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the list has no entry.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Decodes entry `i`; `None` past the end or for a NULL entry.
    pub fn get(&self, i: usize) -> Option<Event<'a>> {
        if i >= self.len {
            return None;
        }
        // SAFETY: `i < len` entries exist per the constructor's contract.
        let entry = unsafe { *self.entries.add(i) };
        if entry.is_null() {
            return None;
        }
        // SAFETY: non-NULL entries point to at least a generic 32-byte event header.
        let header = unsafe { *entry };
        Some(match header.event_type {
            event_type::MIDI => {
                // SAFETY: the type says this is a VstMidiEvent (same 32-byte size).
                Event::Midi(unsafe { *entry.cast::<VstMidiEvent>() })
            }
            event_type::SYSEX => {
                // SAFETY: the type says this is a VstMidiSysexEvent.
                let sysex = unsafe { *entry.cast::<VstMidiSysexEvent>() };
                let len = (sysex.dump_bytes.max(0) as usize).min(MAX_SYSEX_BYTES);
                let data = if sysex.sysex_dump.is_null() || len == 0 {
                    &[][..]
                } else {
                    // SAFETY: the sender owns `dump_bytes` readable bytes at `sysex_dump`
                    // for `'a`.
                    unsafe { std::slice::from_raw_parts(sysex.sysex_dump, len) }
                };
                Event::Sysex {
                    delta_frames: sysex.delta_frames,
                    flags: sysex.flags,
                    data,
                }
            }
            other => Event::Other {
                event_type: other,
                delta_frames: header.delta_frames,
            },
        })
    }

    /// The decoded events, skipping NULL entries.
    pub fn iter(&self) -> impl Iterator<Item = Event<'a>> + '_ {
        (0..self.len).filter_map(|i| self.get(i))
    }
}

/// An owned list of events laid out as the ABI's `VstEvents` for `effProcessEvents`.
///
/// Build it once and reuse it: [`EventList::clear`] keeps the capacity, so a host that
/// reserves enough up front sends events without allocating per block.
#[derive(Debug, Default)]
pub struct EventList {
    midi: Vec<VstMidiEvent>,
    sysex: Vec<VstMidiSysexEvent>,
    sysex_data: Vec<Vec<u8>>,
    /// Order of events as pushed: `(is_sysex, index into midi or sysex)`.
    order: Vec<(bool, usize)>,
    /// Pointer-aligned storage for the `VstEvents` header and its pointer array.
    table: Vec<usize>,
}

impl EventList {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty list with room for `events` events without reallocating.
    pub fn with_capacity(events: usize) -> Self {
        let mut list = Self::default();
        list.midi.reserve(events);
        list.order.reserve(events);
        list.table.reserve(events + 2);
        list
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether the list holds no event.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    /// Removes every event, keeping the capacity.
    pub fn clear(&mut self) {
        self.midi.clear();
        self.sysex.clear();
        self.sysex_data.clear();
        self.order.clear();
    }

    /// Appends a MIDI event.
    pub fn push_midi(&mut self, event: VstMidiEvent) {
        self.order.push((false, self.midi.len()));
        self.midi.push(event);
    }

    /// Appends a short MIDI message at `delta_frames`.
    pub fn push_midi_bytes(&mut self, delta_frames: i32, bytes: [u8; 3]) {
        self.push_midi(VstMidiEvent::new(delta_frames, bytes));
    }

    /// Appends a SysEx dump (copied).
    pub fn push_sysex(&mut self, delta_frames: i32, data: &[u8]) {
        self.order.push((true, self.sysex.len()));
        self.sysex_data.push(data.to_vec());
        self.sysex.push(VstMidiSysexEvent {
            event_type: event_type::SYSEX,
            byte_size: size_of::<VstMidiSysexEvent>() as i32,
            delta_frames,
            flags: 0,
            dump_bytes: data.len() as i32,
            resvd1: 0,
            sysex_dump: ptr::null_mut(),
            resvd2: 0,
        });
    }

    /// Appends a decoded event (as received from a plugin).
    pub fn push_event(&mut self, event: &Event<'_>) {
        match *event {
            Event::Midi(midi) => self.push_midi(midi),
            Event::Sysex { delta_frames, data, .. } => self.push_sysex(delta_frames, data),
            Event::Other { .. } => {}
        }
    }

    /// Lays the list out as a `VstEvents` and returns a pointer to it, valid until the list
    /// is next modified or dropped.
    pub fn as_vst_events(&mut self) -> *mut VstEvents {
        let pointer = size_of::<usize>();
        let words = VstEvents::byte_size(self.order.len()).div_ceil(pointer);
        self.table.clear();
        self.table.resize(words, 0);
        let header = self.table.as_mut_ptr().cast::<VstEvents>();
        for (sysex, data) in self.sysex.iter_mut().zip(&mut self.sysex_data) {
            sysex.sysex_dump = data.as_mut_ptr();
        }
        // SAFETY: `table` is pointer-aligned and at least `VstEvents::byte_size(n)` bytes,
        // so the header fields and `n` pointer entries after it are in bounds; the pointer
        // was derived from the whole buffer.
        unsafe {
            ptr::addr_of_mut!((*header).num_events).write(self.order.len() as i32);
            ptr::addr_of_mut!((*header).reserved).write(0);
            let entries = ptr::addr_of_mut!((*header).events).cast::<*mut VstEvent>();
            for (i, &(is_sysex, index)) in self.order.iter().enumerate() {
                let event: *mut VstEvent = if is_sysex {
                    vst2_abi::events::as_event_ptr(&mut self.sysex[index])
                } else {
                    vst2_abi::events::as_event_ptr(&mut self.midi[index])
                };
                entries.add(i).write(event);
            }
        }
        header
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn laid_out_list_decodes_back_to_the_same_events() {
        let mut list = EventList::new();
        list.push_midi_bytes(3, [0x90, 60, 100]);
        list.push_sysex(5, &[0xF0, 1, 2, 3, 0xF7]);
        list.push_midi_bytes(7, [0x80, 60, 0]);
        let raw = list.as_vst_events();
        // SAFETY: `raw` was just laid out by `list`, which is not touched while viewed.
        let decoded: Vec<_> = unsafe { EventsView::new(raw) }.iter().collect();
        assert_eq!(decoded.len(), 3);
        assert_eq!(decoded[0], Event::Midi(VstMidiEvent::new(3, [0x90, 60, 100])));
        assert_eq!(
            decoded[1],
            Event::Sysex {
                delta_frames: 5,
                flags: 0,
                data: &[0xF0, 1, 2, 3, 0xF7]
            }
        );
        assert_eq!(decoded[2].delta_frames(), 7);
    }

    #[test]
    fn null_list_decodes_to_nothing() {
        // SAFETY: NULL is allowed by the contract.
        let view = unsafe { EventsView::new(ptr::null()) };
        assert!(view.is_empty());
        assert_eq!(view.iter().count(), 0);
    }
}
