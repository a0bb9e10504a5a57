// Command together is the one binary of together: `together serve` runs
// the whole system; `together help` lists the other commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/together-coop/together/services/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
