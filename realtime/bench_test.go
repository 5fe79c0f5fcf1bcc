package realtime

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/model"
)

type benchMessage struct {
	ID        string       `json:"id"`
	ChannelID string       `json:"channel_id"`
	UserID    model.UserID `json:"user_id"`
	ClientID  string       `json:"client_id"`
	Body      string       `json:"body"`
	HTML      string       `json:"html"`
	CreatedAt time.Time    `json:"created_at"`
}

func sampleMessage() benchMessage {
	body := strings.Repeat("Patiente sortie d'hospitalisation, passage IDE demain matin. ", 4)
	return benchMessage{
		ID: model.NewID(), ChannelID: testChan, UserID: "a11ce0000000000000000000",
		ClientID: "0f8fad5b-d9cb-469f-a165-70867728950e", Body: body, HTML: "<p>" + body + "</p>",
		CreatedAt: time.Unix(1_700_000_000, 0).UTC(),
	}
}

// BenchmarkMessageFrameEncode: the one encoding of a message per fan-out.
func BenchmarkMessageFrameEncode(b *testing.B) {
	msg := sampleMessage()
	var size int
	for b.Loop() {
		f, err := MessageFrame(testChan, 42, msg)
		if err != nil {
			b.Fatal(err)
		}
		size = len(f.Data)
	}
	b.SetBytes(int64(size))
}

// BenchmarkFanOut measures the hub's half of a delivery: one publication
// queued on n live subscribers. Queues are emptied with the timer stopped,
// so this is the enqueue cost alone; BenchmarkEndToEndFanOut adds the
// writers.
func BenchmarkFanOut(b *testing.B) {
	for _, n := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("subscribers=%d", n), func(b *testing.B) {
			h := New(NewMemoryBroker(), nil, Options{QueueSize: 64})
			key := KeyOf(testChan)
			s := h.shardOf(key)
			s.subs[key] = make(map[*Conn]*subscription)
			conns := make([]*Conn, n)
			for i := range conns {
				c := newConn(h, nil, Session{UserID: model.UserID(fmt.Sprintf("%024x", i))})
				c.writing = true // no writer starts: the queues are emptied below
				s.subs[key][c] = &subscription{conn: c, channel: testChan, key: key, live: true}
				conns[i] = c
			}
			f, err := MessageFrame(testChan, 1, sampleMessage())
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := range b.N {
				f.Seq = uint64(i + 1)
				h.fanOut(key, f, "")
				if conns[0].queued() == h.opt.QueueSize {
					b.StopTimer()
					for _, c := range conns {
						c.qmu.Lock()
						c.queue = nil
						c.qmu.Unlock()
					}
					b.StartTimer()
				}
			}
			b.StopTimer()
			if slow := h.stats.slow.Load(); slow > 0 {
				b.Fatalf("%d subscribers closed as slow consumers", slow)
			}
			b.ReportMetric(float64(h.stats.deliveries.Load())/b.Elapsed().Seconds(), "deliveries/s")
		})
	}
}

// queued is how many items c's queue holds.
func (c *Conn) queued() int {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	return len(c.queue)
}

// discardSocket accepts writes and counts them.
type discardSocket struct {
	writes, bytes int
}

func (d *discardSocket) ReadMessage() (int, []byte, error) { return 0, nil, errBadEnvelope }
func (d *discardSocket) WriteMessage(_ int, p []byte) error {
	d.writes++
	d.bytes += len(p)
	return nil
}
func (d *discardSocket) WriteControl(int, []byte, time.Time) error { return nil }
func (d *discardSocket) SetReadLimit(int64)                        {}
func (d *discardSocket) SetReadDeadline(time.Time) error           { return nil }
func (d *discardSocket) SetWriteDeadline(time.Time) error          { return nil }
func (d *discardSocket) SetPongHandler(func(string) error)         {}
func (d *discardSocket) Close() error                              { return nil }

// BenchmarkWriterBatching: the writer draining a queue of 64 message frames,
// batched into text frames of at most BatchBytes, against one write each.
func BenchmarkWriterBatching(b *testing.B) {
	f, err := MessageFrame(testChan, 1, sampleMessage())
	if err != nil {
		b.Fatal(err)
	}
	const queued = 64
	for _, budget := range []int{1, 64 << 10} {
		name := "batched"
		if budget == 1 {
			name = "one-per-write"
		}
		b.Run(name, func(b *testing.B) {
			h := New(NewMemoryBroker(), nil, Options{QueueSize: queued, BatchBytes: budget})
			sock := &discardSocket{}
			c := newConn(h, sock, Session{})
			c.writing = true // the loop below plays the writer
			var buf *[]byte
			for b.Loop() {
				for range queued {
					c.push(f.Data)
				}
				c.qmu.Lock()
				items := c.queue
				c.queue = nil
				c.qmu.Unlock()
				if rest := c.writeItems(items, &buf, true); rest != nil {
					b.Fatalf("%d frames not written", len(rest))
				}
			}
			b.SetBytes(int64(queued * len(f.Data)))
			b.ReportMetric(float64(sock.writes)/float64(b.N), "writes/op")
		})
	}
}
