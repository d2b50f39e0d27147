//! A Windows plugin's editor for a Linux DAW (a Windows server under Wine, serving a Linux
//! proxy). The DAW's window is an X11 window, which no Win32 window can be the child of, so
//! the editor opens in a top-level Win32 window of ours instead: borderless (`WS_POPUP`),
//! kept off the taskbar (`WS_EX_TOOLWINDOW`), as large as the screen so the editor can grow
//! without our window being resized (the proxy's window clips it to the editor's size).
//! Wine gives that window an X11 window and names it in the window property
//! `__wine_x11_whole_window`; effEditOpen's answer carries that id to the proxy, which
//! reparents it into its own window inside the DAW's and keeps Wine told where on the
//! screen it really is (`bridge-host`'s `editor_window`).
//!
//! The window lives on the thread that opened the editor (its messages are pumped there,
//! see `editor_idle`) and is destroyed after effEditClose or effClose.

use std::ffi::c_void;
use std::sync::OnceLock;

use bridge_proto::{DispatchCall, DispatchPayload, DispatchReply, ReplyPayload};
use vst2_host::Plugin;

use windows_sys::Win32::Foundation::{HWND, LPARAM, LRESULT, WPARAM};
use windows_sys::Win32::System::LibraryLoader::GetModuleHandleW;
use windows_sys::Win32::System::Threading::GetCurrentThreadId;
use windows_sys::Win32::UI::WindowsAndMessaging::{
    CreateWindowExW, DefWindowProcW, DestroyWindow, GetPropW, GetSystemMetrics, GetWindowThreadProcessId, PostMessageW,
    RegisterClassW, SM_CXVIRTUALSCREEN, SM_CYVIRTUALSCREEN, SW_SHOWNA, ShowWindow, WM_CLOSE, WNDCLASSW,
    WS_EX_TOOLWINDOW, WS_POPUP,
};

/// The property Wine stores a top-level window's X11 window in.
const WHOLE_WINDOW_PROPERTY: &str = "__wine_x11_whole_window";
/// Our window's size when the screen's cannot be had.
const FALLBACK_SIDE: i32 = 4096;

/// Our top-level window for one open editor; destroyed on drop.
#[derive(Debug)]
pub struct WineEditorWindow {
    window: HWND,
}

// SAFETY: a window handle is a process-wide value, not a pointer into memory; the window is
// only destroyed on the thread that owns it (`Drop` posts WM_CLOSE from any other).
unsafe impl Send for WineEditorWindow {}

fn wide(text: &str) -> Vec<u16> {
    text.encode_utf16().chain(std::iter::once(0)).collect()
}

/// Our window class, registered once per process.
fn class() -> Option<&'static [u16]> {
    static CLASS: OnceLock<Option<Vec<u16>>> = OnceLock::new();
    CLASS
        .get_or_init(|| {
            let name = wide("vstbridge-wine-editor");
            // SAFETY: the class struct names a static procedure and a name that outlives
            // the process (kept in the OnceLock).
            let atom = unsafe {
                RegisterClassW(&WNDCLASSW {
                    lpfnWndProc: Some(procedure),
                    hInstance: GetModuleHandleW(std::ptr::null()),
                    lpszClassName: name.as_ptr(),
                    ..std::mem::zeroed()
                })
            };
            (atom != 0).then_some(name)
        })
        .as_deref()
}

/// Our window's procedure: Windows' defaults (which paint nothing: the editor covers it).
unsafe extern "system" fn procedure(window: HWND, message: u32, wparam: WPARAM, lparam: LPARAM) -> LRESULT {
    // SAFETY: forwarding the message as received.
    unsafe { DefWindowProcW(window, message, wparam, lparam) }
}

impl WineEditorWindow {
    /// Makes our window on the calling thread (hidden until [`Self::show`]).
    pub fn create() -> std::io::Result<Self> {
        let class = class().ok_or_else(|| std::io::Error::other("cannot register the editor's window class"))?;
        let title = wide("vstbridge editor");
        // SAFETY: no pointers are kept; the metrics calls take none.
        let window = unsafe {
            let (width, height) = (
                GetSystemMetrics(SM_CXVIRTUALSCREEN),
                GetSystemMetrics(SM_CYVIRTUALSCREEN),
            );
            let side = |side: i32| if side > 0 { side } else { FALLBACK_SIDE };
            CreateWindowExW(
                WS_EX_TOOLWINDOW,
                class.as_ptr(),
                title.as_ptr(),
                WS_POPUP,
                0,
                0,
                side(width),
                side(height),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                GetModuleHandleW(std::ptr::null()),
                std::ptr::null(),
            )
        };
        if window.is_null() {
            return Err(std::io::Error::last_os_error());
        }
        Ok(Self { window })
    }

    /// The handle the plugin's editor opens in.
    pub fn handle(&self) -> *mut c_void {
        self.window
    }

    /// Shows the window (without activating it: the DAW keeps the focus) and returns the X11
    /// window Wine made for it, once it has one.
    pub fn show(&self) -> Option<u64> {
        // SAFETY: our window; the property name is NUL-terminated and read at once.
        let x11 = unsafe {
            ShowWindow(self.window, SW_SHOWNA);
            GetPropW(self.window, wide(WHOLE_WINDOW_PROPERTY).as_ptr())
        };
        (!x11.is_null()).then_some(x11 as usize as u64)
    }
}

impl Drop for WineEditorWindow {
    fn drop(&mut self) {
        // SAFETY: our window handle; DestroyWindow works only on the owning thread, so any
        // other thread asks that one to close it (DefWindowProc destroys it on WM_CLOSE).
        unsafe {
            let owner = GetWindowThreadProcessId(self.window, std::ptr::null_mut());
            if owner == GetCurrentThreadId() {
                DestroyWindow(self.window);
            } else {
                PostMessageW(self.window, WM_CLOSE, 0, 0);
            }
        }
    }
}

/// effEditOpen for a Linux proxy: the plugin's editor opens in a new window of ours, whose
/// X11 window the reply names; the window, kept until the editor closes, comes back with
/// the reply. Without a window (none could be made) the editor does not open.
pub fn open_editor(plugin: &Plugin, mut call: DispatchCall) -> (DispatchReply, Option<WineEditorWindow>) {
    let window = match WineEditorWindow::create() {
        Ok(window) => window,
        Err(error) => {
            tracing::warn!("no window for the editor: {error}");
            let reply = DispatchReply {
                result: 0,
                payload: ReplyPayload::None,
                effect: crate::fields::effect_info(plugin),
                snapshot: None,
            };
            return (reply, None);
        }
    };
    call.payload = DispatchPayload::Window(window.handle() as usize as u64);
    let mut reply = crate::dispatch::execute(plugin, call);
    // Plugins differ in what effEditOpen returns on success: the window shows either way.
    match window.show() {
        Some(x11) => reply.payload = ReplyPayload::EditorWindow(x11),
        None => tracing::warn!("Wine named no X11 window for the editor's window: it cannot be embedded"),
    }
    tracing::debug!(result = reply.result, payload = ?reply.payload, "effEditOpen in our window");
    (reply, Some(window))
}
