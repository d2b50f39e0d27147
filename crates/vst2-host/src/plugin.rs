//! [`Plugin`]: one loaded plugin instance. This file owns loading (header check, `dlopen`,
//! entry point, magic), teardown, raw dispatch, the mirrored `AEffect` fields and the
//! lifecycle calls. Queries (strings, programs, chunks, properties, editor) live in
//! `queries.rs` and processing in `process.rs`, as further `impl Plugin` blocks.

use std::ffi::c_void;
use std::mem::ManuallyDrop;
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use libloading::Library;
use vst2_abi::effect::effect_flags;
use vst2_abi::{AEffect, EffectOpcode, PluginEntryProc, VST_MAGIC};

use crate::binary::{Architecture, BinaryFormat, BinaryInfo};
use crate::callback::{HostContext, LoadingGuard, host_callback};
use crate::error::LoadError;
use crate::host::Host;

pub use crate::process::MAX_CHANNELS;
pub use crate::queries::{CanDo, ChunkKind};

/// The entry-point symbols tried, in order.
const ENTRY_POINTS: [&str; 2] = ["VSTPluginMain", "main"];

/// The plugin's self-description, read from its `AEffect`. Re-read it after the plugin
/// calls `audioMasterIOChanged`: counts, latency and flags may change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PluginInfo {
    /// `numPrograms`.
    pub num_programs: i32,
    /// `numParams`.
    pub num_params: i32,
    /// `numInputs`.
    pub num_inputs: i32,
    /// `numOutputs`.
    pub num_outputs: i32,
    /// `flags` (see `vst2_abi::effect::effect_flags`).
    pub flags: i32,
    /// `initialDelay` in samples.
    pub initial_delay: i32,
    /// `uniqueID`.
    pub unique_id: i32,
    /// `version`.
    pub version: i32,
    /// Whether `processDoubleReplacing` is non-NULL (the flag may still be unset).
    pub has_double_replacing: bool,
    /// Whether the accumulating `process` is non-NULL.
    pub has_accumulating: bool,
}

impl PluginInfo {
    /// Whether every bit of `flag` is set.
    pub fn has_flag(&self, flag: i32) -> bool {
        self.flags & flag == flag
    }
}

/// A loaded plugin instance.
///
/// Every method takes `&self`: VST2 plugins are driven from the GUI thread and the audio
/// thread at the same time, and `Plugin` is `Sync` so an application can do the same. What
/// may run concurrently is the plugin's contract with its host (process and parameter calls
/// alongside GUI-thread queries); this type adds no lock of its own.
pub struct Plugin {
    effect: NonNull<AEffect>,
    path: PathBuf,
    entry_point: &'static str,
    closed: AtomicBool,
    /// The self-description as it was when effClose was sent (the AEffect may be freed).
    info_at_close: std::sync::OnceLock<PluginInfo>,
    /// Never unloaded: a plugin's code may have registered thread-exit hooks (Rust's and
    /// C++'s thread-locals do) that run when any thread that called it exits; unloading the
    /// code first turns those into crashes long after the plugin was closed. Hosts
    /// commonly keep plugin libraries loaded for the same reason.
    _library: ManuallyDrop<Option<Library>>,
    /// Freed after `Drop::drop` has closed the plugin (fields drop after it).
    context: Box<HostContext>,
}

// SAFETY: the AEffect pointer is only used through the plugin's own entry points, which the
// VST2 contract lets hosts call from their GUI and audio threads; the remaining fields are
// owned data that is Send and Sync itself (Library is both).
unsafe impl Send for Plugin {}
// SAFETY: as above; `&self` methods only read AEffect fields or call the plugin.
unsafe impl Sync for Plugin {}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("path", &self.path)
            .field("entry_point", &self.entry_point)
            .field("info", &self.info())
            .finish()
    }
}

/// Loads the library at `path`. On Windows the plugin's own folder is searched first for the
/// DLLs it imports (`LoadLibraryExW` with `LOAD_WITH_ALTERED_SEARCH_PATH`, as hosts do), so
/// a plugin that ships its DLLs beside itself loads from any folder.
///
/// # Safety
/// Loading runs the library's initialisers.
unsafe fn open_library(path: &Path) -> Result<Library, libloading::Error> {
    #[cfg(windows)]
    {
        use libloading::os::windows::{LOAD_WITH_ALTERED_SEARCH_PATH, Library as WindowsLibrary};
        // The altered search path starts from the path's folder, so it must be absolute.
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        // SAFETY: the caller's contract.
        unsafe { WindowsLibrary::load_with_flags(&path, LOAD_WITH_ALTERED_SEARCH_PATH) }.map(Library::from)
    }
    #[cfg(not(windows))]
    // SAFETY: the caller's contract.
    unsafe {
        Library::new(path.as_os_str())
    }
}

impl Plugin {
    /// Loads the plugin at `path` and creates one instance, answering its callbacks with
    /// `host`. The plugin is not yet opened: call [`Plugin::open`] next (or the setters the
    /// JUCE order sends first).
    pub fn load(path: impl AsRef<Path>, host: Arc<dyn Host>) -> Result<Self, LoadError> {
        let path = path.as_ref().to_path_buf();
        check_binary(&path)?;

        // SAFETY: loading a library runs its initialisers; that is what loading a plugin
        // means, and the header check above has ruled out the wrong format and CPU.
        let library = unsafe { open_library(&path) }.map_err(|error| LoadError::Library {
            path: path.clone(),
            reason: error.to_string(),
        })?;
        let (entry, entry_point) =
            find_entry_point(&library).ok_or_else(|| LoadError::MissingEntryPoint(path.clone()))?;
        // SAFETY: the entry point comes from `library`, which the instance keeps loaded.
        unsafe { Self::instantiate(entry, entry_point, path, Some(library), host) }
    }

    /// Creates an instance from an entry point already in this process (a plugin linked
    /// into the host, as tests of a plugin's own code do). `label` stands in for the path.
    ///
    /// # Safety
    /// `entry` must be a VST2 entry point whose code stays loaded for the process's life.
    pub unsafe fn from_entry_point(
        entry: PluginEntryProc,
        label: &str,
        host: Arc<dyn Host>,
    ) -> Result<Self, LoadError> {
        // SAFETY: forwarded contract.
        unsafe { Self::instantiate(entry, "in-process entry point", PathBuf::from(label), None, host) }
    }

    /// Calls `entry` and wraps the effect it returns.
    ///
    /// # Safety
    /// `entry` must be a VST2 entry point kept loaded by `library` (or for the process).
    unsafe fn instantiate(
        entry: PluginEntryProc,
        entry_point: &'static str,
        path: PathBuf,
        library: Option<Library>,
        host: Arc<dyn Host>,
    ) -> Result<Self, LoadError> {
        let context = Box::new(HostContext { host });
        let effect = {
            let _guard = LoadingGuard::publish(&context);
            // SAFETY: the VST2 entry-point signature per the contract; our callback is a
            // valid `audioMasterCallback` for the plugin's lifetime.
            unsafe { crate::guard::entry(entry, Some(host_callback)) }
        };
        let effect = NonNull::new(effect).ok_or_else(|| LoadError::NullEffect(path.clone()))?;
        // SAFETY: a non-NULL entry-point result points at the plugin's AEffect.
        let magic = unsafe { effect.as_ref().magic };
        if magic != VST_MAGIC {
            // Not a VST2 effect: it cannot even be closed safely, so its code stays loaded.
            std::mem::forget(library);
            return Err(LoadError::BadMagic { path, found: magic });
        }
        // SAFETY: `resvd1` is reserved for the host; the context outlives the instance.
        unsafe { (*effect.as_ptr()).resvd1 = &*context as *const HostContext as isize };
        tracing::debug!(path = %path.display(), entry_point, "plugin loaded");
        Ok(Self {
            effect,
            path,
            entry_point,
            closed: AtomicBool::new(false),
            info_at_close: std::sync::OnceLock::new(),
            _library: ManuallyDrop::new(library),
            context,
        })
    }

    /// The file this instance was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Which entry point created it (`VSTPluginMain` or `main`).
    pub fn entry_point(&self) -> &'static str {
        self.entry_point
    }

    /// The host answering this instance's callbacks.
    pub fn host(&self) -> &Arc<dyn Host> {
        &self.context.host
    }

    /// The raw `AEffect`, for callers that need to hand it on (bridges, tests).
    pub fn effect_ptr(&self) -> *mut AEffect {
        self.effect.as_ptr()
    }

    /// The plugin's current self-description.
    pub fn info(&self) -> PluginInfo {
        if self.closed.load(Ordering::Acquire) {
            // The plugin may have freed its AEffect in effClose: what it said last.
            return self.info_at_close.get().copied().unwrap_or_default();
        }
        let effect = self.effect.as_ptr();
        // SAFETY: the AEffect lives until effClose (sent only from Drop); fields are plain
        // integers the plugin may update after IOChanged, so read them each time.
        unsafe {
            PluginInfo {
                num_programs: (*effect).num_programs,
                num_params: (*effect).num_params,
                num_inputs: (*effect).num_inputs,
                num_outputs: (*effect).num_outputs,
                flags: (*effect).flags,
                initial_delay: (*effect).initial_delay,
                unique_id: (*effect).unique_id,
                version: (*effect).version,
                has_double_replacing: (*effect).process_double_replacing.is_some(),
                has_accumulating: (*effect).process.is_some(),
            }
        }
    }

    /// Calls the plugin's dispatcher. Returns 0 when it has none.
    ///
    /// # Safety
    /// `ptr` (and `value`, for opcodes that carry a pointer in it) must be what the opcode
    /// expects, valid for the call.
    pub unsafe fn dispatch(&self, opcode: EffectOpcode, index: i32, value: isize, ptr: *mut c_void, opt: f32) -> isize {
        if self.closed.load(Ordering::Acquire) {
            return 0;
        }
        let effect = self.effect.as_ptr();
        // SAFETY: the AEffect is live (not closed).
        let Some(dispatcher) = (unsafe { (*effect).dispatcher }) else {
            return 0;
        };
        // SAFETY: the caller vouches for the arguments.
        unsafe { crate::guard::dispatch(dispatcher, effect, opcode.0, index, value, ptr, opt) }
    }

    /// Dispatches an opcode whose arguments are all integers (no pointer).
    pub fn dispatch_int(&self, opcode: EffectOpcode, index: i32, value: isize, opt: f32) -> isize {
        // SAFETY: a NULL ptr is valid for every opcode that takes no pointer; opcodes that
        // need one must treat NULL as "nothing" (the ABI's rule for unknown calls).
        unsafe { self.dispatch(opcode, index, value, std::ptr::null_mut(), opt) }
    }

    /// `effOpen`.
    pub fn open(&self) {
        self.dispatch_int(EffectOpcode::OPEN, 0, 0, 0.0);
    }

    /// `effSetSampleRate`.
    pub fn set_sample_rate(&self, rate: f32) {
        self.dispatch_int(EffectOpcode::SET_SAMPLE_RATE, 0, 0, rate);
    }

    /// `effSetBlockSize`: the largest frame count later process calls will use.
    pub fn set_block_size(&self, frames: i32) {
        self.dispatch_int(EffectOpcode::SET_BLOCK_SIZE, 0, frames as isize, 0.0);
    }

    /// `effSetProcessPrecision`: `true` for f64. Only sent when the plugin declares the
    /// double path; returns whether it was sent and accepted.
    pub fn set_double_precision(&self, double: bool) -> bool {
        if double && !self.supports_double() {
            return false;
        }
        self.dispatch_int(EffectOpcode::SET_PROCESS_PRECISION, 0, double as isize, 0.0);
        true
    }

    /// `effMainsChanged`: `true` resumes, `false` suspends.
    pub fn set_active(&self, active: bool) {
        self.dispatch_int(EffectOpcode::MAINS_CHANGED, 0, active as isize, 0.0);
    }

    /// `effStartProcess`.
    pub fn start_process(&self) {
        self.dispatch_int(EffectOpcode::START_PROCESS, 0, 0, 0.0);
    }

    /// `effStopProcess`.
    pub fn stop_process(&self) {
        self.dispatch_int(EffectOpcode::STOP_PROCESS, 0, 0, 0.0);
    }

    /// The usual start-up after loading: open, sample rate, block size, resume, start.
    pub fn start(&self, sample_rate: f32, block_size: i32) {
        self.open();
        self.set_sample_rate(sample_rate);
        self.set_block_size(block_size);
        self.set_active(true);
        self.start_process();
    }

    /// Whether `processDoubleReplacing` may be called (flag set and pointer present).
    pub fn supports_double(&self) -> bool {
        let info = self.info();
        info.has_double_replacing && info.has_flag(effect_flags::CAN_DOUBLE_REPLACING)
    }

    /// Normalized value of parameter `index`; 0.0 for an index out of range.
    pub fn parameter(&self, index: i32) -> f32 {
        if self.closed.load(Ordering::Acquire) || !(0..self.info().num_params).contains(&index) {
            return 0.0;
        }
        let effect = self.effect.as_ptr();
        // SAFETY: live AEffect; the index is in range.
        match unsafe { (*effect).get_parameter } {
            // SAFETY: as above.
            Some(get) => unsafe { crate::guard::get_parameter(get, effect, index) },
            None => 0.0,
        }
    }

    /// Sets parameter `index` to a normalized value; ignored for an index out of range.
    pub fn set_parameter(&self, index: i32, value: f32) {
        if self.closed.load(Ordering::Acquire) || !(0..self.info().num_params).contains(&index) {
            return;
        }
        let effect = self.effect.as_ptr();
        // SAFETY: live AEffect; the index is in range.
        if let Some(set) = unsafe { (*effect).set_parameter } {
            // SAFETY: as above.
            unsafe { crate::guard::set_parameter(set, effect, index, value) }
        }
    }

    /// Suspends if needed and sends `effClose`. After this every call is a no-op returning
    /// a neutral value. Also done on drop.
    pub fn close(&self) {
        if self.closed.load(Ordering::Acquire) {
            return;
        }
        let _ = self.info_at_close.set(self.info());
        if self.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        let effect = self.effect.as_ptr();
        // SAFETY: the AEffect is live until this effClose returns; it may free itself
        // inside, so it is never touched afterwards (`closed` is set).
        unsafe {
            if let Some(dispatcher) = (*effect).dispatcher {
                crate::guard::dispatch(
                    dispatcher,
                    effect,
                    EffectOpcode::CLOSE.0,
                    0,
                    0,
                    std::ptr::null_mut(),
                    0.0,
                );
            }
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}

impl Drop for Plugin {
    fn drop(&mut self) {
        self.close();
    }
}

/// Checks that `path` is a file this process can load, with errors that name the problem.
fn check_binary(path: &Path) -> Result<(), LoadError> {
    let metadata = std::fs::metadata(path).map_err(|_| LoadError::NotFound(path.to_path_buf()))?;
    if !metadata.is_file() {
        return Err(LoadError::NotAFile(path.to_path_buf()));
    }
    let info = BinaryInfo::read(path)?;
    if info.format != BinaryFormat::native() {
        return Err(LoadError::WrongFormat {
            path: path.to_path_buf(),
            found: info.format,
            expected: BinaryFormat::native(),
        });
    }
    if info.architecture != Architecture::current() {
        return Err(LoadError::WrongArchitecture {
            path: path.to_path_buf(),
            plugin: info.architecture,
            host: Architecture::current(),
        });
    }
    Ok(())
}

/// Looks up `VSTPluginMain`, then `main`.
fn find_entry_point(library: &Library) -> Option<(PluginEntryProc, &'static str)> {
    ENTRY_POINTS.iter().find_map(|&name| {
        // SAFETY: VST2 entry points have the `PluginEntryProc` signature by convention; the
        // symbol's address is copied out and stays valid while `library` is loaded, which
        // the `Plugin` guarantees by owning it.
        let symbol = unsafe { library.get::<PluginEntryProc>(name) }.ok()?;
        Some((*symbol, name))
    })
}
