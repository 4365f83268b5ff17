//! Framing of syslog over TCP and TLS (RFC 6587, RFC 5425): a streaming
//! decoder that turns the byte chunks of one connection into messages.
//!
//! Two framings exist. Octet counting prefixes each message with its
//! length (`"59 <34>1 2003-10-11T22:14:15.003Z …"`); non-transparent
//! framing ends each message with a delimiter, in practice LF (senders
//! also use CRLF and NUL, all accepted here). [`Framing::Auto`] decides
//! per connection from the first byte, as rsyslog does: a digit means
//! octet counting, anything else non-transparent. Once in octet-counting
//! mode, a frame that does not start with a length is read up to the next
//! LF and counted as malformed, so one bad frame does not lose the rest of
//! the connection.
//!
//! Memory is bounded: a frame longer than [`FramerConfig::max_frame`] is
//! cut at that size and flagged (or skipped, as configured), and the rest
//! of it is discarded as it arrives. The decoder never buffers more than
//! `max_frame` bytes, whatever the chunk sizes; a frame wholly inside one
//! chunk is handed out without a copy.

/// How a connection frames its messages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Framing {
    /// Decide from the first byte of the connection.
    #[default]
    Auto,
    /// `MSG-LEN SP SYSLOG-MSG` (RFC 6587 §3.4.1, RFC 5425 §4.3).
    OctetCounting,
    /// Messages end with LF, CRLF or NUL (RFC 6587 §3.4.2).
    NonTransparent,
}

/// What to do with a frame longer than the maximum.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Oversize {
    /// Hand out its first `max_frame` bytes, flagged as truncated.
    #[default]
    Truncate,
    /// Drop it, counting it in [`FramerStats::skipped`].
    Skip,
}

/// Settings of a [`Framer`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FramerConfig {
    pub framing: Framing,
    /// The longest frame handed out, in bytes (default 64 KiB).
    pub max_frame: usize,
    pub oversize: Oversize,
}

impl Default for FramerConfig {
    fn default() -> FramerConfig {
        FramerConfig {
            framing: Framing::Auto,
            max_frame: 64 * 1024,
            oversize: Oversize::Truncate,
        }
    }
}

/// One message cut out of the stream, without its length prefix or
/// delimiter (and without a CR before the LF).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame<'a> {
    pub data: &'a [u8],
    /// The message was longer than the maximum and this is its start.
    pub truncated: bool,
}

/// Counters of one connection, for the per-source metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FramerStats {
    /// Frames handed out (truncated ones included).
    pub frames: u64,
    /// Bytes fed in.
    pub bytes: u64,
    /// Frames cut at the maximum size.
    pub truncated: u64,
    /// Oversized frames dropped ([`Oversize::Skip`]).
    pub skipped: u64,
    /// Malformed octet-counting headers (a frame without a valid length,
    /// a zero length) and octet-counted frames cut short by the end of
    /// the stream.
    pub malformed: u64,
}

/// Where the decoder is inside the stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Between frames.
    Start,
    /// Reading the digits of an octet count (`len` so far, `digits` read).
    Length { len: u64, digits: u8 },
    /// Inside an octet-counted frame: `remaining` bytes still belong to
    /// it; the buffer keeps the first `max_frame` of them unless skipping.
    Counted {
        remaining: u64,
        truncated: bool,
        skip: bool,
    },
    /// Inside a delimited frame, collecting into the buffer.
    Line,
    /// Inside a delimited frame that was already cut or skipped: discard
    /// to the delimiter.
    Discard,
}

/// The longest octet count read: ten digits, beyond any sane message.
const MAX_LENGTH_DIGITS: u8 = 10;

/// The streaming frame decoder of one connection.
#[derive(Debug)]
pub struct Framer {
    config: FramerConfig,
    /// The framing in force; `Auto` until the first byte is seen.
    mode: Framing,
    state: State,
    /// The part of the current frame seen in earlier chunks.
    buf: Vec<u8>,
    stats: FramerStats,
}

fn is_delimiter(b: u8) -> bool {
    b == b'\n' || b == 0
}

/// Strips the CR of a CRLF delimiter.
fn strip_cr(data: &[u8]) -> &[u8] {
    match data.last() {
        Some(b'\r') => &data[..data.len() - 1],
        _ => data,
    }
}

impl Framer {
    pub fn new(config: FramerConfig) -> Framer {
        let config = FramerConfig {
            max_frame: config.max_frame.max(1),
            ..config
        };
        Framer {
            mode: config.framing,
            config,
            state: State::Start,
            buf: Vec::new(),
            stats: FramerStats::default(),
        }
    }

    /// The framing in force: the configured one, or for [`Framing::Auto`]
    /// what the connection turned out to use (`Auto` before any byte).
    pub fn framing(&self) -> Framing {
        self.mode
    }

    pub fn stats(&self) -> FramerStats {
        self.stats
    }

    /// Bytes of an unfinished frame held from earlier chunks (at most
    /// `max_frame`).
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Feeds the next chunk of the stream, calling `emit` for every frame
    /// it completes, in order.
    pub fn decode(&mut self, chunk: &[u8], mut emit: impl FnMut(Frame<'_>)) {
        self.stats.bytes += chunk.len() as u64;
        let mut i = 0;
        while i < chunk.len() {
            match self.state {
                State::Start => {
                    let b = chunk[i];
                    if is_delimiter(b)
                        || b == b'\r'
                        || (b == b' ' && self.mode == Framing::OctetCounting)
                    {
                        // Empty frames and the stray LF some senders add
                        // after an octet-counted frame.
                        i += 1;
                        continue;
                    }
                    if self.mode == Framing::Auto {
                        self.mode = if b.is_ascii_digit() {
                            Framing::OctetCounting
                        } else {
                            Framing::NonTransparent
                        };
                    }
                    if self.mode == Framing::OctetCounting && b.is_ascii_digit() && b != b'0' {
                        self.state = State::Length { len: 0, digits: 0 };
                    } else {
                        if self.mode == Framing::OctetCounting {
                            self.stats.malformed += 1;
                        }
                        self.state = State::Line;
                    }
                }
                State::Length { len, digits } => {
                    let b = chunk[i];
                    if b.is_ascii_digit() && digits < MAX_LENGTH_DIGITS {
                        self.state = State::Length {
                            len: len * 10 + u64::from(b - b'0'),
                            digits: digits + 1,
                        };
                        i += 1;
                    } else if b == b' ' && digits > 0 {
                        i += 1;
                        let skip = len > self.config.max_frame as u64
                            && self.config.oversize == Oversize::Skip;
                        self.state = State::Counted {
                            remaining: len,
                            truncated: len > self.config.max_frame as u64,
                            skip,
                        };
                    } else {
                        // Not a length after all. On the first frame of an
                        // auto-detected connection this is a delimited
                        // stream whose first message starts with digits
                        // (an ISO timestamp, say): switch, counting
                        // nothing. Otherwise count it and read the frame
                        // as a line; the digits read belong to it.
                        if self.stats.frames == 0
                            && self.config.framing == Framing::Auto
                            && self.stats.malformed == 0
                        {
                            self.mode = Framing::NonTransparent;
                        } else {
                            self.stats.malformed += 1;
                        }
                        self.buf.clear();
                        self.state = if self.push_digits(len, digits) {
                            State::Line
                        } else {
                            self.oversized(&mut emit);
                            State::Discard
                        };
                    }
                }
                State::Counted {
                    remaining,
                    truncated,
                    skip,
                } => {
                    let available = (chunk.len() - i) as u64;
                    let take = remaining.min(available) as usize;
                    let part = &chunk[i..i + take];
                    i += take;
                    let remaining = remaining - take as u64;
                    if skip {
                        if remaining == 0 {
                            self.stats.skipped += 1;
                            self.state = State::Start;
                        } else {
                            self.state = State::Counted {
                                remaining,
                                truncated,
                                skip,
                            };
                        }
                        continue;
                    }
                    if remaining == 0 && self.buf.is_empty() {
                        // The whole frame is in this chunk: no copy.
                        let keep = part.len().min(self.config.max_frame);
                        self.emit(&part[..keep], truncated, &mut emit);
                        self.state = State::Start;
                        continue;
                    }
                    let room = self.config.max_frame.saturating_sub(self.buf.len());
                    self.buf.extend_from_slice(&part[..part.len().min(room)]);
                    if remaining == 0 {
                        let data = std::mem::take(&mut self.buf);
                        self.emit(&data, truncated, &mut emit);
                        self.buf = data;
                        self.buf.clear();
                        self.state = State::Start;
                    } else {
                        self.state = State::Counted {
                            remaining,
                            truncated,
                            skip,
                        };
                    }
                }
                State::Line => {
                    let rest = &chunk[i..];
                    let end = memchr::memchr2(b'\n', 0, rest);
                    let room = self.config.max_frame.saturating_sub(self.buf.len());
                    match end {
                        Some(n) if self.buf.is_empty() && n <= self.config.max_frame => {
                            // The whole line is in this chunk: no copy.
                            self.emit(strip_cr(&rest[..n]), false, &mut emit);
                            i += n + 1;
                            self.state = State::Start;
                        }
                        Some(n) if n <= room => {
                            self.buf.extend_from_slice(&rest[..n]);
                            i += n + 1;
                            let data = std::mem::take(&mut self.buf);
                            self.emit(strip_cr(&data), false, &mut emit);
                            self.buf = data;
                            self.buf.clear();
                            self.state = State::Start;
                        }
                        _ => {
                            let n = end.unwrap_or(rest.len());
                            if n <= room {
                                // The line goes on in the next chunk.
                                self.buf.extend_from_slice(rest);
                                i = chunk.len();
                            } else {
                                // Longer than the maximum: cut or skip it,
                                // then discard to the delimiter.
                                self.buf.extend_from_slice(&rest[..room]);
                                i += room;
                                self.oversized(&mut emit);
                                self.state = State::Discard;
                            }
                        }
                    }
                }
                State::Discard => match memchr::memchr2(b'\n', 0, &chunk[i..]) {
                    Some(n) => {
                        i += n + 1;
                        self.state = State::Start;
                    }
                    None => i = chunk.len(),
                },
            }
        }
    }

    /// Ends the stream: a delimited frame without its final delimiter is
    /// handed out, an octet-counted frame cut short is counted as
    /// malformed and dropped.
    pub fn finish(&mut self, mut emit: impl FnMut(Frame<'_>)) {
        match self.state {
            State::Line if !self.buf.is_empty() => {
                let data = std::mem::take(&mut self.buf);
                self.emit(strip_cr(&data), false, &mut emit);
            }
            State::Length { .. } | State::Counted { .. } => self.stats.malformed += 1,
            _ => {}
        }
        self.buf.clear();
        self.state = State::Start;
    }

    /// The digits of a length that turned out not to be one, put back as
    /// the start of a line (leading zeros cannot occur: a length starts
    /// with 1–9). Returns false if they alone exceed the maximum frame, in
    /// which case the buffer holds the part that fits.
    fn push_digits(&mut self, len: u64, digits: u8) -> bool {
        if digits == 0 {
            return true;
        }
        let text = len.to_string();
        let keep = text.len().min(self.config.max_frame);
        self.buf.extend_from_slice(&text.as_bytes()[..keep]);
        keep == text.len()
    }

    /// A delimited frame reached the maximum size in `buf`.
    fn oversized(&mut self, emit: &mut impl FnMut(Frame<'_>)) {
        let data = std::mem::take(&mut self.buf);
        match self.config.oversize {
            Oversize::Truncate => self.emit(&data, true, emit),
            Oversize::Skip => self.stats.skipped += 1,
        }
        self.buf = data;
        self.buf.clear();
    }

    fn emit(&mut self, data: &[u8], truncated: bool, emit: &mut impl FnMut(Frame<'_>)) {
        if data.is_empty() {
            return;
        }
        self.stats.frames += 1;
        if truncated {
            self.stats.truncated += 1;
        }
        emit(Frame { data, truncated });
    }
}

#[cfg(test)]
mod tests;
