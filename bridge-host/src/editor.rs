//! The DAW's editor calls: effEditOpen embeds the plugin's editor into a window of ours
//! inside the DAW's (see `editor_window` for why), sized to the editor and resized when the
//! plugin asks; effEditClose and effClose take it down.

use std::ffi::c_void;

use vst2_abi::{ERect, EffectOpcode};

use crate::editor_window::EditorWindow;
use crate::instance::{ProxyInstance, lock};

impl ProxyInstance {
    /// effEditOpen with the DAW's window `parent` (not NULL).
    ///
    /// # Safety
    /// `parent` is what the DAW passes with effEditOpen: its native window.
    pub unsafe fn open_editor(&self, index: i32, value: isize, parent: *mut c_void, opt: f32) -> isize {
        // Hosts ask for the size before opening, and so do we: our window needs one.
        let (width, height) = self.editor_size().unwrap_or((1, 1));
        let window = match EditorWindow::open(parent as usize as u64, width, height) {
            Ok(window) => Some(window),
            // Where windows of our own are not made (Windows), that is the design.
            Err(error) if error.kind() == std::io::ErrorKind::Unsupported => None,
            Err(error) => {
                tracing::warn!("the editor goes straight into the DAW's window ({error})");
                None
            }
        };
        let target = window
            .as_ref()
            .map_or(parent, |window| window.id() as usize as *mut c_void);
        // A second effEditOpen without a close replaces (and so destroys) the first. Ours is
        // in place before the call: a Windows server's answer is embedded in it.
        let opened_in_ours = window.is_some();
        if opened_in_ours {
            *lock(&self.editor_window) = window;
        } else {
            *lock(&self.editor_parent) = Some(parent as usize as u64);
        }
        // SAFETY: effEditOpen's pointer is a window: the DAW's, or ours inside it.
        let result = unsafe { self.dispatch(EffectOpcode::EDIT_OPEN, index, value, target, opt) };
        tracing::debug!(window = ?self.editor_window_id(), result, "effEditOpen");
        if opened_in_ours {
            // Some editors know their size only once open.
            if let Some((width, height)) = self.editor_size()
                && let Some(window) = lock(&self.editor_window).as_ref()
            {
                window.resize(width, height);
            }
        }
        result
    }

    /// A Windows server's editor opened in a window of its own (see `editor_window`): it
    /// goes into ours, if the server may have it there.
    pub fn embed_server_window(&self, foreign: u64) {
        let Some(session) = self.session() else { return };
        let is_server = |pid| session.is_server_process(pid);
        let Some(window) = lock(&self.editor_window)
            .as_ref()
            .map(|window| window.embed(foreign, &is_server))
        else {
            tracing::warn!("the server named an editor window, but no editor window of ours is open");
            return;
        };
        if let Err(error) = window {
            tracing::warn!(foreign, "the server's editor window cannot be embedded: {error}");
        }
    }

    /// effEditClose: closes the plugin's editor, then our window.
    pub fn close_editor(&self, index: i32, value: isize, opt: f32) -> isize {
        // A server's own window goes back where its owner expects it before it is destroyed.
        if let Some(window) = lock(&self.editor_window).as_ref() {
            window.release_embedded();
        }
        // SAFETY: effEditClose carries no pointer.
        let result = unsafe { self.dispatch(EffectOpcode::EDIT_CLOSE, index, value, std::ptr::null_mut(), opt) };
        lock(&self.editor_parent).take();
        let window = lock(&self.editor_window).take();
        tracing::debug!(window = ?window.as_ref().map(EditorWindow::id), "effEditClose; our window goes");
        result
    }

    /// The plugin asked for a new editor size (audioMasterSizeWindow): our window follows
    /// before the DAW hears of it.
    pub fn resize_editor_window(&self, width: i32, height: isize) {
        if let Some(window) = lock(&self.editor_window).as_ref() {
            window.resize(clamp_side(width as isize), clamp_side(height));
        }
    }

    /// The window the editor is open in while the DAW has it open, ours or the DAW's (a
    /// restart opens it there again).
    pub fn editor_window_id(&self) -> Option<u64> {
        lock(&self.editor_window)
            .as_ref()
            .map(EditorWindow::id)
            .or(*lock(&self.editor_parent))
    }

    /// Whether the editor, open straight in the DAW's window, has stopped answering its
    /// window messages, in Windows' own sense (`IsHungAppWindow`: none taken for 5 s). On
    /// Windows the server's editor is a child of the DAW's window, which attaches their
    /// threads' input: a hung editor would freeze the DAW's window too, even while the DAW
    /// asks nothing of the plugin. Declared hung, the server is killed (and with it its
    /// windows and the attachment) and the plugin restarted with its editor.
    pub fn editor_is_hung(&self) -> bool {
        #[cfg(windows)]
        if let (Some(parent), Some(session)) = (*lock(&self.editor_parent), self.session()) {
            return crate::editor_window::has_hung_child_of(parent, session.pid);
        }
        false
    }

    /// The editor's size as the plugin reports it (effEditGetRect), if it does.
    fn editor_size(&self) -> Option<(u16, u16)> {
        let mut rect: *mut ERect = std::ptr::null_mut();
        // SAFETY: effEditGetRect's pointer is an `ERect**` slot: ours, on the stack.
        unsafe { self.dispatch(EffectOpcode::EDIT_GET_RECT, 0, 0, (&raw mut rect).cast(), 0.0) };
        if rect.is_null() {
            return None;
        }
        // SAFETY: a non-NULL answer points at the instance's own rect (`ReturnedData::rect`,
        // boxed, alive as long as the instance), which the reply was copied into.
        let rect = unsafe { rect.read() };
        let width = i32::from(rect.right) - i32::from(rect.left);
        let height = i32::from(rect.bottom) - i32::from(rect.top);
        (width > 0 && height > 0).then(|| (clamp_side(width as isize), clamp_side(height as isize)))
    }
}

/// A side in pixels from a number the plugin chose.
fn clamp_side(side: isize) -> u16 {
    side.clamp(1, u16::MAX as isize) as u16
}
