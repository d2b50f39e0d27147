//! A framed, request/response connection.
//!
//! [`Channel::call`] sends a request and waits for its response; a request that arrives
//! meanwhile (the other side calling back from inside our call) is served *on the calling
//! thread* before waiting on. Nested calls made while serving travel on the same channel.
//! That is the whole of thread mirroring: each host thread has its own channel and server
//! thread, so a callback is always answered by the thread that made the outer call.

use std::io::{self, Read, Write};
use std::time::Duration;

use bridge_proto::{Message, Request, Response, decode_message, encode_frame, frame_length};
use interprocess::local_socket::Stream;
use interprocess::local_socket::traits::Stream as _;

/// The most a frame's buffer is given before its bytes arrive.
const INITIAL_BODY_CAPACITY: usize = 1 << 20;

/// One connection.
pub struct Channel {
    stream: Stream,
}

impl std::fmt::Debug for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Channel").finish_non_exhaustive()
    }
}

fn protocol_error(error: impl std::fmt::Display) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, error.to_string())
}

impl Channel {
    /// Wraps a connected stream.
    pub fn new(stream: Stream) -> Self {
        Self { stream }
    }

    /// Bounds every read (`None`: wait forever). A timed-out read is an error.
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.stream.set_recv_timeout(timeout)
    }

    /// The effective user id of the process at the other end (from the kernel, so it cannot
    /// be faked).
    pub fn peer_euid(&self) -> io::Result<u32> {
        use interprocess::local_socket::traits::StreamCommon as _;
        self.stream
            .peer_creds()?
            .euid()
            .ok_or_else(|| io::Error::other("the peer's user id is unknown"))
    }

    /// Sends one message.
    pub fn send(&self, message: &Message) -> io::Result<()> {
        let frame = encode_frame(message).map_err(protocol_error)?;
        (&self.stream).write_all(&frame)?;
        Ok(())
    }

    /// Receives one message. End of stream is `UnexpectedEof`.
    pub fn receive(&self) -> io::Result<Message> {
        self.receive_at_most(bridge_proto::MAX_FRAME_BYTES)
    }

    /// Receives one message of at most `limit` bytes: before a peer has proved who it is,
    /// a frame header must not make us allocate much.
    pub fn receive_at_most(&self, limit: usize) -> io::Result<Message> {
        let mut header = [0u8; 4];
        (&self.stream).read_exact(&mut header)?;
        let length = frame_length(header).map_err(protocol_error)?;
        if length > limit {
            return Err(protocol_error(format!(
                "a frame of {length} bytes where at most {limit} may come"
            )));
        }
        // Grown as the bytes arrive: a header claiming a huge frame that never comes costs
        // no memory.
        let mut body = Vec::with_capacity(length.min(INITIAL_BODY_CAPACITY));
        (&self.stream).take(length as u64).read_to_end(&mut body)?;
        if body.len() != length {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the connection ended inside a frame",
            ));
        }
        decode_message(&body).map_err(protocol_error)
    }

    /// Sends `request` and returns its response, serving nested requests with `serve`
    /// meanwhile.
    pub fn call(&self, request: Request, serve: &mut dyn FnMut(Request) -> Response) -> io::Result<Response> {
        self.call_returning(request, None, serve).1
    }

    /// Sends a file descriptor (the audio region's) right after a request that announces it;
    /// the other side takes it with [`Channel::receive_fd`] when it reads that request.
    pub fn send_fd(&self, fd: std::os::fd::BorrowedFd<'_>) -> io::Result<()> {
        crate::os::send_fd(&self.stream, fd)
    }

    /// Receives the descriptor [`Channel::send_fd`] sent after the request just read.
    pub fn receive_fd(&self) -> io::Result<std::os::fd::OwnedFd> {
        crate::os::receive_fd(&self.stream)
    }

    /// Like [`Channel::call`], and hands the request back with the answer, so the caller
    /// can learn from both without copying the request's payload. `fd`, if given, follows
    /// the request (see [`Channel::send_fd`]).
    pub fn call_returning(
        &self,
        request: Request,
        fd: Option<std::os::fd::BorrowedFd<'_>>,
        serve: &mut dyn FnMut(Request) -> Response,
    ) -> (Request, io::Result<Response>) {
        let message = Message::Request(request);
        let sent = self
            .send(&message)
            .and_then(|()| fd.map_or(Ok(()), |fd| self.send_fd(fd)));
        let Message::Request(request) = message else {
            unreachable!("the message was built as a request just above")
        };
        let response = sent.and_then(|()| self.await_response(serve));
        (request, response)
    }

    /// Waits for the response to a request already sent, serving nested requests.
    pub fn await_response(&self, serve: &mut dyn FnMut(Request) -> Response) -> io::Result<Response> {
        loop {
            match self.receive()? {
                Message::Response(response) => return Ok(response),
                Message::Request(nested) => {
                    let answer = serve(nested);
                    self.send(&Message::Response(answer))?;
                }
                other => return Err(protocol_error(format!("unexpected message while waiting: {other:?}"))),
            }
        }
    }

    /// Serves requests until the other side closes the connection (returns `Ok`) or an
    /// error occurs.
    pub fn serve(&self, serve: &mut dyn FnMut(Request) -> Response) -> io::Result<()> {
        loop {
            let message = match self.receive() {
                Ok(message) => message,
                Err(error) if error.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
                Err(error) => return Err(error),
            };
            match message {
                Message::Request(request) => {
                    let answer = serve(request);
                    self.send(&Message::Response(answer))?;
                }
                other => return Err(protocol_error(format!("expected a request, got {other:?}"))),
            }
        }
    }
}
