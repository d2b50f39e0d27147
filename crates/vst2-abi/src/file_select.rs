//! `VstFileSelect` and `VstFileType`, passed with `audioMasterOpenFileSelector` and
//! `audioMasterCloseFileSelector`.
//!
//! The file-type name length is disputed (100 in one source, 128 in another); we follow the
//! 128-byte reading (size 408), and the bridge never lays these out by guess.

/// Length of [`VstFileType::name`] in this crate's reading.
pub const FILE_TYPE_NAME_LEN: usize = 128;

/// One file type offered by a file selector. Size 408.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VstFileType {
    /// `name`, NUL-terminated.
    pub name: [u8; FILE_TYPE_NAME_LEN],
    /// `macType`.
    pub mac_type: [u8; 8],
    /// `dosType`.
    pub dos_type: [u8; 8],
    /// `unixType`.
    pub unix_type: [u8; 8],
    /// `mimeType1`.
    pub mime_type1: [u8; 128],
    /// `mimeType2`.
    pub mime_type2: [u8; 128],
}

/// Values of [`VstFileSelect::command`].
pub mod command {
    /// Load one file.
    pub const FILE_LOAD: i32 = 0;
    /// Save one file.
    pub const FILE_SAVE: i32 = 1;
    /// Load several files.
    pub const MULTIPLE_FILES_LOAD: i32 = 2;
    /// Select a directory.
    pub const DIRECTORY_SELECT: i32 = 3;
}

/// A file-selector request. Size 1184 on 32-bit, 1216 on 64-bit.
#[repr(C)]
#[derive(Debug)]
pub struct VstFileSelect {
    /// `command`: a [`command`] value.
    pub command: i32,
    /// `type`: 0 = regular file. A plain integer, never an enum.
    pub select_type: i32,
    /// `macCreator`.
    pub mac_creator: i32,
    /// `nbFileTypes`.
    pub num_file_types: i32,
    /// `fileTypes`: `num_file_types` entries.
    pub file_types: *mut VstFileType,
    /// `title`, NUL-terminated.
    pub title: [u8; 1024],
    /// `initialPath`.
    pub initial_path: *mut u8,
    /// `returnPath`: single selection.
    pub return_path: *mut u8,
    /// `sizeReturnPath`.
    pub size_return_path: i32,
    /// `returnMultiplePaths`.
    pub return_multiple_paths: *mut *mut u8,
    /// `nbReturnPath`.
    pub num_return_paths: i32,
    /// `reserved`.
    pub reserved: isize,
    /// `future`, zero.
    pub future: [u8; 116],
}
