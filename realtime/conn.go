package realtime

import (
	"context"
	"errors"
	"math"
	"sync"
	"time"

	"github.com/ecpts/ecpts/internal/model"
)

// Conn is one WebSocket connection on this node. Its reader runs in
// Hub.Serve's goroutine; only a writer goroutine writes data frames. The
// first push starts the writer, which then waits for the next frames
// without a buffer. Maps are made on first use. Everybody else talks to it
// through push (a non-blocking enqueue) and close.
type Conn struct {
	hub  *Hub
	sock Socket
	sess Session

	ctx        context.Context
	cancel     context.CancelFunc
	closeOnce  sync.Once
	closeCode  int           // written before cancel, read by the writer after ctx.Done
	closeWhy   string        // idem
	closeFlush bool          // idem: write what is queued before the close frame
	done       chan struct{} // closed once the close frame is written and the socket closed
	ping       *time.Timer   // set by Hub.open before the connection is reachable
	stopOnCtx  func() bool   // idem: stops closing c when Serve's context ends

	// The send queue: encoded frames, or batches of them joined by
	// newlines. Bounded by Options.QueueSize items; nil while empty.
	qmu     sync.Mutex
	queue   [][]byte
	writing bool // a writer goroutine runs; stays true once closing (finish owns the queue)
	// lingering: the writer waits on wake for the next frame (see
	// writeLoop); push signals wake then.
	lingering bool
	wake      chan struct{}
	ended     bool // finish took the queue: later pushes are dropped

	mu   sync.Mutex
	subs map[ChannelKey]*subscription // nil until the first subscribe

	// Frame handling only (one frame at a time, see handleOff).
	bucket      tokenBucket
	abuseStart  time.Time
	abuseCount  int
	lastRateErr time.Time
	nextRetry   time.Time // the earliest free resend slot of a refused send (see retryAfter)
	// announced: channels this connection told its user is online in
	// (nil until the first). Online lasts as long as the connection, so a
	// resubscribe announces nothing again.
	announced map[model.ChannelID]struct{}
}

func newConn(h *Hub, sock Socket, sess Session) *Conn {
	c := &Conn{
		hub:    h,
		sock:   sock,
		sess:   sess,
		done:   make(chan struct{}),
		bucket: tokenBucket{rate: h.opt.RateLimit, burst: float64(h.opt.RateBurst)},
	}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	return c
}

// push queues b without waiting, and starts the writer if none runs; false
// means the queue is full. The caller decides whether that closes the
// connection (it always does for frames the client relies on). Once the
// connection has finished, b is dropped.
func (c *Conn) push(b []byte) bool {
	c.qmu.Lock()
	if c.ended {
		c.qmu.Unlock()
		return true
	}
	if len(c.queue) >= c.hub.opt.QueueSize {
		c.qmu.Unlock()
		return false
	}
	if c.queue == nil {
		c.queue = make([][]byte, 0, 8) // grown by append beyond
	}
	c.queue = append(c.queue, b)
	start := !c.writing
	c.writing = true
	wake := c.lingering
	c.lingering = false
	c.qmu.Unlock()
	if start {
		go c.writeLoop()
	} else if wake {
		select {
		case c.wake <- struct{}{}:
		default:
		}
	}
	return true
}

// reply queues a frame for this client; a full queue closes the connection.
func (c *Conn) reply(b []byte) {
	if !c.push(b) {
		c.close(CloseSlowConsumer, "slow_consumer", false)
	}
}

// close ends the connection once: the writer (started here if none runs)
// sends a close frame with code and closes the socket, which ends the
// reader. flush asks the writer to send what is queued first (an error
// frame explaining the close).
func (c *Conn) close(code int, why string, flush bool) {
	c.closeOnce.Do(func() {
		c.closeCode, c.closeWhy, c.closeFlush = code, why, flush
		if code == CloseSlowConsumer {
			c.hub.stats.slow.Add(1)
		}
		c.cancel()
		c.qmu.Lock()
		start := !c.writing
		c.writing = true
		c.qmu.Unlock()
		if start {
			go c.writeLoop()
		}
	})
}

func (c *Conn) appContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.ctx, c.hub.opt.AppTimeout)
}

// readLoop reads until the socket fails or the connection closes.
//
// The read deadline is set before each read (pongs push it further): the
// time a frame's handling took, a subscribe waiting for its turn for
// instance, does not count as the client's silence. It is set before the
// closed check: a close that set an expired deadline to wake this reader is
// either seen by the check or sets its deadline after ours.
//
// An idle connection's goroutine waits here, for ever maybe: its stack is
// most of what an idle connection costs. The runtime never shrinks it
// below twice what it uses, so the loop keeps its own frame small and
// handles each frame off its stack (handleOff): decoding and App calls
// need deep stacks, which would otherwise stay with the idle reader.
func (c *Conn) readLoop() {
	for {
		_ = c.sock.SetReadDeadline(time.Now().Add(c.hub.opt.PongWait))
		if c.ctx.Err() != nil {
			return
		}
		mt, data, err := c.sock.ReadMessage()
		if err != nil || !c.handleOff(mt, data) {
			return
		}
	}
}

// handleOff runs onFrame in a goroutine of its own and waits for it: the
// frames of a connection are still handled one after the other, in order.
// A panic goes on in the reader, as if onFrame had run there.
func (c *Conn) handleOff(mt int, data []byte) bool {
	var (
		ok       bool
		panicked any
	)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() { panicked = recover() }()
		ok = c.onFrame(mt, data)
	}()
	<-done
	if panicked != nil {
		panic(panicked)
	}
	return ok
}

// onFrame handles a frame read; false ends the reading.
//
// Oversized frames: the socket's own limit is twice MaxFrameSize, so a
// frame between the two gets a payload_too_large error frame, then close
// 1009; beyond that the WebSocket library closes with 1009 by itself.
func (c *Conn) onFrame(mt int, data []byte) bool {
	if c.ctx.Err() != nil {
		return false
	}
	now := c.hub.opt.Now()
	if mt != TextMessage {
		c.close(CloseUnsupportedData, "text_only", true)
		return false
	}
	if len(data) > MaxFrameSize {
		c.reply(encodeError(&FrameError{Code: CodePayloadTooLarge, Message: msgPayloadTooLarge}))
		c.close(CloseMessageTooBig, "payload_too_large", true)
		return false
	}
	if !c.allow(now, data) {
		return true
	}
	f, err := DecodeFrame(data)
	if err != nil {
		var fe *FrameError
		if errors.As(err, &fe) {
			c.reply(encodeError(fe))
		}
		return true
	}
	c.handle(f)
	return true
}

// allow applies the inbound rate limit to the frame data. A dropped send
// earns an error frame naming it (ref: its client_id) with the time after
// which to send it again, so that a client pipelining sends resends exactly
// the dropped ones; any other dropped frame, one error frame a second at
// most, without ref. Either way a drop costs at most one frame out, and
// more than AbuseLimit drops in AbuseWindow close the connection: a flood
// is cut short before it costs much.
func (c *Conn) allow(now time.Time, data []byte) bool {
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
	if id := sendRef(data); id != "" {
		c.reply(encodeError(&FrameError{Code: CodeRateLimited, Message: msgRateLimited, Ref: id, RetryAfter: c.retryAfter(now, 0)}))
		return false
	}
	if now.Sub(c.lastRateErr) >= time.Second {
		c.lastRateErr = now
		c.reply(encodeError(&FrameError{Code: CodeRateLimited, Message: msgRateLimited}))
	}
	return false
}

// retryAfter books the time a refused send should come back, from now: no
// sooner than atLeast (the App's own delay) nor than the bucket's next
// token, and one token (1/RateLimit) after the send refused before it. A
// client that resends each refused send after its own retry_after then
// finds a token for each, instead of resending them all at once into an
// empty bucket, being dropped again and again, and closed for abuse.
// Frames the client sends meanwhile may still take some of those tokens:
// the sends they displace are dropped again and booked anew, further on.
func (c *Conn) retryAfter(now time.Time, atLeast time.Duration) time.Duration {
	at := now.Add(max(atLeast, c.bucket.wait(now)))
	if at.Before(c.nextRetry) {
		at = c.nextRetry
	}
	c.nextRetry = at.Add(c.bucket.interval())
	return at.Sub(now)
}

func (c *Conn) handle(f ClientFrame) {
	switch f := f.(type) {
	case Subscribe:
		c.hub.limitSubscribe(c, func() { c.subscribe(f) })
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
		ack, err := c.hub.app.Send(ctx, c.sess, f)
		cancel()
		if err != nil {
			c.appError(err, f.ClientID, "send", f.Channel)
			return
		}
		c.reply(encode(ackFrame{head: head{TypeAck, f.Channel}, ClientID: f.ClientID, Seq: ack.Seq, ID: ack.ID}))
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
	if c.subs == nil {
		c.subs = make(map[ChannelKey]*subscription)
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
	if !sub.isRemoved() && c.firstAnnouncement(f.Channel) && h.firstLocalSubscriber(c, key) {
		h.publishPresence(ctx, f.Channel, c.sess.UserID, "online")
	}
}

// firstAnnouncement reports whether this connection has not yet said its
// user is online in channel, and records that it now has.
func (c *Conn) firstAnnouncement(channel model.ChannelID) bool {
	if _, ok := c.announced[channel]; ok {
		return false
	}
	if c.announced == nil {
		c.announced = make(map[model.ChannelID]struct{}, 1)
	} else if len(c.announced) >= c.hub.opt.MaxSubscriptions { // bounded, like subs
		clear(c.announced)
	}
	c.announced[channel] = struct{}{}
	return true
}

func (c *Conn) typing(f Typing) {
	h := c.hub
	now := h.opt.Now()
	if !h.typing.allow(c.sess.UserID, f.Channel, now, h.opt.TypingInterval) {
		return
	}
	ctx, cancel := c.appContext()
	defer cancel()
	if err := h.app.Typing(ctx, c.sess, f.Channel); err != nil {
		c.appError(err, string(f.Channel), "typing", f.Channel)
		return
	}
	frame := encode(typingFrame{head: head{TypeTyping, f.Channel}, UserID: c.sess.UserID})
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
	if op == "send" && fe.RetryAfter > 0 {
		// The App's send limit: its resend slot is booked with those of
		// the sends the connection dropped, so that they do not all come
		// back together.
		fe.RetryAfter = c.retryAfter(c.hub.opt.Now(), fe.RetryAfter)
	}
	c.reply(encodeError(fe))
}

// writeLoop is the only writer of data frames. It takes what is queued and
// sends it in text frames of up to BatchBytes (frames joined by newlines),
// each write with a deadline, until the queue is empty; then it ends. When
// the connection closes, it finishes: the close frame, the socket.
func (c *Conn) writeLoop() {
	var (
		items, rest [][]byte
		buf         *[]byte
	)
	defer putBatchBuf(&buf)
	for {
		c.qmu.Lock()
		if c.ctx.Err() != nil {
			c.qmu.Unlock()
			c.finish(rest, &buf)
			return
		}
		if len(c.queue) == 0 {
			if c.wake == nil {
				c.wake = make(chan struct{}, 1)
			}
			// Wait for the next frame rather than end: once a connection
			// gets frames it keeps one writer, woken per frame (and
			// batching what queued meanwhile); starting a goroutine per
			// frame, or a timer per wait, cost 10 % more CPU per delivery
			// and tripled the fan-out p99 on two cores. A connection that
			// never got a frame has no writer.
			c.lingering = true // push clears it when it wakes us
			c.qmu.Unlock()
			putBatchBuf(&buf) // a waiting writer holds no buffer
			select {
			case <-c.wake:
			case <-c.ctx.Done():
			}
			continue
		}
		// Swap: the queue goes on in the slice just written from.
		items, c.queue = c.queue, items[:0]
		c.qmu.Unlock()
		if rest = c.writeItems(items, &buf, true); rest == nil {
			clear(items) // the frames are garbage once written
		}
	}
}

// writeItems sends items in batches of up to BatchBytes and returns what
// it did not send: when a write fails (it closes the connection), or, with
// stopOnClose, once the connection is closing.
func (c *Conn) writeItems(items [][]byte, buf **[]byte, stopOnClose bool) (rest [][]byte) {
	budget := c.hub.opt.BatchBytes
	for len(items) > 0 {
		if stopOnClose && c.ctx.Err() != nil {
			return items
		}
		n, size := 1, len(items[0])
		for n < len(items) && size+1+len(items[n]) <= budget {
			size += 1 + len(items[n])
			n++
		}
		if !c.write(items[:n], size, buf) {
			c.close(CloseNormal, "", false)
			return items[n:]
		}
		items = items[n:]
	}
	return nil
}

// batchBufs holds the buffers that writers join batches in: a waiting
// writer gives its buffer back.
var batchBufs sync.Pool // of *[]byte

// putBatchBuf gives back the buffer *buf (if any) and forgets it.
func putBatchBuf(buf **[]byte) {
	if *buf != nil {
		batchBufs.Put(*buf)
		*buf = nil
	}
}

// write sends batch, of size bytes once joined, as one text frame. A
// single item goes out as is: the shared bytes of a fan-out are never
// copied. *buf, the buffer batches are joined in, is taken from batchBufs
// when first needed.
func (c *Conn) write(batch [][]byte, size int, buf **[]byte) bool {
	opt := &c.hub.opt
	data := batch[0]
	if len(batch) > 1 {
		if *buf == nil {
			*buf, _ = batchBufs.Get().(*[]byte)
			if *buf == nil {
				*buf = new([]byte)
			}
		}
		b := (**buf)[:0]
		if cap(b) < size {
			b = make([]byte, 0, size)
		}
		for _, item := range batch {
			b = appendBatch(b, item)
		}
		**buf = b
		data = b
	}
	if err := c.sock.SetWriteDeadline(time.Now().Add(opt.WriteWait)); err != nil {
		return false
	}
	return c.sock.WriteMessage(TextMessage, data) == nil
}

// sendPing runs on the ping timer: a ping every PingPeriod, written by
// WriteControl, which may run alongside the writer.
func (c *Conn) sendPing() {
	if c.ctx.Err() != nil {
		return
	}
	opt := &c.hub.opt
	if err := c.sock.WriteControl(PingMessage, nil, time.Now().Add(opt.WriteWait)); err != nil {
		c.close(CloseNormal, "", false)
		return
	}
	c.ping.Reset(opt.PingPeriod)
	if c.ctx.Err() != nil { // finish may have stopped the timer before the Reset
		c.ping.Stop()
	}
}

// finish runs once, in the writer, after close: it writes what a polite
// close asked to flush (rest, what the writer held, then the queue), the
// close frame, and closes the socket (which ends the reader).
func (c *Conn) finish(rest [][]byte, buf **[]byte) {
	defer close(c.done)
	if c.ping != nil {
		c.ping.Stop()
	}
	c.qmu.Lock()
	queued := c.queue
	c.queue = nil
	c.ended = true
	c.qmu.Unlock()
	if c.closeFlush && len(c.writeItems(rest, buf, false)) == 0 {
		c.writeItems(queued, buf, false)
	}
	code, why := c.closeCode, c.closeWhy
	if code == 0 {
		code = CloseNormal
	}
	_ = c.sock.WriteControl(CloseMessage, closePayload(code, why), time.Now().Add(time.Second))
	// Close alone may not wake the reader: fasthttp's hijacked connections
	// ignore Close unless the server keeps them (Server.KeepHijackedConns),
	// so an expired read deadline ends the blocked read.
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
	b.tokens = b.at(now)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true
	}
	return false
}

// at returns the tokens the bucket holds at now (full before first use).
func (b *tokenBucket) at(now time.Time) float64 {
	if b.last.IsZero() {
		return b.burst
	}
	if elapsed := now.Sub(b.last); elapsed > 0 {
		return min(b.burst, b.tokens+elapsed.Seconds()*b.rate)
	}
	return b.tokens
}

// wait returns how long from now until the bucket holds a token.
func (b *tokenBucket) wait(now time.Time) time.Duration {
	missing := 1 - b.at(now)
	if missing <= 0 {
		return 0
	}
	return time.Duration(math.Ceil(missing / b.rate * float64(time.Second)))
}

// interval is the time the bucket takes to gain one token.
func (b *tokenBucket) interval() time.Duration {
	return time.Duration(math.Ceil(float64(time.Second) / b.rate))
}
