//! Killing a process and asking whether it still runs, on Linux and on Windows, for the
//! fault tests (a server killed mid-render, a host killed with its servers).

use std::io;

/// Kills process `pid` at once (SIGKILL; TerminateProcess on Windows).
pub fn kill(pid: u32) -> io::Result<()> {
    imp::kill(pid)
}

/// Whether process `pid` still runs (a zombie waiting to be reaped does not).
pub fn is_running(pid: u32) -> bool {
    imp::is_running(pid)
}

#[cfg(unix)]
mod imp {
    use std::io;

    pub fn kill(pid: u32) -> io::Result<()> {
        let pid = i32::try_from(pid).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        // SAFETY: kill(2) only sends a signal; the caller names a process it started.
        match unsafe { libc::kill(pid, libc::SIGKILL) } {
            0 => Ok(()),
            _ => Err(io::Error::last_os_error()),
        }
    }

    pub fn is_running(pid: u32) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .is_ok_and(|stat| stat.rsplit_once(") ").is_some_and(|(_, rest)| !rest.starts_with('Z')))
    }
}

#[cfg(windows)]
mod imp {
    use std::io;
    use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle};

    use windows_sys::Win32::Foundation::STILL_ACTIVE;
    use windows_sys::Win32::System::Threading::{
        GetExitCodeProcess, OpenProcess, PROCESS_QUERY_LIMITED_INFORMATION, PROCESS_TERMINATE, TerminateProcess,
    };

    fn open(pid: u32, access: u32) -> io::Result<OwnedHandle> {
        // SAFETY: asks for a handle with only `access`; no pointers.
        let handle = unsafe { OpenProcess(access, 0, pid) };
        if handle.is_null() {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: a fresh handle the call returned, owned here alone.
        Ok(unsafe { OwnedHandle::from_raw_handle(handle) })
    }

    pub fn kill(pid: u32) -> io::Result<()> {
        let process = open(pid, PROCESS_TERMINATE)?;
        // SAFETY: our handle, opened with the right to terminate.
        match unsafe { TerminateProcess(process.as_raw_handle(), 1) } {
            0 => Err(io::Error::last_os_error()),
            _ => Ok(()),
        }
    }

    pub fn is_running(pid: u32) -> bool {
        open(pid, PROCESS_QUERY_LIMITED_INFORMATION).is_ok_and(|process| {
            let mut code = 0u32;
            // SAFETY: our handle; the call stores the exit code.
            let answered = unsafe { GetExitCodeProcess(process.as_raw_handle(), &mut code) };
            answered != 0 && code == STILL_ACTIVE as u32
        })
    }
}
