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
//! A Windows server under Wine cannot make a Win32 window the child of an X11 one: it opens
//! the editor in a top-level window of its own and names that window's X11 window (see the
//! server's `wine_editor`); [`EditorWindow::embed`] reparents it into ours. Wine then still
//! takes the window's position on the screen from the configure events it is sent, and the
//! real ones now say "at 0, 0 of its parent": so, as other Wine bridges do, we send it
//! synthetic `ConfigureNotify` events with its real position on the screen whenever that may
//! have changed (the DAW's top-level window moved, the pointer came in), from a thread
//! that watches for those. Without them, everything that uses screen coordinates in the
//! plugin (`GetCursorPos`, popup menus, drags) would be off by the window's position.
//!
//! The server is hostile: the window it names must belong to its own process (asked of the
//! X server through the X-Resource extension, where it has it), be no window of the DAW's
//! or ours, and be top-level; otherwise it is not touched.
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

    /// Embeds the server's X11 window `foreign` (see the module docs), which must belong to
    /// a process `is_server` says is the server.
    pub fn embed(&self, foreign: u64, is_server: &dyn Fn(u32) -> bool) -> io::Result<()> {
        #[cfg(target_os = "linux")]
        {
            let foreign = u32::try_from(foreign)
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not an X11 window id"))?;
            self.inner.embed(foreign, is_server)
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = (foreign, is_server);
            Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "embedding is for X11 windows",
            ))
        }
    }

    /// Hands an embedded window back to the screen's root, unmapped, before its owner
    /// destroys it (Wine expects to find its top-level windows there).
    pub fn release_embedded(&self) {
        #[cfg(target_os = "linux")]
        self.inner.release_embedded();
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

/// Whether a child window of `parent` that process `pid` made is hung (Windows' sense:
/// it has taken no message for 5 s).
#[cfg(windows)]
pub fn has_hung_child_of(parent: u64, pid: u32) -> bool {
    use windows_sys::Win32::UI::WindowsAndMessaging::{
        GW_CHILD, GW_HWNDNEXT, GetWindow, GetWindowThreadProcessId, IsHungAppWindow, IsWindow,
    };
    let parent = parent as usize as windows_sys::Win32::Foundation::HWND;
    // SAFETY: window handles are values; a stale one makes these calls fail, not misbehave.
    unsafe {
        if IsWindow(parent) == 0 {
            return false;
        }
        let mut child = GetWindow(parent, GW_CHILD);
        // Bounded: the DAW's window has a few children, and a list that changes meanwhile
        // must not keep us here.
        for _ in 0..256 {
            if child.is_null() {
                break;
            }
            let mut owner = 0u32;
            GetWindowThreadProcessId(child, &mut owner);
            if owner == pid && IsHungAppWindow(child) != 0 {
                return true;
            }
            child = GetWindow(child, GW_HWNDNEXT);
        }
    }
    false
}

#[cfg(target_os = "linux")]
mod x11 {
    //! The X11 side, on a connection of our own (x11rb speaks the protocol itself: no
    //! libX11 is loaded into the DAW on our behalf).

    use std::io;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    use std::thread::JoinHandle;

    use x11rb::connection::{Connection, RequestConnection as _};
    use x11rb::protocol::Event;
    use x11rb::protocol::res::{ClientIdMask, ClientIdSpec, ConnectionExt as _};
    use x11rb::protocol::xproto::{
        ChangeWindowAttributesAux, ClientMessageEvent, ConfigureNotifyEvent, ConfigureWindowAux, ConnectionExt as _,
        CreateWindowAux, EventMask, WindowClass,
    };
    use x11rb::rust_connection::RustConnection;

    pub(super) struct Window {
        connection: Arc<RustConnection>,
        pub(super) id: u32,
        /// The DAW's window ours is in.
        parent: u32,
        root: u32,
        embedded: Mutex<Option<Embedded>>,
    }

    /// A server's window in ours, and the thread keeping Wine told where it is.
    struct Embedded {
        foreign: u32,
        stop: Arc<AtomicBool>,
        watcher: JoinHandle<()>,
    }

    /// How long closing the editor waits for the watcher thread to end.
    const WATCHER_PATIENCE: std::time::Duration = std::time::Duration::from_millis(200);

    fn x11_error(error: impl std::fmt::Display) -> io::Error {
        io::Error::other(format!("X11: {error}"))
    }

    fn refused(reason: String) -> io::Error {
        io::Error::new(io::ErrorKind::PermissionDenied, reason)
    }

    impl Window {
        pub(super) fn open(parent: u64, width: u16, height: u16) -> io::Result<Self> {
            let parent = u32::try_from(parent)
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "not an X11 window id"))?;
            let (connection, screen) = x11rb::connect(None).map_err(x11_error)?;
            let root = connection.setup().roots.get(screen).map_or(0, |screen| screen.root);
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
            let window = Self {
                connection: Arc::new(connection),
                id,
                parent,
                root,
                embedded: Mutex::new(None),
            };
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

        pub(super) fn embed(&self, foreign: u32, is_server: &dyn Fn(u32) -> bool) -> io::Result<()> {
            self.check_foreign(foreign, is_server)?;
            // A new editor window replaces the last one.
            self.release_embedded();
            let connection = &self.connection;
            connection.reparent_window(foreign, self.id, 0, 0).map_err(x11_error)?;
            connection
                .map_window(foreign)
                .map_err(x11_error)?
                .check()
                .map_err(x11_error)?;
            // What may move us on the screen: the DAW's top-level window moving; and the
            // pointer coming in, or the focus, whatever moved meanwhile.
            let topmost = self.topmost()?;
            let watched = ChangeWindowAttributesAux::new().event_mask(EventMask::STRUCTURE_NOTIFY);
            connection
                .change_window_attributes(topmost, &watched)
                .map_err(x11_error)?;
            let ours = ChangeWindowAttributesAux::new().event_mask(EventMask::ENTER_WINDOW | EventMask::FOCUS_CHANGE);
            connection.change_window_attributes(self.id, &ours).map_err(x11_error)?;
            tell_wine_where(connection, self.id, foreign, self.root)?;
            let stop = Arc::new(AtomicBool::new(false));
            let watcher = {
                let (connection, stop, ours, root) = (connection.clone(), stop.clone(), self.id, self.root);
                std::thread::Builder::new()
                    .name("vstbridge-x11".into())
                    .spawn(move || watch(&connection, &stop, ours, foreign, root))?
            };
            *crate::sync::lock(&self.embedded) = Some(Embedded { foreign, stop, watcher });
            tracing::debug!(foreign, window = self.id, "embedded the server's editor window");
            Ok(())
        }

        /// Whether the server may have `foreign` embedded: a top-level window of its own
        /// process (`is_server`), not the DAW's, not ours.
        fn check_foreign(&self, foreign: u32, is_server: &dyn Fn(u32) -> bool) -> io::Result<()> {
            let connection = &self.connection;
            let client_bits = !connection.setup().resource_id_mask;
            let client = |window: u32| window & client_bits;
            if foreign == 0
                || client(foreign) == client(self.id)
                || client(foreign) == client(self.parent)
                || client(foreign) == client(self.root)
            {
                return Err(refused(format!(
                    "window {foreign:#x} is the DAW's, ours or the X server's"
                )));
            }
            let tree = connection
                .query_tree(foreign)
                .map_err(x11_error)?
                .reply()
                .map_err(x11_error)?;
            if tree.parent != tree.root {
                return Err(refused(format!("window {foreign:#x} is not a top-level window")));
            }
            match self.owner_of(foreign)? {
                Some(pid) if !is_server(pid) => Err(refused(format!(
                    "window {foreign:#x} belongs to process {pid}, which is not the server"
                ))),
                Some(_) => Ok(()),
                None => {
                    tracing::info!(
                        foreign,
                        "the X server cannot say which process made the editor's window; trusting it"
                    );
                    Ok(())
                }
            }
        }

        /// The process that made `window`, where the X server knows (X-Resource 1.2, a
        /// local client).
        fn owner_of(&self, window: u32) -> io::Result<Option<u32>> {
            let connection = &self.connection;
            if connection
                .extension_information(x11rb::protocol::res::X11_EXTENSION_NAME)
                .map_err(x11_error)?
                .is_none()
            {
                return Ok(None);
            }
            let spec = ClientIdSpec {
                client: window,
                mask: ClientIdMask::LOCAL_CLIENT_PID,
            };
            let Ok(reply) = connection.res_query_client_ids(&[spec]).map_err(x11_error)?.reply() else {
                return Ok(None);
            };
            Ok(reply
                .ids
                .iter()
                .find(|id| id.spec.mask == ClientIdMask::LOCAL_CLIENT_PID)
                .and_then(|id| id.value.first().copied()))
        }

        /// The DAW's top-level window: the last of our ancestors below the root.
        fn topmost(&self) -> io::Result<u32> {
            let mut window = self.id;
            // Bounded: a window tree is not deep, and a broken one must not hang us.
            for _ in 0..64 {
                let tree = self
                    .connection
                    .query_tree(window)
                    .map_err(x11_error)?
                    .reply()
                    .map_err(x11_error)?;
                if tree.parent == tree.root || tree.parent == 0 {
                    break;
                }
                window = tree.parent;
            }
            Ok(window)
        }

        pub(super) fn release_embedded(&self) {
            let Some(embedded) = crate::sync::lock(&self.embedded).take() else {
                return;
            };
            embedded.stop.store(true, Ordering::Release);
            // Wakes the watcher: a client message to our window comes to us, its creator.
            let wake = ClientMessageEvent::new(32, self.id, 0u32, [0u32; 5]);
            let _ = self.connection.send_event(false, self.id, EventMask::NO_EVENT, wake);
            let _ = self.connection.unmap_window(embedded.foreign);
            let _ = self.connection.reparent_window(embedded.foreign, self.root, 0, 0);
            let _ = self.connection.flush();
            // The watcher ends at that wake, or at the error it brings when our window is
            // gone; the DAW's thread waits for it a moment only (it holds what it uses).
            let deadline = std::time::Instant::now() + WATCHER_PATIENCE;
            while !embedded.watcher.is_finished() && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            if embedded.watcher.is_finished() {
                let _ = embedded.watcher.join();
            }
        }
    }

    /// Tells Wine where on the screen its window `foreign` really is: at the root position
    /// of ours (`window`), at its own size. A sent (synthetic) configure event carries
    /// root coordinates; the real ones carry its position in ours.
    fn tell_wine_where(connection: &RustConnection, window: u32, foreign: u32, root: u32) -> io::Result<()> {
        let position = connection
            .translate_coordinates(window, root, 0, 0)
            .map_err(x11_error)?
            .reply()
            .map_err(x11_error)?;
        let geometry = connection
            .get_geometry(foreign)
            .map_err(x11_error)?
            .reply()
            .map_err(x11_error)?;
        let event = ConfigureNotifyEvent {
            response_type: x11rb::protocol::xproto::CONFIGURE_NOTIFY_EVENT,
            sequence: 0,
            event: foreign,
            window: foreign,
            above_sibling: x11rb::NONE,
            x: position.dst_x,
            y: position.dst_y,
            width: geometry.width,
            height: geometry.height,
            border_width: 0,
            override_redirect: false,
        };
        connection
            .send_event(false, foreign, EventMask::STRUCTURE_NOTIFY, event)
            .map_err(x11_error)?;
        connection.flush().map_err(x11_error)
    }

    /// The watcher thread: tells Wine where its window is whenever that may have changed,
    /// until `stop`.
    fn watch(connection: &RustConnection, stop: &AtomicBool, window: u32, foreign: u32, root: u32) {
        while !stop.load(Ordering::Acquire) {
            let event = match connection.wait_for_event() {
                Ok(event) => event,
                Err(error) => {
                    tracing::debug!("the editor's X11 connection ended: {error}");
                    return;
                }
            };
            if stop.load(Ordering::Acquire) {
                return;
            }
            if matches!(
                event,
                Event::ConfigureNotify(_) | Event::EnterNotify(_) | Event::FocusIn(_)
            ) && let Err(error) = tell_wine_where(connection, window, foreign, root)
            {
                // The server's window went (it closed the editor, or died): nothing to tell.
                tracing::debug!("cannot tell Wine where its window is: {error}");
            }
        }
    }

    impl Drop for Window {
        fn drop(&mut self) {
            // An embedded window goes back to the root first: destroying ours would destroy
            // it too, behind its owner's back.
            self.release_embedded();
            // The DAW may have destroyed its window (and ours with it) first: the error then
            // comes back on our connection, which is closed right after, and harms no one.
            let _ = self.connection.destroy_window(self.id);
            let _ = self.connection.flush();
        }
    }
}
