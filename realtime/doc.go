// Package realtime is the WebSocket side of e-CPTS: wire frames, the hub that
// fans channel events out to connections, and the Broker seam that carries
// those events between nodes (MemoryBus for one process, package
// realtime/redisbroker for several). The protocol is documented in
// docs/protocol.md.
//
// Concurrency contract, in words:
//
//   - Hub.Serve runs in the websocket handler's goroutine and reads; it
//     returns once the connection has ended. The first frame pushed to a
//     connection starts its writer goroutine, which then waits for the
//     next ones (woken per push, batching what queued meanwhile): only it
//     writes data frames to the socket. Pings go out from a timer. Each
//     frame read is handled in a goroutine of its own that the reader waits
//     for, so frames are handled in order and the reader's stack stays
//     small. A connection thus holds its reader, parked in its read, and
//     once it got a frame a parked writer with no buffer.
//   - Fan-out never blocks: each connection has a bounded queue, and a full
//     queue closes the connection with CloseSlowConsumer (4008). The client
//     reconnects and resumes by per-channel sequence, so nothing is lost.
//   - At most Options.MaxConcurrentSubscribes subscribes are handled at
//     once per hub; the others wait, each holding up only its own
//     connection's reader.
//   - A connection is closed once (sync.Once plus a context); its queue is
//     never closed, so a late publisher cannot panic.
//   - The hub reaches the application only through App, which it calls on
//     behalf of the connection's reader (one call at a time per connection)
//     with a bounded context. The application reaches the hub's subscribers
//     only through a Broker (Publisher wraps one), so that every node acts
//     on each event.
//   - Subscribing registers the connection first, then asks App for the
//     backlog: a message is either in the backlog or arrives live, and the
//     seam drops live copies of what the backlog already carried.
package realtime
