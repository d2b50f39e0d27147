//! Windows plugins' editors in a Linux host: our editor test plugin built as x64 and x86
//! DLLs, bridged by the Linux proxy to the Windows servers under Wine, opened in a real
//! top-level window of a test host under Xvfb (see `support/host_window.rs`). The server
//! opens the editor in a Win32 window of its own and the proxy embeds that window's X11
//! window in the host's. The host must see the editor's pixels where the plugin draws
//! them; clicks made through XTEST must reach the plugin at the coordinates they were made
//! at, and the pointer's screen position (`GetCursorPos`) must agree with them, which holds
//! only while the proxy keeps Wine told where its window really is; the server idles the
//! editor when the host does not; a key reaches the plugin once a click gave it the focus;
//! the plugin's growing reaches the host; closing takes the editor away; and when the
//! server is killed with the editor open, the host's window stays and the editor comes
//! back in it.
//!
//! Ignored in a plain `cargo test`: `cargo xtask test` runs it in its Wine step, with an
//! Xvfb of its own in `DISPLAY` and a fresh Wine session, and fails unless it passed.
#![cfg(target_os = "linux")]

#[path = "support/host_window.rs"]
mod host_window;

use std::path::{Path, PathBuf};
use std::time::Duration;

use host_window::{
    CENTRES, GROWN, HEIGHT, HostWindow, WIDTH, assert_editor_gone, assert_grown, assert_pixels, count_lines,
    wait_for_line, wait_for_line_starting,
};
use vstbridge_test_support::proxy_status::{restarts, server_pid, wait_until};
use vstbridge_test_support::{install_proxy, load_with_editor, processes, target_dir};

/// Our editor test plugin's DLL for `triple`, as `cargo xtask test` builds it.
fn editor_dll(triple: &str) -> PathBuf {
    let path = target_dir().join(triple).join("debug").join("test_plugin_editor.dll");
    assert!(
        path.is_file(),
        "{} is missing: `cargo xtask test` builds the Windows test plugins",
        path.display()
    );
    path
}

/// Asserts that the log has `line`, waiting up to 5 s for it.
fn assert_logged(log: &Path, line: &str, what: &str) {
    let text = wait_for_line(log, line);
    assert!(
        text.lines().any(|l| l == line),
        "{what}: no `{line}` in the editor's log:\n{text}"
    );
}

fn exercise(display: &str, dll: &Path, log: &Path, what: &str) {
    std::fs::write(log, "").unwrap();
    let host = HostWindow::open(display);
    let (plugin, sizes) = load_with_editor(&install_proxy(dll), (WIDTH as i16, HEIGHT as i16), what);
    assert!(plugin.open_editor(host.window as usize), "{what}: effEditOpen failed");
    assert!(wait_for_line_starting(log, "open "), "{what}: the editor did not open");

    // Painted into the host's window, each quadrant where the plugin drew it.
    let shot = host.screenshot_showing((WIDTH, HEIGHT), &CENTRES);
    assert_pixels(&shot, WIDTH, &CENTRES, what);

    // Left alone by the host, the editor is idled (and its window messages pumped) by
    // its server.
    let before = count_lines(log, "idle");
    std::thread::sleep(Duration::from_millis(500));
    let idles = count_lines(log, "idle") - before;
    assert!(idles >= 5, "{what}: the server idled the editor {idles} times in 0.5 s");

    // Clicks arrive where they were made, and Wine knows where the window is on the screen:
    // the pointer's screen position maps to the same point.
    for (x, y, button) in [(30, 40, 1), (200, 120, 3), (239, 0, 1)] {
        host.click(x, y, button);
        assert_logged(log, &format!("click {x} {y} {button}"), what);
        assert_logged(log, &format!("cursor {x} {y}"), what);
    }
    // The last click gave the editor the focus: a key reaches it ('A' as a virtual key).
    host.type_key(38);
    assert_logged(log, "key 65", what);

    // Grown by the plugin (a middle click): the host hears of it and sees all of it.
    host.click(100, 100, 2);
    assert_logged(log, &format!("resized {} {} 1", GROWN.0, GROWN.1), what);
    assert_grown(&host, &plugin, &sizes, what);

    plugin.close_editor();
    assert_logged(log, "close", what);
    assert_editor_gone(&host, &format!("{what}: the editor stayed on screen after closing"));

    // The server killed with the editor open: the host's window stays, and the editor comes
    // back in it with the restarted plugin.
    assert!(
        plugin.open_editor(host.window as usize),
        "{what}: effEditOpen failed again"
    );
    host.screenshot_showing((WIDTH, HEIGHT), &CENTRES);
    processes::kill(server_pid(&plugin) as u32).unwrap();
    assert!(
        wait_until(Duration::from_secs(20), || restarts(&plugin) >= 1),
        "{what}: the plugin was not restarted"
    );
    let again = host.screenshot_showing((WIDTH, HEIGHT), &CENTRES);
    assert_pixels(&again, WIDTH, &CENTRES, &format!("{what} (after the restart)"));
    host.click(30, 40, 1);
    assert_logged(log, "cursor 30 40", &format!("{what} (after the restart)"));

    // Closing the instance with its editor open takes the editor away.
    drop(plugin);
    assert_editor_gone(
        &host,
        &format!("{what}: the editor stayed on screen after the instance closed"),
    );
}

#[test]
#[ignore = "needs Wine, Xvfb and the Windows builds: `cargo xtask test` runs it in its Wine step"]
fn windows_editors_embed_in_a_linux_hosts_window_and_take_clicks_where_made() {
    let display = std::env::var("DISPLAY").expect("DISPLAY: `cargo xtask test` runs this with an Xvfb of its own");
    let log = std::env::temp_dir().join(format!("vstbridge-wine-editor-{}.log", std::process::id()));
    // The plugin runs under Wine, which reaches the Linux file through drive Z:.
    let log_for_wine = format!("Z:{}", log.display());
    // SAFETY: this binary's only test, before it starts a thread or loads a plugin: nothing
    // else reads the environment while it changes. The servers inherit it.
    unsafe { std::env::set_var("VSTBRIDGE_TEST_EDITOR_LOG", &log_for_wine) };
    for (what, triple) in [("x64 DLL", "x86_64-pc-windows-gnu"), ("x86 DLL", "i686-pc-windows-gnu")] {
        exercise(&display, &editor_dll(triple), &log, what);
    }
    let _ = std::fs::remove_file(log);
}
