//! Safe views of the pointers in `effProcessEvents` ([`Events`], [`Event`]) and
//! `effVendorSpecific` ([`VendorCall`]) calls, built only by the dispatcher trampoline.

use core::ffi::c_void;
use core::marker::PhantomData;
use core::{fmt, ptr, slice};

use vst2_abi::events::event_type;
use vst2_abi::{VstEvent, VstEvents, VstMidiEvent, VstMidiSysexEvent};

use super::out_buf;

/// The events of one `effProcessEvents` call, decoded lazily.
#[derive(Clone, Copy)]
pub struct Events<'a> {
    /// The host's event pointers (NULL entries are skipped).
    ptrs: &'a [*mut VstEvent],
}

impl fmt::Debug for Events<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Events").field("len", &self.ptrs.len()).finish()
    }
}

impl<'a> Events<'a> {
    /// The list behind a `VstEvents*`.
    ///
    /// # Safety
    /// `ptr` must be NULL or a `VstEvents*` whose `num_events` entries (each NULL or a valid
    /// event, SysEx dumps included) stay valid during `'a`.
    pub(super) unsafe fn from_raw(ptr: *mut c_void) -> Option<Self> {
        let list = ptr.cast::<VstEvents>();
        if list.is_null() || list as usize % align_of::<VstEvents>() != 0 {
            return None;
        }
        // SAFETY: a valid VstEvents header (caller).
        let count = unsafe { (*list).num_events };
        if count <= 0 {
            return Some(Self { ptrs: &[] });
        }
        // SAFETY: the list really holds `count` pointers after its header (caller); we take
        // the address of the array without creating a reference to its declared length.
        let first = unsafe { ptr::addr_of!((*list).events) }.cast::<*mut VstEvent>();
        // SAFETY: as above.
        let ptrs = unsafe { slice::from_raw_parts(first, count as usize) };
        Some(Self { ptrs })
    }

    /// The number of entries (NULL entries included).
    pub fn len(&self) -> usize {
        self.ptrs.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.ptrs.is_empty()
    }

    /// Iterates over the decoded events.
    pub fn iter(&self) -> EventsIter<'a> {
        EventsIter { ptrs: self.ptrs }
    }
}

impl<'a> IntoIterator for Events<'a> {
    type Item = Event<'a>;
    type IntoIter = EventsIter<'a>;
    fn into_iter(self) -> EventsIter<'a> {
        self.iter()
    }
}

/// Iterator over [`Events`].
#[derive(Debug, Clone)]
pub struct EventsIter<'a> {
    ptrs: &'a [*mut VstEvent],
}

/// One decoded event.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// A MIDI event (copied).
    Midi(VstMidiEvent),
    /// A SysEx dump (empty when the host's pointer is NULL or the length <= 0).
    Sysex {
        /// `deltaFrames`.
        delta_frames: i32,
        /// The dump, valid during the effProcessEvents call.
        data: &'a [u8],
    },
    /// Any other event type.
    Other {
        /// `type`.
        event_type: i32,
        /// `deltaFrames`.
        delta_frames: i32,
    },
}

impl<'a> Iterator for EventsIter<'a> {
    type Item = Event<'a>;

    fn next(&mut self) -> Option<Event<'a>> {
        while let Some((&event, rest)) = self.ptrs.split_first() {
            self.ptrs = rest;
            if event.is_null() {
                continue;
            }
            // SAFETY: `Events` is only built by `from_raw`, whose contract makes every
            // non-NULL entry a valid event of at least the 32-byte header size; we copy
            // unaligned and dispatch on the type, never trusting `byteSize`.
            let header = unsafe { event.read_unaligned() };
            return Some(match header.event_type {
                event_type::MIDI => {
                    // SAFETY: as above; a MIDI event is 32 bytes.
                    Event::Midi(unsafe { event.cast::<VstMidiEvent>().read_unaligned() })
                }
                event_type::SYSEX => {
                    // SAFETY: as above; the host allocated a full VstMidiSysexEvent.
                    let sysex = unsafe { event.cast::<VstMidiSysexEvent>().read_unaligned() };
                    let data = if sysex.sysex_dump.is_null() || sysex.dump_bytes <= 0 {
                        &[][..]
                    } else {
                        // SAFETY: the dump holds `dump_bytes` bytes, valid during the call.
                        unsafe { slice::from_raw_parts(sysex.sysex_dump, sysex.dump_bytes as usize) }
                    };
                    Event::Sysex {
                        delta_frames: sysex.delta_frames,
                        data,
                    }
                }
                other => Event::Other {
                    event_type: other,
                    delta_frames: header.delta_frames,
                },
            });
        }
        None
    }
}

/// The arguments of an `effVendorSpecific` call.
pub struct VendorCall<'a> {
    /// `index` (usually a four-character code).
    pub index: i32,
    /// `value`.
    pub value: isize,
    /// `opt`.
    pub opt: f32,
    pub(super) ptr: *mut c_void,
    pub(super) _buffer: PhantomData<&'a mut [u8]>,
}

impl fmt::Debug for VendorCall<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VendorCall")
            .field("index", &self.index)
            .field("value", &self.value)
            .field("opt", &self.opt)
            .field("ptr", &self.ptr)
            .finish()
    }
}

impl VendorCall<'_> {
    /// `ptr` as sent.
    pub fn ptr(&self) -> *mut c_void {
        self.ptr
    }

    /// `ptr` as a host buffer of `value` bytes: the convention of every vendor opcode of the
    /// vstbridge test plugins. `None` when `ptr` is NULL or `value` <= 0.
    ///
    /// The host must pass a writable buffer of `value` bytes with any vendor index for which
    /// a plugin calls this (the same trust the kit places in out-string sizes).
    pub fn buffer(&mut self) -> Option<&mut [u8]> {
        if self.value <= 0 {
            return None;
        }
        // SAFETY: NULL is handled by `out_buf`; otherwise the host contract above.
        unsafe { out_buf(self.ptr, self.value as usize) }
    }
}
