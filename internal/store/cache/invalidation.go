package cache

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/ecpts/ecpts/internal/model"
)

// Invalidation names what a write made stale. Core builds one after its
// writes and hands it to Layer.Invalidate, which drops the entries here
// and announces it to the other nodes (Bus); they apply it (Layer.Apply).
type Invalidation struct {
	// Access: these users' memberships (CPTS, groups, channels) and the
	// scopes read from them.
	Access []model.UserID
	// Users: these users' profiles.
	Users []model.UserID
	// Channels: these channel documents.
	Channels []model.ChannelID
	// CPTSLists and GroupLists: the channel lists of these CPTS and groups.
	CPTSLists  []model.CPTSID
	GroupLists []model.GroupID
}

// ChannelChanged is the invalidation of a write to ch: the document and
// the channel list of its scope (its group's, else its CPTS's).
func ChannelChanged(ch model.Channel) Invalidation {
	inv := Invalidation{Channels: []model.ChannelID{ch.ID}}
	switch {
	case ch.GroupID != "":
		inv.GroupLists = []model.GroupID{ch.GroupID}
	case ch.CPTSID != "":
		inv.CPTSLists = []model.CPTSID{ch.CPTSID}
	}
	return inv
}

// IsZero reports an invalidation that names nothing.
func (inv Invalidation) IsZero() bool {
	return len(inv.Access) == 0 && len(inv.Users) == 0 && len(inv.Channels) == 0 &&
		len(inv.CPTSLists) == 0 && len(inv.GroupLists) == 0
}

// invalidationVersion is the "v" of the encoding. Kinds added later keep
// it (a node ignores the fields it does not know; the TTLs bound what it
// then keeps); a change of meaning of a field takes the next one.
const invalidationVersion = 1

// wireInvalidation is the encoding: a JSON object, e.g.
// {"v":1,"access":["<user id>"],"channels":["<channel id>"],"cpts_lists":["<cpts id>"]}.
type wireInvalidation struct {
	V          int               `json:"v"`
	Access     []model.UserID    `json:"access,omitempty"`
	Users      []model.UserID    `json:"users,omitempty"`
	Channels   []model.ChannelID `json:"channels,omitempty"`
	CPTSLists  []model.CPTSID    `json:"cpts_lists,omitempty"`
	GroupLists []model.GroupID   `json:"group_lists,omitempty"`
}

// MarshalBinary encodes inv for the other nodes (see wireInvalidation).
func (inv Invalidation) MarshalBinary() ([]byte, error) {
	return json.Marshal(wireInvalidation{
		V: invalidationVersion, Access: inv.Access, Users: inv.Users, Channels: inv.Channels,
		CPTSLists: inv.CPTSLists, GroupLists: inv.GroupLists,
	})
}

// ErrBadInvalidation: what UnmarshalBinary was given is not an
// invalidation this node can apply.
var ErrBadInvalidation = errors.New("cache: malformed invalidation")

// UnmarshalBinary decodes what MarshalBinary encoded. It refuses anything
// else: not one JSON object, another version, an id that is not one, or
// nothing named. Fields it does not know are ignored.
func (inv *Invalidation) UnmarshalBinary(b []byte) error {
	var w wireInvalidation
	d := json.NewDecoder(bytes.NewReader(b))
	if err := d.Decode(&w); err != nil {
		return fmt.Errorf("%w: %v", ErrBadInvalidation, err)
	}
	if _, err := d.Token(); err != io.EOF {
		return fmt.Errorf("%w: data after the object", ErrBadInvalidation)
	}
	if w.V != invalidationVersion {
		return fmt.Errorf("%w: version %d", ErrBadInvalidation, w.V)
	}
	got := Invalidation{Access: w.Access, Users: w.Users, Channels: w.Channels, CPTSLists: w.CPTSLists, GroupLists: w.GroupLists}
	if got.IsZero() {
		return fmt.Errorf("%w: names nothing", ErrBadInvalidation)
	}
	if !validIDs(w.Access) || !validIDs(w.Users) || !validIDs(w.Channels) || !validIDs(w.CPTSLists) || !validIDs(w.GroupLists) {
		return fmt.Errorf("%w: not an id", ErrBadInvalidation)
	}
	*inv = got
	return nil
}

func validIDs[I ~string](ids []I) bool {
	for _, id := range ids {
		if !model.ValidID(string(id)) {
			return false
		}
	}
	return true
}
