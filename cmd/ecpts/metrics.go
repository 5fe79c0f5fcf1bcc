package main

import (
	"github.com/ecpts/ecpts/realtime"
	"github.com/prometheus/client_golang/prometheus"
)

// registerHubMetrics exposes the hub's counters on /metrics, read at
// scrape time.
func registerHubMetrics(reg prometheus.Registerer, hub *realtime.Hub) {
	gauge := func(name, help string, f func(realtime.Stats) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return f(hub.Stats()) })
	}
	counter := func(name, help string, f func(realtime.Stats) float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return f(hub.Stats()) })
	}
	reg.MustRegister(
		gauge("ecpts_ws_connections", "Open WebSocket connections on this node.", func(s realtime.Stats) float64 { return float64(s.Connections) }),
		gauge("ecpts_ws_subscriptions", "Live channel subscriptions on this node.", func(s realtime.Stats) float64 { return float64(s.Subscriptions) }),
		counter("ecpts_ws_deliveries_total", "Frames queued to connections by fan-out.", func(s realtime.Stats) float64 { return float64(s.Deliveries) }),
		counter("ecpts_ws_slow_consumers_total", "Connections closed because their queue overflowed.", func(s realtime.Stats) float64 { return float64(s.SlowConsumers) }),
		counter("ecpts_ws_rate_limited_total", "Inbound frames dropped by the rate limit.", func(s realtime.Stats) float64 { return float64(s.RateLimited) }),
		gauge("ecpts_ws_subscribes_queued", "Subscribes waiting for a slot (the hub handles a few per CPU at once).", func(s realtime.Stats) float64 { return float64(s.SubscribesQueued) }),
		counter("ecpts_ws_broker_resumes_total", "Broker reconnects that asked clients to resume.", func(s realtime.Stats) float64 { return float64(s.BrokerResumes) }),
		counter("ecpts_ws_refused_connections_total", "Connections closed at once because their user held too many.", func(s realtime.Stats) float64 { return float64(s.RefusedConns) }),
	)
}
