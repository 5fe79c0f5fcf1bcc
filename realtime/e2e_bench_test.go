package realtime_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/realtime"
)

// countSocket counts the message and subscribed frames written to it into
// shared tallies (presence frames also flow, uncounted); it reads what is
// put in in.
type countSocket struct {
	tally  *tally // message frames
	subs   *tally // subscribed frames
	in     chan []byte
	closed chan struct{}
	once   sync.Once
}

type tally struct {
	mu     sync.Mutex
	n      int
	target int
	reach  chan struct{}
}

func (t *tally) add(n int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.n += n
	if t.reach != nil && t.n >= t.target {
		close(t.reach)
		t.reach = nil
	}
}

// await returns a channel closed once the tally reaches target.
func (t *tally) await(target int) <-chan struct{} {
	t.mu.Lock()
	defer t.mu.Unlock()
	ch := make(chan struct{})
	if t.n >= target {
		close(ch)
		return ch
	}
	t.target, t.reach = target, ch
	return ch
}

func (s *countSocket) ReadMessage() (int, []byte, error) {
	select {
	case p := <-s.in:
		return realtime.TextMessage, p, nil
	case <-s.closed:
		return 0, nil, errFakeClosed
	}
}

var (
	messagePrefix    = []byte(`{"type":"message"`)
	subscribedPrefix = []byte(`{"type":"subscribed"`)
)

func (s *countSocket) WriteMessage(_ int, p []byte) error {
	if n := bytes.Count(p, messagePrefix); n > 0 {
		s.tally.add(n)
	}
	if n := bytes.Count(p, subscribedPrefix); n > 0 {
		s.subs.add(n)
	}
	return nil
}
func (s *countSocket) WriteControl(int, []byte, time.Time) error { return nil }
func (s *countSocket) SetReadLimit(int64)                        {}
func (s *countSocket) SetReadDeadline(time.Time) error           { return nil }
func (s *countSocket) SetWriteDeadline(time.Time) error          { return nil }
func (s *countSocket) SetPongHandler(func(string) error)         {}
func (s *countSocket) Close() error                              { s.once.Do(func() { close(s.closed) }); return nil }

// BenchmarkEndToEndFanOut: publications through the memory broker to n
// connections, until every connection's writer has written every frame.
// One op = one publication; deliveries/s = frames written per second.
func BenchmarkEndToEndFanOut(b *testing.B) {
	for _, n := range []int{100, 1000} {
		b.Run(fmt.Sprintf("subscribers=%d", n), func(b *testing.B) {
			broker := realtime.NewMemoryBroker()
			app := newFakeApp(broker)
			users := make([]model.UserID, n)
			for i := range users {
				users[i] = model.UserID(fmt.Sprintf("%024x", i))
			}
			app.addChannel(chanA, users...)
			h := realtime.New(broker, app, realtime.Options{QueueSize: 1024})
			ctx, cancel := context.WithCancel(context.Background())
			runDone := make(chan error, 1)
			go func() { runDone <- h.Run(ctx) }()
			<-h.Ready()
			t, subs := &tally{}, &tally{}
			var serving sync.WaitGroup
			subscribed := subs.await(n)
			for _, u := range users {
				sock := &countSocket{tally: t, subs: subs, in: make(chan []byte, 1), closed: make(chan struct{})}
				serving.Go(func() { h.Serve(ctx, sock, realtime.Session{UserID: u}) })
				sock.in <- []byte(`{"type":"subscribe","channel":"` + string(chanA) + `"}`)
			}
			select {
			case <-subscribed:
			case <-time.After(30 * time.Second):
				b.Fatal("subscriptions not confirmed")
			}
			body := strings.Repeat("Patiente sortie d'hospitalisation, passage IDE demain matin. ", 4)
			const round = 16
			b.ResetTimer()
			start := time.Now()
			published := 0
			for published < b.N {
				k := min(round, b.N-published)
				want := t.current() + k*n
				reached := t.await(want)
				for range k {
					if _, err := app.post(ctx, chanA, users[0], body); err != nil {
						b.Fatal(err)
					}
				}
				published += k
				select {
				case <-reached:
				case <-time.After(30 * time.Second):
					b.Fatalf("only %d of %d frames written", t.current(), want)
				}
			}
			elapsed := time.Since(start)
			b.StopTimer()
			if slow := h.Stats().SlowConsumers; slow > 0 {
				b.Fatalf("%d slow consumers", slow)
			}
			b.ReportMetric(float64(published*n)/elapsed.Seconds(), "deliveries/s")
			cancel()
			serving.Wait()
			<-runDone
		})
	}
}

func (t *tally) current() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n
}
