// Command ecpts is the e-CPTS server: one binary with the web app, the API
// and, by default, embedded storage (FerretDB), broker and search index.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "ecpts:", err)
		os.Exit(1)
	}
}
