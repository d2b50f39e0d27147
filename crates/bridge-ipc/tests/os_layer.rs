//! The OS layer between two real processes, on whichever OS this runs (under Wine for the
//! Windows builds): a server-side process listens, a proxy-side process connects, hands it
//! an audio region (memory and doorbell wakers), and a block's request and reply cross
//! the region with the doorbells. Then the control channel's read timeout and end of
//! stream. This binary is both sides: with `VSTBRIDGE_OS_TEST_CHILD` set it is the server
//! (hence no libtest harness: one process per side, no test filtering to pass through).

use std::io::{self, Read, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bridge_ipc::os::{self, Listener};
use bridge_ipc::{AudioRegion, RegionCapacity, endpoint};

const CHILD: &str = "VSTBRIDGE_OS_TEST_CHILD";
const ANSWER_OFFSET: u32 = 1234;

fn capacity() -> RegionCapacity {
    RegionCapacity {
        max_frames: 64,
        max_inputs: 2,
        max_outputs: 2,
        max_params: 4,
        max_param_changes: 4,
        input_event_bytes: 1024,
        output_event_bytes: 1024,
    }
}

/// The server side: takes the region, answers one block, then waits for a byte (saying
/// nothing meanwhile, so the other side's read times out) and exits.
fn child(name: &str) -> io::Result<()> {
    let listener = Listener::bind(name)?;
    let stream = listener.accept()?;
    stream.check_peer_is_same_user()?;
    let region = AudioRegion::open(os::receive_objects(
        &stream,
        AudioRegion::object_count(os::wake_method()),
    )?)?;
    region
        .to_server()
        .wait_past(0, Duration::from_secs(20))?
        .ok_or_else(|| io::Error::other("no block came"))?;
    // SAFETY: the request is the other side's until it rang, which it did; the reply is
    // ours until we ring.
    unsafe { (*region.reply()).block_seq = (*region.request()).block_seq + ANSWER_OFFSET };
    region.to_proxy().ring()?;
    let mut bye = [0u8; 1];
    (&stream).read_exact(&mut bye)?;
    Ok(())
}

fn parent() -> io::Result<()> {
    let name = endpoint::new_socket_name()?;
    let mut server = Command::new(std::env::current_exe()?)
        .env(CHILD, &name)
        .stdin(Stdio::null())
        .spawn()?;
    let stream = endpoint::connect_with_retry(&name, Duration::from_secs(20), &mut || match server.try_wait()? {
        None => Ok(()),
        Some(status) => Err(io::Error::other(format!("the server side ended: {status}"))),
    })?;
    let region = AudioRegion::create(capacity(), bridge_ipc::WakeMethod::Native)?;
    os::send_objects(&stream, &region.objects())?;

    let seen = region.to_proxy().current();
    // SAFETY: the request is ours until we ring.
    unsafe { (*region.request()).block_seq = 7 };
    region.to_server().ring()?;
    region
        .to_proxy()
        .wait_past(seen, Duration::from_secs(20))?
        .ok_or_else(|| io::Error::other("the block was not answered"))?;
    // SAFETY: the server wrote the reply before ringing.
    let answer = unsafe { (*region.reply()).block_seq };
    assert_eq!(answer, 7 + ANSWER_OFFSET, "the reply crossed the shared region");

    stream.set_read_timeout(Some(Duration::from_millis(200)))?;
    let started = Instant::now();
    let mut byte = [0u8; 1];
    let error = (&stream)
        .read(&mut byte)
        .expect_err("the server sends nothing, so the read times out");
    let waited = started.elapsed();
    assert!(
        matches!(error.kind(), io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock),
        "a timed-out read says so: {error:?}"
    );
    assert!(
        waited >= Duration::from_millis(150) && waited < Duration::from_secs(5),
        "the read waited {waited:?} for a 200 ms timeout"
    );

    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    (&stream).write_all(&[1])?;
    assert_eq!((&stream).read(&mut byte)?, 0, "the server's exit ends the stream");
    let status = server.wait()?;
    assert!(status.success(), "the server side failed: {status}");
    Ok(())
}

fn main() {
    let result = match std::env::var(CHILD) {
        Ok(name) => child(&name),
        Err(_) => parent(),
    };
    if let Err(error) = result {
        eprintln!("os layer: {error}");
        std::process::exit(1);
    }
    if std::env::var_os(CHILD).is_none() {
        // In libtest's words, so xtask's list of required tests can find it.
        println!("test region_and_doorbells_cross_processes_and_reads_time_out ... ok");
    }
}
