package cache

import (
	"errors"
	"reflect"
	"testing"

	"github.com/ecpts/ecpts/internal/model"
)

func TestInvalidationEncoding(t *testing.T) {
	const (
		u1 = "aaaaaaaaaaaaaaaaaaaaaa01"
		u2 = "aaaaaaaaaaaaaaaaaaaaaa02"
		ch = "cccccccccccccccccccccc01"
		cp = "dddddddddddddddddddddd01"
		gr = "eeeeeeeeeeeeeeeeeeeeee01"
	)
	for _, inv := range []Invalidation{
		{Access: []model.UserID{u1, u2}},
		{Users: []model.UserID{u1}},
		ChannelChanged(model.Channel{ID: ch, CPTSID: cp}),
		ChannelChanged(model.Channel{ID: ch, CPTSID: cp, GroupID: gr}),
		ChannelChanged(model.Channel{ID: ch}), // a direct conversation: no list
		{Access: []model.UserID{u1}, Users: []model.UserID{u2}, Channels: []model.ChannelID{ch}, CPTSLists: []model.CPTSID{cp}, GroupLists: []model.GroupID{gr}},
	} {
		b, err := inv.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var got Invalidation
		if err := got.UnmarshalBinary(b); err != nil {
			t.Fatalf("decode %s: %v", b, err)
		}
		if !reflect.DeepEqual(got, inv) {
			t.Errorf("decode %s = %+v, want %+v", b, got, inv)
		}
	}
	// The encoding is the contract between nodes: pin it.
	b, _ := ChannelChanged(model.Channel{ID: ch, GroupID: gr}).MarshalBinary()
	if want := `{"v":1,"channels":["` + ch + `"],"group_lists":["` + gr + `"]}`; string(b) != want {
		t.Errorf("encoding %s, want %s", b, want)
	}
	// Fields a later version adds are ignored.
	var got Invalidation
	if err := got.UnmarshalBinary([]byte(`{"v":1,"users":["` + u1 + `"],"publications":["` + u2 + `"]}`)); err != nil || len(got.Users) != 1 {
		t.Errorf("unknown field: %+v, %v; want the users applied", got, err)
	}
	for _, bad := range []string{
		``, `null`, `[]`, `"v"`, `{}`, `{"v":1}`, `{"v":1,"access":[]}`,
		`{"v":2,"access":["` + u1 + `"]}`, `{"v":"1","access":["` + u1 + `"]}`,
		`{"v":1,"access":["x"]}`, `{"v":1,"access":[""]}`, `{"v":1,"channels":[1]}`,
		`{"v":1,"cpts_lists":["../` + cp + `"]}`, `{"v":1,"group_lists":["` + gr + `",null]}`,
		`{"v":1,"access":["` + u1 + `"]}x`, `{"v":1,"access":["` + u1 + `"]}{}`, `{"v":1,"access":["` + u1 + `"]`,
		`c:` + ch, u1 + `,` + u2, // what the nodes sent before
	} {
		var inv Invalidation
		if err := inv.UnmarshalBinary([]byte(bad)); !errors.Is(err, ErrBadInvalidation) {
			t.Errorf("decode %q: %+v, %v; want ErrBadInvalidation", bad, inv, err)
		}
		if !inv.IsZero() {
			t.Errorf("decode %q left %+v", bad, inv)
		}
	}
}
