package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/ecpts/ecpts/internal/auth"
	"github.com/ecpts/ecpts/internal/config"
	"github.com/ecpts/ecpts/internal/core"
	"github.com/ecpts/ecpts/internal/envelope"
	"github.com/ecpts/ecpts/internal/mailer"
	"github.com/ecpts/ecpts/internal/model"
	"github.com/ecpts/ecpts/internal/store"
)

const adminUsage = `usage: ecpts admin create EMAIL [--name "Prénom Nom"] [--password-stdin]

Creates a platform administrator in the configured store (the same ECPTS_*
environment as the server). Without --password-stdin, a link to choose the
password is e-mailed through the configured mailer (ECPTS_SMTP_URL, or .eml
files under ECPTS_DATA_DIR/mail) and needs ECPTS_PUBLIC_URL. With
--password-stdin, the password is read from standard input (never from an
argument). An address that already has an account is refused.`

// adminOptions are the parsed arguments of `ecpts admin create`.
type adminOptions struct {
	email         string
	name          string
	passwordStdin bool
}

func parseAdminArgs(args []string) (adminOptions, error) {
	var o adminOptions
	if len(args) == 0 || args[0] != "create" {
		return o, errors.New(adminUsage)
	}
	rest := args[1:]
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		switch {
		case a == "--password-stdin" || a == "-password-stdin":
			o.passwordStdin = true
		case a == "--name" || a == "-name":
			if i+1 >= len(rest) {
				return o, errors.New("--name needs a value\n\n" + adminUsage)
			}
			i++
			o.name = rest[i]
		case strings.HasPrefix(a, "--name="):
			o.name = strings.TrimPrefix(a, "--name=")
		case strings.HasPrefix(a, "--password") || strings.HasPrefix(a, "-p"):
			return o, errors.New("a password is never taken from an argument (it would stay in the shell history and the process list): use --password-stdin\n\n" + adminUsage)
		case strings.HasPrefix(a, "-"):
			return o, fmt.Errorf("unknown option %q\n\n%s", a, adminUsage)
		case o.email != "":
			return o, fmt.Errorf("one address only (got %q and %q)\n\n%s", o.email, a, adminUsage)
		default:
			o.email = a
		}
	}
	if o.email == "" {
		return o, errors.New("the administrator's e-mail address is missing\n\n" + adminUsage)
	}
	return o, nil
}

// readPassword reads the password from in: its first line, without the
// line end. A terminal gets a prompt (on out); the input is not hidden, so
// pipe it (printf '%s' "$PASS" | ecpts admin create … --password-stdin).
func readPassword(in io.Reader) (string, error) {
	r := bufio.NewReader(io.LimitReader(in, 4096))
	line, err := r.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password from standard input: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("--password-stdin: standard input holds no password")
	}
	return line, nil
}

// adminCommand runs `ecpts admin …` against the configured store, then
// closes it. With the embedded SQLite store, run it while the server is
// stopped (README, "Production").
func adminCommand(ctx context.Context, cfg config.Config, args []string, in io.Reader, out io.Writer) error {
	o, err := parseAdminArgs(args)
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	var password string
	if o.passwordStdin {
		if password, err = readPassword(in); err != nil {
			return err
		}
	} else if cfg.PublicURL == "" {
		return errors.New("ECPTS_PUBLIC_URL is not set: the set-password link is built on it. Set it, or give the password on standard input with --password-stdin")
	}
	// Quiet: the command's own messages go to out; warnings to stderr.
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("ECPTS_DATA_DIR: cannot create %s: %w", cfg.DataDir, err)
	}
	st, err := store.Open(ctx, store.Options{
		MongoURL: cfg.MongoURL, PostgresURL: cfg.PostgresURL, DataDir: cfg.DataDir, Database: cfg.MongoDB,
		Logger: log.With("component", "store"), Now: time.Now,
	})
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := st.Close(cctx); err != nil {
			log.Error("close store", "err", err)
		}
	}()
	mail, err := mailer.FromConfig(cfg.SMTPURL, cfg.SMTPFrom, cfg.DataDir, time.Now)
	if err != nil {
		return err
	}
	// Nothing here seals a message; core wants a keyring all the same.
	keyring, err := envelope.NewKeyring(make([]byte, 32))
	if err != nil {
		return err
	}
	app := core.New(core.Deps{
		Store: st, Mailer: mail, Logger: log.With("component", "core"), Now: time.Now,
		PublicURL: cfg.PublicURL, Sealer: keyring, PasswordParams: auth.DefaultParams,
	})
	res, err := app.CreatePlatformAdmin(ctx, core.AdminInput{Email: o.email, Name: o.name, Password: password})
	if err != nil {
		var coded *model.CodedError
		if errors.As(err, &coded) {
			return errors.New(coded.Message)
		}
		var invalid *model.InvalidError
		if errors.As(err, &invalid) {
			return errors.New(invalid.Message)
		}
		return err
	}
	if res.LinkSent {
		fmt.Fprintf(out, "Administrateur·rice créé·e : %s. Un lien pour choisir le mot de passe lui a été envoyé (valable 3 jours).\n", res.User.Email)
	} else {
		fmt.Fprintf(out, "Administrateur·rice créé·e : %s. Connectez-vous avec ce mot de passe.\n", res.User.Email)
	}
	return nil
}
