//! Shared memory on Windows: unnamed pagefile-backed sections and views of them.

use std::io;
use std::os::windows::io::{AsHandle, AsRawHandle, OwnedHandle};

use windows_sys::Win32::Foundation::INVALID_HANDLE_VALUE;
use windows_sys::Win32::System::Memory::{
    CreateFileMappingW, FILE_MAP_READ, FILE_MAP_WRITE, MEMORY_BASIC_INFORMATION, MEMORY_MAPPED_VIEW_ADDRESS,
    MapViewOfFile, PAGE_READWRITE, UnmapViewOfFile, VirtualLock, VirtualQuery,
};

use super::{Object, ObjectRef, check, owned};

/// An unnamed, pagefile-backed section. It has no name any other process could open; it
/// reaches the server only as a handle the proxy duplicates into it. A pagefile-backed
/// section can neither shrink nor grow, so a mapping of it never loses pages underneath.
#[derive(Debug)]
pub struct SharedMemory {
    section: OwnedHandle,
    len: u64,
}

impl SharedMemory {
    /// A new section of `size` bytes, zero-filled.
    pub fn create(size: u64) -> io::Result<Self> {
        // SAFETY: INVALID_HANDLE_VALUE asks for a pagefile-backed section; no name.
        let section = owned(unsafe {
            CreateFileMappingW(
                INVALID_HANDLE_VALUE,
                std::ptr::null(),
                PAGE_READWRITE,
                (size >> 32) as u32,
                size as u32,
                std::ptr::null(),
            )
        })?;
        Ok(Self { section, len: size })
    }

    /// The section another process handed over; its size is learnt from a mapping of all
    /// of it (whole pages: the system rounds a section up to them).
    pub fn from_object(object: Object) -> io::Result<Self> {
        let mut memory = Self {
            section: object,
            len: 0,
        };
        memory.len = memory.map()?.size() as u64;
        Ok(memory)
    }

    /// Its size in bytes.
    pub fn size(&self) -> io::Result<u64> {
        Ok(self.len)
    }

    /// Maps all of it, readable and writable.
    pub fn map(&self) -> io::Result<Mapping> {
        // SAFETY: our section handle; 0 bytes maps the whole section.
        let view = unsafe { MapViewOfFile(self.section.as_raw_handle(), FILE_MAP_READ | FILE_MAP_WRITE, 0, 0, 0) };
        if view.Value.is_null() {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: a zeroed MEMORY_BASIC_INFORMATION is valid; the call fills it for the view.
        let mut info: MEMORY_BASIC_INFORMATION = unsafe { std::mem::zeroed() };
        // SAFETY: `view` is the base of a view we just mapped.
        let answered = unsafe { VirtualQuery(view.Value, &mut info, size_of::<MEMORY_BASIC_INFORMATION>()) };
        // Owned from here: unmapped on every path below.
        let mut mapping = Mapping {
            view: view.Value.cast(),
            len: info.RegionSize,
        };
        if answered == 0 {
            return Err(io::Error::last_os_error());
        }
        if self.len != 0 {
            mapping.len = mapping.len.min(self.len as usize);
        }
        Ok(mapping)
    }

    /// The object to hand another process.
    pub fn object(&self) -> ObjectRef<'_> {
        self.section.as_handle()
    }
}

/// A view of [`SharedMemory`]; unmapped on drop.
#[derive(Debug)]
pub struct Mapping {
    view: *mut u8,
    len: usize,
}

// SAFETY: a view of shared memory is plain memory, valid on every thread until unmapped.
unsafe impl Send for Mapping {}
// SAFETY: `&Mapping` gives only the view's address and length (plain values) and locks or
// reads pages; every write to the shared memory goes through raw pointers or atomics under
// the doorbell protocol, never through a Rust reference, so sharing it between threads
// creates no aliasing `&mut`.
unsafe impl Sync for Mapping {}

impl Mapping {
    /// The first byte.
    pub fn as_ptr(&self) -> *mut u8 {
        self.view
    }

    /// Bytes mapped.
    pub fn size(&self) -> usize {
        self.len
    }

    /// Locks the view into this process's working set, so no access waits for a page.
    pub fn lock(&self) -> io::Result<()> {
        // SAFETY: the range is our mapped view.
        check(unsafe { VirtualLock(self.view.cast(), self.len) })
    }

    /// Faults every page in now, so this process takes no page fault on it later.
    pub fn populate(&self) -> io::Result<()> {
        for offset in (0..self.len).step_by(4096) {
            // SAFETY: inside the view; a read changes nothing the other side sees.
            unsafe { std::ptr::read_volatile(self.view.add(offset)) };
        }
        Ok(())
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: the base of a view MapViewOfFile returned, unmapped once.
        unsafe {
            UnmapViewOfFile(MEMORY_MAPPED_VIEW_ADDRESS {
                Value: self.view.cast(),
            })
        };
    }
}
