// Package clamav scans uploads with a ClamAV daemon (clamd) through its
// INSTREAM command, over TCP or a Unix socket. It is optional: e-CPTS
// scans only when ECPTS_CLAMD_ADDR is set.
//
// The protocol (clamd(8)): the client sends "zINSTREAM\0", then the file
// in chunks, each a 4-byte big-endian length and that many bytes, then a
// zero length; clamd answers one NUL-terminated line: "stream: OK",
// "stream: <signature> FOUND", or "<reason> ERROR" — among them
// "INSTREAM size limit exceeded. ERROR" past its StreamMaxLength, after
// which it closes the connection. The answer is read while the file is
// still being sent, so that answer is not lost when the close makes the
// next write fail.
//
// clamd's StreamMaxLength (25M in Debian's clamd.conf) must be at least
// ECPTS_MAX_UPLOAD_MB, or large uploads fail their scan with ErrTooLarge.
package clamav

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// Scanner is what the use cases need: Scan reads r to its end and tells
// whether it is clean or, if not, the name of the signature found. An
// error means no verdict (daemon unreachable, timeout, too large): the
// caller must refuse the file, not let it through.
type Scanner interface {
	Scan(ctx context.Context, r io.Reader) (clean bool, signature string, err error)
}

// Options tune a Client; zero fields take the defaults.
type Options struct {
	ChunkSize   int           // bytes per INSTREAM chunk; default 64 KiB
	MaxSize     int64         // largest stream sent; 0: no limit here (clamd's StreamMaxLength applies)
	Timeout     time.Duration // a whole scan, from dialling to the answer; default 2 minutes
	DialTimeout time.Duration // connecting; default 5 s
}

// Client talks to one clamd. It opens a connection per call and is safe
// for concurrent use.
type Client struct {
	network, address string
	o                Options
}

var _ Scanner = (*Client)(nil)

// Errors.
var (
	// ErrTooLarge: the stream is larger than Options.MaxSize, or than
	// clamd's StreamMaxLength.
	ErrTooLarge = errors.New("clamav: stream too large to scan")
	// ErrDaemon: clamd answered an error, or something that is not an
	// answer.
	ErrDaemon = errors.New("clamav: clamd error")
)

// New returns a client of the clamd at addr, in any form ParseAddr
// accepts. It does not connect: Ping does.
func New(addr string, o Options) (*Client, error) {
	network, address, err := ParseAddr(addr)
	if err != nil {
		return nil, err
	}
	if o.ChunkSize <= 0 {
		o.ChunkSize = 64 << 10
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Minute
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = 5 * time.Second
	}
	return &Client{network: network, address: address, o: o}, nil
}

// ParseAddr reads a clamd address: "unix:/run/clamav/clamd.ctl" or
// "/run/clamav/clamd.ctl" for a Unix socket, "tcp://host:3310" or
// "host:3310" for TCP.
func ParseAddr(addr string) (network, address string, err error) {
	addr = strings.TrimSpace(addr)
	switch {
	case strings.HasPrefix(addr, "unix://"):
		addr = "unix:" + strings.TrimPrefix(addr, "unix://")
		fallthrough
	case strings.HasPrefix(addr, "unix:"):
		p := strings.TrimPrefix(addr, "unix:")
		if !strings.HasPrefix(p, "/") {
			return "", "", fmt.Errorf("clamav: %q: a Unix socket needs an absolute path", addr)
		}
		return "unix", p, nil
	case strings.HasPrefix(addr, "/"):
		return "unix", addr, nil
	}
	hostPort := strings.TrimPrefix(addr, "tcp://")
	host, port, err := net.SplitHostPort(hostPort)
	if err != nil || host == "" {
		return "", "", fmt.Errorf("clamav: %q: want host:port, tcp://host:port or a Unix socket path", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", "", fmt.Errorf("clamav: %q: port must be a number from 1 to 65535", addr)
	}
	return "tcp", hostPort, nil
}

// dial connects and arms the deadlines: the sooner of ctx's deadline and
// Timeout, and at once when ctx ends. stop disarms the latter.
func (c *Client) dial(ctx context.Context) (conn net.Conn, stop func() bool, err error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	d := net.Dialer{Timeout: c.o.DialTimeout}
	conn, err = d.DialContext(ctx, c.network, c.address)
	if err != nil {
		return nil, nil, fmt.Errorf("clamav: connect to clamd: %w", err)
	}
	deadline := time.Now().Add(c.o.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := conn.SetDeadline(deadline); err != nil {
		conn.Close()
		return nil, nil, fmt.Errorf("clamav: %w", err)
	}
	stop = context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	return conn, stop, nil
}

// maxReply bounds what is read of an answer.
const maxReply = 4096

// readReply reads one NUL-terminated answer.
func readReply(r io.Reader) (string, error) {
	br := bufio.NewReaderSize(io.LimitReader(r, maxReply), 512)
	line, err := br.ReadString(0)
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", err
	}
	return strings.TrimSpace(strings.TrimRight(line, "\x00")), nil
}

// ctxErr prefers ctx's error to the deadline error its cancellation
// caused.
func ctxErr(ctx context.Context, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("clamav: %w", cerr)
	}
	return fmt.Errorf("clamav: %w", err)
}

// command sends a short command and returns the answer.
func (c *Client) command(ctx context.Context, cmd string) (string, error) {
	conn, stop, err := c.dial(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	defer stop()
	if _, err := conn.Write([]byte("z" + cmd + "\x00")); err != nil {
		return "", ctxErr(ctx, err)
	}
	rep, err := readReply(conn)
	if err != nil {
		return "", ctxErr(ctx, err)
	}
	return rep, nil
}

// Ping checks clamd answers (its PONG).
func (c *Client) Ping(ctx context.Context) error {
	rep, err := c.command(ctx, "PING")
	if err != nil {
		return err
	}
	if rep != "PONG" {
		return fmt.Errorf("%w: PING answered %q", ErrDaemon, rep)
	}
	return nil
}

// Version returns clamd's version line, e.g. "ClamAV 1.4.6/…".
func (c *Client) Version(ctx context.Context) (string, error) {
	return c.command(ctx, "VERSION")
}

// Scan implements Scanner with INSTREAM. It reads r to its end unless
// clamd answers first or the stream passes Options.MaxSize.
func (c *Client) Scan(ctx context.Context, r io.Reader) (clean bool, signature string, err error) {
	conn, stop, err := c.dial(ctx)
	if err != nil {
		return false, "", err
	}
	defer conn.Close()
	defer stop()
	if _, err := conn.Write([]byte("zINSTREAM\x00")); err != nil {
		return false, "", ctxErr(ctx, err)
	}

	answered := make(chan answer, 1)
	go func() {
		line, err := readReply(conn)
		answered <- answer{line, err}
	}()

	sendErr := c.send(conn, r, answered)
	if errors.Is(sendErr, ErrTooLarge) {
		return false, "", sendErr
	}
	if errors.Is(sendErr, errRead) {
		return false, "", sendErr // the caller's reader failed
	}
	// After a failed write too: clamd answers, then closes, when the
	// stream passes its StreamMaxLength; the read ends either way (an
	// answer, the close, or the deadline).
	a := <-answered
	if a.err != nil || a.line == "" {
		if sendErr != nil && !errors.Is(sendErr, errAnsweredEarly) {
			return false, "", ctxErr(ctx, sendErr)
		}
		if a.err == nil {
			a.err = io.ErrUnexpectedEOF
		}
		return false, "", ctxErr(ctx, a.err)
	}
	return parseReply(a.line)
}

// answer is clamd's answer as the reading goroutine got it.
type answer struct {
	line string
	err  error
}

var (
	errAnsweredEarly = errors.New("clamav: clamd answered before the end of the stream")
	errRead          = errors.New("clamav: reading the file to scan")
)

// send writes r as INSTREAM chunks and the terminating zero-length chunk.
func (c *Client) send(conn net.Conn, r io.Reader, answered chan answer) error {
	buf := make([]byte, 4+c.o.ChunkSize)
	var total int64
	for {
		n, rerr := io.ReadFull(r, buf[4:])
		if n > 0 {
			total += int64(n)
			if c.o.MaxSize > 0 && total > c.o.MaxSize {
				return fmt.Errorf("%w: more than %d bytes", ErrTooLarge, c.o.MaxSize)
			}
			if len(answered) > 0 {
				return errAnsweredEarly
			}
			binary.BigEndian.PutUint32(buf, uint32(n))
			if _, err := conn.Write(buf[:4+n]); err != nil {
				return err
			}
		}
		switch {
		case rerr == io.EOF || rerr == io.ErrUnexpectedEOF:
			_, err := conn.Write([]byte{0, 0, 0, 0})
			return err
		case rerr != nil:
			return fmt.Errorf("%w: %w", errRead, rerr)
		}
	}
}

// parseReply reads an INSTREAM answer.
func parseReply(line string) (clean bool, signature string, err error) {
	switch {
	case line == "stream: OK":
		return true, "", nil
	case strings.HasPrefix(line, "stream: ") && strings.HasSuffix(line, " FOUND"):
		sig := strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(line, "stream: "), " FOUND"))
		if sig == "" {
			return false, "", fmt.Errorf("%w: answer %q", ErrDaemon, line)
		}
		return false, sig, nil
	case strings.Contains(line, "size limit exceeded"):
		return false, "", fmt.Errorf("%w: clamd's StreamMaxLength", ErrTooLarge)
	case strings.HasSuffix(line, "ERROR"):
		return false, "", fmt.Errorf("%w: %s", ErrDaemon, strings.TrimSpace(strings.TrimSuffix(line, "ERROR")))
	default:
		return false, "", fmt.Errorf("%w: unexpected answer %q", ErrDaemon, truncate(line, 200))
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return string(bytes.ToValidUTF8([]byte(s[:n]), nil)) + "…"
}
