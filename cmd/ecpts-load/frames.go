package main

import (
	"bytes"
	"strconv"
)

// The tool reads hundreds of thousands of frames a second on the same two
// cores as the server, so it does not decode them as JSON: it splits a
// text frame on newlines (the server batches frames that way) and picks
// the few fields it needs by their position. The server writes frames
// with encoding/json from structs, so the field order is fixed:
//
//	{"type":"message","channel":ID,"seq":N,"message":{…,"body":"…",…}}
//	{"type":"ack","channel":ID,"client_id":UUID,"seq":N,"id":ID}
//	{"type":"subscribed","channel":ID,"last_seq":N}
//	{"type":"error","code":CODE,"message":TEXT,"ref":REF}
//
// Anything else is reported as kindOther and ignored by the scenarios.

type frameKind uint8

const (
	kindOther frameKind = iota
	kindMessage
	kindAck
	kindSubscribed
	kindError
	kindResume
)

// frame is what the scenarios need of one server frame. Its byte slices
// point into the read buffer: copy before keeping them.
type frame struct {
	kind     frameKind
	channel  []byte
	seq      uint64 // message and ack: the seq; subscribed: last_seq
	clientID []byte // ack: the client id
	sentAt   int64  // message: the send time carried by a load body, 0 if none
	code     []byte // error: the code
	ref      []byte // error: the ref
}

var (
	prefixMessage    = []byte(`{"type":"message",`)
	prefixAck        = []byte(`{"type":"ack",`)
	prefixSubscribed = []byte(`{"type":"subscribed",`)
	prefixError      = []byte(`{"type":"error",`)
	prefixResume     = []byte(`{"type":"resume"`)
	keyChannel       = []byte(`"channel":"`)
	keySeq           = []byte(`"seq":`)
	keyLastSeq       = []byte(`"last_seq":`)
	keyClientID      = []byte(`"client_id":"`)
	keyCode          = []byte(`"code":"`)
	keyRef           = []byte(`"ref":"`)
	// keyLoadBody starts the body of every message this tool sends:
	// "charge <unix nanoseconds> <run id>".
	keyLoadBody = []byte(`"body":"charge `)
)

// eachFrame calls fn for every newline-separated frame of data.
func eachFrame(data []byte, fn func(f *frame)) {
	var f frame
	for line := range bytes.SplitSeq(data, []byte{'\n'}) {
		if len(line) == 0 {
			continue
		}
		parseFrame(line, &f)
		fn(&f)
	}
}

// parseFrame fills f from one JSON frame (see the field order above).
func parseFrame(line []byte, f *frame) {
	*f = frame{}
	switch {
	case bytes.HasPrefix(line, prefixMessage):
		f.kind = kindMessage
		f.channel = stringAfter(line, keyChannel)
		f.seq, _ = uintAfter(line, keySeq)
		if i := bytes.Index(line, keyLoadBody); i >= 0 {
			n, ok := uintAfter(line[i:], keyLoadBody)
			if ok {
				f.sentAt = int64(n)
			}
		}
	case bytes.HasPrefix(line, prefixAck):
		f.kind = kindAck
		f.channel = stringAfter(line, keyChannel)
		f.clientID = stringAfter(line, keyClientID)
		f.seq, _ = uintAfter(line, keySeq)
	case bytes.HasPrefix(line, prefixSubscribed):
		f.kind = kindSubscribed
		f.channel = stringAfter(line, keyChannel)
		f.seq, _ = uintAfter(line, keyLastSeq)
	case bytes.HasPrefix(line, prefixError):
		f.kind = kindError
		f.code = stringAfter(line, keyCode)
		f.ref = stringAfter(line, keyRef)
	case bytes.HasPrefix(line, prefixResume):
		f.kind = kindResume
		f.channel = stringAfter(line, keyChannel)
	}
}

// stringAfter returns the JSON string value that follows key (which ends
// with the opening quote), up to the next quote. The values read this way
// (ids, codes, UUIDs) never contain escapes.
func stringAfter(line, key []byte) []byte {
	i := bytes.Index(line, key)
	if i < 0 {
		return nil
	}
	rest := line[i+len(key):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return nil
	}
	return rest[:j]
}

// uintAfter parses the decimal digits that follow the first occurrence of
// key.
func uintAfter(line, key []byte) (uint64, bool) {
	i := bytes.Index(line, key)
	if i < 0 {
		return 0, false
	}
	rest := line[i+len(key):]
	var n uint64
	j := 0
	// 19 digits always fit in a uint64; seqs and nanosecond times are
	// shorter.
	for ; j < len(rest) && j < 19 && rest[j] >= '0' && rest[j] <= '9'; j++ {
		n = n*10 + uint64(rest[j]-'0')
	}
	return n, j > 0
}

// loadBody is the body of a message sent at t (unix nanoseconds) by run.
func loadBody(t int64, run string) string {
	return "charge " + strconv.FormatInt(t, 10) + " " + run
}
