//! Keeping an open editor idled: many plugins only repaint and react when `effEditIdle`
//! comes, and some DAWs call it rarely or never. While an editor is open the thread that
//! opened it (its GUI thread, serving the DAW's connection) idles it itself about
//! [`IDLE_EVERY`], whenever the DAW has not done so within that time.

use std::sync::Mutex;
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use vst2_abi::EffectOpcode;
use vst2_host::Plugin;

/// How often an open editor is idled when the DAW does not (about 30 Hz).
pub const IDLE_EVERY: Duration = Duration::from_millis(33);

/// Which thread has an editor open, and when the DAW last idled it.
#[derive(Debug, Default)]
pub struct EditorIdle {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// The thread that opened the editor, while it is open.
    editor_thread: Option<ThreadId>,
    /// The last idle, the DAW's or ours.
    last_idle: Option<Instant>,
}

impl EditorIdle {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Follows a dispatcher call the calling thread made for the DAW and its result.
    pub fn after_call(&self, opcode: i32, result: i64) {
        let mut state = self.state();
        match EffectOpcode(opcode) {
            EffectOpcode::EDIT_OPEN if result != 0 => {
                state.editor_thread = Some(std::thread::current().id());
                state.last_idle = Some(Instant::now());
            }
            EffectOpcode::EDIT_CLOSE | EffectOpcode::CLOSE => state.editor_thread = None,
            EffectOpcode::EDIT_IDLE => state.last_idle = Some(Instant::now()),
            _ => {}
        }
    }

    /// How long the calling thread may wait for the DAW before it idles the editor: `None`
    /// unless it is the thread with the editor open.
    pub fn interval(&self) -> Option<Duration> {
        (self.state().editor_thread == Some(std::thread::current().id())).then_some(IDLE_EVERY)
    }

    /// Idles the editor if the calling thread opened it and the DAW has not idled it within
    /// [`IDLE_EVERY`].
    pub fn idle_if_the_daw_does_not(&self, plugin: &Plugin) {
        {
            let mut state = self.state();
            let due = state.last_idle.is_none_or(|last| last.elapsed() >= IDLE_EVERY);
            if state.editor_thread != Some(std::thread::current().id()) || !due {
                return;
            }
            state.last_idle = Some(Instant::now());
        }
        // Outside the lock: the plugin may call back into the host from its idle.
        plugin.editor_idle();
    }
}
