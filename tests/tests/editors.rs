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
use std::time::Duration;

use vst2_host::Plugin;
use vstbridge_test_support::{I686_TRIPLE, Xvfb, install_proxy, load_with_editor, test_plugin, test_plugin_for_triple};
#[path = "support/host_window.rs"]
mod host_window;

use host_window::{
    CENTRES, GROWN, HEIGHT, HostWindow, RESIZE_KEY, WIDTH, assert_editor_gone, assert_grown, assert_pixels,
    count_lines, wait_for_count, wait_for_line, wait_for_line_starting,
};

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
    let centres = CENTRES;
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
    let grown = assert_grown(&host, &plugin, &sizes, what);

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
