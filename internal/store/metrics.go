package store

import (
	"context"
	"errors"

	"github.com/prometheus/client_golang/prometheus"
	"go.mongodb.org/mongo-driver/v2/event"
)

// commandMetrics counts and times every command the driver sends, by
// command name (find, insert, update, findAndModify…: a small fixed set,
// so the label stays bounded) and outcome.
type commandMetrics struct {
	total    *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newCommandMetrics(reg prometheus.Registerer) (*commandMetrics, error) {
	total := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "ecpts",
		Subsystem: "store",
		Name:      "commands_total",
		Help:      "Database commands sent, by command name and outcome (ok, error).",
	}, []string{"command", "outcome"})
	duration := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "ecpts",
		Subsystem: "store",
		Name:      "command_duration_seconds",
		Help:      "Duration of database commands, by command name.",
		Buckets:   []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"command"})
	var err error
	if total, err = register(reg, total); err != nil {
		return nil, err
	}
	if duration, err = register(reg, duration); err != nil {
		return nil, err
	}
	return &commandMetrics{total: total, duration: duration}, nil
}

// register registers c, or returns the collector already registered under
// the same description (several stores on one registry, as in tests).
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, err
}

func (m *commandMetrics) monitor() *event.CommandMonitor {
	return &event.CommandMonitor{
		Succeeded: func(_ context.Context, e *event.CommandSucceededEvent) {
			m.total.WithLabelValues(e.CommandName, "ok").Inc()
			m.duration.WithLabelValues(e.CommandName).Observe(e.Duration.Seconds())
		},
		Failed: func(_ context.Context, e *event.CommandFailedEvent) {
			m.total.WithLabelValues(e.CommandName, "error").Inc()
			m.duration.WithLabelValues(e.CommandName).Observe(e.Duration.Seconds())
		},
	}
}
