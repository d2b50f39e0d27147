//! `vstbridge editor PLUGIN`: the plugin's editor, bridged, in a window of its own (X11), for
//! trying a plugin and as a manual test of editors through the bridge. The window takes the
//! editor's size and follows its resizes; the editor is idled 30 times a second; closing the
//! window (or `--seconds`) ends it.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Result;

/// Opens `plugin`'s editor through the bridge in `dist` until its window is closed or
/// `seconds` pass.
pub fn run(plugin: &Path, dist: &Path, seconds: Option<f64>) -> Result<()> {
    let deadline = seconds.map(|seconds| Instant::now() + Duration::from_secs_f64(seconds.max(0.0)));
    imp::run(plugin, dist, deadline)
}

#[cfg(target_os = "linux")]
mod imp {
    use std::path::Path;
    use std::sync::Arc;
    use std::time::Instant;

    use anyhow::{Context, Result, bail};
    use vst2_host::Host;
    use x11rb::connection::Connection;
    use x11rb::protocol::Event;
    use x11rb::protocol::xproto::{
        AtomEnum, ConfigureWindowAux, ConnectionExt, CreateWindowAux, PropMode, WindowClass,
    };
    use x11rb::rust_connection::RustConnection;
    use x11rb::wrapper::ConnectionExt as _;

    use crate::bridge_files::load_sandboxed;

    /// How often the editor is idled (the window's events are read as often).
    const IDLE_EVERY: std::time::Duration = std::time::Duration::from_millis(33);

    /// The window, shared with the host so the editor's resizes reach it.
    struct EditorHost {
        connection: Arc<RustConnection>,
        window: u32,
    }

    impl EditorHost {
        fn resize(&self, width: i32, height: i32) -> bool {
            let (Ok(width), Ok(height)) = (u16::try_from(width), u16::try_from(height)) else {
                return false;
            };
            let size = ConfigureWindowAux::new()
                .width(u32::from(width.max(1)))
                .height(u32::from(height.max(1)));
            self.connection.configure_window(self.window, &size).is_ok() && self.connection.flush().is_ok()
        }
    }

    impl Host for EditorHost {
        fn size_window(&self, width: i32, height: i32) -> bool {
            self.resize(width, height)
        }
    }

    pub fn run(plugin_path: &Path, dist: &Path, deadline: Option<Instant>) -> Result<()> {
        let (connection, screen) = x11rb::connect(None).context("cannot reach an X display (is DISPLAY set?)")?;
        let connection = Arc::new(connection);
        let root = connection.setup().roots[screen].root;
        let window = connection.generate_id()?;
        connection
            .create_window(
                x11rb::COPY_DEPTH_FROM_PARENT,
                window,
                root,
                0,
                0,
                400,
                300,
                0,
                WindowClass::INPUT_OUTPUT,
                x11rb::COPY_FROM_PARENT,
                &CreateWindowAux::new().background_pixel(0),
            )?
            .check()?;
        let host = Arc::new(EditorHost {
            connection: connection.clone(),
            window,
        });
        let sandboxed = load_sandboxed(plugin_path, dist, "", host.clone())?;
        let plugin = &sandboxed.plugin;
        plugin.open();
        plugin.start(48_000.0, 512);
        let name = plugin.effect_name();
        let Some(rect) = plugin
            .editor_rect()
            .filter(|_| plugin.info().flags & vst2_abi::effect::effect_flags::HAS_EDITOR != 0)
        else {
            bail!("{name} has no editor");
        };
        host.resize(i32::from(rect.right - rect.left), i32::from(rect.bottom - rect.top));
        // The window's title, and closing it by the window manager's button.
        let protocols = connection.intern_atom(false, b"WM_PROTOCOLS")?.reply()?.atom;
        let delete = connection.intern_atom(false, b"WM_DELETE_WINDOW")?.reply()?.atom;
        connection.change_property8(
            PropMode::REPLACE,
            window,
            AtomEnum::WM_NAME,
            AtomEnum::STRING,
            name.as_bytes(),
        )?;
        connection.change_property32(PropMode::REPLACE, window, protocols, AtomEnum::ATOM, &[delete])?;
        connection.map_window(window)?;
        connection.flush()?;
        if !plugin.open_editor(window as usize) {
            bail!("{name} did not open its editor");
        }
        println!(
            "{name}: editor {} × {} pixels, bridged; close its window to end",
            rect.right - rect.left,
            rect.bottom - rect.top
        );
        'shown: loop {
            while let Some(event) = connection.poll_for_event()? {
                if let Event::ClientMessage(message) = event {
                    if message.data.as_data32()[0] == delete {
                        break 'shown;
                    }
                }
            }
            if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                break;
            }
            plugin.editor_idle();
            std::thread::sleep(IDLE_EVERY);
        }
        plugin.close_editor();
        drop(sandboxed);
        connection.destroy_window(window)?;
        connection.flush()?;
        Ok(())
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use std::path::Path;
    use std::time::Instant;

    use anyhow::{Result, bail};

    pub fn run(_plugin: &Path, _dist: &Path, _deadline: Option<Instant>) -> Result<()> {
        bail!("`vstbridge editor` opens X11 windows; on this system it does not yet")
    }
}
