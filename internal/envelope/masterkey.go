package envelope

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"github.com/ecpts/ecpts/internal/config"
)

// MasterKeyFile is the name of the generated master key in the data
// directory. It holds the key in standard base64 and a newline: the same
// text ECPTS_MASTER_KEY takes, so an operator can hand it to other nodes.
const MasterKeyFile = "master.key"

// LoadOrCreateMasterKey returns the master key: configured when non-nil
// (decoded from ECPTS_MASTER_KEY with config.DecodeMasterKey), else the one
// in <dataDir>/master.key, created on first start. Creation is atomic and
// exclusive: the file appears whole with mode 0600, and of two processes
// starting together one creates it and both use that key.
//
// An existing file is never overwritten: a damaged or unreadable one is an
// error, as a new key would make every stored direct message unreadable.
// On Unix, a file readable by group or others is refused too.
func LoadOrCreateMasterKey(dataDir string, configured []byte) ([]byte, error) {
	if configured != nil {
		if len(configured) != KeyLen {
			return nil, fmt.Errorf("envelope: configured master key of %d bytes: %w", len(configured), ErrKeyLength)
		}
		return bytes.Clone(configured), nil
	}
	path := filepath.Join(dataDir, MasterKeyFile)
	key, err := readMasterKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	return createMasterKey(dataDir, path)
}

func readMasterKey(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("envelope: master key %s: %w", path, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("envelope: master key %s: %w", path, err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("envelope: master key %s: not a regular file", path)
	}
	if perm := info.Mode().Perm(); runtime.GOOS != "windows" && perm&0o077 != 0 {
		return nil, fmt.Errorf("envelope: master key %s: mode %04o lets others read it; run chmod 600 on it", path, perm)
	}
	// A base64 key and a newline are 45 bytes; read a little more to tell
	// a wrong file from a key, never a whole large file.
	text, err := io.ReadAll(io.LimitReader(f, 1024))
	if err != nil {
		return nil, fmt.Errorf("envelope: master key %s: %w", path, err)
	}
	key, err := config.DecodeMasterKey(string(bytes.TrimSpace(text)))
	if err != nil {
		// err describes the format, never the content.
		return nil, fmt.Errorf("envelope: master key %s: %w", path, err)
	}
	return key, nil
}

// createMasterKey writes a new key to a temporary file in dataDir, flushes
// it, then links it to path: link fails if path exists, so a concurrent
// creator's key is kept and read back instead.
func createMasterKey(dataDir, path string) ([]byte, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("envelope: data dir: %w", err)
	}
	key := make([]byte, KeyLen)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("envelope: new master key: %w", err)
	}
	tmp, err := os.CreateTemp(dataDir, "."+MasterKeyFile+"-*") // mode 0600
	if err != nil {
		return nil, fmt.Errorf("envelope: new master key: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the link, only the temporary name goes
	_, err = tmp.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("envelope: write master key: %w", err)
	}

	switch err := os.Link(tmp.Name(), path); {
	case errors.Is(err, fs.ErrExist):
		return readMasterKey(path) // another process was first
	case err != nil:
		// No hard links on this file system: rename is still atomic, only
		// the exclusivity against a concurrent first start is lost.
		if _, serr := os.Lstat(path); serr == nil {
			return readMasterKey(path)
		}
		if err := os.Rename(tmp.Name(), path); err != nil {
			return nil, fmt.Errorf("envelope: install master key: %w", err)
		}
	}
	if err := syncDir(dataDir); err != nil {
		return nil, fmt.Errorf("envelope: install master key: %w", err)
	}
	return key, nil
}

// syncDir makes the new directory entry durable, so that a crash right
// after the first start cannot lose the key while messages sealed with it
// survive.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil // directories cannot be opened for sync there
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
