package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/rs/zerolog"

	"github.com/together-coop/together/services/internal/gateway"
)

// natsFlags are how a standalone service reaches NATS.
type natsFlags struct {
	url, creds, user, password, token, ca string
}

func (n *natsFlags) register(fs *flag.FlagSet, env Env) {
	fs.StringVar(&n.url, "nats", orDefault(env("TOGETHER_NATS_URL"), nats.DefaultURL), "NATS server URL(s), comma-separated (env TOGETHER_NATS_URL)")
	fs.StringVar(&n.creds, "nats-creds", env("TOGETHER_NATS_CREDS"), "NATS credentials file (env TOGETHER_NATS_CREDS)")
	fs.StringVar(&n.user, "nats-user", env("TOGETHER_NATS_USER"), "NATS user (env TOGETHER_NATS_USER; password in TOGETHER_NATS_PASSWORD)")
	fs.StringVar(&n.ca, "nats-ca", env("TOGETHER_NATS_CA"), "PEM file of the CA that signed the NATS server's certificate, for a tls:// URL (env TOGETHER_NATS_CA)")
	n.password = env("TOGETHER_NATS_PASSWORD")
	n.token = env("TOGETHER_NATS_TOKEN")
}

// connect dials NATS and keeps reconnecting for ever, counting reconnects
// in together_nats_reconnects_total.
func (n *natsFlags) connect(name string, log zerolog.Logger, reg prometheus.Registerer) (*nats.Conn, error) {
	reconnects := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "together_nats_reconnects_total",
		Help: "Times the connection to NATS was re-established.",
	})
	reg.MustRegister(reconnects)
	opts := []nats.Option{
		nats.Name(name), nats.MaxReconnects(-1), nats.ReconnectWait(time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { log.Warn().Err(err).Msg("disconnected from NATS") }),
		nats.ReconnectHandler(func(c *nats.Conn) {
			reconnects.Inc()
			log.Info().Str("url", c.ConnectedUrlRedacted()).Msg("reconnected to NATS")
		}),
	}
	switch {
	case n.creds != "":
		opts = append(opts, nats.UserCredentials(n.creds))
	case n.user != "":
		opts = append(opts, nats.UserInfo(n.user, n.password))
	case n.token != "":
		opts = append(opts, nats.Token(n.token))
	}
	if n.ca != "" {
		opts = append(opts, nats.RootCAs(n.ca))
	}
	nc, err := nats.Connect(n.url, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to NATS at %s: %w", n.url, err)
	}
	return nc, nil
}

// process is what every standalone service shares: a logger, a metrics
// registry and an HTTP server for its API, health and metrics.
type process struct {
	name string
	log  zerolog.Logger
	reg  *prometheus.Registry
}

func newProcess(name string, stderr io.Writer, level string) (*process, error) {
	lvl, err := zerolog.ParseLevel(level)
	if err != nil || level == "" {
		return nil, fmt.Errorf("--log-level %q is not one of debug, info, warn, error", level)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return &process{
		name: name,
		log:  zerolog.New(stderr).Level(lvl).With().Timestamp().Str("service", name).Logger(),
		reg:  reg,
	}, nil
}

// serve runs the HTTP server of cfg on addr until ctx ends, logging one
// line with the URL once it listens.
func (p *process) serve(ctx context.Context, addr string, cfg gateway.Config) error {
	cfg.Gatherer, cfg.Registerer = p.reg, p.reg
	cfg.Logger = p.log.With().Str("component", "http").Logger()
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: gateway.New(cfg), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 60 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(lis) }()
	url := "http://" + lis.Addr().String()
	p.log.Info().Str("url", url).Msg(p.name + " is ready at " + url)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	p.log.Info().Msg("stopped")
	return nil
}

func natsReady(nc *nats.Conn) gateway.Check {
	return func(context.Context) error {
		if !nc.IsConnected() {
			return fmt.Errorf("not connected (%s)", nc.Status())
		}
		return nil
	}
}
