package main

import (
	"fmt"
	"testing"
	"time"
)

// libraryFrame matches a "protocol" or "material" frame about id.
func libraryFrame(typ, id string) func(map[string]any) bool {
	return func(f map[string]any) bool { return f["type"] == typ && f["id"] == id }
}

// TestLibraryFramesEndToEnd: over the real hub, a change of a protocol or
// of a material reaches the open connections of those who may see it, and
// only them: a draft stays within its CPTS's coordinateurs and membres,
// a validated protocol shared with Val de Cher reaches its members too
// (with each acknowledgement), and a material shared with nobody else
// reaches Val de Cher only once shared, then once deleted, as it loses it.
func TestLibraryFramesEndToEnd(t *testing.T) {
	base, stop := start(t, map[string]string{"ECPTS_ADDR": "127.0.0.1:0", "ECPTS_DATA_DIR": t.TempDir(), "ECPTS_DEMO": "1", "ECPTS_LOG_LEVEL": "warn"})
	defer stop()
	coord := newClient(t, base, "coordination@loire-nord.demo")
	ide := newClient(t, base, "infirmiere@loire-nord.demo")
	kine := newClient(t, base, "kine@loire-nord.demo")
	vc := newClient(t, base, "pharmacien@val-de-cher.demo")
	ln, vcID := coord.cptsID("CPTS Loire Nord"), vc.cptsID("CPTS Val de Cher")
	for _, c := range []*client{coord, ide, kine, vc} {
		c.connect()
		c.sendFrame(map[string]any{"type": "ping"}) // registered once it answers
		c.next(typ("pong"), "pong")
	}
	quiet := 400 * time.Millisecond

	// A draft: the CPTS's coordinateurs and membres, not Val de Cher.
	var created struct {
		Protocol struct {
			ID             string `json:"id"`
			CurrentVersion int    `json:"current_version"`
		} `json:"protocol"`
	}
	ide.call("POST", "/api/v1/protocols", fmt.Sprintf(`{"cpts_id":%q,"title":"Plaies chroniques en ville","visibility":"listed","shared_with":[%q]}`, ln, vcID), 201, &created)
	id := created.Protocol.ID
	for _, c := range []*client{coord, ide, kine} {
		if f := c.next(libraryFrame("protocol", id), "protocol created"); f["cpts_id"] != ln {
			t.Fatalf("protocol frame: %v", f)
		}
	}
	vc.noMore(libraryFrame("protocol", id), quiet, "draft frame for Val de Cher")

	// Review, then validation: still within Loire Nord until validated.
	kineID := kine.userID()
	ide.call("POST", "/api/v1/protocols/"+id+"/submit", fmt.Sprintf(`{"reviewer_ids":[%q]}`, kineID), 200, nil)
	coord.next(libraryFrame("protocol", id), "sent to review")
	kine.call("POST", "/api/v1/protocols/"+id+"/reviews", `{"version":1,"decision":"approve"}`, 200, nil)
	coord.next(libraryFrame("protocol", id), "reviewed")
	vc.noMore(libraryFrame("protocol", id), quiet, "review frame for Val de Cher")
	coord.call("POST", "/api/v1/protocols/"+id+"/validate", "", 200, nil)
	vc.next(libraryFrame("protocol", id), "validated, shared with Val de Cher")
	ide.next(libraryFrame("protocol", id), "validated")
	// An acknowledgement changes the counts the coordinator follows.
	vc.call("POST", "/api/v1/protocols/"+id+"/ack", `{"version":1}`, 200, nil)
	coord.next(libraryFrame("protocol", id), "acknowledged")

	// A material of Loire Nord alone, then shared, then deleted.
	var mat struct {
		Material struct {
			ID string `json:"id"`
		} `json:"material"`
	}
	coord.call("POST", "/api/v1/materials", fmt.Sprintf(`{"cpts_id":%q,"title":"Affiche Mois sans tabac","url":"https://example.org/affiche","theme":"tabac","audience":"patients"}`, ln), 201, &mat)
	mid := mat.Material.ID
	if f := ide.next(libraryFrame("material", mid), "material created"); f["deleted"] != false || f["cpts_id"] != ln {
		t.Fatalf("material frame: %v", f)
	}
	vc.noMore(libraryFrame("material", mid), quiet, "unshared material for Val de Cher")
	coord.call("PATCH", "/api/v1/materials/"+mid, fmt.Sprintf(`{"title":"Affiche Mois sans tabac 2026","visibility":"listed","shared_with":[%q]}`, vcID), 200, nil)
	vc.next(libraryFrame("material", mid), "material shared")
	ide.next(libraryFrame("material", mid), "material edited")
	coord.call("DELETE", "/api/v1/materials/"+mid, "", 204, nil)
	for _, c := range []*client{vc, ide} {
		if f := c.next(libraryFrame("material", mid), "material deleted"); f["deleted"] != true {
			t.Fatalf("deletion frame: %v", f)
		}
	}
}
