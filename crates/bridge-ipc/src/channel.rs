//! A framed, request/response connection.
//!
//! [`Channel::call`] sends a request and waits for its response; a request that arrives
//! meanwhile (the other side calling back from inside our call) is served *on the calling
//! thread* before waiting on. Nested calls made while serving travel on the same channel.
//! That is the whole of thread mirroring: each host thread has its own channel and server
//! thread, so a callback is always answered by the thread that made the outer call.

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use bridge_proto::{Message, Request, Response, decode_message, encode_frame, frame_length};

use crate::os::{self, Object, ObjectRef, Stream};

/// The most a frame's buffer is given before its bytes arrive.
const INITIAL_BODY_CAPACITY: usize = 1 << 20;

/// How long one call may take: `budget` of the other side's time (from sending the request
/// to its response, less the time this side spends serving nested requests, such as a DAW
/// answering a plugin's callback), and `ceiling` of wall-clock time in all, whatever the
/// nesting. A call that exceeds either fails with `TimedOut`: a server trickling bytes or
/// calling back without end cannot hold a caller past them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallBudget {
    /// The other side's time.
    pub budget: Duration,
    /// Everything.
    pub ceiling: Duration,
}

/// A running [`CallBudget`].
struct BudgetClock {
    budget: CallBudget,
    started: Instant,
    /// Time spent serving nested requests (not charged to the budget).
    excluded: Duration,
}

impl BudgetClock {
    fn start(budget: CallBudget) -> Self {
        Self {
            budget,
            started: Instant::now(),
            excluded: Duration::ZERO,
        }
    }

    /// What is left of both limits, or `None` when either is used up.
    fn left(&self) -> Option<Duration> {
        let elapsed = self.started.elapsed();
        let charged = elapsed.saturating_sub(self.excluded);
        let left = self
            .budget
            .budget
            .checked_sub(charged)?
            .min(self.budget.ceiling.checked_sub(elapsed)?);
        (!left.is_zero()).then_some(left)
    }
}

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
        self.stream.set_read_timeout(timeout)
    }

    /// Waits up to `timeout` for something to read; whether it came.
    pub fn wait_readable(&self, timeout: Duration) -> io::Result<bool> {
        self.stream.wait_readable(timeout)
    }

    /// The other side has answered, so it holds its ends of the connection (see
    /// [`Stream::peer_opened`]).
    pub fn peer_opened(&self) {
        self.stream.peer_opened();
    }

    /// Fails unless the process at the other end runs as this process's user (see
    /// [`Stream::check_peer_is_same_user`]).
    pub fn check_peer_is_same_user(&self) -> io::Result<()> {
        self.stream.check_peer_is_same_user()
    }

    /// The process at the other end, as the kernel reports it (Linux sockets).
    #[cfg(target_os = "linux")]
    pub fn peer_process_id(&self) -> io::Result<u32> {
        self.stream.peer_process_id()
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
        self.call_returning(request, &[], None, serve).1
    }

    /// Hands OS objects (shared memory, wakers) to the other side right after a message
    /// that announces them; it takes them with [`Channel::receive_objects`] when it reads
    /// that message. See [`os::send_objects`].
    pub fn send_objects(&self, objects: &[ObjectRef<'_>]) -> io::Result<()> {
        os::send_objects(&self.stream, objects)
    }

    /// Receives exactly `count` objects [`Channel::send_objects`] sent after the message
    /// just read.
    pub fn receive_objects(&self, count: usize) -> io::Result<Vec<Object>> {
        os::receive_objects(&self.stream, count)
    }

    /// Like [`Channel::call`], and hands the request back with the answer, so the caller
    /// can learn from both without copying the request's payload. `objects` follow the
    /// request (see [`Channel::send_objects`]; none are sent when empty). With a `budget`, every read and write of the
    /// call (nested callbacks included) is bounded by it; see [`CallBudget`].
    pub fn call_returning(
        &self,
        request: Request,
        objects: &[ObjectRef<'_>],
        budget: Option<CallBudget>,
        serve: &mut dyn FnMut(Request) -> Response,
    ) -> (Request, io::Result<Response>) {
        let mut clock = budget.map(BudgetClock::start);
        let message = Message::Request(request);
        let sent = self
            .bound(clock.as_ref())
            .and_then(|()| self.send(&message))
            .and_then(|()| {
                if objects.is_empty() {
                    Ok(())
                } else {
                    self.send_objects(objects)
                }
            });
        let Message::Request(request) = message else {
            unreachable!("the message was built as a request just above")
        };
        let response = sent.and_then(|()| self.await_within(clock.as_mut(), serve));
        (request, response)
    }

    /// Sets this connection's read and write timeouts to what `clock` has left (a
    /// `TimedOut` error when nothing is left); leaves them alone without a clock.
    fn bound(&self, clock: Option<&BudgetClock>) -> io::Result<()> {
        let Some(clock) = clock else { return Ok(()) };
        let left = clock
            .left()
            .ok_or_else(|| io::Error::new(io::ErrorKind::TimedOut, "the call's time budget is used up"))?;
        self.stream.set_read_timeout(Some(left))?;
        self.stream.set_write_timeout(Some(left))
    }

    /// [`Channel::await_response`] with every read and answer bounded by `clock`; time
    /// spent serving nested requests is the caller's own (the host answering) and does not
    /// count against the budget, only against its ceiling.
    fn await_within(
        &self,
        mut clock: Option<&mut BudgetClock>,
        serve: &mut dyn FnMut(Request) -> Response,
    ) -> io::Result<Response> {
        loop {
            self.bound(clock.as_deref())?;
            match self.receive()? {
                Message::Response(response) => return Ok(response),
                Message::Request(nested) => {
                    let started = Instant::now();
                    let answer = serve(nested);
                    if let Some(clock) = clock.as_deref_mut() {
                        clock.excluded += started.elapsed();
                    }
                    self.bound(clock.as_deref())?;
                    self.send(&Message::Response(answer))?;
                }
                other => return Err(protocol_error(format!("unexpected message while waiting: {other:?}"))),
            }
        }
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
        self.serve_idling(serve, &|| None, &mut || {})
    }

    /// [`Channel::serve`], calling `idle` whenever nothing has arrived for as long as
    /// `interval` says (`None`: wait for the next request however long). Only where the
    /// stream can report readiness (Linux); elsewhere the wait is the read itself.
    pub fn serve_idling(
        &self,
        serve: &mut dyn FnMut(Request) -> Response,
        interval: &dyn Fn() -> Option<Duration>,
        idle: &mut dyn FnMut(),
    ) -> io::Result<()> {
        loop {
            if let Some(interval) = interval()
                && !self.wait_readable(interval)?
            {
                idle();
                continue;
            }
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
