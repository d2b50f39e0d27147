//! Length-prefixed frames: a little-endian `u32` byte count, then the bincode encoding of one
//! [`Message`]. Sizes are checked against [`MAX_FRAME_BYTES`] on both ends; anything
//! malformed is an error, never a panic.

use crate::messages::Message;

/// The largest frame either side sends or accepts (a 64 MiB chunk plus headroom fits).
pub const MAX_FRAME_BYTES: usize = 256 << 20;

/// Bytes of the length prefix.
pub const HEADER_BYTES: usize = 4;

/// Why a frame could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// A frame larger than [`MAX_FRAME_BYTES`].
    #[error("frame of {0} bytes exceeds the limit of {MAX_FRAME_BYTES}")]
    TooLarge(usize),
    /// The message could not be encoded.
    #[error("cannot encode message: {0}")]
    Encode(#[from] bincode::error::EncodeError),
    /// The bytes are not a valid message.
    #[error("malformed message: {0}")]
    Decode(#[from] bincode::error::DecodeError),
    /// The body had bytes left over after the message.
    #[error("malformed message: {0} trailing bytes")]
    Trailing(usize),
}

fn config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<MAX_FRAME_BYTES>()
}

/// Encodes `message` as one frame: the length prefix followed by the body.
pub fn encode_frame(message: &Message) -> Result<Vec<u8>, FrameError> {
    let mut frame = vec![0u8; HEADER_BYTES];
    bincode::serde::encode_into_std_write(message, &mut frame, config())?;
    let body = frame.len() - HEADER_BYTES;
    if body > MAX_FRAME_BYTES {
        return Err(FrameError::TooLarge(body));
    }
    frame[..HEADER_BYTES].copy_from_slice(&(body as u32).to_le_bytes());
    Ok(frame)
}

/// Encodes `value` (a message or one of its parts) into `out` with the frames' encoding;
/// returns the bytes used. For fixed buffers such as the audio region's callback slot:
/// nothing is allocated.
pub fn encode_into_slice<T: serde::Serialize>(value: &T, out: &mut [u8]) -> Result<usize, FrameError> {
    Ok(bincode::serde::encode_into_slice(value, out, config())?)
}

/// Decodes a value [`encode_into_slice`] wrote; every byte of `bytes` must be used.
pub fn decode_slice<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, FrameError> {
    let (value, used) = bincode::serde::decode_from_slice(bytes, config())?;
    if used != bytes.len() {
        return Err(FrameError::Trailing(bytes.len() - used));
    }
    Ok(value)
}

/// The body length announced by a frame header, checked against the limit.
pub fn frame_length(header: [u8; HEADER_BYTES]) -> Result<usize, FrameError> {
    let length = u32::from_le_bytes(header) as usize;
    if length > MAX_FRAME_BYTES {
        return Err(FrameError::TooLarge(length));
    }
    Ok(length)
}

/// Decodes one frame body.
pub fn decode_message(body: &[u8]) -> Result<Message, FrameError> {
    let (message, used) = bincode::serde::decode_from_slice(body, config())?;
    if used != body.len() {
        return Err(FrameError::Trailing(body.len() - used));
    }
    Ok(message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::*;

    fn round_trip(message: Message) {
        let frame = encode_frame(&message).unwrap();
        let length = frame_length(frame[..4].try_into().unwrap()).unwrap();
        assert_eq!(length, frame.len() - 4);
        assert_eq!(decode_message(&frame[4..]).unwrap(), message);
    }

    #[test]
    fn every_message_kind_survives_a_loopback() {
        let effect = EffectInfo {
            num_params: 3,
            num_outputs: 2,
            flags: 0x31,
            ..EffectInfo::default()
        };
        round_trip(Message::Hello(Hello {
            protocol_version: crate::PROTOCOL_VERSION,
            token: [7; 16],
            role: ChannelRole::Thread,
            architecture: "x86_64".into(),
        }));
        round_trip(Message::Welcome(Welcome {
            protocol_version: 1,
            architecture: "i686".into(),
            struct_sizes: StructSizes::of_this_build(),
            region_version: crate::region_layout::REGION_VERSION,
            wake: WakeMethod::Pipe,
        }));
        round_trip(Message::Request(Request::Instantiate {
            plugin_path: "/p/Kars-vst.so".into(),
        }));
        round_trip(Message::Request(Request::Dispatch(DispatchCall {
            opcode: 25,
            index: 0,
            value: -1,
            opt: 0.5,
            payload: DispatchPayload::Events(vec![
                WireEvent::from_midi(&vst2_abi::VstMidiEvent::new(3, [0x90, 60, 100])),
                WireEvent::Sysex {
                    delta_frames: 4,
                    flags: 0,
                    data: vec![0xF0, 1, 0xF7],
                },
            ]),
            pending: PendingChanges {
                after_block: 7,
                changes: vec![(1, 0.5), (1, 0.25)],
            },
            snapshot: true,
        })));
        round_trip(Message::Request(Request::Dispatch(DispatchCall {
            opcode: 42,
            index: 0,
            value: 0,
            opt: 0.0,
            payload: DispatchPayload::SpeakerArrangements {
                input: Some(serde_bytes::ByteBuf::from(vec![1; 120])),
                output: None,
            },
            pending: PendingChanges::default(),
            snapshot: false,
        })));
        round_trip(Message::Request(Request::SetParameters(PendingChanges {
            after_block: 0,
            changes: vec![(2, 0.25)],
        })));
        round_trip(Message::Request(Request::GetParameter {
            index: 2,
            pending: PendingChanges::default(),
        }));
        round_trip(Message::Request(Request::AttachAudio { signal_socket: None }));
        round_trip(Message::Request(Request::HostCall(HostCall {
            opcode: 37,
            index: 0,
            value: 0,
            opt: 0.0,
            effect_was_null: true,
            effect: Some(effect),
            payload: HostPayload::Text(b"sendVstEvents".to_vec()),
        })));
        round_trip(Message::Response(Response::Instantiated(effect)));
        round_trip(Message::Response(Response::Dispatched(DispatchReply {
            result: 1,
            payload: ReplyPayload::Rect(Some([0, 0, 200, 300])),
            effect,
            snapshot: Some(Snapshot::Parameters(vec![0.5])),
        })));
        round_trip(Message::Response(Response::Parameter(0.75)));
        round_trip(Message::Response(Response::Done));
        round_trip(Message::Response(Response::HostAnswered(HostReply {
            result: 0,
            payload: HostReplyPayload::TimeInfo(Some(serde_bytes::ByteBuf::from(vec![0; 88]))),
        })));
        round_trip(Message::Response(Response::Failed("no".into())));
    }

    #[test]
    fn a_large_chunk_round_trips() {
        let data: Vec<u8> = (0..(8 << 20)).map(|i| (i * 31 % 251) as u8).collect();
        round_trip(Message::Response(Response::Dispatched(DispatchReply {
            result: data.len() as i64,
            payload: ReplyPayload::Chunk(data),
            effect: EffectInfo::default(),
            snapshot: None,
        })));
    }

    #[test]
    fn oversized_and_malformed_frames_are_errors() {
        assert!(matches!(
            frame_length(u32::MAX.to_le_bytes()),
            Err(FrameError::TooLarge(_))
        ));
        assert!(decode_message(&[0xFF, 0xFF, 0xFF, 0xFF, 0xFF]).is_err());
        assert!(decode_message(&[]).is_err());
        let mut frame = encode_frame(&Message::Response(Response::Done)).unwrap();
        frame.push(0);
        assert!(matches!(decode_message(&frame[4..]), Err(FrameError::Trailing(1))));
    }
}
