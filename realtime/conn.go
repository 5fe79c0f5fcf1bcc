package realtime

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/ecpts/ecpts/internal/model"
)

// Conn is one WebSocket connection on this node. Its reader runs in
// Hub.Serve's goroutine, its writer in a goroutine of its own; only the
// writer writes data frames. Everybody else talks to it through push (a
// non-blocking enqueue) and close.
type Conn struct {
	hub  *Hub
	sock Socket
	sess Session

	// send is never closed: a late publisher must not panic. Items are
	// encoded frames, or batches of them joined by newlines.
	send       chan []byte
	ctx        context.Context
	cancel     context.CancelFunc
	closeOnce  sync.Once
	closeCode  int    // written before cancel, read by the writer after ctx.Done
	closeWhy   string // idem
	closeFlush bool   // idem: write what is queued before the close frame
	writerDone chan struct{}

	mu   sync.Mutex
	subs map[ChannelKey]*subscription

	// Reader goroutine only.
	bucket      tokenBucket
	abuseStart  time.Time
	abuseCount  int
	lastRateErr time.Time
	typingAt    map[model.ChannelID]time.Time
}

func newConn(h *Hub, sock Socket, sess Session) *Conn {
	c := &Conn{
		hub:        h,
		sock:       sock,
		sess:       sess,
		send:       make(chan []byte, h.opt.QueueSize),
		writerDone: make(chan struct{}),
		subs:       make(map[ChannelKey]*subscription),
		bucket:     tokenBucket{rate: h.opt.RateLimit, burst: float64(h.opt.RateBurst)},
		typingAt:   make(map[model.ChannelID]time.Time),
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	return c
}

// push queues b without waiting; false means the queue is full. The caller
// decides whether that closes the connection (it always does for frames
// the client relies on).
func (c *Conn) push(b []byte) bool {
	select {
	case c.send <- b:
		return true
	default:
		return false
	}
}

// reply queues a frame for this client; a full queue closes the connection.
func (c *Conn) reply(b []byte) {
	if !c.push(b) {
		c.close(CloseSlowConsumer, "slow_consumer", false)
	}
}

// close ends the connection once: the writer sends a close frame with code
// and closes the socket, which ends the reader. flush asks the writer to
// send what is queued first (an error frame explaining the close).
func (c *Conn) close(code int, why string, flush bool) {
	c.closeOnce.Do(func() {
		c.closeCode, c.closeWhy, c.closeFlush = code, why, flush
		if code == CloseSlowConsumer {
			c.hub.stats.slow.Add(1)
		}
		c.cancel()
	})
}

func (c *Conn) appContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.ctx, c.hub.opt.AppTimeout)
}

// readLoop reads until the socket fails or the connection closes.
//
// Oversized frames: the socket's own limit is twice MaxFrameSize, so a
// frame between the two gets a payload_too_large error frame, then close
// 1009; beyond that the WebSocket library closes with 1009 by itself.
func (c *Conn) readLoop() {
	opt := &c.hub.opt
	for {
		mt, data, err := c.sock.ReadMessage()
		if err != nil {
			return
		}
		if c.ctx.Err() != nil {
			return
		}
		_ = c.sock.SetReadDeadline(time.Now().Add(opt.PongWait))
		now := opt.Now()
		if mt != TextMessage {
			c.close(CloseUnsupportedData, "text_only", true)
			return
		}
		if len(data) > MaxFrameSize {
			c.reply(encodeError(&FrameError{Code: CodePayloadTooLarge, Message: msgPayloadTooLarge}))
			c.close(CloseMessageTooBig, "payload_too_large", true)
			return
		}
		if !c.allow(now) {
			continue
		}
		f, err := DecodeFrame(data)
		if err != nil {
			var fe *FrameError
			if errors.As(err, &fe) {
				c.reply(encodeError(fe))
			}
			continue
		}
		c.handle(f)
	}
}

// allow applies the inbound rate limit. A dropped frame earns an error
// frame (at most one a second); too many drops in AbuseWindow close.
func (c *Conn) allow(now time.Time) bool {
	if c.bucket.take(now) {
		return true
	}
	opt := &c.hub.opt
	c.hub.stats.rateLimited.Add(1)
	if now.Sub(c.abuseStart) > opt.AbuseWindow {
		c.abuseStart, c.abuseCount = now, 0
	}
	c.abuseCount++
	if c.abuseCount > opt.AbuseLimit {
		c.close(CloseRateLimited, "rate_limited", false)
		return false
	}
	if now.Sub(c.lastRateErr) >= time.Second {
		c.lastRateErr = now
		c.reply(encodeError(&FrameError{Code: CodeRateLimited, Message: msgRateLimited}))
	}
	return false
}

func (c *Conn) handle(f ClientFrame) {
	switch f := f.(type) {
	case Subscribe:
		c.subscribe(f)
	case Unsubscribe:
		key := KeyOf(f.Channel)
		c.mu.Lock()
		sub := c.subs[key]
		c.mu.Unlock()
		if sub != nil {
			sub.remove(nil)
			c.hub.detach(c, sub)
		}
	case Send:
		ctx, cancel := c.appContext()
		ack, err := c.hub.app.Send(ctx, c.sess, SendInput(f))
		cancel()
		if err != nil {
			c.appError(err, f.ClientID, "send", f.Channel)
			return
		}
		c.reply(encode(ackFrame{Type: TypeAck, Channel: f.Channel, ClientID: f.ClientID, Seq: ack.Seq, ID: ack.ID}))
	case Read:
		ctx, cancel := c.appContext()
		err := c.hub.app.Read(ctx, c.sess, f.Channel, f.Seq)
		cancel()
		if err != nil {
			c.appError(err, string(f.Channel), "read", f.Channel)
		}
	case Typing:
		c.typing(f)
	case Ping:
		c.reply(pongBytes)
	}
}

func (c *Conn) subscribe(f Subscribe) {
	h := c.hub
	key := KeyOf(f.Channel)
	sub := &subscription{conn: c, channel: f.Channel, key: key, since: f.SinceSeq}
	c.mu.Lock()
	old := c.subs[key]
	if old == nil && len(c.subs) >= h.opt.MaxSubscriptions {
		c.mu.Unlock()
		c.reply(encodeError(&FrameError{Code: CodeTooManySubscriptions, Message: msgTooManySubscriptions, Ref: string(f.Channel)}))
		return
	}
	c.subs[key] = sub
	c.mu.Unlock()
	if old != nil {
		old.remove(nil) // a resubscription replaces the old one in place
	}

	ctx, cancel := c.appContext()
	defer cancel()
	// Register first: from here on every publication reaches sub, so the
	// backlog asked for next cannot leave a gap.
	if err := h.attach(ctx, c, sub); err != nil {
		h.detach(c, sub)
		if c.ctx.Err() == nil {
			h.log.Warn("realtime: subscribe failed", "user_id", c.sess.UserID, "channel_id", f.Channel, "err", err)
			c.reply(encodeError(&FrameError{Code: CodeUnavailable, Message: msgUnavailable, Ref: string(f.Channel)}))
		}
		return
	}
	backlog, lastSeq, err := h.app.Subscribe(ctx, c.sess, f.Channel, f.SinceSeq)
	if err != nil {
		sub.remove(nil)
		h.detach(c, sub)
		c.appError(err, string(f.Channel), "subscribe", f.Channel)
		return
	}
	if !sub.start(backlog, lastSeq) {
		c.close(CloseSlowConsumer, "slow_consumer", false)
		return
	}
	if !sub.isRemoved() && h.firstLocalSubscriber(c, key) {
		h.publishPresence(ctx, f.Channel, c.sess.UserID, "online")
	}
}

func (c *Conn) typing(f Typing) {
	h := c.hub
	now := h.opt.Now()
	if last, ok := c.typingAt[f.Channel]; ok && now.Sub(last) < h.opt.TypingInterval {
		return
	}
	if len(c.typingAt) >= 64 { // bounded: the map only throttles
		clear(c.typingAt)
	}
	c.typingAt[f.Channel] = now
	ctx, cancel := c.appContext()
	defer cancel()
	if err := h.app.Typing(ctx, c.sess, f.Channel); err != nil {
		c.appError(err, string(f.Channel), "typing", f.Channel)
		return
	}
	frame := encode(typingFrame{Type: TypeTyping, Channel: f.Channel, UserID: c.sess.UserID})
	if err := h.broker.Publish(ctx, string(KeyOf(f.Channel)), userFramePayload(c.sess.UserID, frame)); err != nil {
		h.log.Warn("realtime: publish typing failed", "user_id", c.sess.UserID, "channel_id", f.Channel, "err", err)
	}
}

// appError answers a failed App call. Unauthenticated closes the
// connection; unexpected errors are logged (ids only) and answered
// "internal".
func (c *Conn) appError(err error, ref, op string, channel model.ChannelID) {
	if c.ctx.Err() != nil {
		return // closing: the error is ours, not the client's
	}
	if errors.Is(err, model.ErrUnauthenticated) {
		c.close(CloseUnauthenticated, "session_closed", false)
		return
	}
	fe, known := errorFrameFor(err, ref)
	if !known {
		c.hub.log.Error("realtime: app call failed", "op", op, "user_id", c.sess.UserID, "channel_id", channel, "err", err)
	}
	c.reply(encodeError(fe))
}

// writeLoop is the only writer of data frames. Queued frames are sent in
// one text frame, newline-separated, up to BatchBytes; pings go out every
// PingPeriod; every write has a deadline.
func (c *Conn) writeLoop() {
	defer close(c.writerDone)
	opt := &c.hub.opt
	ping := time.NewTicker(opt.PingPeriod)
	defer ping.Stop()
	var (
		batch [][]byte
		buf   []byte
		carry []byte
	)
	for {
		if c.ctx.Err() != nil {
			c.finish(carry)
			return
		}
		first := carry
		carry = nil
		if first == nil {
			select {
			case <-c.ctx.Done():
				c.finish(nil)
				return
			case <-ping.C:
				if err := c.sock.WriteControl(PingMessage, nil, time.Now().Add(opt.WriteWait)); err != nil {
					c.close(CloseNormal, "", false)
				}
				continue
			case first = <-c.send:
			}
		}
		batch, carry = c.gather(batch[:0], first)
		if !c.write(batch, &buf) {
			c.close(CloseNormal, "", false)
		}
	}
}

// gather appends to batch what the queue holds right now, within the
// byte budget; an item that does not fit is returned as carry.
func (c *Conn) gather(batch [][]byte, first []byte) (out [][]byte, carry []byte) {
	budget := c.hub.opt.BatchBytes
	batch = append(batch, first)
	size := len(first)
	for size < budget {
		select {
		case next := <-c.send:
			if size+1+len(next) > budget {
				return batch, next
			}
			batch = append(batch, next)
			size += 1 + len(next)
		default:
			return batch, nil
		}
	}
	return batch, nil
}

// write sends batch as one text frame. A single item goes out as is: the
// shared bytes of a fan-out are never copied.
func (c *Conn) write(batch [][]byte, buf *[]byte) bool {
	opt := &c.hub.opt
	data := batch[0]
	if len(batch) > 1 {
		b := (*buf)[:0]
		for _, item := range batch {
			b = appendBatch(b, item)
		}
		*buf = b
		data = b
	}
	if err := c.sock.SetWriteDeadline(time.Now().Add(opt.WriteWait)); err != nil {
		return false
	}
	return c.sock.WriteMessage(TextMessage, data) == nil
}

// finish writes what a polite close asked to flush, the close frame, and
// closes the socket (which ends the reader).
func (c *Conn) finish(carry []byte) {
	opt := &c.hub.opt
	if c.closeFlush {
		// Bounded: fan-out may still be queueing until unregister.
		var batch [][]byte
		var buf []byte
		for items := 0; items < opt.QueueSize; items += len(batch) {
			first := carry
			carry = nil
			if first == nil {
				select {
				case first = <-c.send:
				default:
				}
			}
			if first == nil {
				break
			}
			batch, carry = c.gather(batch[:0], first)
			if !c.write(batch, &buf) {
				break
			}
		}
	}
	code, why := c.closeCode, c.closeWhy
	if code == 0 {
		code = CloseNormal
	}
	_ = c.sock.WriteControl(CloseMessage, closePayload(code, why), time.Now().Add(time.Second))
	// Close alone may not wake the reader: fasthttp's hijacked connections
	// ignore Close (the server closes them once the handler returns), so
	// an expired read deadline ends the blocked read.
	_ = c.sock.SetReadDeadline(time.Now())
	_ = c.sock.Close()
}

// tokenBucket is the inbound rate limit; only the reader touches it.
type tokenBucket struct {
	rate, burst float64
	tokens      float64
	last        time.Time
}

func (b *tokenBucket) take(now time.Time) bool {
	if b.last.IsZero() {
		b.tokens = b.burst
	} else if elapsed := now.Sub(b.last); elapsed > 0 {
		b.tokens = min(b.burst, b.tokens+elapsed.Seconds()*b.rate)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true
	}
	return false
}
