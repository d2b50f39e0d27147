//! Where the proxy and server meet: unguessable socket names and tokens, listening,
//! connecting, and the handshake every connection starts with.
//!
//! Sockets live in the local namespace rather than the file system (on Linux, the abstract
//! socket namespace; on Windows, named pipes): they vanish with the process that listens, so
//! a crashed or killed server leaves nothing behind. Since any local process could reach a
//! namespaced socket, every connection must present the 128-bit token the proxy handed the
//! server at spawn, and the name itself is random.

use std::io;
use std::time::{Duration, Instant};

use bridge_proto::region_layout::REGION_VERSION;
use bridge_proto::{ChannelRole, Hello, Message, PROTOCOL_VERSION, StructSizes, Welcome};

pub use crate::os::{Listener, Stream};

use crate::channel::Channel;
use crate::os;

/// The environment variable that carries the token to the server (not argv, which other
/// users can read).
pub const TOKEN_ENV: &str = "VSTBRIDGE_TOKEN";

/// A fresh random token.
pub fn random_token() -> io::Result<[u8; 16]> {
    let mut token = [0u8; 16];
    os::random_bytes(&mut token)?;
    Ok(token)
}

/// Hex text of `bytes`.
pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Parses 32 hex digits into a token.
pub fn token_from_hex(text: &str) -> Option<[u8; 16]> {
    if text.len() != 32 {
        return None;
    }
    let mut token = [0u8; 16];
    for (i, byte) in token.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(token)
}

/// An unguessable name: `prefix` and 32 random hex digits.
pub fn random_name(prefix: &str) -> io::Result<String> {
    Ok(format!("{prefix}{}", to_hex(&random_token()?)))
}

/// The prefix of everything this process names (`vstbridge-<pid>-`), so leftovers of a
/// dead process can be recognised by the pid in their name.
pub fn own_prefix() -> String {
    format!("{NAME_PREFIX}{}-", std::process::id())
}

/// Every name starts with this.
pub const NAME_PREFIX: &str = "vstbridge-";

/// A fresh socket name.
pub fn new_socket_name() -> io::Result<String> {
    random_name(&own_prefix())
}

/// Listens on the socket `name`.
pub fn listen(name: &str) -> io::Result<Listener> {
    Listener::bind(name)
}

/// Accepts one connection.
pub fn accept(listener: &Listener) -> io::Result<Stream> {
    listener.accept()
}

/// Connects to the socket `name`, retrying until `timeout` while `still_worth_waiting`
/// says the other side may yet appear (the server is starting).
pub fn connect_with_retry(
    name: &str,
    timeout: Duration,
    still_worth_waiting: &mut dyn FnMut() -> io::Result<()>,
) -> io::Result<Stream> {
    let deadline = Instant::now() + timeout;
    loop {
        match Stream::connect(name) {
            Ok(stream) => return Ok(stream),
            Err(error) if Instant::now() >= deadline => {
                return Err(io::Error::new(
                    error.kind(),
                    format!("could not connect to the server: {error}"),
                ));
            }
            Err(_) => {
                still_worth_waiting()?;
                std::thread::sleep(Duration::from_millis(2));
            }
        }
    }
}

/// Where a proxy reaches its server.
#[derive(Debug)]
pub enum ServerAddress {
    /// The socket (on Windows, the named pipe) the server listens on.
    Socket(String),
    /// The rendezvous pipe a Windows server under Wine takes connection requests from.
    #[cfg(target_os = "linux")]
    Wine(os::Rendezvous),
}

impl ServerAddress {
    /// Opens a connection, retrying until `timeout` while `still_worth_waiting` says the
    /// server may yet appear (a request to a server under Wine is queued at once).
    pub fn connect(
        &self,
        timeout: Duration,
        still_worth_waiting: &mut dyn FnMut() -> io::Result<()>,
    ) -> io::Result<Stream> {
        match self {
            Self::Socket(name) => connect_with_retry(name, timeout, still_worth_waiting),
            #[cfg(target_os = "linux")]
            Self::Wine(rendezvous) => rendezvous.connect().map(Stream::from),
        }
    }
}

/// Proxy side: opens a channel of `role` at `address` and checks the server's answer.
///
/// Everything, connecting and the greeting, happens within `timeout`. The server already
/// listens, so a connection that does not come at once will not come: retries are short.
pub fn open_channel(
    address: &ServerAddress,
    token: [u8; 16],
    role: ChannelRole,
    architecture: &str,
    timeout: Duration,
) -> io::Result<(Channel, Welcome)> {
    let started = Instant::now();
    let stream = address.connect(timeout.min(Duration::from_millis(250)), &mut || Ok(()))?;
    let channel = Channel::new(stream);
    channel.set_read_timeout(Some(
        timeout.saturating_sub(started.elapsed()).max(Duration::from_millis(1)),
    ))?;
    greet(channel, token, role, architecture)
}

/// Proxy side: sends the greeting on a fresh connection and checks the answer.
pub fn greet(
    channel: Channel,
    token: [u8; 16],
    role: ChannelRole,
    architecture: &str,
) -> io::Result<(Channel, Welcome)> {
    greet_patiently(channel, token, role, architecture, None, &mut || Ok(()))
}

/// [`greet`] on the first connection to a server that is still starting: until its answer
/// begins to arrive (within `patience`, when given, which then bounds the whole greeting),
/// `still_worth_waiting` is asked every few milliseconds whether the server still runs, so
/// one that exits while starting (a Wine that cannot run it) fails the greeting at once
/// rather than at its timeout.
pub fn greet_patiently(
    channel: Channel,
    token: [u8; 16],
    role: ChannelRole,
    architecture: &str,
    patience: Option<Duration>,
    still_worth_waiting: &mut dyn FnMut() -> io::Result<()>,
) -> io::Result<(Channel, Welcome)> {
    channel.send(&Message::Hello(Hello {
        protocol_version: PROTOCOL_VERSION,
        token,
        role,
        architecture: architecture.to_owned(),
    }))?;
    if let Some(patience) = patience {
        let deadline = Instant::now() + patience;
        while !channel.wait_readable(Duration::from_millis(20))? {
            still_worth_waiting()?;
            if Instant::now() >= deadline {
                return Err(io::Error::new(io::ErrorKind::TimedOut, "the server did not answer"));
            }
        }
        let left = deadline.saturating_duration_since(Instant::now());
        channel.set_read_timeout(Some(left.max(Duration::from_millis(1))))?;
    }
    match channel.receive()? {
        Message::Welcome(welcome) if welcome.protocol_version == PROTOCOL_VERSION => {
            channel.peer_opened();
            if !welcome.struct_sizes.raw_structs_agree(&StructSizes::of_this_build()) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "the server's ABI struct sizes differ from ours",
                ));
            }
            if welcome.region_version != REGION_VERSION {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "audio region layout mismatch: proxy {REGION_VERSION}, server {}; install the proxy and servers from one build",
                        welcome.region_version
                    ),
                ));
            }
            Ok((channel, welcome))
        }
        Message::Welcome(welcome) => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "protocol version mismatch: proxy {PROTOCOL_VERSION}, server {}",
                welcome.protocol_version
            ),
        )),
        other => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("expected a welcome, got {other:?}"),
        )),
    }
}

/// How long a new connection may take to greet before it is dropped.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(2);
/// The largest greeting accepted (a `Hello` is a few dozen bytes).
const MAX_HELLO_BYTES: usize = 1024;

/// Server side: checks who connected (another user is dropped before a byte is read), reads
/// the greeting within [`HANDSHAKE_TIMEOUT`] (at most a small frame), checks the token and
/// version, and answers. A wrong peer, token or version drops the connection with an error.
pub fn welcome(channel: &Channel, token: [u8; 16], architecture: &str) -> io::Result<ChannelRole> {
    channel.check_peer_is_same_user()?;
    let hello = read_hello(channel)?;
    if hello.token != token {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "connection without the right token",
        ));
    }
    answer_hello(channel, &hello, architecture)?;
    Ok(hello.role)
}

/// A group's server's side ([`ChannelRole::Group`] connections): only the DAW process the
/// group serves, `daw`, may ask it for instances; the kernel says who connected, so no
/// token is needed (the instances it makes have theirs). A connection from anyone else,
/// or for another role, is dropped with an error.
#[cfg(target_os = "linux")]
pub fn welcome_to_group(channel: &Channel, daw: u32, architecture: &str) -> io::Result<()> {
    let peer = channel.peer_process_id()?;
    if peer != daw {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("process {peer} asked for an instance of a group that serves process {daw}"),
        ));
    }
    let hello = read_hello(channel)?;
    if hello.role != ChannelRole::Group {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("a {:?} connection to a group's server", hello.role),
        ));
    }
    answer_hello(channel, &hello, architecture)
}

/// Reads the greeting within [`HANDSHAKE_TIMEOUT`] (at most a small frame).
fn read_hello(channel: &Channel) -> io::Result<Hello> {
    channel.set_read_timeout(Some(HANDSHAKE_TIMEOUT))?;
    let hello = match channel.receive_at_most(MAX_HELLO_BYTES)? {
        Message::Hello(hello) => hello,
        _ => {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "expected a hello"));
        }
    };
    channel.set_read_timeout(None)?;
    Ok(hello)
}

/// Answers a greeting; fails after answering if the versions differ (the proxy reports it).
fn answer_hello(channel: &Channel, hello: &Hello, architecture: &str) -> io::Result<()> {
    channel.send(&Message::Welcome(Welcome {
        protocol_version: PROTOCOL_VERSION,
        architecture: architecture.to_owned(),
        struct_sizes: StructSizes::of_this_build(),
        region_version: REGION_VERSION,
        wake: os::wake_method(),
    }))?;
    if hello.protocol_version != PROTOCOL_VERSION {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "protocol version mismatch"));
    }
    Ok(())
}
