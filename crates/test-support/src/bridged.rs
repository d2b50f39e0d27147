//! Loading a plugin through the bridge the way a DAW would: a copy of the dist proxy named
//! after the plugin in a folder of its own, with a sidecar naming the real plugin and the
//! servers. Each instance gets its own copy, because a DAW (and the dynamic linker) would
//! treat two symlinks to one file as one library.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use vst2_host::{Host, Plugin};

use crate::RecordingHost;

/// The proxy's file name in a bridge folder, of this test's width (a folder holds a proxy
/// for each width of DAW): `vstbridge-proxy.so` (64-bit Linux), `vstbridge-proxy-i686.so`,
/// `vstbridge-proxy-<arch>.dll` on Windows.
pub fn proxy_file_name() -> String {
    let arch = if cfg!(target_pointer_width = "64") {
        "x86_64"
    } else {
        "i686"
    };
    if cfg!(windows) {
        format!("vstbridge-proxy-{arch}.dll")
    } else if cfg!(target_pointer_width = "64") {
        "vstbridge-proxy.so".to_owned()
    } else {
        format!("vstbridge-proxy-{arch}.so")
    }
}

/// Where `cargo xtask build` (for Windows, `cargo xtask test-windows`) assembles the proxy
/// and servers for the tests: on Linux one folder for both widths (`target/debug/bridge`),
/// on Windows one per target.
pub fn bridge_dir() -> PathBuf {
    let build = crate::build_dir();
    let dir = if cfg!(windows) {
        build.join("bridge")
    } else {
        crate::target_dir()
            .join(build.file_name().expect("a profile directory has a name"))
            .join("bridge")
    };
    assert!(
        dir.join(proxy_file_name()).is_file(),
        "{} has no {}: assemble it with `cargo xtask build` (`cargo xtask test-windows` for Windows)",
        dir.display(),
        proxy_file_name()
    );
    dir
}

/// A plugin loaded through a proxy copy, with the host it reports to.
pub struct Bridged {
    /// The proxy instance, as the host library sees it.
    pub plugin: Plugin,
    /// The host answering its callbacks.
    pub host: Arc<RecordingHost>,
    folder: PathBuf,
}

impl Drop for Bridged {
    fn drop(&mut self) {
        self.plugin.close();
        let _ = std::fs::remove_dir_all(&self.folder);
    }
}

/// Sidecar options for tests that compare output: debug builds on a loaded two-core machine
/// can take far longer than a real-time deadline, and a block played as silence would make
/// a bit-exact comparison fail for the wrong reason. Failure tests set their own.
pub const PATIENT_OPTIONS: &str = "block_deadline_floor_ms = 10000\nhang_timeout_ms = 30000\ncall_timeout_ms = 30000\n";

/// A fresh folder holding a proxy copy `<stem>.so` (`.dll` on Windows) and its sidecar for
/// `plugin`, with [`PATIENT_OPTIONS`].
pub fn install_proxy(plugin: &Path) -> PathBuf {
    install_proxy_with(plugin, PATIENT_OPTIONS)
}

/// A fresh folder holding a proxy copy `<stem>.so` and its sidecar for `plugin`, with the
/// sidecar `options` (TOML lines) added.
pub fn install_proxy_with(plugin: &Path, options: &str) -> PathBuf {
    install_proxy_from(&bridge_dir(), plugin, options)
}

/// Like [`install_proxy_with`], with the proxy and servers taken from `dist`.
pub fn install_proxy_from(dist: &Path, plugin: &Path, options: &str) -> PathBuf {
    crate::sweep_stale_temp_files();
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let folder = std::env::temp_dir().join(format!(
        "vstbridge-test-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&folder).unwrap();
    let stem = plugin.file_stem().unwrap().to_string_lossy().into_owned();
    let proxy = folder.join(format!("{stem}{}", std::env::consts::DLL_SUFFIX));
    std::fs::copy(dist.join(proxy_file_name()), &proxy).unwrap();
    let sidecar = format!(
        "plugin = {:?}\nserver_dir = {:?}\n{options}",
        plugin.display().to_string(),
        dist.display().to_string()
    );
    std::fs::write(folder.join(format!("{stem}.vstbridge.toml")), sidecar).unwrap();
    proxy
}

/// Loads `plugin` through a fresh proxy copy, answering with a [`RecordingHost`].
pub fn load_bridged(plugin: &Path) -> Bridged {
    load_bridged_with_options(plugin, PATIENT_OPTIONS)
}

/// Loads `plugin` through a fresh proxy copy with sidecar `options`.
pub fn load_bridged_with_options(plugin: &Path, options: &str) -> Bridged {
    let host = Arc::new(RecordingHost::default());
    let proxy = install_proxy_with(plugin, options);
    let folder = proxy.parent().unwrap().to_path_buf();
    let loaded = Plugin::load(&proxy, host.clone())
        .unwrap_or_else(|error| panic!("bridged {} loads: {error}", plugin.display()));
    Bridged {
        plugin: loaded,
        host,
        folder,
    }
}

/// Loads `plugin` through a fresh proxy copy with any host; returns the folder to remove.
pub fn load_bridged_with(plugin: &Path, host: Arc<dyn Host>) -> (Plugin, PathBuf) {
    let proxy = install_proxy(plugin);
    let folder = proxy.parent().unwrap().to_path_buf();
    let loaded =
        Plugin::load(&proxy, host).unwrap_or_else(|error| panic!("bridged {} loads: {error}", plugin.display()));
    (loaded, folder)
}

/// The proxy's own `effVendorSpecific` answers (see `vstbridge_proxy::ffi`).
pub mod proxy_status {
    use vst2_abi::EffectOpcode;
    use vst2_abi::effect::four_char_code;
    use vst2_host::Plugin;

    fn ask(plugin: &Plugin, code: &[u8; 4]) -> isize {
        plugin.dispatch_int(EffectOpcode::VENDOR_SPECIFIC, four_char_code(code), 0, 0.0)
    }

    /// The server's process id (0 if none).
    pub fn server_pid(plugin: &Plugin) -> i32 {
        ask(plugin, b"VbPi") as i32
    }

    /// `/proc/<pid>/task/<tid>` of the server's audio thread (`None` without a server, or
    /// before its first region is attached).
    pub fn server_audio_thread(plugin: &Plugin) -> Option<std::path::PathBuf> {
        std::fs::read_dir(format!("/proc/{}/task", server_pid(plugin)))
            .ok()?
            .filter_map(|task| task.ok().map(|task| task.path()))
            .find(|task| std::fs::read_to_string(task.join("comm")).is_ok_and(|name| name.trim() == "vstbridge-audio"))
    }

    /// Pins thread `tid` of any process (0: the calling thread) to `cpu` (Linux only).
    #[cfg(target_os = "linux")]
    pub fn pin_thread(tid: i32, cpu: usize) -> std::io::Result<()> {
        // SAFETY: a zeroed cpu_set_t is an empty set; the calls touch only it and that
        // thread's affinity.
        let result = unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(cpu, &mut set);
            libc::sched_setaffinity(tid, size_of::<libc::cpu_set_t>(), &set)
        };
        match result {
            0 => Ok(()),
            _ => Err(std::io::Error::last_os_error()),
        }
    }

    /// Restarts so far.
    pub fn restarts(plugin: &Plugin) -> isize {
        ask(plugin, b"VbRs")
    }

    /// Blocks played as silence because the server was late or gone.
    pub fn late_blocks(plugin: &Plugin) -> isize {
        ask(plugin, b"VbLb")
    }

    /// 0 alive, 1 dead (a restart may follow), 2 gone for good.
    pub fn health(plugin: &Plugin) -> isize {
        ask(plugin, b"VbHe")
    }

    /// Waits until `condition` holds, up to `timeout`; returns whether it did.
    pub fn wait_until(timeout: std::time::Duration, mut condition: impl FnMut() -> bool) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        while std::time::Instant::now() < deadline {
            if condition() {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        condition()
    }
}

/// Bridges `plugin` with short deadlines, sets parameters 0 and 1 to `parameters`, renders
/// (past one snapshot interval), kills its server and renders on until it is back; then
/// suspends and resumes it and renders 8 blocks, beside a fresh bridged instance given the
/// same parameters. Returns both renderings: (restarted, fresh).
pub fn restarted_beside_fresh(plugin: &Path, parameters: [f32; 2]) -> (Vec<f32>, Vec<f32>) {
    use std::time::Duration;

    use crate::render_blocks;
    use proxy_status::{health, restarts, server_pid, wait_until};

    const FAST: &str = "block_deadline_floor_ms = 200\nhang_timeout_ms = 1000\ncall_timeout_ms = 2000\nmax_restarts_per_minute = 1000\nsnapshot_interval_s = 1\n";
    let start = |bridged: &Bridged| {
        bridged.plugin.start(48_000.0, crate::REFERENCE_BLOCK as i32);
        bridged.plugin.set_parameter(0, parameters[0]);
        bridged.plugin.set_parameter(1, parameters[1]);
    };
    let bridged = load_bridged_with_options(plugin, FAST);
    start(&bridged);
    let restarted = &bridged.plugin;
    render_blocks(restarted, 4);
    // Past the snapshot interval, so the restart starts from a snapshot of every value.
    std::thread::sleep(Duration::from_millis(1200));
    render_blocks(restarted, 4);
    let killed = server_pid(restarted);
    crate::processes::kill(killed as u32).expect("the server can be killed");
    // The host renders on (silence while the plugin is gone) until it is back.
    assert!(
        wait_until(Duration::from_secs(20), || {
            render_blocks(restarted, 1);
            restarts(restarted) >= 1 && health(restarted) == 0
        }),
        "the plugin did not come back (restarts {}, health {})",
        restarts(restarted),
        health(restarted)
    );
    assert_ne!(server_pid(restarted), killed, "a new server runs");
    restarted.set_active(false);
    restarted.set_active(true);
    let fresh = load_bridged(plugin);
    start(&fresh);
    (render_blocks(restarted, 8), render_blocks(&fresh.plugin, 8))
}
