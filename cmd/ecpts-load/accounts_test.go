package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecpts/ecpts/internal/mailer"
)

// The mailbox reads invitations as the server's file mailer writes them:
// quoted-printable, where a long link is folded with soft line breaks.
func TestMailboxReadsInvitations(t *testing.T) {
	dataDir := t.TempDir()
	m, err := mailer.NewFile(filepath.Join(dataDir, "mail"), "e-CPTS <noreply@ecpts.test>", time.Now)
	if err != nil {
		t.Fatal(err)
	}
	token := strings.Repeat("AbC-d_9", 8) // 56 characters: the line folds
	for _, to := range []string{"autre@ecpts-load.test", "Charge-1@ecpts-load.test"} {
		tok := "Zz" + token
		if strings.HasPrefix(to, "Charge") {
			tok = token
		}
		err := m.Send(context.Background(), mailer.Mail{To: to, Subject: "Invitation à rejoindre CPTS Loire Nord sur e-CPTS",
			Text: "Bonjour,\n\nPour accepter l'invitation et créer votre compte, ouvrez ce lien :\nhttp://127.0.0.1:8080/invitation/" + tok + "\n\n— e-CPTS\n"})
		if err != nil {
			t.Fatal(err)
		}
	}
	mb := newMailbox(dataDir)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got, err := mb.token(ctx, "charge-1@ecpts-load.test")
	if err != nil {
		t.Fatal(err)
	}
	if got != token {
		t.Fatalf("token %q, want %q", got, token)
	}
	short, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	if _, err := mb.token(short, "personne@ecpts-load.test"); err == nil {
		t.Fatal("found an invitation nobody sent")
	}
}
