//! `vstbridge-fuzz`: seeded, bounded fuzzing of everything the proxy reads from a server it
//! must treat as hostile. A plain program on stable Rust (no coverage instrumentation), so it
//! runs in CI in seconds and for hours by hand: `cargo xtask fuzz --iterations N`.
//!
//! Targets, each fed `N` inputs from a seeded generator (random bytes, and valid encodings
//! with bytes flipped, cut short or lengthened):
//! - `frames`: frame bodies (`decode_message`) and callback-slot messages (`decode_slice`
//!   of `HostCall` and `HostReply`);
//! - `region`: region headers (`AudioRegion::open` on a sealed file holding random bytes)
//!   and the layout arithmetic (`Areas::of` of random capacities);
//! - `events`: event areas (`EventReader` over random records, built into a `VstEvents`);
//! - `replies`: dispatcher replies of every payload shape (`write_reply_into`) into
//!   DAW-side buffers of the opcode's size followed by guard bytes.
//!
//! Every input must leave no panic, no abort, no write past a guard, and no single
//! allocation above [`ALLOCATION_CAP`]; a failing input is printed as hex so it can become a
//! regression test. Exit status 1 on the first failure.

use std::panic::{AssertUnwindSafe, catch_unwind};

use anyhow::{Context, Result, bail};
use bridge_ipc::allocations;
use bridge_ipc::region_events::{EventReader, VstEventsBuilder};
use bridge_proto::region_layout::{Areas, RegionCapacity};
use bridge_proto::{
    DispatchReply, EffectInfo, HostCall, HostReply, Message, ReplyPayload, Response, decode_message, decode_slice,
    dispatch_shape, encode_frame,
};
use vst2_abi::EffectOpcode;

#[global_allocator]
static ALLOCATOR: allocations::CountingAllocator = allocations::CountingAllocator;

/// The largest single allocation any input may cause: a frame's own limit. Anything a
/// server sends is bounded by it; nothing may make the proxy allocate more.
const ALLOCATION_CAP: usize = bridge_proto::MAX_FRAME_BYTES;
/// Guard bytes after every DAW-side buffer.
const GUARD: usize = 64;
const GUARD_BYTE: u8 = 0xA5;

/// A small, fast, seeded generator (xorshift64*): the same seed gives the same inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound.max(1) as u64) as usize
    }

    fn bytes(&mut self, length: usize) -> Vec<u8> {
        (0..length).map(|_| self.next() as u8).collect()
    }

    /// Bytes of a [`Rng::length`].
    fn some_bytes(&mut self) -> Vec<u8> {
        let length = self.length();
        self.bytes(length)
    }

    /// A length that is usually small and sometimes large.
    fn length(&mut self) -> usize {
        match self.below(10) {
            0 => self.below(1 << 16),
            1 => self.below(4096),
            _ => self.below(256),
        }
    }

    /// `bytes` with a few bytes flipped, or cut short, or lengthened.
    fn mutate(&mut self, mut bytes: Vec<u8>) -> Vec<u8> {
        match self.below(4) {
            0 if !bytes.is_empty() => {
                let cut = self.below(bytes.len());
                bytes.truncate(cut);
            }
            1 => {
                let extra = self.length();
                bytes.extend(self.bytes(extra));
            }
            _ => {
                for _ in 0..=self.below(8) {
                    if bytes.is_empty() {
                        break;
                    }
                    let at = self.below(bytes.len());
                    bytes[at] = self.next() as u8;
                }
            }
        }
        bytes
    }
}

/// Runs `body` on one input; a panic or an allocation over the cap is a failure naming the
/// input.
fn check(target: &str, iteration: u64, input: &[u8], body: impl FnOnce()) -> Result<()> {
    allocations::take_largest();
    let outcome = catch_unwind(AssertUnwindSafe(|| allocations::counting(body)));
    let largest = allocations::take_largest();
    let hex = || input.iter().map(|b| format!("{b:02x}")).collect::<String>();
    if outcome.is_err() {
        bail!("{target}: input {iteration} panicked: {}", hex());
    }
    if largest > ALLOCATION_CAP {
        bail!(
            "{target}: input {iteration} allocated {largest} bytes at once: {}",
            hex()
        );
    }
    Ok(())
}

/// Valid messages of every kind, to mutate.
fn sample_messages(rng: &mut Rng) -> Vec<Vec<u8>> {
    let effect = EffectInfo {
        num_params: rng.below(100) as i32,
        ..EffectInfo::default()
    };
    let replies = [
        ReplyPayload::Text(rng.some_bytes()),
        ReplyPayload::Chunk(rng.some_bytes()),
        ReplyPayload::Rect(Some([1, 2, 3, 4])),
        ReplyPayload::Struct(rng.some_bytes()),
        ReplyPayload::SpeakerArrangements {
            input: Some(rng.some_bytes().into()),
            output: None,
        },
        ReplyPayload::EditorWindow(u64::from(rng.below(1 << 30) as u32)),
        ReplyPayload::None,
    ];
    let mut messages: Vec<Vec<u8>> = replies
        .into_iter()
        .map(|payload| {
            let frame = encode_frame(&Message::Response(Response::Dispatched(DispatchReply {
                result: rng.next() as i64,
                payload,
                effect,
                snapshot: None,
            })))
            .expect("a sample encodes");
            frame[4..].to_vec()
        })
        .collect();
    let call = HostCall {
        opcode: rng.below(80) as i32,
        index: rng.next() as i32,
        value: rng.next() as i64,
        opt: 0.5,
        effect_was_null: false,
        effect: Some(effect),
        payload: bridge_proto::HostPayload::Text(rng.some_bytes()),
    };
    let frame = encode_frame(&Message::Request(bridge_proto::Request::HostCall(call))).expect("a sample encodes");
    messages.push(frame[4..].to_vec());
    messages
}

fn fuzz_frames(rng: &mut Rng, iterations: u64) -> Result<()> {
    for iteration in 0..iterations {
        let input = if rng.below(2) == 0 {
            let length = rng.length();
            rng.bytes(length)
        } else {
            let samples = sample_messages(rng);
            let sample = samples[rng.below(samples.len())].clone();
            rng.mutate(sample)
        };
        check("frames", iteration, &input, || {
            let _ = decode_message(&input);
            // The callback slot carries the bare messages.
            let _ = decode_slice::<HostCall>(&input);
            let _ = decode_slice::<HostReply>(&input);
        })?;
    }
    Ok(())
}

fn random_capacity(rng: &mut Rng) -> RegionCapacity {
    let mut field = || match rng.below(4) {
        0 => rng.next() as u32,
        _ => rng.below(4096) as u32,
    };
    RegionCapacity {
        max_frames: field(),
        max_inputs: field(),
        max_outputs: field(),
        max_params: field(),
        max_param_changes: field(),
        input_event_bytes: field(),
        output_event_bytes: field(),
    }
}

fn fuzz_region(rng: &mut Rng, iterations: u64) -> Result<()> {
    for iteration in 0..iterations {
        let capacity = random_capacity(rng);
        let header_bytes = rng.bytes(64);
        check("region", iteration, &header_bytes, || {
            let _ = Areas::of(&capacity);
            // A header of random bytes (sometimes with the right magic and version) in a
            // sealed file of a random size: opening it fails or maps a consistent region.
            let size = 4096 * (1 + rng.below(8)) as u64;
            let Ok(memory) = bridge_ipc::os::SharedMemory::create(size) else {
                return;
            };
            let Ok(mapping) = memory.map() else { return };
            let mut header = header_bytes.clone();
            if rng.below(2) == 0 {
                header[..4].copy_from_slice(b"VBRG");
                header[4..8].copy_from_slice(&bridge_proto::region_layout::REGION_VERSION.to_le_bytes());
            }
            // SAFETY: the mapping is at least a page of our own, and the header 64 bytes.
            unsafe { std::ptr::copy_nonoverlapping(header.as_ptr(), mapping.as_ptr(), header.len()) };
            drop(mapping);
            let wakers = [
                bridge_ipc::os::Waker::new(bridge_proto::WakeMethod::Native),
                bridge_ipc::os::Waker::new(bridge_proto::WakeMethod::Native),
            ];
            let [Ok(to_server), Ok(to_proxy)] = wakers else { return };
            if let Ok(region) = bridge_ipc::AudioRegion::open_with(memory, [to_server, to_proxy]) {
                assert!(
                    region.total_bytes() as u64 <= size,
                    "a region larger than its file was mapped"
                );
            }
        })?;
    }
    Ok(())
}

fn fuzz_events(rng: &mut Rng, iterations: u64) -> Result<()> {
    let mut builder = VstEventsBuilder::with_capacity(4096);
    for iteration in 0..iterations {
        let length = rng.length();
        let mut area = vec![0u64; length.div_ceil(8).max(1)];
        let bytes = rng.bytes(length);
        // Records that look right often enough to get past the first header.
        // SAFETY: `area` holds at least `length` bytes.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), area.as_mut_ptr().cast::<u8>(), length) };
        for word in area.iter_mut().step_by(4) {
            if rng.below(2) == 0 {
                *word = (*word & !0xffff_ffff) | [1u64, 6][rng.below(2)];
            }
        }
        let (used, count) = (rng.below(length + 64), rng.next() as u32);
        check("events", iteration, &bytes, || {
            // SAFETY: `area` holds `length` readable, 8-aligned bytes and nothing else
            // writes it; the reader clamps `used` to `length`.
            let reader = unsafe { EventReader::new(area.as_mut_ptr().cast(), length, used, count) };
            let (list, events) = builder.build(reader);
            assert!(events <= 4096);
            // SAFETY: the builder returns a well-formed list of `events` entries.
            let view = unsafe { vst2_host_events(list) };
            assert_eq!(view, events);
        })?;
    }
    Ok(())
}

/// The number of events in a list (reading every entry's type, as a host would).
///
/// # Safety
/// `list` must be a well-formed `VstEvents`.
unsafe fn vst2_host_events(list: *mut vst2_abi::VstEvents) -> usize {
    // SAFETY: per the contract.
    unsafe {
        let count = (*list).num_events.max(0) as usize;
        let entries = std::ptr::addr_of!((*list).events).cast::<*const vst2_abi::VstEvent>();
        for i in 0..count {
            let event = *entries.add(i);
            assert!(!event.is_null());
            let _ = (*event).event_type;
        }
        count
    }
}

/// A random reply payload: sometimes decoded from random bytes, usually built.
fn random_payload(rng: &mut Rng) -> ReplyPayload {
    let length = rng.length();
    match rng.below(7) {
        0 => ReplyPayload::Text(rng.bytes(length)),
        1 => ReplyPayload::Chunk(rng.bytes(length)),
        2 => ReplyPayload::Rect(if rng.below(2) == 0 {
            None
        } else {
            Some([
                rng.next() as i16,
                rng.next() as i16,
                rng.next() as i16,
                rng.next() as i16,
            ])
        }),
        3 => ReplyPayload::Struct(rng.bytes(length)),
        4 => {
            let mut arrangement = rng.bytes(length);
            if arrangement.len() >= 8 {
                // A channel count far beyond what was sent, often.
                arrangement[4..8].copy_from_slice(&(rng.next() as i32).to_le_bytes());
            }
            ReplyPayload::SpeakerArrangements {
                input: (rng.below(2) == 0).then(|| arrangement.clone().into()),
                output: (rng.below(2) == 0).then(|| arrangement.into()),
            }
        }
        5 => decode_slice::<ReplyPayload>(&rng.bytes(length)).unwrap_or(ReplyPayload::None),
        _ => ReplyPayload::None,
    }
}

fn fuzz_replies(rng: &mut Rng, iterations: u64) -> Result<()> {
    use bridge_proto::DispatchShape as S;
    let mut returned = vstbridge_replies::ReturnedData::default();
    for iteration in 0..iterations {
        let opcode = EffectOpcode(if rng.below(4) == 0 {
            rng.next() as i32
        } else {
            rng.below(80) as i32
        });
        let shape = dispatch_shape(opcode);
        let payload = random_payload(rng);
        let result = rng.next() as isize;
        let input = format!("{opcode:?} {shape:?} {payload:?}").into_bytes();
        // The DAW's memory for this shape, with guards after it.
        let size = match shape {
            S::StringOut { limit } => limit,
            S::StructOut { size } | S::StructInOut { size } => size,
            _ => 8,
        };
        let mut daw = vec![GUARD_BYTE; size + GUARD];
        let mut slot_in: *mut u8 = std::ptr::null_mut();
        let (ptr, value): (*mut std::ffi::c_void, isize) = match shape {
            S::StringOut { .. } | S::StructOut { .. } | S::StructInOut { .. } => (daw.as_mut_ptr().cast(), 0),
            S::ChunkOut | S::RectOut => (daw.as_mut_ptr().cast(), 0),
            S::SpeakerArrangementsOut => (daw.as_mut_ptr().cast(), (&raw mut slot_in) as isize),
            _ => (std::ptr::null_mut(), 0),
        };
        check("replies", iteration, &input, || {
            // SAFETY: `ptr` and `value` are what the shape says: a buffer of the opcode's
            // size (plus guards) or pointer slots, valid for the call.
            let answer =
                unsafe { vstbridge_replies::write_reply_into(&mut returned, shape, value, ptr, result, payload) };
            assert!(
                daw[size..].iter().all(|&b| b == GUARD_BYTE),
                "a reply wrote past the DAW's buffer"
            );
            match shape {
                S::StringOut { limit } if answer != 0 || daw[0] != GUARD_BYTE => {
                    assert!(daw[..limit].contains(&0), "a string without its NUL inside the limit");
                }
                S::ChunkOut => {
                    let pointer = usize::from_ne_bytes(daw[..8].try_into().unwrap());
                    if pointer != 0 && pointer != usize::from_ne_bytes([GUARD_BYTE; 8]) {
                        assert_eq!(pointer, returned.chunk.as_ptr() as usize);
                        assert_eq!(
                            answer as usize,
                            returned.chunk.len(),
                            "a chunk size that is not the chunk's"
                        );
                    }
                }
                S::SpeakerArrangementsOut => {
                    for storage in [&returned.arrangements.0, &returned.arrangements.1] {
                        if storage.len() >= 2 {
                            let channels = (storage[0] >> 32) as i32;
                            let room = (storage.len() * 8 - 8) / size_of::<vst2_abi::VstSpeakerProperties>();
                            assert!(channels >= 0 && channels as usize <= room, "numChannels past the copy");
                        }
                    }
                }
                _ => {}
            }
        })?;
    }
    Ok(())
}

fn main() -> Result<()> {
    let mut iterations: u64 = 10_000;
    let mut seed: u64 = 0x5eed;
    let mut targets = vec!["frames", "region", "events", "replies"];
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--iterations" => iterations = args.next().context("--iterations needs a number")?.parse()?,
            "--seed" => seed = args.next().context("--seed needs a number")?.parse()?,
            "--target" => {
                let target = args.next().context("--target needs a name")?;
                targets = vec![match target.as_str() {
                    "frames" => "frames",
                    "region" => "region",
                    "events" => "events",
                    "replies" => "replies",
                    other => bail!("unknown target {other}: frames, region, events or replies"),
                }];
            }
            other => bail!("usage: vstbridge-fuzz [--iterations N] [--seed S] [--target T] (got {other})"),
        }
    }
    // A panic is a finding, reported with its input: keep the default hook quiet.
    std::panic::set_hook(Box::new(|info| eprintln!("panic: {info}")));
    for target in targets {
        let mut rng = Rng(seed ^ 0x9e37_79b9_7f4a_7c15);
        let started = std::time::Instant::now();
        match target {
            "frames" => fuzz_frames(&mut rng, iterations)?,
            "region" => fuzz_region(&mut rng, iterations)?,
            "events" => fuzz_events(&mut rng, iterations)?,
            _ => fuzz_replies(&mut rng, iterations)?,
        }
        println!(
            "fuzz {target}: {iterations} inputs, seed {seed}, no panic, no write past a guard, no allocation over {} MiB ({:.1} s)",
            ALLOCATION_CAP >> 20,
            started.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
