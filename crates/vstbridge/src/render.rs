//! `vstbridge render`: offline processing of a WAV file (or of MIDI, for an instrument)
//! through a plugin, bridged by default, with a progress bar.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use vst2_host::{ChunkKind, DefaultHost, EventList, Plugin};

use crate::bridge_files::{Sandboxed, load_sandboxed};

/// What to render.
pub struct RenderOptions {
    /// The plugin.
    pub plugin: PathBuf,
    /// Input audio (optional for instruments).
    pub input: Option<PathBuf>,
    /// Output WAV (32-bit float).
    pub output: PathBuf,
    /// MIDI file to play.
    pub midi: Option<PathBuf>,
    /// Through the bridge (`true`) or loaded into this process.
    pub bridged: bool,
    /// Frames per block.
    pub block: usize,
    /// Sample rate when there is no input file.
    pub sample_rate: Option<u32>,
    /// `NAME=VALUE` parameter settings (normalized values).
    pub params: Vec<String>,
    /// A bank chunk to load first.
    pub chunk: Option<PathBuf>,
    /// Seconds rendered after the input or MIDI ends.
    pub tail: f64,
    /// Length in seconds when there is neither input nor MIDI.
    pub length: Option<f64>,
    /// Where the bridge files are.
    pub dist: Option<PathBuf>,
}

/// The loaded plugin, however it was loaded.
enum Loaded {
    Direct(Plugin),
    Bridged(Sandboxed),
}

impl Loaded {
    fn plugin(&self) -> &Plugin {
        match self {
            Loaded::Direct(plugin) => plugin,
            Loaded::Bridged(sandboxed) => &sandboxed.plugin,
        }
    }
}

/// Renders and writes the output; returns the frames written.
pub fn render(options: &RenderOptions) -> Result<usize> {
    let (input, input_rate) = match &options.input {
        Some(path) => {
            let (channels, rate) = read_wav(path)?;
            (channels, Some(rate))
        }
        None => (Vec::new(), None),
    };
    let sample_rate = input_rate.or(options.sample_rate).unwrap_or(44_100);
    let notes = match &options.midi {
        Some(path) => read_midi(path, sample_rate)?,
        None => Vec::new(),
    };
    let loaded = if options.bridged {
        let dist = crate::bridge_files::dist_dir(options.dist.as_deref())?;
        Loaded::Bridged(load_sandboxed(&options.plugin, &dist, "", Arc::new(DefaultHost))?)
    } else {
        Loaded::Direct(Plugin::load(&options.plugin, Arc::new(DefaultHost))?)
    };
    let plugin = loaded.plugin();
    plugin.start(sample_rate as f32, options.block as i32);
    if let Some(chunk) = &options.chunk {
        plugin.set_chunk(
            ChunkKind::Bank,
            &std::fs::read(chunk).with_context(|| format!("cannot read {}", chunk.display()))?,
        );
    }
    apply_params(plugin, &options.params)?;

    let input_frames = input.first().map_or(0, Vec::len);
    let midi_frames = notes.last().map_or(0, |(at, _)| *at + 1);
    let tail = (options.tail * f64::from(sample_rate)) as usize;
    let frames = match (input_frames, midi_frames, options.length) {
        (0, 0, Some(seconds)) => (seconds * f64::from(sample_rate)) as usize,
        (0, 0, None) => bail!("nothing to render: give an input file, a MIDI file or --length"),
        (input, midi, _) => input.max(midi) + tail,
    };
    let info = plugin.info();
    let (inputs, outputs) = (info.num_inputs.max(0) as usize, info.num_outputs.max(0) as usize);
    let mut rendered: Vec<Vec<f32>> = (0..outputs).map(|_| Vec::with_capacity(frames)).collect();
    let (mut in_buffers, mut out_buffers) = (
        vec![vec![0.0f32; options.block]; inputs],
        vec![vec![0.0f32; options.block]; outputs],
    );
    let mut events = EventList::with_capacity(256);
    let mut next_note = 0;
    let progress = ProgressBar::new(frames as u64);
    progress.set_style(
        ProgressStyle::with_template("{bar:40} {percent:>3}% {msg}").unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let mut at = 0;
    while at < frames {
        let count = options.block.min(frames - at);
        for (channel, buffer) in in_buffers.iter_mut().enumerate() {
            buffer.fill(0.0);
            if let Some(source) = input.get(channel % input.len().max(1)) {
                for (i, sample) in buffer.iter_mut().take(count).enumerate() {
                    *sample = source.get(at + i).copied().unwrap_or(0.0);
                }
            }
        }
        events.clear();
        while next_note < notes.len() && notes[next_note].0 < at + count {
            let (when, bytes) = notes[next_note];
            events.push_midi_bytes((when - at) as i32, bytes);
            next_note += 1;
        }
        if !events.is_empty() {
            plugin.process_events(&mut events);
        }
        let ins: Vec<&[f32]> = in_buffers.iter().map(Vec::as_slice).collect();
        let mut outs: Vec<&mut [f32]> = out_buffers.iter_mut().map(Vec::as_mut_slice).collect();
        plugin.process_replacing(&ins, &mut outs, count)?;
        for (channel, buffer) in out_buffers.iter().enumerate() {
            rendered[channel].extend_from_slice(&buffer[..count]);
        }
        at += count;
        progress.set_position(at as u64);
    }
    progress.finish_and_clear();
    write_wav(&options.output, &rendered, sample_rate)?;
    Ok(frames)
}

fn apply_params(plugin: &Plugin, params: &[String]) -> Result<()> {
    for setting in params {
        let (name, value) = setting
            .split_once('=')
            .with_context(|| format!("--param needs NAME=VALUE, got {setting:?}"))?;
        let value: f32 = value
            .trim()
            .parse()
            .with_context(|| format!("{value:?} is not a number (give a normalized 0..1 value)"))?;
        let index = (0..plugin.info().num_params)
            .find(|&i| plugin.parameter_name(i).eq_ignore_ascii_case(name.trim()))
            .with_context(|| format!("the plugin has no parameter named {name:?}"))?;
        plugin.set_parameter(index, value.clamp(0.0, 1.0));
    }
    Ok(())
}

/// Reads a WAV file as one `Vec<f32>` per channel.
pub fn read_wav(path: &Path) -> Result<(Vec<Vec<f32>>, u32)> {
    let mut reader = hound::WavReader::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let spec = reader.spec();
    let channels = spec.channels.max(1) as usize;
    let samples: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader.samples::<f32>().collect::<Result<_, _>>()?,
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1u64 << (spec.bits_per_sample - 1)) as f32;
            reader
                .samples::<i32>()
                .map(|s| s.map(|s| s as f32 * scale))
                .collect::<Result<_, _>>()?
        }
    };
    let mut split = vec![Vec::with_capacity(samples.len() / channels); channels];
    for (i, sample) in samples.into_iter().enumerate() {
        split[i % channels].push(sample);
    }
    Ok((split, spec.sample_rate))
}

/// Writes channels as a 32-bit float WAV file.
pub fn write_wav(path: &Path, channels: &[Vec<f32>], sample_rate: u32) -> Result<()> {
    let spec = hound::WavSpec {
        channels: channels.len().max(1) as u16,
        sample_rate,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut writer =
        hound::WavWriter::create(path, spec).with_context(|| format!("cannot write {}", path.display()))?;
    let frames = channels.first().map_or(0, Vec::len);
    for frame in 0..frames {
        for channel in channels {
            writer.write_sample(channel[frame])?;
        }
    }
    writer.finalize()?;
    Ok(())
}

/// Reads a standard MIDI file into (sample position, short message) pairs, in time order,
/// following its tempo changes.
fn read_midi(path: &Path, sample_rate: u32) -> Result<Vec<(usize, [u8; 3])>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let smf = midly::Smf::parse(&bytes).with_context(|| format!("{} is not a MIDI file", path.display()))?;
    let ticks_per_beat = match smf.header.timing {
        midly::Timing::Metrical(ticks) => f64::from(ticks.as_int()),
        midly::Timing::Timecode(fps, sub) => {
            // Ticks are absolute time: make a "beat" one second long.
            f64::from(fps.as_f32()) * f64::from(sub)
        }
    };
    // Merge every track into one list of (tick, event).
    let mut timeline: Vec<(u64, midly::TrackEventKind<'_>)> = Vec::new();
    for track in &smf.tracks {
        let mut tick = 0u64;
        for event in track {
            tick += u64::from(event.delta.as_int());
            timeline.push((tick, event.kind));
        }
    }
    timeline.sort_by_key(|(tick, _)| *tick);
    let (mut seconds, mut last_tick, mut seconds_per_beat) = (0.0f64, 0u64, 0.5f64);
    let mut notes = Vec::new();
    for (tick, kind) in timeline {
        seconds += (tick - last_tick) as f64 / ticks_per_beat * seconds_per_beat;
        last_tick = tick;
        match kind {
            midly::TrackEventKind::Meta(midly::MetaMessage::Tempo(micros)) => {
                seconds_per_beat = f64::from(micros.as_int()) / 1e6
            }
            midly::TrackEventKind::Midi { channel, message } => {
                let mut bytes = Vec::with_capacity(3);
                let live = midly::live::LiveEvent::Midi { channel, message };
                if live.write_std(&mut bytes).is_ok() && !bytes.is_empty() {
                    bytes.resize(3, 0);
                    notes.push((
                        (seconds * f64::from(sample_rate)) as usize,
                        [bytes[0], bytes[1], bytes[2]],
                    ));
                }
            }
            _ => {}
        }
    }
    Ok(notes)
}
