//! `VstPatchChunkInfo`, passed with `effBeginLoadBank` and `effBeginLoadProgram`.

/// What the host is about to load. Size 64 on every target.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VstPatchChunkInfo {
    /// `version`: 1.
    pub version: i32,
    /// `pluginUniqueID`.
    pub plugin_unique_id: i32,
    /// `pluginVersion`.
    pub plugin_version: i32,
    /// `numElements`: programs in a bank, or parameters in a program.
    pub num_elements: i32,
    /// `future`, zero.
    pub future: [u8; 48],
}

impl Default for VstPatchChunkInfo {
    fn default() -> Self {
        Self {
            version: 1,
            plugin_unique_id: 0,
            plugin_version: 0,
            num_elements: 0,
            future: [0; 48],
        }
    }
}
