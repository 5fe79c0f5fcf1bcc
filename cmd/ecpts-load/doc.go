// Command ecpts-load drives a running e-CPTS server on this machine and
// measures its real-time path: memory per idle WebSocket, fan-out
// deliveries and their latency, send→ack latency with a REST audit of what
// was stored, loss and duplicates across reconnects, and a two-node
// comparison. It only targets loopback, and every loop is bounded in count
// and in time. Run `go run ./cmd/ecpts-load -h`; RESULTS.md holds the
// figures measured with it.
package main
