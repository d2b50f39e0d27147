//! The synth's sound engine: 16 deterministic voices, sample-accurate note events, no
//! allocation. Pure arithmetic (no libm calls), so the output is bit-identical on every
//! IEEE-754 target.
//!
//! Each voice is a parabolic sine approximation (`16p(0.5−p)` on the first half period,
//! mirrored on the second) at `440 · 2^((note−69)/12)` Hz, amplitude `0.25 · velocity/127`.
//! A note-on on a sounding note retriggers that voice; otherwise the lowest free voice is
//! used, or the oldest is stolen. A note-off (or note-on with velocity 0) silences every
//! voice playing that note at once. The phase is kept across blocks.

/// Number of voices.
pub const VOICES: usize = 16;

/// 2^(k/12) for k = 0..12.
const SEMITONES: [f64; 12] = [
    1.0,
    1.059_463_094_359_295_3,
    1.122_462_048_309_373,
    1.189_207_115_002_721,
    1.259_921_049_894_873_2,
    1.334_839_854_170_034_4,
    core::f64::consts::SQRT_2,
    1.498_307_076_876_681_5,
    1.587_401_051_968_199_4,
    1.681_792_830_507_429,
    1.781_797_436_280_678_5,
    1.887_748_625_363_386_8,
];

/// The frequency of MIDI `note` in Hz (A4 = note 69 = 440 Hz).
pub fn frequency(note: u8) -> f64 {
    let distance = i32::from(note) - 69;
    440.0 * SEMITONES[distance.rem_euclid(12) as usize] * 2f64.powi(distance.div_euclid(12))
}

/// A note event waiting for the next block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoteEvent {
    /// Sample offset in the block (clamped into the block when rendered).
    pub delta_frames: i32,
    /// The MIDI status byte (0x8n note-off, 0x9n note-on).
    pub status: u8,
    /// The note number.
    pub note: u8,
    /// The velocity.
    pub velocity: u8,
}

impl NoteEvent {
    /// Whether this event starts a note (note-on with velocity > 0).
    pub fn is_note_on(&self) -> bool {
        self.status & 0xF0 == 0x90 && self.velocity > 0
    }
}

#[derive(Debug, Clone, Copy, Default)]
struct Voice {
    active: bool,
    note: u8,
    amplitude: f64,
    phase: f64,
    increment: f64,
    started: u64,
}

impl Voice {
    fn next(&mut self) -> f64 {
        let p = self.phase;
        let shape = if p < 0.5 {
            16.0 * p * (0.5 - p)
        } else {
            -16.0 * (p - 0.5) * (1.0 - p)
        };
        self.phase += self.increment;
        if self.phase >= 1.0 {
            self.phase -= 1.0;
        }
        shape * self.amplitude
    }
}

/// The voice engine.
#[derive(Debug, Clone)]
pub struct Engine {
    voices: [Voice; VOICES],
    sample_rate: f64,
    counter: u64,
}

impl Engine {
    /// An engine at `sample_rate` Hz with every voice free.
    pub fn new(sample_rate: f64) -> Self {
        Self {
            voices: [Voice::default(); VOICES],
            sample_rate,
            counter: 0,
        }
    }

    /// Changes the sample rate (ignored unless finite and > 0); sounding voices keep their
    /// note and follow the new rate.
    pub fn set_sample_rate(&mut self, sample_rate: f64) {
        if sample_rate.is_finite() && sample_rate > 0.0 {
            self.sample_rate = sample_rate;
            for voice in &mut self.voices {
                voice.increment = frequency(voice.note) / sample_rate;
            }
        }
    }

    /// The number of sounding voices.
    pub fn active_voices(&self) -> usize {
        self.voices.iter().filter(|v| v.active).count()
    }

    /// Applies one note event now.
    pub fn apply(&mut self, event: NoteEvent) {
        let status = event.status & 0xF0;
        if event.is_note_on() {
            self.counter += 1;
            let slot = self
                .voices
                .iter()
                .position(|v| v.active && v.note == event.note)
                .or_else(|| self.voices.iter().position(|v| !v.active))
                .unwrap_or_else(|| (0..VOICES).min_by_key(|&i| self.voices[i].started).unwrap_or_default());
            let retrigger = self.voices[slot].active && self.voices[slot].note == event.note;
            let voice = &mut self.voices[slot];
            voice.amplitude = 0.25 * f64::from(event.velocity) / 127.0;
            if !retrigger {
                *voice = Voice {
                    active: true,
                    note: event.note,
                    amplitude: voice.amplitude,
                    phase: 0.0,
                    increment: frequency(event.note) / self.sample_rate,
                    started: self.counter,
                };
            }
        } else if status == 0x80 || status == 0x90 {
            for voice in self.voices.iter_mut().filter(|v| v.active && v.note == event.note) {
                voice.active = false;
            }
        }
    }

    fn render_into(&mut self, output: &mut [f32], gain: f64) {
        for sample in output {
            let mut sum = 0.0;
            for voice in self.voices.iter_mut().filter(|v| v.active) {
                sum += voice.next();
            }
            *sample = (sum * gain) as f32;
        }
    }

    /// Renders one block into `output`, applying `events` at their `delta_frames` (clamped
    /// into the block). `events` is stably sorted by offset in place (no allocation).
    pub fn render_block(&mut self, events: &mut [NoteEvent], output: &mut [f32], gain: f64) {
        // Stable insertion sort: hosts send sorted lists, so this is linear in practice.
        for i in 1..events.len() {
            let mut j = i;
            while j > 0 && events[j - 1].delta_frames > events[j].delta_frames {
                events.swap(j - 1, j);
                j -= 1;
            }
        }
        let last = output.len().saturating_sub(1);
        let mut position = 0;
        for event in events.iter() {
            let at = (event.delta_frames.max(0) as usize).min(last);
            if at > position {
                self.render_into(&mut output[position..at], gain);
                position = at;
            }
            self.apply(*event);
        }
        self.render_into(&mut output[position..], gain);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on(delta_frames: i32, note: u8, velocity: u8) -> NoteEvent {
        NoteEvent {
            delta_frames,
            status: 0x90,
            note,
            velocity,
        }
    }

    fn off(delta_frames: i32, note: u8) -> NoteEvent {
        NoteEvent {
            delta_frames,
            status: 0x80,
            note,
            velocity: 0,
        }
    }

    #[test]
    fn frequencies() {
        assert_eq!(frequency(69), 440.0);
        assert_eq!(frequency(81), 880.0);
        assert_eq!(frequency(57), 220.0);
        assert!((frequency(60) - 261.625_565_300_6).abs() < 1e-9);
    }

    #[test]
    fn rendering_is_deterministic() {
        let render = || {
            let mut engine = Engine::new(44_100.0);
            let mut output = vec![0.0f32; 512];
            engine.render_block(&mut [on(10, 60, 100), on(20, 64, 80), off(300, 60)], &mut output, 0.8);
            output
        };
        let first = render();
        assert_eq!(first, render());
        assert!(first[..10].iter().all(|&s| s == 0.0), "silent before the first note");
        assert!(first[10..].iter().any(|&s| s != 0.0));
    }

    #[test]
    fn block_splits_do_not_change_the_output() {
        let mut whole = Engine::new(48_000.0);
        let mut one = vec![0.0f32; 256];
        whole.render_block(&mut [on(5, 69, 127), on(200, 72, 64), off(250, 69)], &mut one, 1.0);
        let mut split = Engine::new(48_000.0);
        let mut two = vec![0.0f32; 256];
        let (a, b) = two.split_at_mut(128);
        split.render_block(&mut [on(5, 69, 127)], a, 1.0);
        split.render_block(&mut [on(72, 72, 64), off(122, 69)], b, 1.0);
        assert_eq!(one, two, "phase is kept across blocks and events are sample-accurate");
    }

    #[test]
    fn unsorted_events_and_voice_stealing() {
        let mut engine = Engine::new(44_100.0);
        let mut events: Vec<_> = (0..20).map(|i| on(19 - i, 40 + i as u8, 100)).collect();
        engine.render_block(&mut events, &mut [0.0; 32], 1.0);
        assert_eq!(engine.active_voices(), VOICES);
        assert!(events.windows(2).all(|w| w[0].delta_frames <= w[1].delta_frames));
        engine.render_block(&mut [off(0, 59)], &mut [0.0; 8], 1.0);
        assert_eq!(engine.active_voices(), VOICES, "note 59 was stolen by a later note");
        engine.render_block(&mut [on(0, 50, 0)], &mut [0.0; 8], 1.0);
        assert_eq!(engine.active_voices(), VOICES - 1, "velocity 0 released note 50");
    }
}
