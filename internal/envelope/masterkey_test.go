package envelope

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ecpts/ecpts/internal/config"
)

func TestMasterKeyCreatedOnceAndReused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "nested") // created on demand
	k1, err := LoadOrCreateMasterKey(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(k1) != KeyLen || bytes.Equal(k1, make([]byte, KeyLen)) {
		t.Fatalf("key %d bytes, or all zero", len(k1))
	}
	path := filepath.Join(dir, MasterKeyFile)
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Fatalf("mode %04o, want 0600", perm)
	}
	before, _ := os.ReadFile(path)

	k2, err := LoadOrCreateMasterKey(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k1, k2) {
		t.Fatal("second start got another key")
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Fatal("file rewritten on second start")
	}
	// The file is what ECPTS_MASTER_KEY takes, for other nodes.
	fromConfig, err := config.DecodeMasterKey(strings.TrimSpace(string(after)))
	if err != nil || !bytes.Equal(fromConfig, k1) {
		t.Fatalf("file content does not decode as ECPTS_MASTER_KEY: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("data dir holds %d entries, want only %s", len(entries), MasterKeyFile)
	}
}

func TestMasterKeyConcurrentFirstStart(t *testing.T) {
	dir := t.TempDir()
	const n = 8
	keys := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			keys[i], errs[i] = LoadOrCreateMasterKey(dir, nil)
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if !bytes.Equal(keys[i], keys[0]) {
			t.Fatal("concurrent first starts got different keys")
		}
	}
	onDisk, err := LoadOrCreateMasterKey(dir, nil)
	if err != nil || !bytes.Equal(onDisk, keys[0]) {
		t.Fatalf("key on disk differs from the one returned: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("data dir holds %d entries, want 1 (temporary files left?)", len(entries))
	}
}

func TestConfiguredMasterKeyWins(t *testing.T) {
	dir := t.TempDir()
	onDisk, err := LoadOrCreateMasterKey(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	configured := bytes.Repeat([]byte{7}, KeyLen)
	got, err := LoadOrCreateMasterKey(dir, configured)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, configured) || bytes.Equal(got, onDisk) {
		t.Fatal("configured key did not win over the file")
	}
	configured[0] = 8
	if got[0] != 7 {
		t.Fatal("returned key aliases the configured slice")
	}

	// With a configured key, an empty data dir stays untouched.
	empty := filepath.Join(t.TempDir(), "absent")
	if _, err := LoadOrCreateMasterKey(empty, configured); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(empty); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("data dir created although a key was configured: %v", err)
	}
}

func TestConfiguredMasterKeyLength(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33} {
		if _, err := LoadOrCreateMasterKey(t.TempDir(), make([]byte, n)); !errors.Is(err, ErrKeyLength) {
			t.Errorf("%d bytes: err = %v, want ErrKeyLength", n, err)
		}
	}
}

func TestMasterKeyFileProblems(t *testing.T) {
	good := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, KeyLen)) + "\n"
	tests := []struct {
		name    string
		content string
		mode    os.FileMode
		wantErr bool
	}{
		{"good", good, 0o600, false},
		{"good, owner read only", good, 0o400, false},
		{"good without newline, raw url base64", base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{1}, KeyLen)), 0o600, false},
		{"readable by others", good, 0o644, true},
		{"readable by group", good, 0o640, true},
		{"empty", "", 0o600, true},
		{"not base64", "pas une clé !!\n", 0o600, true},
		{"short key", base64.StdEncoding.EncodeToString(make([]byte, 16)), 0o600, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, MasterKeyFile)
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			key, err := LoadOrCreateMasterKey(dir, nil)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error: %v", err, tt.wantErr)
			}
			if err == nil && !bytes.Equal(key, bytes.Repeat([]byte{1}, KeyLen)) {
				t.Fatal("wrong key read")
			}
			if err != nil && strings.Contains(err.Error(), strings.TrimSpace(tt.content)) && tt.content != "" {
				t.Fatalf("error shows the file content: %v", err)
			}
			// A bad file is never replaced: a new key would orphan every message.
			after, _ := os.ReadFile(path)
			if string(after) != tt.content {
				t.Fatal("key file was rewritten")
			}
		})
	}
}

func TestMasterKeyPathIsDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, MasterKeyFile), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateMasterKey(dir, nil); err == nil {
		t.Fatal("no error when master.key is a directory")
	}
}

// TestMasterKeyOpensAcrossRestarts ties the two halves: what one start
// seals, the next start (same data dir) opens.
func TestMasterKeyOpensAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	m1, err := LoadOrCreateMasterKey(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	k1, _ := NewKeyring(m1)
	w := newConv(t, k1, "conv")
	env, _ := k1.Seal("conv", w, []byte("à demain"))

	m2, err := LoadOrCreateMasterKey(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	k2, _ := NewKeyring(m2)
	got, err := k2.Open("conv", w, env)
	if err != nil || string(got) != "à demain" {
		t.Fatalf("Open after restart = %q, %v", got, err)
	}
}
