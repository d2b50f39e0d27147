//! `test-plugin-editor` ('VbEd'): a 2 in / 2 out pass-through effect with a small X11
//! editor, for the editor tests. The editor is a 240 × 160 window, made a child of the
//! window the host hands to effEditOpen, painted in four quadrants of known colours
//! ([`QUADRANTS`]); it logs, one line each, to the file named by `VSTBRIDGE_TEST_EDITOR_LOG`
//! (if set): `open <parent>` and `close`, every `click <x> <y> <button>` and `key <keycode>`
//! it receives (coordinates in the editor's own window), and `idle` for each effEditIdle.
//!
//! Flags CanReplacing | HasEditor (HasEditor on Linux only: elsewhere it has no editor);
//! category Effect; effect name "Editor", vendor "vstbridge", product "vstbridge test
//! editor", version 1; no parameters or programs.

use std::io::Write;
use std::sync::Mutex;

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
        | if cfg!(target_os = "linux") {
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

/// The editor plugin.
pub struct Editor {
    #[cfg(target_os = "linux")]
    window: Mutex<Option<x11::EditorWindow>>,
    #[cfg(not(target_os = "linux"))]
    window: Mutex<Option<()>>,
}

impl Plugin for Editor {
    fn info() -> PluginInfo {
        INFO
    }

    fn new(_host: Host) -> Self {
        Self {
            window: Mutex::new(None),
        }
    }

    fn dispatch(&self, d: Dispatch<'_>) -> isize {
        match (d.opcode, d.call) {
            (_, DispatchCall::EditGetRect(rect)) => {
                rect.top = 0;
                rect.left = 0;
                rect.bottom = HEIGHT as i16;
                rect.right = WIDTH as i16;
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
    /// effEditOpen: the editor as a child of `parent` (an X11 window id); 1 if it opened.
    #[cfg(target_os = "linux")]
    fn open(&self, parent: usize) -> isize {
        let mut window = self.window.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if window.is_some() || parent == 0 {
            return 0;
        }
        match x11::EditorWindow::open(parent as u32) {
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

    /// effEditOpen without X11: no editor.
    #[cfg(not(target_os = "linux"))]
    fn open(&self, _parent: usize) -> isize {
        0
    }
}

#[cfg(target_os = "linux")]
mod x11 {
    //! The editor's X11 window, on a connection of its own, with a thread that paints it
    //! and logs its input.

    use std::sync::Arc;

    use x11rb::connection::Connection;
    use x11rb::protocol::Event;
    use x11rb::protocol::xproto::{
        ChangeGCAux, ClientMessageEvent, ConnectionExt, CreateGCAux, CreateWindowAux, EventMask, Rectangle, WindowClass,
    };
    use x11rb::rust_connection::RustConnection;

    use super::{HEIGHT, QUADRANTS, WIDTH, log};

    /// An open editor; closed (and its thread ended) on drop.
    pub struct EditorWindow {
        connection: Arc<RustConnection>,
        window: u32,
        thread: Option<std::thread::JoinHandle<()>>,
    }

    /// The first word of the ClientMessage that tells the thread to end ('VbEd').
    const QUIT: u32 = u32::from_be_bytes(*b"VbEd");

    impl EditorWindow {
        /// Creates the window inside `parent`, maps it, and starts its thread.
        pub fn open(parent: u32) -> Result<Self, Box<dyn std::error::Error>> {
            let (connection, _) = x11rb::connect(None)?;
            let connection = Arc::new(connection);
            let window = connection.generate_id()?;
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
                    &CreateWindowAux::new().event_mask(
                        EventMask::EXPOSURE
                            | EventMask::BUTTON_PRESS
                            | EventMask::KEY_PRESS
                            | EventMask::STRUCTURE_NOTIFY,
                    ),
                )?
                .check()?;
            connection.map_window(window)?.check()?;
            let painter = connection.clone();
            let thread = std::thread::Builder::new()
                .name("test-editor".into())
                .spawn(move || run(&painter, window))?;
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

    /// Paints on every exposure and logs input until told to quit or the window goes.
    fn run(connection: &RustConnection, window: u32) {
        let Ok(gc) = connection.generate_id() else { return };
        if connection.create_gc(gc, window, &CreateGCAux::new()).is_err() {
            return;
        }
        let (half_w, half_h) = ((WIDTH / 2) as i16, (HEIGHT / 2) as i16);
        let quadrants = [(0, 0), (half_w, 0), (0, half_h), (half_w, half_h)];
        loop {
            let Ok(event) = connection.wait_for_event() else { return };
            match event {
                Event::Expose(_) => {
                    for ((x, y), colour) in quadrants.iter().zip(QUADRANTS) {
                        let _ = connection.change_gc(gc, &ChangeGCAux::new().foreground(colour));
                        let rectangle = Rectangle {
                            x: *x,
                            y: *y,
                            width: WIDTH / 2,
                            height: HEIGHT / 2,
                        };
                        let _ = connection.poly_fill_rectangle(window, gc, &[rectangle]);
                    }
                    let _ = connection.flush();
                }
                Event::ButtonPress(press) => {
                    log(&format!("click {} {} {}", press.event_x, press.event_y, press.detail))
                }
                Event::KeyPress(key) => log(&format!("key {}", key.detail)),
                Event::ClientMessage(message) if message.data.as_data32()[0] == QUIT => return,
                Event::DestroyNotify(_) => return,
                _ => {}
            }
        }
    }
}

export_plugin!(Editor);
