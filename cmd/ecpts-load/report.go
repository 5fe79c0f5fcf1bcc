package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// report is what a run prints: its parameters, the figures of its
// scenario, the CPU both processes used, and checks against correctness
// rules and targets.
type report struct {
	Scenario    string          `json:"scenario"`
	Run         string          `json:"run"`
	Bases       []string        `json:"bases"`
	Started     time.Time       `json:"started"`
	WallSeconds float64         `json:"wall_s"`
	Params      map[string]any  `json:"params"`
	Idle        *idleResult     `json:"idle,omitempty"`
	Fanout      *fanoutResult   `json:"fanout,omitempty"`
	Saturate    *saturateResult `json:"saturate,omitempty"`
	Send        *sendResult     `json:"send,omitempty"`
	TwoNode     *twoNodeResult  `json:"twonode,omitempty"`
	Checks      []check         `json:"checks"`
	Notes       []string        `json:"notes,omitempty"`
}

// check is one rule the run verified. Correctness checks (no loss, no
// duplicate, stored exactly once) fail the run; targets only with -strict.
type check struct {
	Name string `json:"name"`
	Kind string `json:"kind"` // "correctness" or "target"
	Want string `json:"want"`
	Got  string `json:"got"`
	OK   bool   `json:"ok"`
}

func (r *report) correct(name, want, got string, ok bool) {
	r.Checks = append(r.Checks, check{Name: name, Kind: "correctness", Want: want, Got: got, OK: ok})
}

func (r *report) target(name, want, got string, ok bool) {
	r.Checks = append(r.Checks, check{Name: name, Kind: "target", Want: want, Got: got, OK: ok})
}

func (r *report) note(format string, args ...any) {
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

func (r *report) failed(strict bool) bool {
	for _, c := range r.Checks {
		if !c.OK && (c.Kind == "correctness" || strict) {
			return true
		}
	}
	return false
}

func (r *report) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func (r *report) writeText(w io.Writer) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p("ecpts-load %s — run %s — %s", r.Scenario, r.Run, strings.Join(r.Bases, ", "))
	var params []string
	for _, k := range slices.Sorted(maps.Keys(r.Params)) {
		params = append(params, fmt.Sprintf("%s=%v", k, r.Params[k]))
	}
	p("parameters: %s", strings.Join(params, " "))
	p("")
	switch {
	case r.Idle != nil:
		r.Idle.write(p)
	case r.Saturate != nil:
		r.Saturate.write(p)
	case r.TwoNode != nil:
		p("one node (%s):", r.Bases[0])
		r.TwoNode.OneNode.write(p)
		p("")
		p("two nodes:")
		r.TwoNode.TwoNodes.write(p)
		p("")
		p("p99 two nodes / one node: %.2f", r.TwoNode.P99Ratio)
	case r.Fanout != nil:
		r.Fanout.write(p)
	case r.Send != nil:
		r.Send.write(p)
	}
	if len(r.Checks) > 0 {
		p("")
		p("checks:")
		for _, c := range r.Checks {
			status := "ok"
			switch {
			case !c.OK && c.Kind == "correctness":
				status = "FAILED"
			case !c.OK:
				status = "MISSED"
			}
			p("  %-7s %-11s %-44s want %-16s got %s", status, c.Kind, c.Name, c.Want, c.Got)
		}
	}
	for _, n := range r.Notes {
		p("note: %s", n)
	}
	p("wall time %.1f s", r.WallSeconds)
}

func writeCPU(p func(string, ...any), c cpuUse) {
	share := func(s float64) float64 {
		if c.WallSeconds == 0 {
			return 0
		}
		return 100 * s / c.WallSeconds
	}
	p("  CPU over %.1f s on %d cores: server %.1f CPU-s (%.0f %% of one core), this tool %.1f CPU-s (%.0f %%); load average %.2f → %.2f",
		c.WallSeconds, c.CPUs, c.ServerCPUSeconds, share(c.ServerCPUSeconds), c.ToolCPUSeconds, share(c.ToolCPUSeconds), c.Load1Start, c.Load1End)
}

func writeLatency(p func(string, ...any), what string, l latency) {
	p("  %s: n=%d mean %.2f ms, p50 %.2f, p90 %.2f, p99 %.2f, p99.9 %.2f, max %.2f ms", what, l.Count, l.Mean, l.P50, l.P90, l.P99, l.P999, l.Max)
}

func fmtCounts(m map[string]uint64) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s×%d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

func ms(v float64) string { return fmt.Sprintf("%.2f ms", v) }
