//! Plugin editors through the Windows bridge, seen by a host with a real window (run under
//! Wine with an X display: `cargo xtask test` gives this test an Xvfb of its own). The test
//! host makes a top-level window and opens our editor test plugin's Win32 editor in it,
//! loaded directly and bridged to the server of each width, which makes its window a child
//! of the host's across processes. Opening must not deadlock (creating the child sends the
//! host's thread a message while that thread waits for the server); the server must pump
//! the editor's messages (it paints, and is idled); clicks must arrive at the coordinates
//! they were made at; the editor grows with the host's leave (audioMasterSizeWindow from its
//! window procedure) and goes when closed.
//!
//! The pixels are checked for the direct editor only: under Wine 8 a Windows program reads
//! back its own windows' surfaces, not the drawing another process makes in a child of
//! them, so the bridged editor's pixels cannot be seen from here (the Linux tests screenshot
//! bridged editors through X instead).
#![cfg(windows)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use vstbridge_test_support::proxy_status::restarts;
use vstbridge_test_support::{
    I686_TRIPLE, X86_64_TRIPLE, install_proxy, load_with_editor, test_plugin, test_plugin_for_triple,
};
use windows_sys::Win32::Foundation::{HWND, LPARAM, LRESULT, WPARAM};
use windows_sys::Win32::Graphics::Gdi::{BLACK_BRUSH, GetDC, GetPixel, GetStockObject, ReleaseDC};
use windows_sys::Win32::System::LibraryLoader::GetModuleHandleW;
use windows_sys::Win32::UI::Input::KeyboardAndMouse::{
    INPUT, INPUT_0, INPUT_MOUSE, MOUSEEVENTF_LEFTDOWN, MOUSEEVENTF_LEFTUP, MOUSEEVENTF_MIDDLEDOWN,
    MOUSEEVENTF_MIDDLEUP, MOUSEEVENTF_RIGHTDOWN, MOUSEEVENTF_RIGHTUP, MOUSEINPUT, SendInput,
};
use windows_sys::Win32::UI::WindowsAndMessaging::{
    CreateWindowExW, DefWindowProcW, DestroyWindow, DispatchMessageW, MSG, PM_REMOVE, PeekMessageW, RegisterClassW,
    SMTO_ABORTIFHUNG, SendMessageTimeoutW, SetCursorPos, TranslateMessage, WM_NULL, WNDCLASSW, WS_CLIPCHILDREN,
    WS_POPUP, WS_VISIBLE,
};

/// The editor plugin's size, colours and grown size (`crates/test-plugins/editor`).
const WIDTH: i32 = 240;
const HEIGHT: i32 = 160;
const QUADRANTS: [u32; 4] = [0xd02020, 0x20a040, 0x2040d0, 0xf0f0f0];
const GROWN: (i32, i32) = (320, 200);
/// Where the host's window sits on the screen.
const HOST_X: i32 = 50;
const HOST_Y: i32 = 60;

fn wide(text: &str) -> Vec<u16> {
    text.encode_utf16().chain(Some(0)).collect()
}

unsafe extern "system" fn host_procedure(window: HWND, message: u32, wparam: WPARAM, lparam: LPARAM) -> LRESULT {
    // SAFETY: the default handling of a message to the host's window.
    unsafe { DefWindowProcW(window, message, wparam, lparam) }
}

/// Dispatches this thread's window messages for `duration` (the host's GUI loop, and the
/// directly loaded editor's).
fn pump(duration: Duration) {
    let deadline = Instant::now() + duration;
    loop {
        // SAFETY: a zeroed MSG filled by PeekMessageW for this thread, then dispatched.
        unsafe {
            let mut message: MSG = std::mem::zeroed();
            while PeekMessageW(&mut message, std::ptr::null_mut(), 0, 0, PM_REMOVE) != 0 {
                TranslateMessage(&message);
                DispatchMessageW(&message);
            }
        }
        if Instant::now() >= deadline {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The host's top-level window, black, at (`HOST_X`, `HOST_Y`); destroyed on drop.
struct HostWindow(HWND);

impl HostWindow {
    fn open() -> Self {
        let class = wide("vstbridge test host");
        // SAFETY: a class and window of ours on this thread; the strings outlive the calls.
        let window = unsafe {
            let description = WNDCLASSW {
                style: 0,
                lpfnWndProc: Some(host_procedure),
                cbClsExtra: 0,
                cbWndExtra: 0,
                hInstance: GetModuleHandleW(std::ptr::null()),
                hIcon: std::ptr::null_mut(),
                hCursor: std::ptr::null_mut(),
                hbrBackground: GetStockObject(BLACK_BRUSH),
                lpszMenuName: std::ptr::null(),
                lpszClassName: class.as_ptr(),
            };
            RegisterClassW(&description);
            CreateWindowExW(
                0,
                class.as_ptr(),
                wide("host").as_ptr(),
                // As a DAW's window: its own painting never covers its children.
                WS_POPUP | WS_VISIBLE | WS_CLIPCHILDREN,
                HOST_X,
                HOST_Y,
                800,
                600,
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                GetModuleHandleW(std::ptr::null()),
                std::ptr::null(),
            )
        };
        assert!(
            !window.is_null(),
            "the host window was not created (is there an X display?)"
        );
        pump(Duration::from_millis(200));
        Self(window)
    }

    /// The top-left `width` × `height` pixels of the window as `0xRRGGBB`, row by row.
    fn screenshot(&self, width: i32, height: i32) -> Vec<u32> {
        // SAFETY: our window's DC, released below; GetPixel only reads.
        unsafe {
            // The screen, where the window is: what the user sees (children of other
            // processes included).
            let dc = GetDC(std::ptr::null_mut());
            let pixels = (0..height)
                .flat_map(|y| (0..width).map(move |x| (x, y)))
                .map(|(x, y)| {
                    let colour = GetPixel(dc, HOST_X + x, HOST_Y + y);
                    // COLORREF is 0x00BBGGRR.
                    (colour & 0xff) << 16 | (colour & 0xff00) | (colour >> 16) & 0xff
                })
                .collect();
            ReleaseDC(std::ptr::null_mut(), dc);
            pixels
        }
    }

    /// Screenshots until each of `expected`'s points shows its colour (pumping meanwhile),
    /// for up to 5 s; the last one.
    fn screenshot_showing(&self, (width, height): (i32, i32), expected: &[((i32, i32), u32)]) -> Vec<u32> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            pump(Duration::from_millis(20));
            let shot = self.screenshot(width, height);
            let shown = expected
                .iter()
                .all(|&((x, y), colour)| shot[(y * width + x) as usize] == colour);
            if shown || Instant::now() >= deadline {
                return shot;
            }
        }
    }

    /// Clicks `button` (1 left, 2 middle, 3 right) at (`x`, `y`) of the window.
    fn click(&self, x: i32, y: i32, button: u8) {
        let (down, up) = match button {
            1 => (MOUSEEVENTF_LEFTDOWN, MOUSEEVENTF_LEFTUP),
            2 => (MOUSEEVENTF_MIDDLEDOWN, MOUSEEVENTF_MIDDLEUP),
            _ => (MOUSEEVENTF_RIGHTDOWN, MOUSEEVENTF_RIGHTUP),
        };
        let input = |flags| INPUT {
            r#type: INPUT_MOUSE,
            Anonymous: INPUT_0 {
                mi: MOUSEINPUT {
                    dx: 0,
                    dy: 0,
                    mouseData: 0,
                    dwFlags: flags,
                    time: 0,
                    dwExtraInfo: 0,
                },
            },
        };
        // SAFETY: moves the pointer and sends two mouse inputs of ours.
        unsafe {
            SetCursorPos(HOST_X + x, HOST_Y + y);
            pump(Duration::from_millis(30));
            let inputs = [input(down), input(up)];
            SendInput(inputs.len() as u32, inputs.as_ptr(), size_of::<INPUT>() as i32);
        }
    }
}

impl Drop for HostWindow {
    fn drop(&mut self) {
        // SAFETY: our window, on its thread.
        unsafe { DestroyWindow(self.0) };
    }
}

/// Waits (pumping) up to 5 s for a line of the log satisfying `wanted`; the log either way.
fn wait_for(log: &Path, wanted: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        pump(Duration::from_millis(10));
        let text = std::fs::read_to_string(log).unwrap_or_default();
        if text.lines().any(&wanted) || Instant::now() >= deadline {
            return text;
        }
    }
}

/// Opens `plugin`'s editor in a fresh host window and exercises it: its pixels too when
/// loaded directly, and a hang of its thread when `bridged`.
fn exercise(plugin_path: &Path, log: &Path, what: &str, bridged: bool) {
    // Pixels only directly (see the module docs).
    let check_pixels = !bridged;
    std::fs::write(log, "").unwrap();
    let host = HostWindow::open();
    let (plugin, sizes) = load_with_editor(plugin_path, (WIDTH as i16, HEIGHT as i16), what);
    assert!(plugin.open_editor(host.0 as usize), "{what}: effEditOpen failed");
    let text = wait_for(log, |l| l.starts_with("open "));
    assert!(text.starts_with("open "), "{what}: the editor did not open:\n{text}");

    let centres = [
        ((60, 40), QUADRANTS[0]),
        ((180, 40), QUADRANTS[1]),
        ((60, 120), QUADRANTS[2]),
        ((180, 120), QUADRANTS[3]),
    ];
    if check_pixels {
        let shot = host.screenshot_showing((WIDTH, HEIGHT), &centres);
        for &((x, y), colour) in &centres {
            assert_eq!(
                shot[(y * WIDTH + x) as usize],
                colour,
                "{what}: pixel ({x}, {y}) of the editor"
            );
        }
    }
    // The editor's thread dispatched its WM_PAINT (the server pumps the messages of the
    // editor it opened).
    let text = wait_for(log, |l| l == "paint");
    assert!(
        text.lines().any(|l| l == "paint"),
        "{what}: the editor was never painted:\n{text}"
    );

    for (x, y, button) in [(30, 40, 1), (200, 120, 3)] {
        host.click(x, y, button);
        let line = format!("click {x} {y} {button}");
        let text = wait_for(log, |l| l == line);
        assert!(
            text.lines().any(|l| l == line),
            "{what}: no `{line}` in the editor's log:\n{text}"
        );
    }

    plugin.editor_idle();
    let text = wait_for(log, |l| l == "idle");
    assert!(
        text.lines().any(|l| l == "idle"),
        "{what}: effEditIdle did not reach the editor:\n{text}"
    );

    // A middle click makes it grow; the host hears of it and shows all of it.
    host.click(100, 100, 2);
    let resized = format!("resized {} {} 1", GROWN.0, GROWN.1);
    let text = wait_for(log, |l| l == resized);
    assert!(text.lines().any(|l| l == resized), "{what}: no `{resized}`:\n{text}");
    assert_eq!(*sizes.sizes.lock().unwrap(), [GROWN], "{what}: audioMasterSizeWindow");
    let rect = plugin.editor_rect().expect("a rect after growing");
    assert_eq!(
        (i32::from(rect.right - rect.left), i32::from(rect.bottom - rect.top)),
        GROWN,
        "{what}"
    );
    if check_pixels {
        let corners = [
            ((80, 50), QUADRANTS[0]),
            ((300, 190), QUADRANTS[3]),
            ((300, 10), QUADRANTS[1]),
        ];
        let grown = host.screenshot_showing(GROWN, &corners);
        for &((x, y), colour) in &corners {
            assert_eq!(
                grown[(y * GROWN.0 + x) as usize],
                colour,
                "{what} (grown): pixel ({x}, {y})"
            );
        }
    }

    plugin.close_editor();
    let text = wait_for(log, |l| l == "close");
    assert!(
        text.lines().any(|l| l == "close"),
        "{what}: effEditClose did not reach the editor:\n{text}"
    );
    if check_pixels {
        let empty = host.screenshot_showing(GROWN, &[((300, 190), 0), ((60, 40), 0)]);
        assert!(
            empty.iter().all(|&p| p == 0),
            "{what}: the editor stayed on screen after closing"
        );
    }
    if bridged {
        editor_hangs(&host, &plugin, log, what);
    }
}

/// The bridged editor's thread hangs while the host asks nothing of the plugin (it only
/// pumps its own window): within Windows' 5 s the proxy declares the server hung, the host's
/// window answers all along, and the plugin comes back with its editor open again.
fn editor_hangs(host: &HostWindow, plugin: &vst2_host::Plugin, log: &Path, what: &str) {
    assert!(plugin.open_editor(host.0 as usize), "{what}: effEditOpen failed again");
    let text = wait_for(log, |l| l == "paint");
    assert!(text.lines().any(|l| l == "paint"), "{what}: not painted again:\n{text}");
    std::fs::write(log, "").unwrap();
    host.click(2, 2, 3);
    let text = wait_for(log, |l| l == "hang");
    assert!(
        text.lines().any(|l| l == "hang"),
        "{what}: the editor did not hang:\n{text}"
    );
    let hung_at = Instant::now();
    let mut slowest_answer = Duration::ZERO;
    while restarts(plugin) < 1 && hung_at.elapsed() < Duration::from_secs(15) {
        // The host's own window answers at once all along.
        let asked = Instant::now();
        let mut answer = 0usize;
        // SAFETY: our window; WM_NULL does nothing, the answer is stored in `answer`.
        let answered = unsafe { SendMessageTimeoutW(host.0, WM_NULL, 0, 0, SMTO_ABORTIFHUNG, 1000, &mut answer) };
        assert_ne!(answered, 0, "{what}: the host's window stopped answering");
        slowest_answer = slowest_answer.max(asked.elapsed());
        pump(Duration::from_millis(50));
    }
    let restarted_after = hung_at.elapsed();
    println!(
        "{what}: hung editor: restarted after {restarted_after:?}; the host's window answered within {slowest_answer:?}"
    );
    assert!(
        restarts(plugin) >= 1,
        "{what}: the hung editor's server was never restarted"
    );
    let text = wait_for(log, |l| l.starts_with("open "));
    assert!(
        text.lines().any(|l| l.starts_with("open ")),
        "{what}: the editor did not open again after the restart:\n{text}"
    );
    plugin.close_editor();
    let text = wait_for(log, |l| l == "close");
    assert!(
        text.lines().any(|l| l == "close"),
        "{what}: not closed after the restart:\n{text}"
    );
}

#[test]
fn bridged_win32_editors_open_without_deadlock_are_pumped_and_take_clicks_where_made() {
    let log: PathBuf = std::env::temp_dir().join(format!("vstbridge-editor-{}.log", std::process::id()));
    // SAFETY: this binary's only test, before it starts a thread or loads a plugin: nothing
    // else reads the environment while it changes. The plugin (and the servers, which
    // inherit it) find the log file there.
    unsafe { std::env::set_var("VSTBRIDGE_TEST_EDITOR_LOG", &log) };
    exercise(&test_plugin("editor"), &log, "direct", false);
    for (what, triple) in [("bridged x86_64", X86_64_TRIPLE), ("bridged i686", I686_TRIPLE)] {
        let plugin = test_plugin_for_triple(triple, "editor");
        exercise(&install_proxy(&plugin), &log, what, true);
    }
    let _ = std::fs::remove_file(log);
}
