package store_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
	"github.com/ecpts/ecpts/internal/store/storetest"
)

// TestDeletedMessageLeavesNoTrace: on the embedded SQLite backend, a few
// seconds after a message is deleted the way core deletes it (Erase, then
// Replace), none of its text, nor of its earlier versions, is left in any
// file of the data directory: not in the database file's pages or free
// pages, not in the write-ahead log.
func TestDeletedMessageLeavesNoTrace(t *testing.T) {
	dir := t.TempDir()
	name := storetest.DatabaseName()
	s := storetest.OpenWith(t, store.Options{DataDir: dir, Database: name, Logger: storetest.Logger()})
	ctx := context.Background()
	marker := func() string {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		return "EFFACE-" + hex.EncodeToString(b)
	}
	short, long, first, edited := marker(), marker(), marker(), marker()
	ch, author := model.ChannelID("c-erase"), model.UserID("u-erase")
	msg := func(seq uint64, body string) model.Message {
		return model.Message{
			ID: model.MessageIDOf(ch, seq), ChannelID: ch, Seq: seq, AuthorID: author, ClientID: marker(),
			Body: body, HTML: "<p>" + body + "</p>", Text: body, CreatedAt: time.Now().UTC().Truncate(time.Millisecond),
		}
	}
	// A long body spills over SQLite overflow pages, freed on deletion.
	longBody := strings.Repeat("Compte rendu de consultation. ", 800)
	longBody = longBody[:len(longBody)/2] + long + longBody[len(longBody)/2:] + long
	ms := []model.Message{
		msg(1, "Réunion de la CPTS mardi."),
		msg(2, "Patiente "+short+" : rappeler le cabinet."),
		msg(3, longBody),
		msg(4, "Première version "+first),
		msg(5, "Bien reçu."),
	}
	for _, m := range ms {
		if err := s.Messages.Insert(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	dbFile := filepath.Join(dir, "db", name+".sqlite")
	checkpoint(t, dbFile) // the texts now sit in the database file itself
	for _, mk := range []string{short, long, first} {
		if len(filesWith(t, dir, mk)) == 0 {
			t.Fatalf("marker %s found in no file before the deletion: the search cannot fail", mk)
		}
	}
	// An edit, the way core makes one: the old body goes to the history.
	m4 := ms[3]
	at := time.Now().UTC().Truncate(time.Millisecond)
	m4.Edits = []model.Edit{{Body: m4.Body, EditedAt: at}}
	m4.Body, m4.HTML, m4.Text, m4.EditedAt = "Version corrigée "+edited, "<p>Version corrigée "+edited+"</p>", "Version corrigée "+edited, &at
	if err := s.Messages.Replace(ctx, m4); err != nil {
		t.Fatal(err)
	}
	ms[3] = m4

	for _, i := range []int{1, 2, 3} {
		m := ms[i]
		m.Erase(time.Now().UTC().Truncate(time.Millisecond))
		if err := s.Messages.Replace(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	markers := []string{short, long, first, edited}
	deadline := time.Now().Add(15 * time.Second)
	for {
		var left []string
		for _, mk := range markers {
			for _, f := range filesWith(t, dir, mk) {
				left = append(left, mk+" in "+f)
			}
		}
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("15 s after the deletions, deleted text is still on disk: %v", left)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The messages kept are intact.
	got, err := s.Messages.Range(ctx, ch, 1, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 || got[0].Body != ms[0].Body || got[4].Body != ms[4].Body || !got[2].Deleted() || got[2].Body != "" {
		t.Fatalf("after the deletions: %+v", got)
	}
}

// checkpoint copies the write-ahead log of file into it and empties it,
// through a connection of the test's own.
func checkpoint(t *testing.T, file string) {
	t.Helper()
	u := url.URL{Scheme: "file", Opaque: file, RawQuery: "_pragma=busy_timeout(5000)"}
	db, err := sql.Open("sqlite", u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var busy, log, done int
	if err := db.QueryRow(`PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &log, &done); err != nil || busy != 0 {
		t.Fatalf("checkpoint %s: busy %d, %v", file, busy, err)
	}
}

// filesWith lists the files under dir whose bytes contain s.
func filesWith(t *testing.T, dir, s string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) { // a -wal or -shm file removed meanwhile
				return nil
			}
			return err
		}
		if d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(path)
		if os.IsNotExist(err) {
			return nil
		}
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(s)) {
			found = append(found, filepath.Base(path))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}
