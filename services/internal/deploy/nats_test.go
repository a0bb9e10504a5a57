package deploy_test

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/nats-io/nats-server/v2/server"

	"github.com/together-coop/together/services/internal/busauth"
	"github.com/together-coop/together/services/internal/busauth/bustest"
)

type typesVolume = types.ServiceVolumeConfig

func newProjectOptions(files ...string) (*cli.ProjectOptions, error) {
	var paths []string
	for _, f := range files {
		paths = append(paths, filepath.Join(root, f))
	}
	return cli.NewProjectOptions(paths, cli.WithWorkingDirectory(root), cli.WithOsEnv, cli.WithName("together"))
}

// secretEnv are the variables the NATS configuration and the compose
// files refuse to go without.
func secretEnv() []string {
	var env []string
	for _, r := range busauth.Roles() {
		env = append(env, r.PasswordEnv())
	}
	return append(env, "TOGETHER_NATS_STORE_KEY", "TOGETHER_NATS_CLUSTER_PASSWORD")
}

// TestMain gives the secrets random values, as an operator's .env would,
// unless the environment has them.
func TestMain(m *testing.M) {
	for _, name := range secretEnv() {
		if os.Getenv(name) == "" {
			b := make([]byte, 32)
			if _, err := rand.Read(b); err != nil {
				panic(err)
			}
			os.Setenv(name, hex.EncodeToString(b))
		}
	}
	os.Exit(m.Run())
}

// Every together process connects as its own user with its own password,
// and NATS gets every password, the store key and the accounts.
func TestComposeNATSCredentials(t *testing.T) {
	for _, files := range [][]string{{"docker-compose.yml"}, {"docker-compose.yml", "deploy/nats-cluster.override.yml"}} {
		p := load(t, files...)
		for _, name := range togetherServices {
			svc, _ := p.GetService(name)
			user, pw := svc.Environment["TOGETHER_NATS_USER"], svc.Environment["TOGETHER_NATS_PASSWORD"]
			r := busauth.Role(name)
			if user == nil || *user != name || pw == nil || *pw != os.Getenv(r.PasswordEnv()) {
				t.Errorf("%v: service %s connects as %v; want user %s with %s", files, name, user, name, r.PasswordEnv())
			}
		}
		nodes := []string{"nats"}
		if len(files) > 1 {
			nodes = []string{"nats-1", "nats-2", "nats-3"}
		}
		for _, n := range nodes {
			svc, err := p.GetService(n)
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range secretEnv() {
				if name == "TOGETHER_NATS_CLUSTER_PASSWORD" && len(files) == 1 {
					continue
				}
				if v := svc.Environment[name]; v == nil || *v != os.Getenv(name) {
					t.Errorf("%v: %s does not get %s", files, n, name)
				}
			}
			if !slices.ContainsFunc(svc.Volumes, func(v typesVolume) bool { return strings.HasSuffix(v.Source, "deploy/nats/accounts.conf") }) {
				t.Errorf("%v: %s does not mount accounts.conf", files, n)
			}
		}
	}
}

// Compose refuses to start the stack without a secret, rather than
// starting NATS with an empty password.
func TestComposeRefusesWithoutSecrets(t *testing.T) {
	for _, name := range []string{busauth.Stakeholders.PasswordEnv(), "TOGETHER_NATS_STORE_KEY"} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(name, "")
			opts, err := newProjectOptions("docker-compose.yml")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := opts.LoadProject(t.Context()); err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("loaded without %s: %v", name, err)
			}
		})
	}
}

// natsOptions reads one of deploy/nats's configurations as nats-server
// does, with the environment of TestMain.
func natsOptions(t *testing.T, name string) *server.Options {
	t.Helper()
	opts, err := server.ProcessConfigFile(filepath.Join(root, "deploy", "nats", name))
	if err != nil {
		t.Fatal(err)
	}
	return opts
}

// The compose stack's NATS, run from deploy/nats/nats.conf on 127.0.0.1:
// every process's own path works, everything else is refused, and the
// store is encrypted and fsynced.
func TestNATSConfLocksTheBus(t *testing.T) {
	opts := natsOptions(t, "nats.conf")
	if !opts.SyncAlways {
		t.Error("nats.conf does not fsync before acknowledging")
	}
	if opts.JetStreamCipher != server.ChaCha || opts.JetStreamKey != os.Getenv("TOGETHER_NATS_STORE_KEY") {
		t.Error("nats.conf does not encrypt the store with TOGETHER_NATS_STORE_KEY")
	}
	if opts.HTTPHost != "127.0.0.1" {
		t.Errorf("monitoring listens on %q; want 127.0.0.1 inside the container", opts.HTTPHost)
	}
	opts.Host, opts.Port, opts.HTTPPort = "127.0.0.1", server.RANDOM_PORT, 0
	opts.StoreDir = t.TempDir()
	opts.NoSigs, opts.NoLog = true, true
	ns, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	if !ns.ReadyForConnections(30 * time.Second) {
		t.Fatal("not ready")
	}
	passwords := busauth.Passwords{}
	for _, r := range busauth.Roles() {
		passwords[r] = os.Getenv(r.PasswordEnv())
	}
	tg := bustest.Target{URL: ns.ClientURL(), Passwords: passwords}
	bustest.Attack(t, tg, bustest.Legitimate(t, tg))
}

// The cluster nodes carry the same accounts and authenticate their routes.
func TestClusterConf(t *testing.T) {
	t.Setenv("TOGETHER_NATS_ROUTE_1", "nats-route://route:"+os.Getenv("TOGETHER_NATS_CLUSTER_PASSWORD")+"@nats-1:6222")
	t.Setenv("TOGETHER_NATS_ROUTE_2", "nats-route://route:"+os.Getenv("TOGETHER_NATS_CLUSTER_PASSWORD")+"@nats-2:6222")
	t.Setenv("TOGETHER_NATS_ROUTE_3", "nats-route://route:"+os.Getenv("TOGETHER_NATS_CLUSTER_PASSWORD")+"@nats-3:6222")
	opts := natsOptions(t, "cluster.conf")
	single := natsOptions(t, "nats.conf")
	if len(opts.Users) != len(single.Users) || len(opts.Accounts) != len(single.Accounts) {
		t.Errorf("the cluster has %d users in %d accounts, the single node %d in %d", len(opts.Users), len(opts.Accounts), len(single.Users), len(single.Accounts))
	}
	if opts.Cluster.Username != "route" || opts.Cluster.Password != os.Getenv("TOGETHER_NATS_CLUSTER_PASSWORD") {
		t.Error("routes do not authenticate")
	}
	if !opts.SyncAlways || opts.JetStreamKey == "" {
		t.Error("the cluster nodes do not fsync or encrypt")
	}
	var hosts []string
	for _, u := range opts.Routes {
		pw, _ := u.User.Password()
		if u.User.Username() != "route" || pw != opts.Cluster.Password {
			t.Errorf("route %s has no credentials", u.Host)
		}
		hosts = append(hosts, u.Host)
	}
	if !slices.Equal(hosts, []string{"nats-1:6222", "nats-2:6222", "nats-3:6222"}) {
		t.Errorf("routes to %v; want all three nodes", hosts)
	}
}
