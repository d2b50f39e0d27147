//! Plugin editors through the bridge, seen by a host with a real window: a test host under
//! Xvfb makes a top-level window, opens our editor test plugin's editor in it (loaded
//! directly, and bridged to the x86_64 and the i686 server), takes a screenshot of its own
//! window and clicks and types into it through XTEST, as a user would. The bridged editor
//! must paint the same pixels where the direct one does, and receive the same clicks at the
//! same coordinates in its own window; idle calls reach it (and the server idles it itself
//! when the host does not); when it grows, the host hears audioMasterSizeWindow and the
//! grown editor shows whole; closing takes it away. Then
//! the same with a real GUI plugin: Debian's 3BandEQ, whose editor draws with OpenGL, loaded
//! directly (amd64) and bridged (amd64, and the i386 build in the 32-bit server).
#![cfg(target_os = "linux")]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use vst2_host::Plugin;
use vstbridge_test_support::{I686_TRIPLE, Xvfb, install_proxy, load_with_editor, test_plugin, test_plugin_for_triple};
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
const WIDTH: u16 = 240;
const HEIGHT: u16 = 160;
const QUADRANTS: [u32; 4] = [0xd02020, 0x20a040, 0x2040d0, 0xf0f0f0];
const RESIZE_KEY: u8 = 27;
const GROWN: (u16, u16) = (320, 200);

/// Where the host's window sits on the screen (no window manager moves it under Xvfb).
const HOST_X: i16 = 50;
const HOST_Y: i16 = 60;

/// The host's side of the display: its connection and its window.
struct HostWindow {
    connection: RustConnection,
    window: u32,
    root: u32,
}

impl HostWindow {
    fn open(display: &str) -> Self {
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
    fn screenshot_showing(&self, (width, height): (u16, u16), expected: &[((usize, usize), u32)]) -> Vec<u32> {
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
    fn screenshot_of(&self, width: u16, height: u16) -> Vec<u32> {
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
    fn click(&self, x: i16, y: i16, button: u8) {
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
    fn type_key(&self, keycode: u8) {
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
    fn press_and_release(&self, press: u8, release: u8, detail: u8) {
        for kind in [press, release] {
            self.connection
                .xtest_fake_input(kind, detail, x11rb::CURRENT_TIME, self.root, 0, 0, 0)
                .unwrap();
        }
        self.connection.sync().unwrap();
    }
}

/// Waits up to 5 s for `line` in the editor's log; the log so far either way.
fn wait_for_line(log: &Path, line: &str) -> String {
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
fn count_lines(log: &Path, line: &str) -> usize {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter(|l| *l == line)
        .count()
}

/// Asserts that `shot` (`width` pixels wide) has each of `expected`'s colours at its point.
fn assert_pixels(shot: &[u32], width: u16, expected: &[((usize, usize), u32)], what: &str) {
    for &((x, y), colour) in expected {
        assert_eq!(
            shot[y * width as usize + x],
            colour,
            "{what}: pixel ({x}, {y}) of the editor is not its colour"
        );
    }
}

/// Opens `plugin`'s editor in a fresh host window, screenshots it, clicks, types, idles,
/// grows and closes it; returns the screenshots before and after it grew.
fn exercise(display: &str, plugin_path: &Path, log: &Path, what: &str, bridged: bool) -> (Vec<u32>, Vec<u32>) {
    std::fs::write(log, "").unwrap();
    let host = HostWindow::open(display);
    let (plugin, sizes) = load_with_editor(plugin_path, (WIDTH as i16, HEIGHT as i16), what);
    assert!(plugin.open_editor(host.window as usize), "{what}: effEditOpen failed");
    assert!(wait_for_line_starting(log, "open "), "{what}: the editor did not open");
    let rect = plugin.editor_rect().expect("a rect with the editor open");
    assert_eq!(
        (rect.right - rect.left, rect.bottom - rect.top),
        (WIDTH as i16, HEIGHT as i16),
        "{what}"
    );

    // Painted: each quadrant's colour at its centre.
    let centres = [
        ((60, 40), QUADRANTS[0]),
        ((180, 40), QUADRANTS[1]),
        ((60, 120), QUADRANTS[2]),
        ((180, 120), QUADRANTS[3]),
    ];
    let screenshot = host.screenshot_showing((WIDTH, HEIGHT), &centres);
    assert_pixels(&screenshot, WIDTH, &centres, what);

    // Left alone by the host, the editor is idled by its server (about 30 Hz); a plugin
    // loaded directly gets only the host's idles.
    std::thread::sleep(Duration::from_millis(500));
    let idles = count_lines(log, "idle");
    if bridged {
        assert!(idles >= 5, "{what}: the server idled the editor {idles} times in 0.5 s");
    } else {
        assert_eq!(idles, 0, "{what}: idles nobody made");
    }

    // Clicks and a key arrive at the coordinates they were made at, in the editor's window.
    for (x, y, button) in [(30, 40, 1), (200, 120, 3), (239, 0, 1)] {
        host.click(x, y, button);
        let line = format!("click {x} {y} {button}");
        let text = wait_for_line(log, &line);
        assert!(
            text.lines().any(|l| l == line),
            "{what}: no `{line}` in the editor's log:\n{text}"
        );
    }
    host.type_key(38);
    let text = wait_for_line(log, "key 38");
    assert!(
        text.lines().any(|l| l == "key 38"),
        "{what}: the key did not arrive:\n{text}"
    );

    let before = count_lines(log, "idle");
    plugin.editor_idle();
    assert!(
        wait_for_count(log, "idle", before + 1),
        "{what}: effEditIdle did not reach the editor"
    );

    // Grown by the plugin from its own thread: the host hears of it, and sees all of it.
    host.type_key(RESIZE_KEY);
    let resized = format!("resized {} {} 1", GROWN.0, GROWN.1);
    let text = wait_for_line(log, &resized);
    assert!(
        text.lines().any(|l| l == resized),
        "{what}: no `{resized}` (the host's answer):\n{text}"
    );
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

    plugin.close_editor();
    let text = wait_for_line(log, "close");
    assert!(
        text.lines().any(|l| l == "close"),
        "{what}: effEditClose did not reach the editor:\n{text}"
    );
    // The editor is gone from the host's window: its area is the host's black again.
    assert_editor_gone(&host, &format!("{what}: the editor stayed on screen after closing"));

    // Closing the instance with its editor open takes the editor away too.
    assert!(
        plugin.open_editor(host.window as usize),
        "{what}: effEditOpen failed the second time"
    );
    host.screenshot_showing((WIDTH, HEIGHT), &centres);
    drop(plugin);
    assert_editor_gone(
        &host,
        &format!("{what}: the editor stayed on screen after the instance closed"),
    );
    (screenshot, grown)
}

/// Waits up to 5 s for the host window's editor area to be the host's black again; fails
/// with `message` if it is not.
fn assert_editor_gone(host: &HostWindow, message: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    let empty = || host.screenshot_of(GROWN.0, GROWN.1).iter().all(|&p| p == 0);
    while !empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(empty(), "{message}");
}

/// Waits up to 5 s for at least `count` lines `line` in the log.
fn wait_for_count(log: &Path, line: &str, count: usize) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if count_lines(log, line) >= count {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

fn wait_for_line_starting(log: &Path, prefix: &str) -> bool {
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

/// Opens a plugin's editor in a fresh host window, idles it as a DAW does (dpf and GTK
/// editors repaint on idle) for a second, and returns its screenshot and size.
fn screenshot_dpf_editor(display: &str, plugin_path: &Path, what: &str) -> (Vec<u32>, (u16, u16)) {
    let host = HostWindow::open(display);
    let plugin = Plugin::load(plugin_path, Arc::new(vst2_host::DefaultHost)).unwrap_or_else(|e| panic!("{what}: {e}"));
    plugin.open();
    plugin.start(48_000.0, 512);
    let rect = plugin.editor_rect().unwrap_or_else(|| panic!("{what}: no editor rect"));
    let size = (
        u16::try_from(rect.right - rect.left).unwrap().min(1024),
        u16::try_from(rect.bottom - rect.top).unwrap().min(768),
    );
    assert!(size.0 > 16 && size.1 > 16, "{what}: an editor of {size:?}");
    assert!(plugin.open_editor(host.window as usize), "{what}: effEditOpen failed");
    for _ in 0..50 {
        plugin.editor_idle();
        std::thread::sleep(Duration::from_millis(20));
    }
    let shot = host.screenshot_of(size.0, size.1);
    plugin.close_editor();
    (shot, size)
}

/// A real GUI plugin's editor loaded directly (`direct`) and through the bridge (each of
/// `bridged`, named): each bridged editor has the direct one's size and at least 95 % of its
/// pixels (the same drawing code; an i386 build may round a few edges differently).
/// Returns the editor's size.
fn assert_bridged_editors_look_direct(display: &str, direct: &Path, bridged: &[(&str, PathBuf)]) -> (u16, u16) {
    let name = direct.file_stem().unwrap().to_string_lossy().into_owned();
    let (expected, size) = screenshot_dpf_editor(display, direct, &format!("{name} direct"));
    println!("{name}'s editor: {size:?}, {} colours directly", colours(&expected));
    assert!(colours(&expected) > 50, "{name}'s editor drew nothing directly");
    for (what, plugin) in bridged {
        let (shot, shot_size) = screenshot_dpf_editor(display, &install_proxy(plugin), what);
        assert_eq!(shot_size, size, "{what}: editor size");
        let same = shot.iter().zip(&expected).filter(|(a, b)| a == b).count();
        let share = same as f64 / expected.len() as f64;
        println!("{what}: {:.1}% of pixels as drawn directly", share * 100.0);
        assert!(
            share > 0.95,
            "{what}: only {:.1}% of the editor's pixels match the direct editor's",
            share * 100.0
        );
    }
    size
}

/// `vstbridge probe --json PLUGIN`'s report (the plugin loaded in a sandboxed server).
fn probe(plugin: &Path) -> serde_json::Value {
    let output = std::process::Command::new(vstbridge_test_support::build_dir().join("vstbridge"))
        .args(["probe", "--json"])
        .arg(plugin)
        .arg("--dist")
        .arg(vstbridge_test_support::bridge_dir())
        .output()
        .unwrap();
    assert!(output.status.success(), "probe {}: {output:?}", plugin.display());
    serde_json::from_slice(&output.stdout).unwrap()
}

/// How many distinct colours an image has (a drawn editor has many; an empty window one).
fn colours(image: &[u32]) -> usize {
    let mut colours = image.to_vec();
    colours.sort_unstable();
    colours.dedup();
    colours.len()
}

#[test]
fn bridged_editors_paint_and_take_clicks_and_keys_as_they_do_directly() {
    let display = Xvfb::start();
    let log: PathBuf = std::env::temp_dir().join(format!("vstbridge-editor-{}.log", std::process::id()));
    // SAFETY: this binary's only test, before it starts a thread or loads a plugin: nothing
    // else reads the environment while it changes. The plugin (and the servers, which
    // inherit it) find the display and the log file there.
    unsafe {
        std::env::set_var("DISPLAY", display.display());
        std::env::set_var("VSTBRIDGE_TEST_EDITOR_LOG", &log);
    }
    let direct = exercise(display.display(), &test_plugin("editor"), &log, "direct", false);
    for (what, plugin) in [
        ("bridged x86_64", test_plugin("editor")),
        ("bridged i686", test_plugin_for_triple(I686_TRIPLE, "editor")),
    ] {
        let bridged = exercise(display.display(), &install_proxy(&plugin), &log, what, true);
        assert!(
            bridged.0 == direct.0,
            "{what}: the editor's pixels differ from the direct editor's"
        );
        assert!(
            bridged.1 == direct.1,
            "{what}: the grown editor's pixels differ from the direct one's"
        );
    }

    // `vstbridge editor`: the bridged editor in a window of its own, idled, then closed.
    std::fs::write(&log, "").unwrap();
    let output = std::process::Command::new(vstbridge_test_support::build_dir().join("vstbridge"))
        .arg("editor")
        .arg(test_plugin_for_triple(I686_TRIPLE, "editor"))
        .args(["--seconds", "1"])
        .arg("--dist")
        .arg(vstbridge_test_support::bridge_dir())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "vstbridge editor: {said}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(said.contains("editor 240 × 160 pixels"), "{said}");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.lines().next().is_some_and(|l| l.starts_with("open ")), "{text}");
    assert!(
        text.lines().filter(|l| *l == "idle").count() >= 10,
        "an editor idled too rarely:\n{text}"
    );
    assert_eq!(text.lines().last(), Some("close"), "{text}");
    let _ = std::fs::remove_file(log);

    // Real GUI plugins: dpf's OpenGL editor (drawn by Mesa) and amsynth's GTK 2 editor.
    let amd64 = vstbridge_test_support::real_plugin_for("amd64", "3BandEQ-vst.so");
    let size = assert_bridged_editors_look_direct(
        display.display(),
        &amd64,
        &[
            ("3BandEQ bridged (amd64)", amd64.clone()),
            (
                "3BandEQ bridged (i386)",
                vstbridge_test_support::real_plugin_for("i386", "3BandEQ-vst.so"),
            ),
        ],
    );
    // `vstbridge probe` says which plugins have an editor, and its size.
    for (plugin, expected) in [
        (amd64.clone(), serde_json::json!([size.0, size.1])),
        (
            test_plugin_for_triple(I686_TRIPLE, "editor"),
            serde_json::json!([WIDTH, HEIGHT]),
        ),
        (test_plugin("gain"), serde_json::Value::Null),
    ] {
        assert_eq!(
            probe(&plugin)["editor"],
            expected,
            "{}: the editor probe reports",
            plugin.display()
        );
    }
    let amsynth = PathBuf::from("/usr/lib/vst/amsynth_vst.so");
    assert!(
        amsynth.is_file(),
        "{} is missing: `cargo xtask fetch-plugins` installs Debian's amsynth",
        amsynth.display()
    );
    assert_bridged_editors_look_direct(
        display.display(),
        &amsynth,
        &[
            ("amsynth bridged (amd64)", amsynth.clone()),
            (
                "amsynth bridged (i386)",
                vstbridge_test_support::real_plugin_for("i386", "amsynth_vst.so"),
            ),
        ],
    );
}
