//! The watchdog thread of an instance: notices that the server died (its process exited) or
//! hangs (an audio block unanswered past the hang timeout; dispatcher calls time out on their
//! own), restarts it within the configured limits and brings the new plugin back to the
//! state the DAW left it in, and keeps that state fresh with snapshots.

use std::collections::VecDeque;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use bridge_proto::{DispatchCall, DispatchPayload, PendingChanges, ReplyPayload, Request, Response, Snapshot};
use vst2_abi::EffectOpcode;

use crate::instance::{CreateError, Health, ProxyInstance, lock};
use crate::recorder::ChangeAfterChunk;

/// How often the watchdog looks.
const TICK: Duration = Duration::from_millis(20);

/// Starts the watchdog of `instance`.
pub fn start(instance: &Arc<ProxyInstance>) -> std::io::Result<()> {
    let weak = Arc::downgrade(instance);
    let handle = std::thread::Builder::new()
        .name("vstbridge-watchdog".into())
        .spawn(move || run(weak))?;
    instance.set_watchdog(handle);
    Ok(())
}

fn run(weak: Weak<ProxyInstance>) {
    let mut restart_times: VecDeque<Instant> = VecDeque::new();
    let mut last_snapshot = Instant::now();
    let mut late_blocks_reported = 0;
    let mut last_late_report = Instant::now() - Duration::from_secs(10);
    // The server's heartbeat as last seen: (server pid, count, when it last moved).
    let mut heartbeat: Option<(u32, u32, Instant)> = None;
    loop {
        std::thread::park_timeout(TICK);
        let Some(instance) = weak.upgrade() else { return };
        let policy = instance.config.policy.clone();
        match instance.health() {
            Health::Gone => return,
            Health::Alive => {
                if let Some(session) = instance.session() {
                    if let Err(error) = session.check_alive() {
                        instance.mark_dead(&error.to_string());
                        continue;
                    }
                    if instance.editor_is_hung() {
                        instance.mark_dead("the editor's window has taken no message for 5 s (hung)");
                        continue;
                    }
                    // A stopped or wholly stuck server stops beating, whether or not audio
                    // runs; a plugin busy in a long call does not stop the beat.
                    let count = session.heartbeat.count();
                    match heartbeat {
                        Some((pid, seen, since)) if pid == session.pid && seen == count => {
                            if since.elapsed() > policy.hang_timeout {
                                instance.mark_dead(&format!(
                                    "the server has not run for {:?} (stopped or frozen)",
                                    since.elapsed()
                                ));
                                heartbeat = None;
                                continue;
                            }
                        }
                        _ => {
                            heartbeat = Some((session.pid, count, Instant::now()));
                            instance.saw_heartbeat();
                        }
                    }
                }
                // The audio thread does not log (that could allocate); it counts, and the
                // watchdog reports.
                let late_blocks = instance.audio.late_blocks.load(std::sync::atomic::Ordering::Relaxed);
                if late_blocks > late_blocks_reported && last_late_report.elapsed() >= Duration::from_secs(1) {
                    last_late_report = Instant::now();
                    tracing::warn!(
                        plugin = %instance.config.plugin.display(),
                        missed = late_blocks - late_blocks_reported,
                        "audio blocks missed their deadline and were played as silence"
                    );
                    late_blocks_reported = late_blocks;
                }
                let malformed = instance
                    .audio
                    .malformed_callbacks
                    .swap(0, std::sync::atomic::Ordering::Relaxed);
                if malformed > 0 {
                    tracing::warn!(
                        plugin = %instance.config.plugin.display(),
                        malformed,
                        "the server posted callbacks from inside process that could not be read; they were answered with 0"
                    );
                }
                if let Some(late) = instance.audio.late_for() {
                    if late > policy.hang_timeout {
                        instance.mark_dead(&format!(
                            "an audio block has gone unanswered for {late:?}: the plugin hangs"
                        ));
                        continue;
                    }
                }
                // Snapshots ride on the DAW's next call from the thread that created the
                // instance (see `ProxyInstance::snapshot_due_on_this_thread`): never from
                // this thread, which could overlap effClose or a GUI-thread call.
                let due = policy
                    .snapshot_interval
                    .is_some_and(|interval| last_snapshot.elapsed() >= interval);
                if due {
                    lock(&instance.recorder).state.snapshot_wanted = true;
                    last_snapshot = Instant::now();
                }
            }
            Health::Dead => {
                instance.absorb_parameter_table();
                instance.absorb_daw_changes();
                instance.end_session();
                if !policy.restart {
                    tracing::warn!(plugin = %instance.config.plugin.display(), "restarting is turned off; the plugin stays silent");
                    instance.mark_gone();
                    return;
                }
                while restart_times
                    .front()
                    .is_some_and(|at| at.elapsed() > Duration::from_secs(60))
                {
                    restart_times.pop_front();
                }
                if restart_times.len() >= policy.max_restarts_per_minute as usize {
                    tracing::error!(
                        plugin = %instance.config.plugin.display(),
                        limit = policy.max_restarts_per_minute,
                        "the plugin failed too often within a minute; it stays silent until it is loaded again"
                    );
                    instance.mark_gone();
                    return;
                }
                restart_times.push_back(Instant::now());
                match restart(&instance) {
                    Ok(()) => {
                        tracing::info!(plugin = %instance.config.plugin.display(), "the plugin was restarted with its state")
                    }
                    Err(error) => {
                        tracing::error!(plugin = %instance.config.plugin.display(), "restarting failed: {error}")
                    }
                }
            }
        }
    }
}

/// Starts a new server and replays the mirrored state into it.
fn restart(instance: &Arc<ProxyInstance>) -> Result<(), CreateError> {
    let before = instance.effect_info.load();
    instance.begin_restore();
    // The watchdog is busy here, so the replay is watched by a helper: a server that
    // stops while being restored is given up within the hang timeout.
    let result = instance.start_session().and_then(|()| match instance.session() {
        Some(session) => session.watched(instance.config.policy.hang_timeout, || replay(instance)),
        None => Err(CreateError::Refused("the new session ended at once".into())),
    });
    instance.end_restore();
    if let Err(error) = result {
        instance.end_session();
        return Err(error);
    }
    if !instance.revive() {
        return Ok(()); // closed meanwhile; shut_down ends the new session
    }
    instance.restarts.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let after = instance.effect_info.load();
    // Tell the DAW that names, values and perhaps I/O may have changed: on its next call,
    // on its own thread (this thread must not call the DAW, which may hold a lock).
    instance.notify_daw_later(
        (after.num_inputs, after.num_outputs, after.initial_delay)
            != (before.num_inputs, before.num_outputs, before.initial_delay),
    );
    Ok(())
}

/// Replays the mirror in the order a host sets a plugin up: open, sample rate, block size,
/// precision, speaker arrangement, program, then the state (chunk, else every parameter),
/// bypass, resume and start, and the editor if it was open; then attaches a new audio
/// region.
fn replay(instance: &ProxyInstance) -> Result<(), CreateError> {
    let mirror = lock(&instance.recorder).state.clone();
    let info = instance.effect_info.load();
    // Each call; with `snapshot`, the new plugin's own state right after it.
    let call = |opcode: EffectOpcode,
                index: i32,
                value: isize,
                opt: f32,
                payload: DispatchPayload,
                snapshot: bool|
     -> Result<Option<Snapshot>, CreateError> {
        let call = DispatchCall {
            opcode: opcode.0,
            index,
            value: value as i64,
            opt,
            payload,
            pending: PendingChanges::default(),
            snapshot,
        };
        match instance.call_within(Request::Dispatch(call), instance.timeout_for(opcode)) {
            Some(Response::Dispatched(reply)) => {
                instance.apply_effect_info(&reply.effect);
                if let ReplyPayload::EditorWindow(foreign) = reply.payload {
                    // A Windows server reopened the editor in a window of its own.
                    instance.embed_server_window(foreign);
                }
                Ok(reply.snapshot)
            }
            _ => Err(CreateError::Refused(format!("replaying {opcode} failed"))),
        }
    };
    let send = |opcode: EffectOpcode, index: i32, value: isize, opt: f32, payload: DispatchPayload| {
        call(opcode, index, value, opt, payload, false).map(drop)
    };
    if mirror.opened {
        send(EffectOpcode::OPEN, 0, 0, 0.0, DispatchPayload::None)?;
    }
    if let Some(rate) = mirror.sample_rate {
        send(EffectOpcode::SET_SAMPLE_RATE, 0, 0, rate, DispatchPayload::None)?;
    }
    if let Some(frames) = mirror.block_size {
        send(EffectOpcode::SET_BLOCK_SIZE, 0, frames, 0.0, DispatchPayload::None)?;
    }
    if let Some(precision) = mirror.precision {
        send(
            EffectOpcode::SET_PROCESS_PRECISION,
            0,
            precision,
            0.0,
            DispatchPayload::None,
        )?;
    }
    if let Some((input, output)) = mirror.speaker_arrangement.clone() {
        let payload = DispatchPayload::SpeakerArrangements {
            input: input.map(serde_bytes::ByteBuf::from),
            output: output.map(serde_bytes::ByteBuf::from),
        };
        send(EffectOpcode::SET_SPEAKER_ARRANGEMENT, 0, 0, 0.0, payload)?;
    }
    if let Some(program) = mirror.program {
        send(EffectOpcode::SET_PROGRAM, 0, program, 0.0, DispatchPayload::None)?;
    }
    let set_parameters = |changes: Vec<(i32, f32)>| -> Result<(), CreateError> {
        if changes.is_empty() {
            return Ok(());
        }
        let changes = PendingChanges {
            after_block: 0,
            changes,
        };
        match instance.call(Request::SetParameters(changes)) {
            Some(Response::Done) => Ok(()),
            _ => Err(CreateError::Refused("replaying the parameters failed".into())),
        }
    };
    match &mirror.chunk {
        Some((kind, chunk)) if mirror.restores_from_chunk(&info) => {
            send(
                EffectOpcode::SET_CHUNK,
                *kind,
                chunk.len() as isize,
                0.0,
                DispatchPayload::Chunk(chunk.clone()),
            )?;
            // Then what the DAW changed after that chunk, in its order.
            let mut parameters = Vec::new();
            for change in &mirror.after_chunk {
                match change {
                    ChangeAfterChunk::Parameter(index, value) => parameters.push((*index, *value)),
                    ChangeAfterChunk::Program(program) => {
                        set_parameters(std::mem::take(&mut parameters))?;
                        send(EffectOpcode::SET_PROGRAM, 0, *program, 0.0, DispatchPayload::None)?;
                    }
                    ChangeAfterChunk::ProgramName(name) => {
                        set_parameters(std::mem::take(&mut parameters))?;
                        send(
                            EffectOpcode::SET_PROGRAM_NAME,
                            0,
                            0,
                            0.0,
                            DispatchPayload::Text(name.clone()),
                        )?;
                    }
                }
            }
            set_parameters(parameters)?;
        }
        _ => {
            // Only the values that differ from the new plugin's own: a plugin may not be in
            // the same state after being told the value it already reports (Debian's
            // 3BandEQ reports a crossover of 220 Hz but filters at 200 Hz until the
            // parameter is set), so setting those would change its sound.
            let own = match call(EffectOpcode::GET_PROGRAM, 0, 0, 0.0, DispatchPayload::None, true)? {
                Some(Snapshot::Parameters(values)) => values,
                _ => Vec::new(),
            };
            set_parameters(
                mirror
                    .parameters
                    .iter()
                    .enumerate()
                    .filter_map(|(index, value)| value.map(|value| (index, value)))
                    .filter(|&(index, value)| own.get(index).is_none_or(|own| own.to_bits() != value.to_bits()))
                    .map(|(index, value)| (index as i32, value))
                    .collect(),
            )?;
        }
    }
    if let Some(bypass) = mirror.bypass {
        send(EffectOpcode::SET_BYPASS, 0, bypass, 0.0, DispatchPayload::None)?;
    }
    if mirror.resumed {
        send(EffectOpcode::MAINS_CHANGED, 0, 1, 0.0, DispatchPayload::None)?;
    }
    if mirror.processing {
        send(EffectOpcode::START_PROCESS, 0, 0, 0.0, DispatchPayload::None)?;
    }
    if let Some(window) = instance.editor_window_id() {
        // The editor was open: it opens again in our window, which outlived the server.
        // Not being able to is no reason to leave the plugin silent.
        if let Err(error) = send(EffectOpcode::EDIT_OPEN, 0, 0, 0.0, DispatchPayload::Window(window)) {
            tracing::warn!(plugin = %instance.config.plugin.display(), "the editor could not be reopened: {error}");
        }
    }
    let frames = u32::try_from(mirror.block_size.unwrap_or(0).max(0)).unwrap_or(u32::MAX);
    instance.audio.attach_new_region(instance, frames)?;
    Ok(())
}
