package main

import (
	"strings"
	"testing"
)

func TestParseFrames(t *testing.T) {
	ch := "65f0c1a2b3c4d5e6f7a8b9c0"
	batch := strings.Join([]string{
		`{"type":"message","channel":"` + ch + `","seq":42,"message":{"id":"` + ch + `-0000000042","channel_id":"` + ch + `","seq":42,"author_id":"a","body":"charge 1732500000123456789 r1","html":"\u003cp\u003echarge 1732500000123456789 r1\u003c/p\u003e","client_id":"0f8fad5b-d9cb-469f-a165-70867728950e"}}`,
		`{"type":"message","channel":"` + ch + `","seq":43,"message":{"seq":43,"body":"Sortie de Mme D. demain"}}`,
		`{"type":"ack","channel":"` + ch + `","client_id":"0f8fad5b-d9cb-469f-a165-70867728950e","seq":44,"id":"` + ch + `-0000000044"}`,
		`{"type":"subscribed","channel":"` + ch + `","last_seq":44}`,
		`{"type":"error","code":"rate_limited","message":"Trop de messages","ref":"0f8fad5b-d9cb-469f-a165-70867728950e"}`,
		`{"type":"resume"}`,
		`{"type":"presence","channel":"` + ch + `","user_id":"u","status":"online"}`,
	}, "\n")
	type got struct {
		kind             frameKind
		channel, id, ref string
		seq              uint64
		sentAt           int64
	}
	var frames []got
	eachFrame([]byte(batch), func(f *frame) {
		frames = append(frames, got{f.kind, string(f.channel), string(f.clientID) + string(f.code), string(f.ref), f.seq, f.sentAt})
	})
	want := []got{
		{kindMessage, ch, "", "", 42, 1732500000123456789},
		{kindMessage, ch, "", "", 43, 0},
		{kindAck, ch, "0f8fad5b-d9cb-469f-a165-70867728950e", "", 44, 0},
		{kindSubscribed, ch, "", "", 44, 0},
		{kindError, "", "rate_limited", "0f8fad5b-d9cb-469f-a165-70867728950e", 0, 0},
		{kindResume, "", "", "", 0, 0},
		{kindOther, "", "", "", 0, 0},
	}
	if len(frames) != len(want) {
		t.Fatalf("%d frames, want %d: %+v", len(frames), len(want), frames)
	}
	for i := range want {
		if frames[i] != want[i] {
			t.Errorf("frame %d: %+v, want %+v", i, frames[i], want[i])
		}
	}
}

func TestLoadBodyRoundTrip(t *testing.T) {
	line := `{"type":"message","channel":"c","seq":1,"message":{"body":"` + loadBody(1732500000000000007, "abcd") + `"}}`
	var f frame
	parseFrame([]byte(line), &f)
	if f.sentAt != 1732500000000000007 || f.seq != 1 {
		t.Fatalf("sentAt %d seq %d", f.sentAt, f.seq)
	}
}

func BenchmarkParseMessageFrame(b *testing.B) {
	line := []byte(`{"type":"message","channel":"65f0c1a2b3c4d5e6f7a8b9c0","seq":42,"message":{"id":"65f0c1a2b3c4d5e6f7a8b9c0-0000000042","channel_id":"65f0c1a2b3c4d5e6f7a8b9c0","seq":42,"author_id":"65f0c1a2b3c4d5e6f7a8b9c1","author":{"id":"65f0c1a2b3c4d5e6f7a8b9c1","name":"Dr Claire Martin","profession":"medecin_generaliste","profession_label":"Médecin généraliste"},"body":"charge 1732500000123456789 r1","html":"\u003cp\u003echarge 1732500000123456789 r1\u003c/p\u003e","client_id":"0f8fad5b-d9cb-469f-a165-70867728950e","created_at":"2026-11-25T02:00:00Z","deleted":false,"reply_count":0,"reactions":[],"mentions":[],"mention_channel":false}}`)
	var f frame
	b.ReportAllocs()
	for b.Loop() {
		parseFrame(line, &f)
	}
	if f.sentAt == 0 {
		b.Fatal("no send time")
	}
}
