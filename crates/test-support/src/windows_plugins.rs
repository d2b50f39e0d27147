//! Debian's dpf plugins built as Windows DLLs (by `cargo xtask fetch-plugins`, see
//! `xtask/src/windows_plugins.rs`), and the one rendering both sides of the comparison use:
//! the Linux suite renders the plugin's Linux amd64 build into a reference file, and the
//! Windows suite (under Wine) compares its bridged DLLs with that file.

use std::path::{Path, PathBuf};

use vst2_host::Plugin;

use crate::{real_plugin_root, sine};

/// Frames per block of [`reference_render`].
pub const REFERENCE_BLOCK: usize = 256;
/// Blocks of [`reference_render`].
pub const REFERENCE_BLOCKS: usize = 16;

/// The Windows build of Debian's plugin `dll` (`MaBitcrush-vst.dll`) for `arch`
/// (`x86_64`, `i686`).
pub fn windows_plugin(arch: &str, dll: &str) -> PathBuf {
    let path = real_plugin_root().join("windows").join(arch).join(dll);
    assert!(
        path.is_file(),
        "Windows plugin {} is missing: build it with `cargo xtask fetch-plugins`",
        path.display()
    );
    path
}

/// Where the Linux amd64 rendering of plugin `stem` (`MaBitcrush-vst`) is kept.
pub fn reference_file(stem: &str) -> PathBuf {
    real_plugin_root().join("reference").join(format!("{stem}.f32"))
}

/// Renders `plugin` the way both sides of the comparison do: 48 kHz, stereo, a 440 Hz sine
/// at half scale, parameter 0 at `parameter` (set after start and before the first block),
/// [`REFERENCE_BLOCKS`] blocks of [`REFERENCE_BLOCK`] frames; left then right per block.
pub fn reference_render(plugin: &Plugin, parameter: f32) -> Vec<f32> {
    plugin.start(48_000.0, REFERENCE_BLOCK as i32);
    plugin.set_parameter(0, parameter);
    render_blocks(plugin, REFERENCE_BLOCKS)
}

/// `blocks` more blocks of the reference input through `plugin`, already started.
pub fn render_blocks(plugin: &Plugin, blocks: usize) -> Vec<f32> {
    let input = sine(440.0, 48_000.0, 0.5, REFERENCE_BLOCK);
    let (mut left, mut right) = (vec![0.0f32; REFERENCE_BLOCK], vec![0.0f32; REFERENCE_BLOCK]);
    let mut rendered = Vec::with_capacity(blocks * 2 * REFERENCE_BLOCK);
    for _ in 0..blocks {
        plugin
            .process_replacing(&[&input, &input], &mut [&mut left, &mut right], REFERENCE_BLOCK)
            .expect("a stereo block");
        rendered.extend_from_slice(&left);
        rendered.extend_from_slice(&right);
    }
    rendered
}

/// Writes samples as little-endian f32 (what [`crate::read_f32_file`] reads).
pub fn write_f32_file(path: &Path, samples: &[f32]) {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    let bytes: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
    std::fs::write(path, bytes).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
}

/// The difference of `actual` from `expected` relative to `expected`, in dB (−∞ when equal).
pub fn difference_db(actual: &[f32], expected: &[f32]) -> f64 {
    assert_eq!(actual.len(), expected.len(), "renderings of different lengths");
    let energy = |samples: &mut dyn Iterator<Item = f64>| samples.map(|s| s * s).sum::<f64>();
    let difference = energy(&mut actual.iter().zip(expected).map(|(a, e)| f64::from(*a) - f64::from(*e)));
    let reference = energy(&mut expected.iter().map(|&e| f64::from(e)));
    10.0 * (difference / reference.max(f64::MIN_POSITIVE)).log10()
}
