package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Load users are real accounts, made through the product's own flow: the
// coordinator invites an address, the tool reads the invitation e-mail the
// server wrote as an .eml file under its data directory (no SMTP
// configured), accepts it with a new account, and the coordinator
// validates the membership. They cost one argon2id hash each on the
// server (~25 ms, at most two at once).

// mailbox finds invitation links in a data directory's mail folder. It
// remembers the files it has read, so each poll only opens new ones.
type mailbox struct {
	dir    string
	mu     sync.Mutex
	seen   map[string]bool
	tokens map[string]string // lower-case recipient → newest token
}

func newMailbox(dataDir string) *mailbox {
	return &mailbox{dir: filepath.Join(dataDir, "mail"), seen: map[string]bool{}, tokens: map[string]string{}}
}

var invitationLink = regexp.MustCompile(`/invitation/([A-Za-z0-9_-]{16,128})`)

// token waits (polling, bounded by ctx) for the invitation sent to email
// and returns its token.
func (mb *mailbox) token(ctx context.Context, email string) (string, error) {
	email = strings.ToLower(email)
	for {
		if err := mb.scan(); err != nil {
			return "", err
		}
		mb.mu.Lock()
		tok, ok := mb.tokens[email]
		mb.mu.Unlock()
		if ok {
			return tok, nil
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("no invitation e-mail in %s: %w (is -data-dir the server's ECPTS_DATA_DIR, and is ECPTS_SMTP_URL unset?)", mb.dir, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (mb *mailbox) scan() error {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	names, err := filepath.Glob(filepath.Join(mb.dir, "*.eml"))
	if err != nil {
		return fmt.Errorf("mailbox %s: %w", mb.dir, err)
	}
	for _, name := range names {
		if mb.seen[name] {
			continue
		}
		mb.seen[name] = true
		to, tok, err := readInvitation(name)
		if err != nil || tok == "" {
			continue // not an invitation, or not ours to understand
		}
		mb.tokens[to] = tok
	}
	return nil
}

// readInvitation returns the recipient and the invitation token of an
// .eml file (quoted-printable text, as internal/mailer writes it).
func readInvitation(path string) (to, token string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", "", err
	}
	defer f.Close()
	m, err := mail.ReadMessage(f)
	if err != nil {
		return "", "", err
	}
	addr, err := mail.ParseAddress(m.Header.Get("To"))
	if err != nil {
		return "", "", err
	}
	var body io.Reader = m.Body
	if strings.EqualFold(m.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body = quotedprintable.NewReader(m.Body)
	}
	raw, err := io.ReadAll(io.LimitReader(body, 1<<20))
	if err != nil {
		return "", "", err
	}
	match := invitationLink.FindSubmatch(raw)
	if match == nil {
		return strings.ToLower(addr.Address), "", nil
	}
	return strings.ToLower(addr.Address), string(match[1]), nil
}

// createUsers makes n load users in cpts through invitations, at most
// four at a time, and returns their sessions (logged in by the
// acceptance).
func createUsers(ctx context.Context, base string, coord *session, cpts, dataDir, run string, n int) ([]*session, error) {
	if dataDir == "" {
		return nil, fmt.Errorf("-users needs -data-dir: the server's ECPTS_DATA_DIR, where it writes invitation e-mails")
	}
	if fi, err := os.Stat(filepath.Join(dataDir, "mail")); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("-data-dir %s has no mail directory: is it the server's ECPTS_DATA_DIR?", dataDir)
	}
	mb := newMailbox(dataDir)
	out := make([]*session, n)
	errs := make(chan error, n)
	sem := make(chan struct{}, 4)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			s, err := createUser(ctx, base, coord, cpts, mb, fmt.Sprintf("charge-%s-%04d@ecpts-load.test", run, i), fmt.Sprintf("Testeur Charge %s %d", run, i))
			if err != nil {
				errs <- fmt.Errorf("load user %d: %w", i, err)
				return
			}
			out[i] = s
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	return out, nil
}

func createUser(ctx context.Context, base string, coord *session, cpts string, mb *mailbox, email, name string) (*session, error) {
	if err := coord.call(ctx, base, "POST", "/api/v1/cpts/"+cpts+"/invitations", map[string]string{"email": email, "role": "membre"}, nil, 201); err != nil {
		return nil, err
	}
	wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	tok, err := mb.token(wctx, email)
	cancel()
	if err != nil {
		return nil, err
	}
	s := newSession()
	var acc struct {
		User struct{ ID string } `json:"user"`
		CSRF string              `json:"csrf_token"`
	}
	in := map[string]string{"name": name, "profession": "infirmier", "password": randomPassword()}
	if err := s.call(ctx, base, "POST", "/api/v1/invitations/"+tok+"/accept", in, &acc, 200); err != nil {
		return nil, err
	}
	s.csrf, s.userID = acc.CSRF, acc.User.ID
	if err := coord.call(ctx, base, "POST", "/api/v1/cpts/"+cpts+"/members/"+acc.User.ID+"/validate", nil, nil, 200); err != nil {
		return nil, err
	}
	return s, nil
}

// randomPassword: the tool never logs in again with it.
func randomPassword() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "Ch-" + hex.EncodeToString(b[:]) + "!"
}
