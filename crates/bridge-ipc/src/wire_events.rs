//! Converting events between the host library's forms and the wire form, for the event
//! lists that travel over a connection (the audio path uses region records instead).

use bridge_proto::WireEvent;
use vst2_host::{Event, EventList, EventsView};

/// The events of a `VstEvents` view in wire form (deprecated event types are dropped).
pub fn to_wire(events: &EventsView<'_>) -> Vec<WireEvent> {
    events
        .iter()
        .filter_map(|event| match event {
            Event::Midi(midi) => Some(WireEvent::from_midi(&midi)),
            Event::Sysex {
                delta_frames,
                flags,
                data,
            } => Some(WireEvent::Sysex {
                delta_frames,
                flags,
                data: data.to_vec(),
            }),
            Event::Other { .. } => None,
        })
        .collect()
}

/// Wire events as an `EventList` ready to hand to a plugin or a host.
pub fn to_event_list(events: &[WireEvent]) -> EventList {
    let mut list = EventList::with_capacity(events.len());
    for event in events {
        match (event, event.to_midi()) {
            (_, Some(midi)) => list.push_midi(midi),
            (WireEvent::Sysex { delta_frames, data, .. }, None) => list.push_sysex(*delta_frames, data),
            (WireEvent::Midi { .. }, None) => unreachable!("MIDI events always convert"),
        }
    }
    list
}
