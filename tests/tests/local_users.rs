//! Other local processes cannot stall or disturb a running instance: a connection from
//! another user is dropped before the server reads a byte, a same-user stranger without the
//! token is dropped at once (even one announcing a huge frame), and a connection that sends
//! nothing delays no one, because every handshake runs on its own thread under a deadline.

use std::io::{Read, Write};
use std::process::Command;
use std::time::{Duration, Instant};

use bridge_ipc::endpoint;
use bridge_proto::ChannelRole;
use vst2_host::Plugin;
use vstbridge_test_support::proxy_status::{health, restarts, server_pid};
use vstbridge_test_support::{SAMPLE_RATE, load_bridged, sine, test_plugin};

const BLOCK: usize = 64;
/// "At once", with room for a loaded two-core machine.
const PROMPTLY: Duration = Duration::from_millis(750);

/// The abstract socket the server listens on, from its command line.
fn socket_of(pid: i32) -> String {
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
    let args: Vec<String> = cmdline
        .split(|&b| b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    let at = args
        .iter()
        .position(|a| a == "--socket")
        .expect("the server names its socket");
    args[at + 1].clone()
}

/// One block of the gain plugin at unity, which must pass its input through.
fn plays(plugin: &Plugin) -> bool {
    let input = sine(440.0, SAMPLE_RATE, 0.5, BLOCK);
    let (mut left, mut right) = (vec![0.0f32; BLOCK], vec![0.0f32; BLOCK]);
    plugin
        .process_replacing(&[&input, &input], &mut [&mut left, &mut right], BLOCK)
        .unwrap();
    left == input
}

/// Waits until the other end closes `stream`; how long that took.
fn time_to_close(mut stream: impl Read) -> Duration {
    let started = Instant::now();
    let mut buffer = [0u8; 256];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return started.elapsed(),
            Ok(_) => {}
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the server kept a stranger's connection"
        );
    }
}

#[test]
fn strangers_without_the_token_are_dropped_at_once_and_a_silent_one_delays_no_one() {
    let bridged = load_bridged(&test_plugin("gain"));
    let gain = &bridged.plugin;
    gain.start(SAMPLE_RATE, BLOCK as i32);
    let pid = server_pid(gain);
    let socket = socket_of(pid);

    // A connection that never says anything, held open throughout.
    let silent = endpoint::connect_with_retry(&socket, Duration::from_secs(1), &mut || Ok(())).unwrap();

    // A frame header announcing 2 GiB: refused before anything is allocated or read.
    let mut huge = endpoint::connect_with_retry(&socket, Duration::from_secs(1), &mut || Ok(())).unwrap();
    huge.write_all(&0x7fff_ffffu32.to_le_bytes()).unwrap();
    let waited = time_to_close(&mut huge);
    assert!(
        waited < PROMPTLY,
        "a huge frame header held the connection for {waited:?}"
    );

    // A well-formed greeting with the wrong token.
    let started = Instant::now();
    let wrong = endpoint::open_channel(
        &endpoint::ServerAddress::Socket(socket.clone()),
        [7; 16],
        ChannelRole::Thread,
        "x86_64",
        Duration::from_secs(5),
    );
    assert!(wrong.is_err(), "a wrong token was welcomed");
    assert!(
        started.elapsed() < PROMPTLY,
        "a wrong token took {:?} to refuse",
        started.elapsed()
    );

    // Meanwhile a new DAW thread's first call (a new connection) is not held up by the
    // silent one, and audio plays.
    let started = Instant::now();
    let name = std::thread::scope(|scope| scope.spawn(|| gain.parameter_name(0)).join().unwrap());
    assert_eq!(name, "Gain");
    assert!(
        started.elapsed() < PROMPTLY,
        "a new thread's first call took {:?}",
        started.elapsed()
    );
    assert!(plays(gain));

    // The silent connection is dropped once its handshake deadline passes.
    let waited = time_to_close(&silent);
    assert!(
        waited < endpoint::HANDSHAKE_TIMEOUT + PROMPTLY,
        "a silent connection stayed {waited:?}"
    );
    assert_eq!((server_pid(gain), restarts(gain), health(gain)), (pid, 0, 0));
}

/// A client run as `nobody`: connects to the abstract socket, floods it, and reports how the
/// server answered.
const OTHER_USER_CLIENT: &str = r#"
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect("\0" + sys.argv[1])
started = time.monotonic()
try:
    s.sendall(b"\xff" * 65536)
    data = s.recv(1)
    print("closed" if data == b"" else "answered", round(time.monotonic() - started, 3))
except (ConnectionResetError, BrokenPipeError):
    print("closed", round(time.monotonic() - started, 3))
"#;

#[test]
fn another_users_connection_is_refused_before_a_byte_is_read() {
    let bridged = load_bridged(&test_plugin("gain"));
    let gain = &bridged.plugin;
    gain.start(SAMPLE_RATE, BLOCK as i32);
    let pid = server_pid(gain);
    let output = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "/usr/bin/python3",
            "-c",
        ])
        .arg(OTHER_USER_CLIENT)
        .arg(socket_of(pid))
        .output()
        .expect("setpriv and Debian's python3 run the other user's client");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the other user's client failed: {}{report}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut words = report.split_whitespace();
    assert_eq!(words.next(), Some("closed"), "{report}");
    let seconds: f64 = words.next().unwrap().parse().unwrap();
    assert!(seconds < PROMPTLY.as_secs_f64(), "the other user was held {seconds} s");
    assert!(plays(gain), "the instance plays on");
    assert_eq!((server_pid(gain), restarts(gain), health(gain)), (pid, 0, 0));
}
