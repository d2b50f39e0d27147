//! The machine's limit: round trips between two processes on a futex in a shared mapping
//! (the bridge's own doorbells) and on a unix socket, pinned to one CPU or to two.

use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use bridge_ipc::{AudioRegion, RegionCapacity};

use crate::stats::Summary;

/// Pins the calling thread to `cpu`.
pub fn pin_to(cpu: usize) {
    // SAFETY: a zeroed cpu_set_t is an empty set; CPU_SET and sched_setaffinity only touch it
    // and the calling thread's affinity.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &set);
    }
}

/// Unpins the calling thread (every CPU allowed).
pub fn unpin() {
    // SAFETY: as in `pin_to`.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        for cpu in 0..std::thread::available_parallelism().map_or(1, |n| n.get()) {
            libc::CPU_SET(cpu, &mut set);
        }
        libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &set);
    }
}

fn tiny_region() -> RegionCapacity {
    RegionCapacity {
        max_frames: 1,
        max_inputs: 0,
        max_outputs: 0,
        max_params: 1,
        max_param_changes: 1,
        input_event_bytes: 64,
        output_event_bytes: 64,
    }
}

fn child(mode: &str, target: &str, cpu: usize) -> Result<Child> {
    Ok(Command::new(std::env::current_exe()?)
        .args([mode, target, &cpu.to_string()])
        .spawn()?)
}

/// Measures every limit row.
pub fn measure(quick: bool) -> Result<Vec<(String, Summary)>> {
    let rounds = if quick { 3_000 } else { 30_000 };
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut rows = Vec::new();
    for (label, child_cpu) in [("same CPU", 0usize), ("different CPUs", 1usize)] {
        if child_cpu >= cpus {
            continue;
        }
        rows.push((format!("futex, {label}"), futex_round_trips(rounds, child_cpu)?));
        rows.push((format!("unix socket, {label}"), socket_round_trips(rounds, child_cpu)?));
    }
    unpin();
    Ok(rows)
}

fn futex_round_trips(rounds: usize, child_cpu: usize) -> Result<Summary> {
    let region = AudioRegion::create(tiny_region(), bridge_ipc::WakeMethod::Native)?;
    // The region has no name; the child reaches it through this process's descriptor.
    let path = format!(
        "/proc/{}/fd/{}",
        std::process::id(),
        std::os::fd::AsRawFd::as_raw_fd(&region.objects()[0])
    );
    let mut echo = child("echo-futex", &path, child_cpu)?;
    pin_to(0);
    let (to_child, to_parent) = (region.to_server(), region.to_proxy());
    let mut seen = to_parent.current();
    // Wait until the child has mapped the region and answered once.
    to_child.ring()?;
    seen = to_parent
        .wait_past(seen, Duration::from_secs(10))?
        .context("the echo process did not start")?;
    let mut samples = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let started = Instant::now();
        to_child.ring()?;
        seen = to_parent
            .wait_past(seen, Duration::from_secs(5))?
            .context("the echo process stopped answering")?;
        samples.push(started.elapsed());
    }
    let _ = echo.kill();
    let _ = echo.wait();
    Ok(Summary::of(&mut samples))
}

/// The child side of the futex measurement: answers every ring.
pub fn echo_futex(path: &str, cpu: usize) -> Result<()> {
    pin_to(cpu);
    let file = std::fs::File::options().read(true).write(true).open(path)?;
    let region = AudioRegion::open(vec![file.into()])?;
    let (from_parent, to_parent) = (region.to_server(), region.to_proxy());
    let mut seen = 0; // the parent rings once to say hello
    while let Some(now) = from_parent.wait_past(seen, Duration::from_secs(5))? {
        seen = now;
        to_parent.ring()?;
    }
    Ok(())
}

fn socket_round_trips(rounds: usize, child_cpu: usize) -> Result<Summary> {
    let path = std::env::temp_dir().join(format!("vstbridge-bench-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path)?;
    let mut echo = child("echo-socket", &path.to_string_lossy(), child_cpu)?;
    pin_to(0);
    let (mut stream, _) = listener.accept()?;
    let _ = std::fs::remove_file(&path);
    let mut byte = [0u8; 1];
    let mut samples = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let started = Instant::now();
        stream.write_all(&byte)?;
        stream.read_exact(&mut byte)?;
        samples.push(started.elapsed());
    }
    drop(stream);
    let _ = echo.wait();
    Ok(Summary::of(&mut samples))
}

/// The child side of the socket measurement: echoes every byte until the parent hangs up.
pub fn echo_socket(path: &str, cpu: usize) -> Result<()> {
    pin_to(cpu);
    let mut stream = UnixStream::connect(path)?;
    let mut byte = [0u8; 1];
    while stream.read_exact(&mut byte).is_ok() {
        stream.write_all(&byte)?;
    }
    Ok(())
}
