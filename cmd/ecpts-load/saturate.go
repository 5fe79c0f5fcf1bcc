package main

import (
	"context"
	"fmt"
)

// saturateStep is one rate of a -saturate run.
type saturateStep struct {
	Rate             float64 `json:"rate"`
	Sent             uint64  `json:"sent"`
	Deliveries       uint64  `json:"deliveries"`
	DeliveriesPerSec float64 `json:"deliveries_per_s"`
	Latency          latency `json:"latency"`
	CaughtUp         bool    `json:"caught_up"`
	SlowClosed       uint64  `json:"server_slow_consumers"`
	Reconnects       uint64  `json:"reconnects"`
	LateSends        uint64  `json:"late_sends"`
	CPU              cpuUse  `json:"cpu"`
}

type saturateResult struct {
	Channel             string         `json:"channel"`
	Subscribers         int            `json:"subscribers"`
	Steps               []saturateStep `json:"steps"`
	MaxDeliveriesPerSec float64        `json:"max_deliveries_per_s"`
	MaxAtRate           float64        `json:"max_at_rate"`
	StopReason          string         `json:"stop_reason"`
	LastSeq             uint64         `json:"last_seq"`
	Lost                uint64         `json:"lost"`
	Duplicates          uint64         `json:"duplicates"`
	socketEnds
}

func (x *saturateResult) write(p func(string, ...any)) {
	p("  channel %s: %d subscribers", x.Channel, x.Subscribers)
	for _, s := range x.Steps {
		p("  step %6.0f msg/s: sent %6d, %8.0f deliveries/s, p50 %7.2f ms, p99 %8.2f ms, max %8.2f ms, caught up %-5v, slow closed %d, late sends %d, CPU server %.0f %% tool %.0f %%",
			s.Rate, s.Sent, s.DeliveriesPerSec, s.Latency.P50, s.Latency.P99, s.Latency.Max, s.CaughtUp, s.SlowClosed, s.LateSends,
			100*s.CPU.ServerCPUSeconds/s.CPU.WallSeconds, 100*s.CPU.ToolCPUSeconds/s.CPU.WallSeconds)
	}
	p("  maximum %.0f deliveries/s (at %.0f msg/s); stopped: %s", x.MaxDeliveriesPerSec, x.MaxAtRate, x.StopReason)
	p("  over the whole run: last seq %d, lost %d, duplicated %d", x.LastSeq, x.Lost, x.Duplicates)
	x.socketEnds.write(p)
}

// saturate raises the publishing rate ×1.5 per step until deliveries/s
// grow by less than 5 %, subscribers cannot catch up, p99 passes 1 s or
// the server refuses sends.
func (r *runner) saturate(ctx context.Context, rep *report) error {
	f, err := r.startFanout(ctx, "saturation", r.cfg.conns, r.cfg.bases[:1])
	if err != nil {
		return err
	}
	defer f.stop()
	res := &saturateResult{Channel: f.channel, Subscribers: r.cfg.conns, StopReason: fmt.Sprintf("reached -max-steps %d", r.cfg.maxSteps)}
	rate := r.cfg.rate
	for range r.cfg.maxSteps {
		x, err := f.measure(ctx, rate, r.cfg.step, 0)
		if err != nil {
			return err
		}
		res.LastSeq = x.LastSeq
		res.Steps = append(res.Steps, saturateStep{
			Rate: rate, Sent: x.Sent, Deliveries: x.Deliveries, DeliveriesPerSec: x.DeliveriesPerSec, Latency: x.Latency,
			CaughtUp: x.CaughtUp, SlowClosed: x.ServerSlowClosed, Reconnects: x.Reconnects, LateSends: x.LateSends, CPU: x.CPU,
		})
		r.log.Info("saturation step", "rate", rate, "deliveries_per_s", int(x.DeliveriesPerSec), "p99_ms", x.Latency.P99)
		grew := x.DeliveriesPerSec > res.MaxDeliveriesPerSec*1.05
		if x.DeliveriesPerSec > res.MaxDeliveriesPerSec {
			res.MaxDeliveriesPerSec, res.MaxAtRate = x.DeliveriesPerSec, rate
		}
		stop := ""
		switch {
		case x.Errors["send:rate_limited"] > 0:
			stop = "the server refused sends (rate_limited): raise ECPTS_SEND_RATE"
		case !grew:
			stop = "deliveries/s grew by less than 5 %"
		case !x.CaughtUp:
			stop = "subscribers did not catch up within -drain"
		case x.Latency.P99 > 1000:
			stop = "p99 passed 1 s"
		case rate*1.5 > maxRate:
			stop = "next step over the tool's rate cap"
		}
		if stop != "" {
			res.StopReason = stop
			break
		}
		rate *= 1.5
	}
	res.Lost, res.Duplicates, _, _ = f.audit(res.LastSeq)
	res.socketEnds = f.socketEnds()
	rep.Saturate = res
	rep.correct("lost seqs", "0", fmt.Sprint(res.Lost), res.Lost == 0)
	rep.correct("duplicated seqs", "0", fmt.Sprint(res.Duplicates), res.Duplicates == 0)
	rep.target("saturation deliveries/s", "≥ 600000", fmt.Sprintf("%.0f", res.MaxDeliveriesPerSec), res.MaxDeliveriesPerSec >= 600000)
	return nil
}
