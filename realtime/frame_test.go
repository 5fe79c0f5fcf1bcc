package realtime

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/model"
)

const testChan = "aaaaaaaaaaaaaaaaaaaaaaaa"

func TestDecodeFrame(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want ClientFrame
		code string
		ref  string
	}{
		{"subscribe", `{"type":"subscribe","channel":"` + testChan + `","since_seq":7}`, Subscribe{Channel: testChan, SinceSeq: 7}, "", ""},
		{"subscribe without since", `{"type":"subscribe","channel":"` + testChan + `"}`, Subscribe{Channel: testChan}, "", ""},
		{"unsubscribe", `{"type":"unsubscribe","channel":"` + testChan + `"}`, Unsubscribe{Channel: testChan}, "", ""},
		{"send", `{"type":"send","channel":"` + testChan + `","client_id":"0F8FAD5B-D9CB-469F-A165-70867728950E","body":"Bonjour","thread_id":"bbbbbbbbbbbbbbbbbbbbbbbb-0000000042"}`,
			Send{Channel: testChan, ClientID: "0f8fad5b-d9cb-469f-a165-70867728950e", Body: "Bonjour", ThreadID: "bbbbbbbbbbbbbbbbbbbbbbbb-0000000042"}, "", ""},
		{"send empty body is the app's call", `{"type":"send","channel":"` + testChan + `","client_id":"0f8fad5b-d9cb-469f-a165-70867728950e","body":""}`,
			Send{Channel: testChan, ClientID: "0f8fad5b-d9cb-469f-a165-70867728950e"}, "", ""},
		{"send with files", `{"type":"send","channel":"` + testChan + `","client_id":"0f8fad5b-d9cb-469f-a165-70867728950e","body":"","file_ids":["` + testChan + `"]}`,
			Send{Channel: testChan, ClientID: "0f8fad5b-d9cb-469f-a165-70867728950e", FileIDs: []model.FileID{testChan}}, "", ""},
		{"send with a bad file id", `{"type":"send","channel":"` + testChan + `","client_id":"0f8fad5b-d9cb-469f-a165-70867728950e","body":"","file_ids":["../x"]}`,
			nil, CodeInvalidFrame, "0f8fad5b-d9cb-469f-a165-70867728950e"},
		{"send with 11 files", `{"type":"send","channel":"` + testChan + `","client_id":"0f8fad5b-d9cb-469f-a165-70867728950e","body":"","file_ids":[` + strings.Repeat(`"`+testChan+`",`, 10) + `"` + testChan + `"]}`,
			nil, CodeInvalidFrame, "0f8fad5b-d9cb-469f-a165-70867728950e"},
		{"read", `{"type":"read","channel":"` + testChan + `","seq":3}`, Read{Channel: testChan, Seq: 3}, "", ""},
		{"typing", `{"type":"typing","channel":"` + testChan + `"}`, Typing{Channel: testChan}, "", ""},
		{"ping", `{"type":"ping"}`, Ping{}, "", ""},
		{"unknown fields ignored", `{"type":"ping","future":[1,2]}`, Ping{}, "", ""},

		{"empty", ``, nil, CodeInvalidJSON, ""},
		{"truncated", `{"type":"ping"`, nil, CodeInvalidJSON, ""},
		{"two objects", `{"type":"ping"}{"type":"ping"}`, nil, CodeInvalidJSON, ""},
		{"no type", `{"channel":"` + testChan + `"}`, nil, CodeUnknownType, testChan},
		{"unknown type", `{"type":"dance"}`, nil, CodeUnknownType, ""},
		{"array", `[1]`, nil, CodeInvalidFrame, ""},
		{"string seq", `{"type":"read","channel":"` + testChan + `","seq":"3"}`, nil, CodeInvalidFrame, testChan},
		{"negative since", `{"type":"subscribe","channel":"` + testChan + `","since_seq":-1}`, nil, CodeInvalidFrame, testChan},
		{"missing channel", `{"type":"subscribe"}`, nil, CodeInvalidFrame, ""},
		{"uppercase channel", `{"type":"typing","channel":"AAAAAAAAAAAAAAAAAAAAAAAA"}`, nil, CodeInvalidFrame, ""},
		{"read without seq", `{"type":"read","channel":"` + testChan + `"}`, nil, CodeInvalidFrame, testChan},
		{"send without client id", `{"type":"send","channel":"` + testChan + `","body":"x"}`, nil, CodeInvalidFrame, testChan},
		{"send with urn client id", `{"type":"send","channel":"` + testChan + `","client_id":"urn:uuid:0f8fad5b-d9cb-469f-a165-70867728950e","body":"x"}`, nil, CodeInvalidFrame, testChan},
		{"send without body", `{"type":"send","channel":"` + testChan + `","client_id":"0f8fad5b-d9cb-469f-a165-70867728950e"}`, nil, CodeInvalidFrame, "0f8fad5b-d9cb-469f-a165-70867728950e"},
		{"send bad thread", `{"type":"send","channel":"` + testChan + `","client_id":"0f8fad5b-d9cb-469f-a165-70867728950e","body":"x","thread_id":"t"}`, nil, CodeInvalidFrame, "0f8fad5b-d9cb-469f-a165-70867728950e"},
		{"send wrong body type", `{"type":"send","channel":"` + testChan + `","client_id":"0f8fad5b-d9cb-469f-a165-70867728950e","body":3}`, nil, CodeInvalidFrame, "0f8fad5b-d9cb-469f-a165-70867728950e"},
		{"too large", `{"type":"ping","pad":"` + strings.Repeat("x", MaxFrameSize) + `"}`, nil, CodePayloadTooLarge, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DecodeFrame([]byte(tc.in))
			if tc.code == "" {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("got %#v, want %#v", got, tc.want)
				}
				return
			}
			var fe *FrameError
			if !errors.As(err, &fe) {
				t.Fatalf("got %#v, %v; want a *FrameError", got, err)
			}
			if fe.Code != tc.code || fe.Ref != tc.ref || fe.Message == "" {
				t.Fatalf("got %+v, want code %s ref %q", fe, tc.code, tc.ref)
			}
		})
	}
}

func TestServerFramesEncoding(t *testing.T) {
	f, err := MessageFrame(testChan, 9, json.RawMessage(`{"id":"x","body":"a\nb"}`))
	if err != nil {
		t.Fatal(err)
	}
	if f.Seq != 9 || bytes.ContainsRune(f.Data, '\n') {
		t.Fatalf("frame %s", f.Data)
	}
	want := `{"type":"message","channel":"` + testChan + `","seq":9,"message":{"id":"x","body":"a\nb"}}`
	if string(f.Data) != want {
		t.Fatalf("got %s\nwant %s", f.Data, want)
	}
	if _, err := MessageFrame(testChan, 1, func() {}); err == nil {
		t.Fatal("unencodable message accepted")
	}
	for _, b := range [][]byte{
		encode(subscribedFrame{head: head{TypeSubscribed, testChan}, LastSeq: 3}),
		encode(ackFrame{head: head{TypeAck, testChan}, ClientID: "c", Seq: 1, ID: "i"}),
		encodeError(&FrameError{Code: CodeNotFound, Message: msgNotFound}),
		encode(typingFrame{head: head{TypeTyping, testChan}, UserID: "u"}),
		encode(presenceFrame{Type: TypePresence, UserID: "u", Status: "online"}),
		encode(unsubscribedFrame{head: head{TypeUnsubscribed, testChan}, Reason: ReasonRemoved}),
		pongBytes, resumeBytes,
	} {
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil || m["type"] == "" {
			t.Fatalf("frame %s: %v", b, err)
		}
	}
	if got := string(encodeError(&FrameError{Code: CodeInvalidJSON, Message: msgInvalidJSON})); strings.Contains(got, "ref") {
		t.Fatalf("empty ref serialised: %s", got)
	}
}

// Rate limits tell when to come back: retry_after in seconds, to the
// millisecond, rounded up; the App's limit keeps its own delay and ref.
func TestErrorFrameRetryAfter(t *testing.T) {
	for d, want := range map[time.Duration]string{
		50 * time.Millisecond:                    `"retry_after":0.05`,
		time.Second:                              `"retry_after":1`,
		time.Nanosecond:                          `"retry_after":0.001`,
		7*time.Second + 850*time.Millisecond + 1: `"retry_after":7.851`,
	} {
		got := string(encodeError(&FrameError{Code: CodeRateLimited, Message: msgRateLimited, Ref: "r", RetryAfter: d}))
		if !strings.Contains(got, want) {
			t.Errorf("%v: %s, want %s", d, got, want)
		}
	}
	if got := string(encodeError(&FrameError{Code: CodeNotFound, Message: msgNotFound})); strings.Contains(got, "retry_after") {
		t.Fatalf("retry_after without a delay: %s", got)
	}

	const ref = "0f8fad5b-d9cb-469f-a165-70867728950e"
	coded := &model.CodedError{Kind: model.ErrTooMany, Code: "rate_limited", Message: "Patientez.", RetryAfter: 3 * time.Second}
	for _, c := range []struct {
		err   error
		code  string
		retry time.Duration
	}{
		{fmt.Errorf("core: %w", coded), "rate_limited", 3 * time.Second},
		{model.Coded(model.ErrTooMany, "too_many_attempts", "Trop d'essais."), "too_many_attempts", time.Second},
		{fmt.Errorf("x: %w", model.ErrTooMany), CodeRateLimited, time.Second},
		{model.Coded(model.ErrForbidden, "channel_archived", "Archivé."), "channel_archived", 0},
		{model.ErrNotFound, CodeNotFound, 0},
	} {
		fe, known := errorFrameFor(c.err, ref)
		if !known || fe.Code != c.code || fe.Ref != ref || fe.RetryAfter != c.retry {
			t.Errorf("%v: %+v (known %v), want code %s, ref, retry %v", c.err, fe, known, c.code, c.retry)
		}
	}
}

func TestSendRef(t *testing.T) {
	const id = "0F8FAD5B-D9CB-469F-A165-70867728950E"
	for in, want := range map[string]string{
		`{"type":"send","channel":"` + testChan + `","client_id":"` + id + `","body":"x"}`: strings.ToLower(id),
		`{"type":"send","client_id":"` + id + `"}`:                                         strings.ToLower(id),
		`{"type":"read","client_id":"` + id + `"}`:                                         "",
		`{"type":"send","client_id":"not-a-uuid"}`:                                         "",
		`{"type":"send","client_id":7}`:                                                    "",
		`{"type":"send","client_id":"` + id + `"`:                                          "",
		`[]`: "",
	} {
		if got := sendRef([]byte(in)); got != want {
			t.Errorf("sendRef(%s) = %q, want %q", in, got, want)
		}
	}
}

func TestEnvelopes(t *testing.T) {
	env, err := openPayload(sequencedPayload(42, []byte("{}")))
	if err != nil || env.kind != envSequenced || env.seq != 42 || string(env.body) != "{}" {
		t.Fatalf("sequenced: %+v %v", env, err)
	}
	env, err = openPayload(userFramePayload("u1", []byte("{}")))
	if err != nil || env.kind != envUserFrame || env.except != "u1" || string(env.body) != "{}" {
		t.Fatalf("user frame: %+v %v", env, err)
	}
	env, err = openPayload(framePayload([]byte("{}")))
	if err != nil || env.kind != envFrame || env.except != "" || string(env.body) != "{}" {
		t.Fatalf("frame: %+v %v", env, err)
	}
	for _, bad := range []string{"", "M", "M1234567", "U\x09ab", "Z{}", "F"} {
		if _, err := openPayload([]byte(bad)); err == nil {
			t.Errorf("payload %q accepted", bad)
		}
	}
}

// FuzzDecodeFrame: whatever a client sends, DecodeFrame returns a frame
// whose ids are well formed, or an error frame with a known code; it never
// panics. Seeds are in testdata/fuzz/FuzzDecodeFrame.
func FuzzDecodeFrame(f *testing.F) {
	known := map[string]bool{
		CodeInvalidJSON: true, CodeUnknownType: true, CodeInvalidFrame: true, CodePayloadTooLarge: true,
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := DecodeFrame(data)
		// A dropped send is named by sendRef: a client id, the one
		// DecodeFrame would have read.
		ref := sendRef(data)
		if ref != "" && (!validClientID(ref) || ref != strings.ToLower(ref)) {
			t.Fatalf("sendRef %q", ref)
		}
		if s, ok := got.(Send); ok && ref != s.ClientID {
			t.Fatalf("sendRef %q, DecodeFrame %q", ref, s.ClientID)
		}
		if err != nil {
			var fe *FrameError
			if !errors.As(err, &fe) {
				t.Fatalf("error of type %T", err)
			}
			if !known[fe.Code] || fe.Message == "" {
				t.Fatalf("error frame %+v", fe)
			}
			if fe.Ref != "" && !model.ValidID(fe.Ref) && !validClientID(fe.Ref) {
				t.Fatalf("ref %q is neither a channel nor a client id", fe.Ref)
			}
			if got != nil {
				t.Fatalf("frame %#v returned with an error", got)
			}
			return
		}
		check := func(ch model.ChannelID) {
			if !model.ValidID(string(ch)) {
				t.Fatalf("decoded %#v with channel %q", got, ch)
			}
		}
		switch f := got.(type) {
		case Subscribe:
			check(f.Channel)
		case Unsubscribe:
			check(f.Channel)
		case Read:
			check(f.Channel)
		case Typing:
			check(f.Channel)
		case Send:
			check(f.Channel)
			if !validClientID(f.ClientID) || f.ClientID != strings.ToLower(f.ClientID) {
				t.Fatalf("client id %q", f.ClientID)
			}
			if _, _, ok := model.MessageID(f.ThreadID).Parse(); f.ThreadID != "" && !ok {
				t.Fatalf("thread id %q", f.ThreadID)
			}
		case Ping:
		default:
			t.Fatalf("decoded %T", got)
		}
	})
}
