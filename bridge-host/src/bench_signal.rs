//! Benchmarks only: the connection the proxy and the server signal every block through
//! instead of the doorbells' wakes (`bench_socket_wake`), the socket-synced design other
//! bridges use, measured beside ours. A socket the server connects to, or for a server under
//! Wine, a pair of pipes it opens.

use bridge_ipc::endpoint;

/// Benchmarks only: the connection both sides signal blocks through instead of the
/// doorbells' wakes, being opened: a socket the server connects to, or for a server under
/// Wine, a pair of pipes it opens.
pub(crate) struct SignalConnection {
    /// What the server connects to (`AttachAudio`'s `signal_socket`).
    pub(crate) address: String,
    pending: PendingSignal,
}

enum PendingSignal {
    Socket(std::thread::JoinHandle<std::io::Result<endpoint::Stream>>),
    #[cfg(target_os = "linux")]
    Pipes(bridge_ipc::os::PipeStream),
}

impl SignalConnection {
    pub(crate) fn offer(under_wine: bool) -> std::io::Result<Self> {
        #[cfg(target_os = "linux")]
        if under_wine {
            let (pipes, address) = bridge_ipc::os::PipeStream::pair()?;
            return Ok(Self {
                address,
                pending: PendingSignal::Pipes(pipes),
            });
        }
        let _ = under_wine;
        let address = endpoint::new_socket_name()?;
        let listener = endpoint::listen(&address)?;
        Ok(Self {
            address,
            pending: PendingSignal::Socket(std::thread::spawn(move || endpoint::accept(&listener))),
        })
    }

    /// The connection, once the server has attached the region (and so opened its end).
    pub(crate) fn connected(self) -> std::io::Result<endpoint::Stream> {
        match self.pending {
            PendingSignal::Socket(accepting) => accepting
                .join()
                .map_err(|_| std::io::Error::other("the signal socket was not accepted"))?,
            #[cfg(target_os = "linux")]
            PendingSignal::Pipes(pipes) => {
                pipes.peer_opened();
                Ok(pipes.into())
            }
        }
    }
}
