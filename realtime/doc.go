// Package realtime is the WebSocket side of e-CPTS: wire frames, the hub that
// fans channel events out to connections, and the Broker seam that carries
// those events between nodes (MemoryBus for one process, package
// realtime/redisbroker for several). The protocol is documented in
// docs/protocol.md.
//
// Concurrency contract, in words:
//
//   - Hub.Serve runs in the websocket handler's goroutine and reads; it starts
//     one writer goroutine per connection and returns once both have stopped.
//     Only the writer writes data frames to the socket.
//   - Fan-out never blocks: each connection has a bounded queue, and a full
//     queue closes the connection with CloseSlowConsumer (4008). The client
//     reconnects and resumes by per-channel sequence, so nothing is lost.
//   - A connection is closed once (sync.Once plus a context); its queue is
//     never closed, so a late publisher cannot panic.
//   - The hub reaches the application only through App, which it calls from
//     the connection's reader goroutine with a bounded context. The
//     application reaches the hub's subscribers only through a Broker
//     (Publisher wraps one), so that every node acts on each event.
//   - Subscribing registers the connection first, then asks App for the
//     backlog: a message is either in the backlog or arrives live, and the
//     seam drops live copies of what the backlog already carried.
package realtime
