package clamav_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/clamav"
)

// eicar is the 68-byte EICAR anti-virus test file, built at run time so
// that no scanner flags this source file.
func eicar() []byte {
	return []byte(`X5O!P%@AP[4\PZX54(P^)7CC)7}$` + "EICAR-STANDARD-ANTIVIRUS-" + `TEST-FILE!$H+H*`)
}

// clamdBinary finds Debian's clamd; its absence fails the test (never a
// skip): scripts/test-deps.sh installs it.
func clamdBinary(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("clamd"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/clamd"); err == nil {
		return "/usr/sbin/clamd"
	}
	t.Fatal("clamd is missing: run scripts/test-deps.sh clamav (Debian: apt-get install clamav-daemon)")
	return ""
}

// clamd is a clamd this test started.
type clamd struct {
	tcp, unix string // addresses for clamav.New
	log       string
}

// startClamd runs clamd in the foreground on a loopback TCP port and a
// Unix socket in a temporary directory, with a database of two local
// signatures only (no download is possible here): the MD5 of the EICAR
// file (.hdb) and its bytes anywhere in a stream (.ndb). StreamMaxLength
// is 1 MiB. It waits until clamd answers PING, and stops it at Cleanup.
func startClamd(t *testing.T) clamd {
	t.Helper()
	bin := clamdBinary(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "db")
	tmp := filepath.Join(dir, "tmp")
	for _, d := range []string{db, tmp} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	sum := md5.Sum(eicar())
	hdb := fmt.Sprintf("%s:%d:Ecpts.Test.EICAR-HDB\n", hex.EncodeToString(sum[:]), len(eicar()))
	ndb := fmt.Sprintf("Ecpts.Test.EICAR-NDB:0:*:%s\n", hex.EncodeToString(eicar()))
	if err := os.WriteFile(filepath.Join(db, "ecpts-test.hdb"), []byte(hdb), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(db, "ecpts-test.ndb"), []byte(ndb), 0o600); err != nil {
		t.Fatal(err)
	}

	var lastErr string
	for attempt := range 3 {
		// A free port: listen on :0, close, hand it to clamd. Another
		// process may take it meanwhile; then clamd exits and we retry.
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		sock := filepath.Join(dir, fmt.Sprintf("clamd%d.sock", attempt))
		logFile := filepath.Join(dir, fmt.Sprintf("clamd%d.log", attempt))
		conf := filepath.Join(dir, fmt.Sprintf("clamd%d.conf", attempt))
		cfg := strings.Join([]string{
			"Foreground yes",
			"LocalSocket " + sock,
			"FixStaleSocket yes",
			fmt.Sprintf("TCPSocket %d", port),
			"TCPAddr 127.0.0.1",
			"DatabaseDirectory " + db,
			"TemporaryDirectory " + tmp,
			"LogFile " + logFile,
			"LogTime yes",
			"StreamMaxLength 1M",
			"MaxThreads 4",
			"Bytecode no",
			"",
		}, "\n")
		if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "--config-file="+conf)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatalf("start clamd: %v", err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()

		c := clamd{tcp: fmt.Sprintf("127.0.0.1:%d", port), unix: "unix:" + sock, log: logFile}
		ready := waitReady(t, c, exited, 60*time.Second)
		if ready {
			t.Cleanup(func() {
				// Only the process this test started, by its PID.
				_ = cmd.Process.Signal(syscall.SIGTERM)
				select {
				case <-exited:
				case <-time.After(10 * time.Second):
					_ = cmd.Process.Kill()
					<-exited
				}
			})
			return c
		}
		select {
		case <-exited:
		default:
			_ = cmd.Process.Kill()
			<-exited
		}
		logged, _ := os.ReadFile(logFile)
		lastErr = out.String() + string(logged)
	}
	t.Fatalf("clamd did not start:\n%s", lastErr)
	return clamd{}
}

// waitReady polls PING on both sockets until both answer, clamd exits or
// the deadline passes.
func waitReady(t *testing.T, c clamd, exited <-chan error, within time.Duration) bool {
	t.Helper()
	deadline := time.Now().Add(within)
	tcp, err := clamav.New(c.tcp, clamav.Options{DialTimeout: time.Second, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	unix, err := clamav.New(c.unix, clamav.Options{DialTimeout: time.Second, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		errTCP, errUnix := tcp.Ping(ctx), unix.Ping(ctx)
		cancel()
		if errTCP == nil && errUnix == nil {
			return true
		}
		select {
		case <-exited:
			return false
		case <-tick.C:
		}
	}
	return false
}

// TestClamd scans with the real Debian clamd, over TCP and over its Unix
// socket.
func TestClamd(t *testing.T) {
	d := startClamd(t)
	for _, addr := range []string{d.tcp, d.unix} {
		t.Run(strings.SplitN(addr, ":", 2)[0], func(t *testing.T) {
			c, err := clamav.New(addr, clamav.Options{ChunkSize: 64 << 10, Timeout: 30 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if v, err := c.Version(ctx); err != nil || !strings.HasPrefix(v, "ClamAV ") {
				t.Fatalf("Version = %q, %v", v, err)
			}

			clean, sig, err := c.Scan(ctx, bytes.NewReader(eicar()))
			if err != nil || clean || !strings.HasPrefix(sig, "Ecpts.Test.EICAR") {
				t.Fatalf("Scan(EICAR) = %v, %q, %v; want FOUND", clean, sig, err)
			}

			clean, sig, err = c.Scan(ctx, strings.NewReader("Protocole cystite simple : conduite à tenir.\n"))
			if err != nil || !clean || sig != "" {
				t.Fatalf("Scan(clean text) = %v, %q, %v; want OK", clean, sig, err)
			}

			// EICAR across a chunk boundary, 200 KiB into a stream: only
			// a correct chunking gives clamd its bytes in one piece.
			big := bytes.Repeat([]byte("abcdefghij"), 30<<10)
			infected := append(append(append([]byte{}, big[:64<<10-30]...), eicar()...), big...)
			clean, sig, err = c.Scan(ctx, bytes.NewReader(infected))
			if err != nil || clean || sig != "Ecpts.Test.EICAR-NDB.UNOFFICIAL" {
				t.Fatalf("Scan(EICAR inside 600 KiB) = %v, %q, %v; want Ecpts.Test.EICAR-NDB.UNOFFICIAL", clean, sig, err)
			}
			clean, _, err = c.Scan(ctx, bytes.NewReader(big))
			if err != nil || !clean {
				t.Fatalf("Scan(600 KiB clean) = %v, %v", clean, err)
			}

			// Past clamd's StreamMaxLength (1M in this test's clamd.conf).
			_, _, err = c.Scan(ctx, bytes.NewReader(make([]byte, 3<<20)))
			if !errors.Is(err, clamav.ErrTooLarge) {
				t.Fatalf("Scan(3 MiB) with StreamMaxLength 1M: %v, want ErrTooLarge", err)
			}

			// Past the client's own limit: refused before clamd sees it all.
			small, _ := clamav.New(addr, clamav.Options{MaxSize: 100 << 10})
			_, _, err = small.Scan(ctx, bytes.NewReader(big))
			if !errors.Is(err, clamav.ErrTooLarge) {
				t.Fatalf("Scan(600 KiB) with MaxSize 100 KiB: %v, want ErrTooLarge", err)
			}

			// A failing reader is the caller's error, not a verdict.
			errBroken := errors.New("upload interrupted")
			_, _, err = c.Scan(ctx, io.MultiReader(bytes.NewReader(big[:1000]), &failing{errBroken}))
			if !errors.Is(err, errBroken) {
				t.Fatalf("Scan of a failing reader: %v, want its error", err)
			}

			// Concurrent scans.
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for i := range 8 {
				wg.Go(func() {
					data, want := []byte("fichier sain"), true
					if i%2 == 0 {
						data, want = eicar(), false
					}
					clean, _, err := c.Scan(ctx, bytes.NewReader(data))
					if err != nil || clean != want {
						errs <- fmt.Errorf("scan %d: clean=%v err=%v", i, clean, err)
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}

type failing struct{ err error }

func (f *failing) Read([]byte) (int, error) { return 0, f.err }

// TestScanTimeout: a daemon that never answers costs Timeout, not more,
// and a cancelled context stops the scan at once.
func TestScanTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns sync.WaitGroup
	defer conns.Wait()
	defer l.Close()
	conns.Go(func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			conns.Go(func() { _, _ = io.Copy(io.Discard, conn); conn.Close() }) // reads, never answers
		}
	})
	c, err := clamav.New(l.Addr().String(), clamav.Options{Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, _, err = c.Scan(context.Background(), strings.NewReader("x"))
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Scan against a silent daemon: %v, want a deadline error", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Scan took %v with a 300 ms timeout", d)
	}

	slow, _ := clamav.New(l.Addr().String(), clamav.Options{Timeout: time.Minute})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, _, err := slow.Scan(ctx, strings.NewReader("x")); done <- err }()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled Scan: %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("cancelled Scan still running after 10 s")
	}
}

// TestAnswers: how each answer of clamd is read, through a fake daemon
// that consumes the stream and answers a fixed line.
func TestAnswers(t *testing.T) {
	for _, c := range []struct {
		reply   string
		clean   bool
		sig     string
		wantErr error
	}{
		{"stream: OK\x00", true, "", nil},
		{"stream: Win.Test.EICAR_HDB-1 FOUND\x00", false, "Win.Test.EICAR_HDB-1", nil},
		{"stream: Eicar-Test-Signature FOUND", false, "Eicar-Test-Signature", nil}, // closed without NUL
		{"INSTREAM size limit exceeded. ERROR\x00", false, "", clamav.ErrTooLarge},
		{"stream: Can't allocate memory ERROR\x00", false, "", clamav.ErrDaemon},
		{"UNKNOWN COMMAND\x00", false, "", clamav.ErrDaemon},
		{"stream:  FOUND\x00", false, "", clamav.ErrDaemon},
	} {
		addr := fakeDaemon(t, c.reply)
		cl, err := clamav.New(addr, clamav.Options{Timeout: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		clean, sig, err := cl.Scan(context.Background(), strings.NewReader("bonjour"))
		if clean != c.clean || sig != c.sig || (c.wantErr == nil) != (err == nil) || (c.wantErr != nil && !errors.Is(err, c.wantErr)) {
			t.Errorf("answer %q: Scan = %v, %q, %v; want %v, %q, %v", c.reply, clean, sig, err, c.clean, c.sig, c.wantErr)
		}
	}
}

// fakeDaemon answers one INSTREAM with reply once it has read the
// terminating zero-length chunk, then closes.
func fakeDaemon(t *testing.T, reply string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { l.Close(); <-done })
	go func() {
		defer close(done)
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		cmd := make([]byte, len("zINSTREAM\x00"))
		if _, err := io.ReadFull(conn, cmd); err != nil || string(cmd) != "zINSTREAM\x00" {
			return
		}
		for {
			var n [4]byte
			if _, err := io.ReadFull(conn, n[:]); err != nil {
				return
			}
			size := int64(n[0])<<24 | int64(n[1])<<16 | int64(n[2])<<8 | int64(n[3])
			if size == 0 {
				break
			}
			if _, err := io.CopyN(io.Discard, conn, size); err != nil {
				return
			}
		}
		_, _ = conn.Write([]byte(reply))
	}()
	return l.Addr().String()
}

func TestParseAddr(t *testing.T) {
	for _, c := range []struct{ in, network, address string }{
		{"127.0.0.1:3310", "tcp", "127.0.0.1:3310"},
		{"tcp://clamav:3310", "tcp", "clamav:3310"},
		{"[::1]:3310", "tcp", "[::1]:3310"},
		{"/run/clamav/clamd.ctl", "unix", "/run/clamav/clamd.ctl"},
		{"unix:/run/clamav/clamd.ctl", "unix", "/run/clamav/clamd.ctl"},
		{"unix:///run/clamav/clamd.ctl", "unix", "/run/clamav/clamd.ctl"},
	} {
		n, a, err := clamav.ParseAddr(c.in)
		if err != nil || n != c.network || a != c.address {
			t.Errorf("ParseAddr(%q) = %q, %q, %v", c.in, n, a, err)
		}
	}
	for _, bad := range []string{"", "clamav", "clamav:", ":3310", "clamav:http", "clamav:70000", "unix:relative.sock", "http://clamav:3310"} {
		if _, _, err := clamav.ParseAddr(bad); err == nil {
			t.Errorf("ParseAddr(%q) accepted", bad)
		}
	}
}
