//! Keeping an open editor idled: many plugins only repaint and react when `effEditIdle`
//! comes, and some DAWs call it rarely or never. While an editor is open the thread that
//! opened it (its GUI thread, serving the DAW's connection) idles it itself about every
//! [`IDLE_EVERY`] once the DAW has not idled it for [`DAW_QUIET`]: a DAW that idles its
//! editors (most do, 10–60 times a second) is left to it, so the plugin's callbacks from
//! idle reach the DAW on its own GUI thread. On Windows that
//! thread also owns the editor's windows, whose messages only it can dispatch: it pumps
//! them every [`PUMP_EVERY`] between the DAW's requests (a DAW pumps its own GUI thread's;
//! this thread is the server's).

use std::sync::Mutex;
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use vst2_abi::EffectOpcode;
use vst2_host::Plugin;

/// How often an open editor is idled when the DAW does not (about 30 Hz).
pub const IDLE_EVERY: Duration = Duration::from_millis(33);
/// How long the DAW must leave an open editor un-idled before the server idles it.
pub const DAW_QUIET: Duration = Duration::from_millis(150);
/// How often the editor's thread looks between requests: on Windows, where its window
/// messages wait for it, often; elsewhere only to idle.
pub const PUMP_EVERY: Duration = if cfg!(windows) {
    Duration::from_millis(10)
} else {
    IDLE_EVERY
};

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
    /// The DAW's last idle (or the editor's opening).
    last_daw_idle: Option<Instant>,
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
                state.last_daw_idle = state.last_idle;
            }
            EffectOpcode::EDIT_CLOSE | EffectOpcode::CLOSE => state.editor_thread = None,
            EffectOpcode::EDIT_IDLE => {
                state.last_idle = Some(Instant::now());
                state.last_daw_idle = state.last_idle;
            }
            _ => {}
        }
    }

    /// How long the calling thread may wait for the DAW before it idles the editor: `None`
    /// unless it is the thread with the editor open.
    pub fn interval(&self) -> Option<Duration> {
        (self.state().editor_thread == Some(std::thread::current().id())).then_some(PUMP_EVERY)
    }

    /// Idles the editor if the calling thread opened it and the DAW has not idled it within
    /// [`IDLE_EVERY`].
    pub fn idle_if_the_daw_does_not(&self, plugin: &Plugin) {
        {
            let mut state = self.state();
            if state.editor_thread != Some(std::thread::current().id()) {
                return;
            }
            // Outside the lock: a window procedure may call into the plugin and back.
            drop(state);
            pump_window_messages();
            state = self.state();
            let elapsed = |at: Option<Instant>, after: Duration| at.is_none_or(|at| at.elapsed() >= after);
            let due = elapsed(state.last_daw_idle, DAW_QUIET) && elapsed(state.last_idle, IDLE_EVERY);
            if !due {
                return;
            }
            state.last_idle = Some(Instant::now());
        }
        // Outside the lock: the plugin may call back into the host from its idle.
        plugin.editor_idle();
    }
}

/// Dispatches the window messages waiting for the calling thread (its editor's).
#[cfg(windows)]
fn pump_window_messages() {
    use windows_sys::Win32::UI::WindowsAndMessaging::{
        DispatchMessageW, MSG, PM_REMOVE, PeekMessageW, TranslateMessage,
    };
    // SAFETY: a zeroed MSG is a valid out-parameter; PeekMessageW fills it for this
    // thread's queue, and Translate/Dispatch take the message it filled.
    unsafe {
        let mut message: MSG = std::mem::zeroed();
        while PeekMessageW(&mut message, std::ptr::null_mut(), 0, 0, PM_REMOVE) != 0 {
            TranslateMessage(&message);
            DispatchMessageW(&message);
        }
    }
}

/// Nothing to pump elsewhere: X11 editors read their own connections.
#[cfg(not(windows))]
fn pump_window_messages() {}
