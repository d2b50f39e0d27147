//! `test-plugin-editor` ('VbEd'): a 2 in / 2 out pass-through effect with a small editor
//! (X11 on Linux, Win32 on Windows), for the editor tests. The editor is a 240 × 160
//! window, made a child of the window the host hands to effEditOpen, painted in four
//! quadrants of known colours
//! ([`QUADRANTS`]); it logs, one line each, to the file named by `VSTBRIDGE_TEST_EDITOR_LOG`
//! (if set): `open <parent>` and `close`, every `click <x> <y> <button>` and `key <keycode>`
//! it receives (coordinates in the editor's own window), and `idle` for each effEditIdle
//! (after calling audioMasterUpdateDisplay from it, as many plugins call back from idle),
//! and on Win32 `paint` for each WM_PAINT and, after each click, `cursor <x> <y>`: where
//! `GetCursorPos` puts the pointer in the window (the click's point unless Windows, or Wine,
//! is wrong about where the window is on the screen); a click gives the window the focus.
//! A right click in its top-left corner ([`HANG_CORNER`]) hangs the Win32 editor's thread.
//! The key [`RESIZE_KEY`] (X11) or a middle click (Win32) makes it grow to [`GROWN`]: it
//! resizes its window, asks the host with audioMasterSizeWindow (on X11 from its own thread,
//! as GUI toolkits do; on Win32 from its window procedure) and logs
//! `resized <width> <height> <answer>`; effEditGetRect then reports the new size. Keys are
//! logged as X keycodes on X11 and virtual-key codes on Win32.
//!
//! Flags CanReplacing | HasEditor (HasEditor on Linux and Windows only); category Effect;
//! effect name "Editor", vendor "vstbridge", product "vstbridge test editor", version 1; no
//! parameters or programs.

use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use test_plugin_kit::{
    Dispatch, DispatchCall, Host, Plugin, PluginInfo, ProcessFn, default_dispatch, export_plugin, pass_through,
};
use vst2_abi::EffectOpcode;
use vst2_abi::constants::category;
use vst2_abi::effect::{effect_flags, four_char_code};

/// The editor's size in pixels.
pub const WIDTH: u16 = 240;
/// The editor's size in pixels.
pub const HEIGHT: u16 = 160;

/// The colours (`0xRRGGBB`) of the editor's quadrants: top left, top right, bottom left,
/// bottom right.
pub const QUADRANTS: [u32; 4] = [0xd02020, 0x20a040, 0x2040d0, 0xf0f0f0];

/// The keycode that makes the editor grow ('r' in the usual X keymap).
pub const RESIZE_KEY: u8 = 27;
/// The size the editor grows to.
pub const GROWN: (u16, u16) = (320, 200);

/// A right click this close to the top-left corner hangs the Win32 editor's thread for good
/// (after logging `hang`): a plugin whose GUI hangs.
pub const HANG_CORNER: i16 = 10;

/// The environment variable naming the log file.
pub const LOG_VAR: &str = "VSTBRIDGE_TEST_EDITOR_LOG";

/// The plugin's static description.
pub const INFO: PluginInfo = PluginInfo {
    unique_id: four_char_code(b"VbEd"),
    version: 1,
    num_params: 0,
    num_programs: 0,
    inputs: 2,
    outputs: 2,
    flags: effect_flags::CAN_REPLACING
        | if cfg!(any(target_os = "linux", windows)) {
            effect_flags::HAS_EDITOR
        } else {
            0
        },
    initial_delay: 0,
    name: "Editor",
    vendor: "vstbridge",
    product: "vstbridge test editor",
    category: category::EFFECT,
};

/// Appends `line` to the log file, if there is one.
fn log(line: &str) {
    let Some(path) = std::env::var_os(LOG_VAR) else { return };
    if let Ok(mut file) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
        let _ = writeln!(file, "{line}");
    }
}

/// The editor's current size, `width << 16 | height`, shared with its window's thread.
#[derive(Debug)]
struct Size(AtomicU32);

impl Size {
    fn new(width: u16, height: u16) -> Self {
        Self(AtomicU32::new(u32::from(width) << 16 | u32::from(height)))
    }

    fn get(&self) -> (u16, u16) {
        let packed = self.0.load(Ordering::Acquire);
        ((packed >> 16) as u16, packed as u16)
    }

    fn set(&self, width: u16, height: u16) {
        self.0
            .store(u32::from(width) << 16 | u32::from(height), Ordering::Release);
    }
}

/// The editor plugin.
pub struct Editor {
    host: Host,
    size: Arc<Size>,
    #[cfg(any(target_os = "linux", windows))]
    window: Mutex<Option<platform::EditorWindow>>,
    #[cfg(not(any(target_os = "linux", windows)))]
    window: Mutex<Option<()>>,
}

impl Plugin for Editor {
    fn info() -> PluginInfo {
        INFO
    }

    fn new(host: Host) -> Self {
        Self {
            host,
            size: Arc::new(Size::new(WIDTH, HEIGHT)),
            window: Mutex::new(None),
        }
    }

    fn dispatch(&self, d: Dispatch<'_>) -> isize {
        match (d.opcode, d.call) {
            (_, DispatchCall::EditGetRect(rect)) => {
                let (width, height) = self.size.get();
                rect.top = 0;
                rect.left = 0;
                rect.bottom = height as i16;
                rect.right = width as i16;
                1
            }
            (EffectOpcode::EDIT_OPEN, DispatchCall::Raw { ptr }) => self.open(ptr as usize),
            (EffectOpcode::EDIT_CLOSE, _) => {
                let mut window = self.window.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                if window.take().is_some() {
                    log("close");
                }
                0
            }
            (EffectOpcode::EDIT_IDLE, _) => {
                // As many plugins do from their idle: a callback, which must come back.
                self.host.update_display();
                log("idle");
                0
            }
            (_, other) => default_dispatch(&INFO, other),
        }
    }

    fn process_begin(&self, _which: ProcessFn, _frames: i32) {}

    fn process_f32(&self, inputs: &[&[f32]], outputs: &mut [&mut [f32]]) {
        pass_through(inputs, outputs);
    }

    fn process_f64(&self, inputs: &[&[f64]], outputs: &mut [&mut [f64]]) {
        pass_through(inputs, outputs);
    }

    fn set_parameter(&self, _index: i32, _value: f32) {}

    fn get_parameter(&self, _index: i32) -> f32 {
        0.0
    }
}

impl Editor {
    /// effEditOpen: the editor as a child of `parent` (an X11 window id, or an HWND); 1 if
    /// it opened.
    #[cfg(any(target_os = "linux", windows))]
    fn open(&self, parent: usize) -> isize {
        let mut window = self.window.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if window.is_some() || parent == 0 {
            return 0;
        }
        self.size.set(WIDTH, HEIGHT);
        match platform::EditorWindow::open(parent, self.host.clone(), self.size.clone()) {
            Ok(editor) => {
                log(&format!("open {parent}"));
                *window = Some(editor);
                1
            }
            Err(error) => {
                log(&format!("cannot open: {error}"));
                0
            }
        }
    }

    /// effEditOpen elsewhere: no editor.
    #[cfg(not(any(target_os = "linux", windows)))]
    fn open(&self, _parent: usize) -> isize {
        0
    }
}

#[cfg(windows)]
use win32 as platform;
#[cfg(target_os = "linux")]
use x11 as platform;

#[cfg(target_os = "linux")]
mod x11 {
    //! The editor's X11 window, on a connection of its own, with a thread that paints it,
    //! logs its input and grows it on request.

    use std::sync::Arc;

    use test_plugin_kit::Host;
    use x11rb::connection::Connection;
    use x11rb::protocol::Event;
    use x11rb::protocol::xproto::{
        ChangeGCAux, ClientMessageEvent, ConfigureWindowAux, ConnectionExt, CreateGCAux, CreateWindowAux, EventMask,
        Rectangle, WindowClass,
    };
    use x11rb::rust_connection::RustConnection;

    use super::{GROWN, HEIGHT, QUADRANTS, RESIZE_KEY, Size, WIDTH, log};

    /// An open editor; closed (and its thread ended) on drop.
    pub struct EditorWindow {
        connection: Arc<RustConnection>,
        window: u32,
        thread: Option<std::thread::JoinHandle<()>>,
    }

    /// The first word of the ClientMessage that tells the thread to end ('VbEd').
    const QUIT: u32 = u32::from_be_bytes(*b"VbEd");

    impl EditorWindow {
        /// Creates the window inside `parent`, maps it, and starts its thread, which asks
        /// `host` for more room when the editor grows and keeps `size` current.
        pub fn open(parent: usize, host: Host, size: Arc<Size>) -> Result<Self, Box<dyn std::error::Error>> {
            let parent = u32::try_from(parent)?;
            let (connection, _) = x11rb::connect(None)?;
            let connection = Arc::new(connection);
            let window = connection.generate_id()?;
            let events =
                EventMask::EXPOSURE | EventMask::BUTTON_PRESS | EventMask::KEY_PRESS | EventMask::STRUCTURE_NOTIFY;
            connection
                .create_window(
                    x11rb::COPY_DEPTH_FROM_PARENT,
                    window,
                    parent,
                    0,
                    0,
                    WIDTH,
                    HEIGHT,
                    0,
                    WindowClass::INPUT_OUTPUT,
                    x11rb::COPY_FROM_PARENT,
                    &CreateWindowAux::new().event_mask(events),
                )?
                .check()?;
            connection.map_window(window)?.check()?;
            let painter = connection.clone();
            let thread = std::thread::Builder::new()
                .name("test-editor".into())
                .spawn(move || run(&painter, window, &host, &size))?;
            Ok(Self {
                connection,
                window,
                thread: Some(thread),
            })
        }
    }

    impl Drop for EditorWindow {
        fn drop(&mut self) {
            // Wake the thread with a message to our own window, then take the window away.
            let quit = ClientMessageEvent::new(32, self.window, x11rb::NONE, [QUIT, 0, 0, 0, 0]);
            let _ = self
                .connection
                .send_event(false, self.window, EventMask::NO_EVENT, quit);
            let _ = self.connection.flush();
            if let Some(thread) = self.thread.take() {
                let _ = thread.join();
            }
            let _ = self.connection.destroy_window(self.window);
            let _ = self.connection.flush();
        }
    }

    /// Paints the four quadrants over the whole of a `width` × `height` window.
    fn paint(connection: &RustConnection, window: u32, gc: u32, (width, height): (u16, u16)) {
        let (half_w, half_h) = (width / 2, height / 2);
        let quadrants = [(0, 0), (half_w, 0), (0, half_h), (half_w, half_h)];
        for ((x, y), colour) in quadrants.iter().zip(QUADRANTS) {
            let _ = connection.change_gc(gc, &ChangeGCAux::new().foreground(colour));
            let rectangle = Rectangle {
                x: *x as i16,
                y: *y as i16,
                width: width - half_w,
                height: height - half_h,
            };
            let _ = connection.poly_fill_rectangle(window, gc, &[rectangle]);
        }
        let _ = connection.flush();
    }

    /// Paints on every exposure, logs input and grows on [`RESIZE_KEY`], until told to quit
    /// or the window goes.
    fn run(connection: &RustConnection, window: u32, host: &Host, size: &Size) {
        let Ok(gc) = connection.generate_id() else { return };
        if connection.create_gc(gc, window, &CreateGCAux::new()).is_err() {
            return;
        }
        loop {
            let Ok(event) = connection.wait_for_event() else { return };
            match event {
                Event::Expose(_) => paint(connection, window, gc, size.get()),
                Event::ButtonPress(press) => {
                    log(&format!("click {} {} {}", press.event_x, press.event_y, press.detail))
                }
                Event::KeyPress(key) => {
                    log(&format!("key {}", key.detail));
                    if key.detail == RESIZE_KEY {
                        let (width, height) = GROWN;
                        size.set(width, height);
                        let grown = ConfigureWindowAux::new()
                            .width(u32::from(width))
                            .height(u32::from(height));
                        let _ = connection.configure_window(window, &grown);
                        let _ = connection.flush();
                        let answer = host.size_window(i32::from(width), i32::from(height));
                        log(&format!("resized {width} {height} {answer}"));
                        paint(connection, window, gc, (width, height));
                    }
                }
                Event::ClientMessage(message) if message.data.as_data32()[0] == QUIT => return,
                Event::DestroyNotify(_) => return,
                _ => {}
            }
        }
    }
}

#[cfg(windows)]
mod win32 {
    //! The editor's Win32 window: a child of the host's window, painted and answered by a
    //! window procedure on the thread that made it (the host's GUI thread, whose messages
    //! the host dispatches).

    use std::sync::{Arc, OnceLock};

    use test_plugin_kit::Host;
    use windows_sys::Win32::Foundation::{HWND, LPARAM, LRESULT, POINT, RECT, WPARAM};
    use windows_sys::Win32::Graphics::Gdi::{
        BeginPaint, CreateSolidBrush, DeleteObject, EndPaint, FillRect, InvalidateRect, PAINTSTRUCT, ScreenToClient,
    };
    use windows_sys::Win32::System::LibraryLoader::GetModuleHandleW;
    use windows_sys::Win32::UI::Input::KeyboardAndMouse::SetFocus;
    use windows_sys::Win32::UI::WindowsAndMessaging::{
        CreateWindowExW, DefWindowProcW, DestroyWindow, GWLP_USERDATA, GetCursorPos, GetWindowLongPtrW, RegisterClassW,
        SWP_NOMOVE, SWP_NOZORDER, SetWindowLongPtrW, SetWindowPos, WM_KEYDOWN, WM_LBUTTONDOWN, WM_MBUTTONDOWN,
        WM_PAINT, WM_RBUTTONDOWN, WNDCLASSW, WS_CHILD, WS_VISIBLE,
    };

    use super::{GROWN, HANG_CORNER, HEIGHT, QUADRANTS, Size, WIDTH, log};

    /// What the window procedure needs, owned by the [`EditorWindow`].
    struct State {
        host: Host,
        size: Arc<Size>,
    }

    /// An open editor; destroyed on drop (on the thread that opened it, as Win32 requires:
    /// effEditClose and effClose come on the host's GUI thread).
    pub struct EditorWindow {
        window: HWND,
        state: *mut State,
    }

    // SAFETY: the window and its state are only touched on the thread that made them (the
    // host's GUI thread, where effEditOpen, effEditClose and effClose arrive); the kit keeps
    // the value in a mutex only to satisfy its `Sync` bound.
    unsafe impl Send for EditorWindow {}

    fn wide(text: &str) -> Vec<u16> {
        text.encode_utf16().chain(Some(0)).collect()
    }

    /// The window class, registered once.
    fn class() -> &'static [u16] {
        static CLASS: OnceLock<Vec<u16>> = OnceLock::new();
        CLASS.get_or_init(|| {
            let name = wide("vstbridge test editor");
            // SAFETY: a class whose name and procedure live for the process.
            unsafe {
                let class = WNDCLASSW {
                    style: 0,
                    lpfnWndProc: Some(procedure),
                    cbClsExtra: 0,
                    cbWndExtra: 0,
                    hInstance: GetModuleHandleW(std::ptr::null()),
                    hIcon: std::ptr::null_mut(),
                    hCursor: std::ptr::null_mut(),
                    hbrBackground: std::ptr::null_mut(),
                    lpszMenuName: std::ptr::null(),
                    lpszClassName: name.as_ptr(),
                };
                RegisterClassW(&class);
            }
            name
        })
    }

    impl EditorWindow {
        /// Creates the window inside `parent` (an HWND).
        pub fn open(parent: usize, host: Host, size: Arc<Size>) -> Result<Self, Box<dyn std::error::Error>> {
            let title = wide("editor");
            // SAFETY: the class is registered; `parent` is the host's window (an HWND is
            // valid in every process); the strings outlive the call.
            let window = unsafe {
                CreateWindowExW(
                    0,
                    class().as_ptr(),
                    title.as_ptr(),
                    WS_CHILD | WS_VISIBLE,
                    0,
                    0,
                    i32::from(WIDTH),
                    i32::from(HEIGHT),
                    parent as HWND,
                    std::ptr::null_mut(),
                    GetModuleHandleW(std::ptr::null()),
                    std::ptr::null(),
                )
            };
            if window.is_null() {
                return Err(std::io::Error::last_os_error().into());
            }
            let state = Box::into_raw(Box::new(State { host, size }));
            // SAFETY: our window; its procedure reads this pointer until drop clears it.
            unsafe { SetWindowLongPtrW(window, GWLP_USERDATA, state as _) };
            Ok(Self { window, state })
        }
    }

    impl Drop for EditorWindow {
        fn drop(&mut self) {
            // SAFETY: our window, on its own thread; the state is freed only after the
            // window can no longer reach it.
            unsafe {
                SetWindowLongPtrW(self.window, GWLP_USERDATA, 0);
                DestroyWindow(self.window);
                drop(Box::from_raw(self.state));
            }
        }
    }

    /// Fills the window's quadrants with their colours.
    fn paint(window: HWND, (width, height): (u16, u16)) {
        let (half_w, half_h) = (i32::from(width / 2), i32::from(height / 2));
        let (width, height) = (i32::from(width), i32::from(height));
        let quadrants = [
            (0, 0, half_w, half_h),
            (half_w, 0, width, half_h),
            (0, half_h, half_w, height),
            (half_w, half_h, width, height),
        ];
        // SAFETY: a paint cycle on our window, on its thread; every brush is deleted.
        unsafe {
            let mut paint: PAINTSTRUCT = std::mem::zeroed();
            let dc = BeginPaint(window, &mut paint);
            for ((left, top, right, bottom), colour) in quadrants.into_iter().zip(QUADRANTS) {
                // COLORREF is 0x00BBGGRR.
                let (r, g, b) = ((colour >> 16) & 0xff, (colour >> 8) & 0xff, colour & 0xff);
                let brush = CreateSolidBrush(b << 16 | g << 8 | r);
                FillRect(
                    dc,
                    &RECT {
                        left,
                        top,
                        right,
                        bottom,
                    },
                    brush,
                );
                DeleteObject(brush);
            }
            EndPaint(window, &paint);
        }
    }

    /// Grows the window to [`GROWN`] and asks the host for the room.
    fn grow(window: HWND, state: &State) {
        let (width, height) = GROWN;
        state.size.set(width, height);
        // SAFETY: our window, on its thread.
        unsafe {
            SetWindowPos(
                window,
                std::ptr::null_mut(),
                0,
                0,
                i32::from(width),
                i32::from(height),
                SWP_NOMOVE | SWP_NOZORDER,
            );
            InvalidateRect(window, std::ptr::null(), 1);
        }
        let answer = state.host.size_window(i32::from(width), i32::from(height));
        log(&format!("resized {width} {height} {answer}"));
    }

    /// The window procedure: paints, logs clicks and keys, grows on a middle click.
    unsafe extern "system" fn procedure(window: HWND, message: u32, wparam: WPARAM, lparam: LPARAM) -> LRESULT {
        // SAFETY: our window's user data is null or the state its `EditorWindow` owns,
        // alive until drop clears it, on this same thread.
        let state = unsafe { (GetWindowLongPtrW(window, GWLP_USERDATA) as usize as *const State).as_ref() };
        let point = || ((lparam & 0xffff) as u16 as i16, ((lparam >> 16) & 0xffff) as u16 as i16);
        match (message, state) {
            (WM_PAINT, Some(state)) => {
                log("paint");
                paint(window, state.size.get());
                return 0;
            }
            (WM_LBUTTONDOWN | WM_RBUTTONDOWN | WM_MBUTTONDOWN, Some(state)) => {
                let button = match message {
                    WM_LBUTTONDOWN => 1,
                    WM_MBUTTONDOWN => 2,
                    _ => 3,
                };
                let (x, y) = point();
                log(&format!("click {x} {y} {button}"));
                if message == WM_RBUTTONDOWN && x < HANG_CORNER && y < HANG_CORNER {
                    // The editor's thread stops for good, as a hung plugin's does.
                    log("hang");
                    loop {
                        std::thread::sleep(std::time::Duration::from_secs(1));
                    }
                }
                // Where the pointer is by screen coordinates, mapped into the window: the same
                // point unless Windows (Wine) is wrong about where the window is.
                let mut cursor = POINT { x: 0, y: 0 };
                // SAFETY: our window; the point is ours, on the stack.
                unsafe {
                    GetCursorPos(&mut cursor);
                    ScreenToClient(window, &mut cursor);
                    // Keys go to the window a click gave the focus to, as plugins do.
                    SetFocus(window);
                }
                log(&format!("cursor {} {}", cursor.x, cursor.y));
                if message == WM_MBUTTONDOWN {
                    grow(window, state);
                }
                return 0;
            }
            (WM_KEYDOWN, Some(_)) => log(&format!("key {wparam}")),
            _ => {}
        }
        // SAFETY: the default handling of a message to our window.
        unsafe { DefWindowProcW(window, message, wparam, lparam) }
    }
}

export_plugin!(Editor);
