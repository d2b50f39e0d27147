//! The window a bridged editor lives in: a child of the DAW's window that the proxy owns
//! (X11), into which the server embeds the plugin's editor.
//!
//! Why not hand the DAW's window to the server directly: the plugin's editor window then
//! becomes the DAW window's child, and belongs to the server's X connection. When the server
//! dies, that window dies with it, while the DAW still holds its id (JUCE, for one, finds it
//! with `XQueryTree` and moves and maps it); the DAW's next request about it fails with
//! `BadWindow`, which Xlib's default error handler turns into `exit`. So the DAW must only
//! ever see a window that lives as long as it needs it: ours, on the proxy's own connection
//! in the DAW's process. A dead server leaves it empty, never gone.
//!
//! Elsewhere (no X11, or no display to connect to) [`EditorWindow::open`] fails and the
//! caller hands the DAW's window to the server as it is.

use std::io;

/// Sides are clamped to this (a hostile or confused plugin may report any size).
const MAX_SIDE: u16 = 16_384;

/// Our window inside the DAW's; destroyed on drop.
pub struct EditorWindow {
    #[cfg(target_os = "linux")]
    inner: x11::Window,
}

impl std::fmt::Debug for EditorWindow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EditorWindow").field("id", &self.id()).finish()
    }
}

impl EditorWindow {
    /// Creates and maps our window as a child of the DAW's window `parent`, `width` ×
    /// `height` pixels (at least 1 × 1).
    pub fn open(parent: u64, width: u16, height: u16) -> io::Result<Self> {
        let (width, height) = (width.clamp(1, MAX_SIDE), height.clamp(1, MAX_SIDE));
        #[cfg(target_os = "linux")]
        {
            Ok(Self {
                inner: x11::Window::open(parent, width, height)?,
            })
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = (parent, width, height);
            Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "editor windows of our own exist on X11 only",
            ))
        }
    }

    /// The window's id, what the server embeds the editor into.
    pub fn id(&self) -> u64 {
        #[cfg(target_os = "linux")]
        {
            u64::from(self.inner.id)
        }
        #[cfg(not(target_os = "linux"))]
        {
            0
        }
    }

    /// Gives the window the editor's size (the plugin asked for it, or reported it).
    pub fn resize(&self, width: u16, height: u16) {
        let (width, height) = (width.clamp(1, MAX_SIDE), height.clamp(1, MAX_SIDE));
        #[cfg(target_os = "linux")]
        if let Err(error) = self.inner.resize(width, height) {
            tracing::warn!("cannot resize the editor's window: {error}");
        }
        #[cfg(not(target_os = "linux"))]
        let _ = (width, height);
    }
}

#[cfg(target_os = "linux")]
mod x11 {
    //! The X11 side, on a connection of our own (x11rb speaks the protocol itself: no
    //! libX11 is loaded into the DAW on our behalf).

    use std::io;

    use x11rb::connection::Connection;
    use x11rb::protocol::xproto::{ConfigureWindowAux, ConnectionExt as _, CreateWindowAux, WindowClass};
    use x11rb::rust_connection::RustConnection;

    pub(super) struct Window {
        connection: RustConnection,
        pub(super) id: u32,
    }

    fn x11_error(error: impl std::fmt::Display) -> io::Error {
        io::Error::other(format!("X11: {error}"))
    }

    impl Window {
        pub(super) fn open(parent: u64, width: u16, height: u16) -> io::Result<Self> {
            let parent = u32::try_from(parent)
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "not an X11 window id"))?;
            let (connection, _) = x11rb::connect(None).map_err(x11_error)?;
            let id = connection.generate_id().map_err(x11_error)?;
            // Depth, visual and colormap follow the DAW's window; black behind an editor
            // that is not there (yet, or any more: its server died).
            let attributes = CreateWindowAux::new().background_pixel(0).border_pixel(0);
            connection
                .create_window(
                    x11rb::COPY_DEPTH_FROM_PARENT,
                    id,
                    parent,
                    0,
                    0,
                    width,
                    height,
                    0,
                    WindowClass::INPUT_OUTPUT,
                    x11rb::COPY_FROM_PARENT,
                    &attributes,
                )
                .map_err(x11_error)?
                // Checked: a parent that is not a window is an error here, not later.
                .check()
                .map_err(x11_error)?;
            let window = Self { connection, id };
            window.connection.map_window(id).map_err(x11_error)?;
            window.connection.flush().map_err(x11_error)?;
            Ok(window)
        }

        pub(super) fn resize(&self, width: u16, height: u16) -> io::Result<()> {
            let size = ConfigureWindowAux::new()
                .width(u32::from(width))
                .height(u32::from(height));
            self.connection.configure_window(self.id, &size).map_err(x11_error)?;
            self.connection.flush().map_err(x11_error)
        }
    }

    impl Drop for Window {
        fn drop(&mut self) {
            // The DAW may have destroyed its window (and ours with it) first: the error then
            // comes back on our connection, which is closed right after, and harms no one.
            let _ = self.connection.destroy_window(self.id);
            let _ = self.connection.flush();
        }
    }
}
