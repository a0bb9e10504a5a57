package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/rs/zerolog"

	"github.com/together-coop/together/services/internal/app"
)

// shutdownTimeout bounds a graceful stop after SIGINT or SIGTERM.
const shutdownTimeout = 15 * time.Second

// natsFlags are how a standalone part reaches NATS.
type natsFlags struct {
	app.NATS
}

func (n *natsFlags) register(fs *flag.FlagSet, env Env) {
	fs.StringVar(&n.URL, "nats", orDefault(env("TOGETHER_NATS_URL"), nats.DefaultURL), "NATS server URL(s), comma-separated (env TOGETHER_NATS_URL)")
	fs.StringVar(&n.CredsFile, "nats-creds", env("TOGETHER_NATS_CREDS"), "NATS credentials file (env TOGETHER_NATS_CREDS)")
	fs.StringVar(&n.User, "nats-user", env("TOGETHER_NATS_USER"), "NATS user (env TOGETHER_NATS_USER; password in TOGETHER_NATS_PASSWORD)")
	fs.StringVar(&n.CAFile, "nats-ca", env("TOGETHER_NATS_CA"), "PEM file of the CA that signed the NATS server's certificate, for a tls:// URL (env TOGETHER_NATS_CA)")
	n.Password = env("TOGETHER_NATS_PASSWORD")
	n.Token = env("TOGETHER_NATS_TOKEN")
}

// newLogger builds the process's root logger at level.
func newLogger(stderr io.Writer, service, level string) (zerolog.Logger, error) {
	lvl, err := zerolog.ParseLevel(level)
	if err != nil || level == "" {
		return zerolog.Logger{}, fmt.Errorf("--log-level %q is not one of debug, info, warn, error", level)
	}
	return zerolog.New(stderr).Level(lvl).With().Timestamp().Str("service", service).Logger(), nil
}

// runApp starts cfg's parts, logs one line with the URL once they are
// ready, and runs until ctx ends (SIGINT, SIGTERM) or a part fails.
func runApp(ctx context.Context, name string, cfg app.Config) int {
	log := cfg.Logger
	a, err := app.Start(ctx, cfg)
	if err != nil {
		log.Error().Err(err).Msg("could not start")
		return 1
	}
	ready := log.Info().Str("url", a.URL())
	if cfg.DataDir != "" {
		ready = ready.Str("data", cfg.DataDir)
	}
	if u := a.NATSURL(); u != "" {
		ready = ready.Str("nats_url", u)
	}
	ready.Msg(name + " is ready at " + a.URL())
	if none, err := a.NoOneCanSignIn(ctx); err == nil && none && cfg.DataDir != "" {
		log.Warn().Msg("nobody can sign in yet: stop together (Ctrl-C) and make the first administrator with " +
			"`together token create --data " + cfg.DataDir + " --role admin --name NAME` (a token for scripts) or " +
			"`together users add --data " + cfg.DataDir + " --role admin --username NAME` (an account for the browser)")
	}
	code := 0
	select {
	case <-ctx.Done():
		log.Info().Msg("shutting down")
	case err := <-a.Done():
		log.Error().Err(err).Msg("stopped unexpectedly")
		code = 1
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := a.Shutdown(sctx); err != nil {
		log.Error().Err(err).Msg("shutdown")
		return 1
	}
	log.Info().Msg("stopped")
	return code
}
