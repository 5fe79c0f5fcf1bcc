package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/blob"
	"github.com/ecpts/ecpts/internal/core"
	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store/storetest"
	"github.com/prometheus/client_golang/prometheus"
)

// benchPDF is size bytes sniffed as a PDF (its header) whose body is
// random, so nothing compresses it.
func benchPDF(size int) []byte {
	b := make([]byte, size)
	rand.Read(b)
	copy(b, "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	return b
}

// BenchmarkFiles measures files over real HTTP (a listener on 127.0.0.1,
// net/http client) on the embedded default: FerretDB on SQLite for the
// metadata, the filesystem for the bytes, no virus scan. Every request is
// authorised (session, actor, the file's read rule).
//
//		go test -run '^$' -bench BenchmarkFiles -benchtime 10x ./server
//
//	  - upload: POST /api/v1/files of a 16 MiB file, streamed (multipart
//	    written as it is sent); MB/s is the throughput;
//	  - download: GET /api/v1/files/{id} of that file, read to the end;
//	  - download-among-1000: GET of one 100 KiB file among 1,000 stored
//	    (p50/p99 latency), the figure issue 14 asks for.
func BenchmarkFiles(b *testing.B) {
	st := storetest.OpenTest(b, "sqlite")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	blobs, err := blob.NewFS(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	c := core.New(core.Deps{Store: st, Logger: log, Blobs: blobs, MaxUpload: 64 << 20})
	s := seedChannels(b, st, c)
	ms, err := st.Memberships.ByUser(context.Background(), s.UserID)
	if err != nil || len(ms) == 0 {
		b.Fatal("no membership", err)
	}
	cpts := ms[0].CPTSID
	srv := New(Deps{Core: c, Logger: log, Registry: prometheus.NewRegistry()})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	b.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	base := "http://" + ln.Addr().String()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}

	upload := func(content []byte) core.FileView {
		pr, pw := io.Pipe()
		mw := multipart.NewWriter(pw)
		go func() {
			_ = mw.WriteField("cpts_id", string(cpts))
			w, _ := mw.CreateFormFile("file", "protocole.pdf")
			_, _ = w.Write(content)
			pw.CloseWithError(mw.Close())
		}()
		req, _ := http.NewRequest("POST", base+"/api/v1/files", pr)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("X-CSRF-Token", s.CSRFToken)
		req.AddCookie(&http.Cookie{Name: SessionCookie, Value: s.ID})
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != 201 {
			b.Fatalf("upload: %d %s", res.StatusCode, body)
		}
		var out struct{ File core.FileView }
		if err := json.Unmarshal(body, &out); err != nil {
			b.Fatal(err)
		}
		return out.File
	}
	download := func(id model.FileID, buf []byte) int64 {
		req, _ := http.NewRequest("GET", base+"/api/v1/files/"+string(id), nil)
		req.AddCookie(&http.Cookie{Name: SessionCookie, Value: s.ID})
		res, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer res.Body.Close()
		n, err := io.CopyBuffer(io.Discard, res.Body, buf)
		if err != nil || res.StatusCode != 200 {
			b.Fatalf("download: %d %v", res.StatusCode, err)
		}
		return n
	}

	const big = 16 << 20
	content := benchPDF(big)
	b.Run("upload-16MiB", func(b *testing.B) {
		b.SetBytes(big)
		for b.Loop() {
			upload(content)
		}
	})
	b.Run("download-16MiB", func(b *testing.B) {
		f := upload(content)
		buf := make([]byte, 64<<10)
		b.SetBytes(big)
		for b.Loop() {
			if n := download(f.ID, buf); n != big {
				b.Fatalf("read %d", n)
			}
		}
	})
	b.Run("download-100KiB-among-1000", func(b *testing.B) {
		const files, size = 1000, 100 << 10
		ids := make([]model.FileID, files)
		ctx := context.Background()
		for i := range ids {
			v, err := c.Upload(ctx, s, core.FileWhere{CPTS: cpts}, fmt.Sprintf("f%d.pdf", i), bytes.NewReader(benchPDF(size)))
			if err != nil {
				b.Fatal(err)
			}
			ids[i] = v.ID
		}
		buf := make([]byte, 64<<10)
		lat := make([]time.Duration, 0, 1024)
		b.SetBytes(size)
		i := 0
		for b.Loop() {
			t0 := time.Now()
			if n := download(ids[(i*7919)%files], buf); n != size {
				b.Fatalf("read %d", n)
			}
			lat = append(lat, time.Since(t0))
			i++
		}
		reportLatencies(b, lat)
	})
}
