package server

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite openapi.json from the route table")

// TestOpenAPI keeps the committed document equal to what the route table
// generates, and checks every registered /api/v1 route is described.
func TestOpenAPI(t *testing.T) {
	s := New(Deps{})
	want, err := buildOpenAPI(s.apiRoutes())
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, '\n')
	if *update {
		if err := os.WriteFile("openapi.json", want, 0o644); err != nil {
			t.Fatal(err)
		}
		openAPIDocument = want
	}
	if !bytes.Equal(openAPIDocument, want) {
		t.Fatal("server/openapi.json is stale: run `go test ./server -run TestOpenAPI -update` and commit it")
	}
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, r := range s.App().GetRoutes(true) {
		if !strings.HasPrefix(r.Path, "/api/v1/") || r.Method == "HEAD" {
			continue
		}
		p := paramPattern.ReplaceAllString(r.Path, "{$1}")
		if _, ok := doc.Paths[p][strings.ToLower(r.Method)]; !ok {
			t.Errorf("route %s %s is not in openapi.json", r.Method, r.Path)
		}
		n++
	}
	if n < 30 {
		t.Fatalf("only %d API routes registered", n)
	}
}
