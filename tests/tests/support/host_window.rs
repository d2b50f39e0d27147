//! The test host's side of the editor tests, shared by `editors.rs` and `wine_editors.rs`:
//! a real top-level window under Xvfb that screenshots itself and is clicked and typed
//! into through XTEST, as a user would; and the editor test plugin's log.
#![allow(dead_code)] // each test binary uses its own part

use std::path::Path;
use std::time::{Duration, Instant};

use x11rb::connection::Connection;
use x11rb::protocol::xproto::{
    BUTTON_PRESS_EVENT, BUTTON_RELEASE_EVENT, ConnectionExt, CreateWindowAux, EventMask, ImageFormat, InputFocus,
    KEY_PRESS_EVENT, KEY_RELEASE_EVENT, MOTION_NOTIFY_EVENT, WindowClass,
};
use x11rb::protocol::xtest::ConnectionExt as _;
use x11rb::rust_connection::RustConnection;
use x11rb::wrapper::ConnectionExt as _;

/// The editor plugin's size and colours, the key that makes it grow and the size it grows to
/// (`crates/test-plugins/editor`).
pub const WIDTH: u16 = 240;
pub const HEIGHT: u16 = 160;
pub const QUADRANTS: [u32; 4] = [0xd02020, 0x20a040, 0x2040d0, 0xf0f0f0];
pub const RESIZE_KEY: u8 = 27;
pub const GROWN: (u16, u16) = (320, 200);

/// Each quadrant's centre and colour in the editor at its first size.
pub const CENTRES: [((usize, usize), u32); 4] = [
    ((60, 40), QUADRANTS[0]),
    ((180, 40), QUADRANTS[1]),
    ((60, 120), QUADRANTS[2]),
    ((180, 120), QUADRANTS[3]),
];

/// Where the host's window sits on the screen (no window manager moves it under Xvfb).
pub const HOST_X: i16 = 50;
pub const HOST_Y: i16 = 60;

/// The host's side of the display: its connection and its window.
pub struct HostWindow {
    pub connection: RustConnection,
    pub window: u32,
    pub root: u32,
}

impl HostWindow {
    pub fn open(display: &str) -> Self {
        let (connection, screen) = x11rb::connect(Some(display)).expect("connecting to Xvfb");
        let root = connection.setup().roots[screen].root;
        let window = connection.generate_id().unwrap();
        connection
            .create_window(
                x11rb::COPY_DEPTH_FROM_PARENT,
                window,
                root,
                HOST_X,
                HOST_Y,
                1024,
                768,
                0,
                WindowClass::INPUT_OUTPUT,
                x11rb::COPY_FROM_PARENT,
                &CreateWindowAux::new()
                    .background_pixel(0)
                    .event_mask(EventMask::STRUCTURE_NOTIFY),
            )
            .unwrap()
            .check()
            .unwrap();
        connection.map_window(window).unwrap().check().unwrap();
        Self {
            connection,
            window,
            root,
        }
    }

    /// Screenshots of the top-left `width` × `height` pixels until the pixel at each of
    /// `expected`'s points has its colour (painting follows mapping), for up to 5 s; the
    /// last one.
    pub fn screenshot_showing(&self, (width, height): (u16, u16), expected: &[((usize, usize), u32)]) -> Vec<u32> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let shot = self.screenshot_of(width, height);
            let shown = expected
                .iter()
                .all(|&((x, y), colour)| shot[y * width as usize + x] == colour);
            if shown || Instant::now() >= deadline {
                return shot;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The top-left `width` × `height` pixels of the host window.
    pub fn screenshot_of(&self, width: u16, height: u16) -> Vec<u32> {
        let image = self
            .connection
            .get_image(ImageFormat::Z_PIXMAP, self.window, 0, 0, width, height, !0)
            .unwrap()
            .reply()
            .unwrap();
        // 24-bit TrueColor as Xvfb serves it: four bytes per pixel, blue first.
        image
            .data
            .chunks_exact(4)
            .map(|p| u32::from_le_bytes([p[0], p[1], p[2], p[3]]) & 0x00ff_ffff)
            .collect()
    }

    /// Moves the pointer to (`x`, `y`) of the host window and clicks `button` there.
    pub fn click(&self, x: i16, y: i16, button: u8) {
        self.connection
            .xtest_fake_input(
                MOTION_NOTIFY_EVENT,
                0,
                x11rb::CURRENT_TIME,
                self.root,
                HOST_X + x,
                HOST_Y + y,
                0,
            )
            .unwrap();
        self.press_and_release(BUTTON_PRESS_EVENT, BUTTON_RELEASE_EVENT, button);
    }

    /// Types the key `keycode` into whatever window is under the pointer.
    pub fn type_key(&self, keycode: u8) {
        // Focus follows the pointer (focus = PointerRoot), as under many window managers.
        self.connection
            .set_input_focus(
                InputFocus::POINTER_ROOT,
                u32::from(InputFocus::POINTER_ROOT),
                x11rb::CURRENT_TIME,
            )
            .unwrap();
        self.press_and_release(KEY_PRESS_EVENT, KEY_RELEASE_EVENT, keycode);
    }

    /// A press and a release of button or key `detail`, through XTEST, as a user makes them.
    pub fn press_and_release(&self, press: u8, release: u8, detail: u8) {
        for kind in [press, release] {
            self.connection
                .xtest_fake_input(kind, detail, x11rb::CURRENT_TIME, self.root, 0, 0, 0)
                .unwrap();
        }
        self.connection.sync().unwrap();
    }
}

/// Waits up to 5 s for `line` in the editor's log; the log so far either way.
pub fn wait_for_line(log: &Path, line: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if text.lines().any(|l| l == line) || Instant::now() >= deadline {
            return text;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Counts the lines `line` in the editor's log.
pub fn count_lines(log: &Path, line: &str) -> usize {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| *l == line)
        .count()
}

/// Asserts that `shot` (`width` pixels wide) has each of `expected`'s colours at its point.
pub fn assert_pixels(shot: &[u32], width: u16, expected: &[((usize, usize), u32)], what: &str) {
    for &((x, y), colour) in expected {
        assert_eq!(
            shot[y * width as usize + x],
            colour,
            "{what}: pixel ({x}, {y}) of the editor is not its colour"
        );
    }
}

/// Waits up to 5 s for the host window's editor area to be the host's black again; fails
/// with `message` if it is not.
pub fn assert_editor_gone(host: &HostWindow, message: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    let empty = || host.screenshot_of(GROWN.0, GROWN.1).iter().all(|&p| p == 0);
    while !empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(empty(), "{message}");
}

/// Waits up to 5 s for at least `count` lines `line` in the log.
pub fn wait_for_count(log: &Path, line: &str, count: usize) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if count_lines(log, line) >= count {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

pub fn wait_for_line_starting(log: &Path, prefix: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if std::fs::read_to_string(log)
            .unwrap_or_default()
            .lines()
            .any(|l| l.starts_with(prefix))
        {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

/// After the editor grew: the host heard of it once (audioMasterSizeWindow, which `sizes`
/// recorded), effEditGetRect reports the new size, and the host's window shows the whole
/// grown editor. Returns the screenshot of it.
pub fn assert_grown(
    host: &HostWindow,
    plugin: &vst2_host::Plugin,
    sizes: &vstbridge_test_support::SizingHost,
    what: &str,
) -> Vec<u32> {
    assert_eq!(
        *sizes.sizes.lock().unwrap(),
        [(i32::from(GROWN.0), i32::from(GROWN.1))],
        "{what}: audioMasterSizeWindow"
    );
    let rect = plugin.editor_rect().expect("a rect after growing");
    assert_eq!(
        (rect.right - rect.left, rect.bottom - rect.top),
        (GROWN.0 as i16, GROWN.1 as i16),
        "{what}"
    );
    let corners = [
        ((80, 50), QUADRANTS[0]),
        ((300, 190), QUADRANTS[3]),
        ((300, 10), QUADRANTS[1]),
    ];
    let grown = host.screenshot_showing(GROWN, &corners);
    assert_pixels(&grown, GROWN.0, &corners, &format!("{what} (grown)"));
    grown
}
