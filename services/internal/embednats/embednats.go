package embednats

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/rs/zerolog"

	"github.com/together-coop/together/services/internal/atomicfile"
	"github.com/together-coop/together/services/internal/busauth"
)

// Sentinel errors of [Start].
var (
	// ErrConfig is returned for a configuration that cannot work.
	ErrConfig = errors.New("embedded nats: bad configuration")
	// ErrStoreNotLoaded is returned when a stream on disk did not load:
	// most often a missing or wrong store key.
	ErrStoreNotLoaded = errors.New("embedded nats: stored streams did not load")
)

// MinStoreKeyLen is the shortest store key accepted, in bytes.
const MinStoreKeyLen = 16

// Config sets up the embedded server.
type Config struct {
	// StoreDir holds JetStream's files. Required.
	StoreDir string
	// Listen is a host:port for other processes to connect to, such as
	// 127.0.0.1:4222. Empty means in-process connections only. Whoever
	// connects needs a role's user and password (see Passwords).
	Listen string
	// NoSync relaxes fsync to JetStream's default interval (2 minutes).
	// Only for throwaway fixtures: acknowledged events can then be lost to
	// an OS crash or power cut.
	NoSync bool
	// Name is the server name. Default "together".
	Name string

	// Passwords are the NATS passwords of the roles (see busauth). Nil
	// generates random ones for this run, which is enough as long as only
	// this process connects; processes connecting to Listen need them
	// from somewhere both sides read, such as
	// busauth.LoadOrCreatePasswords.
	Passwords busauth.Passwords

	// TLSCertFile and TLSKeyFile (PEM), when set, make the server require
	// TLS from every client connecting to Listen. In-process connections
	// do not go through TLS.
	TLSCertFile, TLSKeyFile string

	// StoreKey, when set, encrypts everything JetStream writes under
	// StoreDir (messages, indexes, stream and consumer metadata) with
	// StoreCipher. At least MinStoreKeyLen bytes of high entropy; the
	// same key must be given on every start. A store written without a
	// key is encrypted in place on the first start with one.
	StoreKey []byte
	// StoreCipher is "aes" (AES-256-GCM) or "chacha" (ChaCha20-Poly1305).
	// Empty keeps the cipher the store was written in, and makes a new
	// store AES: it runs on the processor's AES instructions, which Go's
	// ChaCha20 has no counterpart of on amd64, and a restart reads back a
	// 100,000-event stream in a fifth of the time. Naming the other
	// cipher converts the store block by block on start (back it up
	// first: a crash during the conversion can lose a block).
	StoreCipher string
	// PreviousStoreKey is the key the store was encrypted with until now,
	// for rotating to StoreKey: given both, the server re-encrypts under
	// StoreKey on start.
	PreviousStoreKey []byte

	// Logger receives the server's notices (info), warnings and errors,
	// and the watchdog's findings. Default: nothing is logged.
	Logger zerolog.Logger

	// DiskCheckInterval is how often the watchdog looks at JetStream and
	// at the free space of the disk holding StoreDir (see
	// [Server.Health]). Default [DefaultDiskCheckInterval].
	DiskCheckInterval time.Duration
	// MinFreeBytes is the free space the disk needs again before the
	// watchdog starts JetStream again after it ran out. Default
	// [DefaultMinFreeBytes].
	MinFreeBytes int64
}

// Server is a running embedded nats-server.
type Server struct {
	ns        *server.Server
	passwords busauth.Passwords
	// inProcess are the passwords of the users that connect in-process
	// only, made for this run.
	inProcess busauth.InProcess
	watch     *watchdog
}

// Start starts the server and waits until it accepts connections and
// has loaded every stream it finds on disk.
func Start(cfg Config) (*Server, error) {
	if cfg.StoreDir == "" {
		return nil, fmt.Errorf("%w: no store directory", ErrConfig)
	}
	if cfg.Name == "" {
		cfg.Name = "together"
	}
	if cfg.DiskCheckInterval < 0 || cfg.MinFreeBytes < 0 {
		return nil, fmt.Errorf("%w: a negative disk check interval or free space", ErrConfig)
	}
	if cfg.DiskCheckInterval == 0 {
		cfg.DiskCheckInterval = DefaultDiskCheckInterval
	}
	if cfg.MinFreeBytes == 0 {
		cfg.MinFreeBytes = DefaultMinFreeBytes
	}
	passwords := cfg.Passwords
	if passwords == nil {
		var err error
		if passwords, err = busauth.GeneratePasswords(); err != nil {
			return nil, err
		}
	}
	if err := passwords.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	var inProcess busauth.InProcess
	for _, p := range []*string{&inProcess.Admin, &inProcess.HistoryReader} {
		var err error
		if *p, err = randomSecret(); err != nil {
			return nil, err
		}
	}
	opts := &server.Options{}
	// One configuration text for this server and the compose stack's:
	// the accounts, users and permissions of busauth.
	if err := opts.ProcessConfigString(busauth.ServerConfig(passwords.Literal, inProcess)); err != nil {
		return nil, fmt.Errorf("embedded nats: accounts: %w", err)
	}
	opts.ServerName = cfg.Name
	opts.JetStream = true
	opts.StoreDir = cfg.StoreDir
	// Fsync every message before it is acknowledged: the 2025 Jepsen
	// analysis of NATS lost acknowledged writes under the default
	// two-minute sync interval.
	opts.SyncAlways = !cfg.NoSync
	opts.NoSigs = true
	opts.NoLog = true
	opts.DisableJetStreamBanner = true
	opts.DontListen = cfg.Listen == ""
	if cfg.Listen != "" {
		host, port, err := net.SplitHostPort(cfg.Listen)
		if err != nil {
			return nil, fmt.Errorf("%w: listen address %q: %w", ErrConfig, cfg.Listen, err)
		}
		opts.Host = host
		if opts.Port, err = strconv.Atoi(port); err != nil {
			return nil, fmt.Errorf("%w: listen port %q: %w", ErrConfig, port, err)
		}
		if opts.Port == 0 {
			opts.Port = server.RANDOM_PORT
		}
	}
	if err := configureTLS(opts, cfg); err != nil {
		return nil, err
	}
	if err := configureEncryption(opts, cfg); err != nil {
		return nil, err
	}
	if err := moveGlobalStreams(cfg.StoreDir); err != nil {
		return nil, err
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded nats: %w", err)
	}
	watch := &watchdog{
		ns: ns, opts: opts, dir: cfg.StoreDir, log: cfg.Logger,
		interval: cfg.DiskCheckInterval, minFree: cfg.MinFreeBytes, kick: make(chan struct{}, 1),
	}
	warnings := &serverLog{log: cfg.Logger, said: watch.serverSaid}
	ns.SetLoggerV2(warnings, false, false, false)
	go ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		ns.Shutdown()
		return nil, fmt.Errorf("embedded nats: not ready after 30s%s", warnings.detail())
	}
	if err := checkStreamsLoaded(ns, cfg.StoreDir); err != nil {
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil, fmt.Errorf("%w%s", err, warnings.detail())
	}
	// One look before returning, so that Health is right from the start.
	watch.check()
	watch.start()
	return &Server{ns: ns, passwords: passwords, inProcess: inProcess, watch: watch}, nil
}

func configureTLS(opts *server.Options, cfg Config) error {
	if cfg.TLSCertFile == "" && cfg.TLSKeyFile == "" {
		return nil
	}
	if cfg.TLSCertFile == "" || cfg.TLSKeyFile == "" {
		return fmt.Errorf("%w: TLS needs both a certificate and its key", ErrConfig)
	}
	tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: cfg.TLSCertFile, KeyFile: cfg.TLSKeyFile})
	if err != nil {
		return fmt.Errorf("%w: TLS: %w", ErrConfig, err)
	}
	opts.TLS, opts.TLSConfig, opts.TLSTimeout = true, tc, 2
	return nil
}

func configureEncryption(opts *server.Options, cfg Config) error {
	if cfg.StoreKey == nil {
		if cfg.PreviousStoreKey != nil || cfg.StoreCipher != "" {
			return fmt.Errorf("%w: a store cipher or previous key without a store key", ErrConfig)
		}
		return nil
	}
	if len(cfg.StoreKey) < MinStoreKeyLen {
		return fmt.Errorf("%w: the store key is shorter than %d bytes", ErrConfig, MinStoreKeyLen)
	}
	name, err := storeCipher(cfg)
	if err != nil {
		return err
	}
	opts.JetStreamCipher = server.AES
	if name == cipherChaCha {
		opts.JetStreamCipher = server.ChaCha
	}
	// The server takes the key as text; hex keeps any bytes usable and is
	// what a nats.conf `key:` would hold for the same key.
	opts.JetStreamKey = hex.EncodeToString(cfg.StoreKey)
	if cfg.PreviousStoreKey != nil {
		opts.JetStreamOldKey = hex.EncodeToString(cfg.PreviousStoreKey)
	}
	return nil
}

// The store ciphers, as Config.StoreCipher and the cipher file name them.
const (
	cipherAES    = "aes"
	cipherChaCha = "chacha"
	// cipherFile, in StoreDir, names the cipher the store is written in.
	cipherFile = "together-store-cipher"
)

// storeCipher decides the store's cipher: the one asked for, else the one
// the store was written in (its cipher file), else for a new store AES,
// and for a store written before the cipher file ChaCha20 (the default
// then). A store is never converted unasked: nats-server converts a block
// by writing its new key, then the block in place, without an fsync
// between, so a crash in between would lose the block's events. The
// choice is recorded before the server starts, durably, so that a crash
// cannot leave a new AES store taken for an old ChaCha20 one.
func storeCipher(cfg Config) (string, error) {
	asked := strings.ToLower(cfg.StoreCipher)
	if asked != "" && asked != cipherAES && asked != cipherChaCha {
		return "", fmt.Errorf("%w: store cipher %q: want %s or %s", ErrConfig, cfg.StoreCipher, cipherAES, cipherChaCha)
	}
	path := filepath.Join(cfg.StoreDir, cipherFile)
	recorded, err := os.ReadFile(path)
	switch {
	case err == nil:
		name := strings.TrimSpace(string(recorded))
		if name != cipherAES && name != cipherChaCha {
			return "", fmt.Errorf("%w: %s names no cipher (%q)", ErrConfig, path, name)
		}
		if asked == "" || asked == name {
			return name, nil
		}
	case !errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("read the store's cipher: %w", err)
	case asked == "":
		asked = cipherAES
		if _, err := os.Stat(filepath.Join(cfg.StoreDir, "jetstream")); err == nil {
			asked = cipherChaCha
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("record the store's cipher: %w", err)
	}
	if err := atomicfile.Replace(path, []byte(asked+"\n")); err != nil {
		return "", fmt.Errorf("record the store's cipher: %w", err)
	}
	return asked, nil
}

// legacyAccount is where every stream lived before the accounts of
// busauth: nats-server's global account.
const legacyAccount = "$G"

// streamAccounts say in which account each of together's streams lives.
var streamAccounts = map[string]busauth.Role{
	busauth.EventStream:    busauth.Recorder,
	busauth.KeyStream:      busauth.Stakeholders,
	busauth.SnapshotStream: busauth.Reports,
	// The identities, kept by the reports.
	"KV_" + busauth.StateBucket:   busauth.Reports,
	"KV_" + busauth.SessionBucket: busauth.Reports,
}

// moveGlobalStreams moves together's streams from the global account,
// where a store written before the accounts keeps them, to their accounts,
// before the server reads the store. Such a store is unencrypted (the
// store key came with the accounts), so its files carry nothing bound to
// the account's name.
func moveGlobalStreams(storeDir string) error {
	names := make([]string, 0, len(streamAccounts))
	for name := range streamAccounts {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		from := filepath.Join(storeDir, "jetstream", legacyAccount, "streams", name)
		if _, err := os.Stat(from); errors.Is(err, os.ErrNotExist) {
			continue
		}
		to := filepath.Join(storeDir, "jetstream", streamAccounts[name].Account(), "streams", name)
		if _, err := os.Stat(filepath.Join(from, "meta.key")); err == nil {
			return fmt.Errorf("%w: %s is encrypted in the global account; move it to account %s with a NATS backup and restore",
				ErrStoreNotLoaded, from, streamAccounts[name].Account())
		}
		if _, err := os.Stat(to); err == nil {
			return fmt.Errorf("%w: stream %s is both in %s and in %s; keep one", ErrStoreNotLoaded, name, from, to)
		}
		if err := os.MkdirAll(filepath.Dir(to), 0o750); err != nil {
			return fmt.Errorf("embedded nats: %w", err)
		}
		if err := os.Rename(from, to); err != nil {
			return fmt.Errorf("embedded nats: move stream %s to account %s: %w", name, streamAccounts[name].Account(), err)
		}
		syncDir(filepath.Dir(from))
		syncDir(filepath.Dir(to))
	}
	return nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}

// checkStreamsLoaded compares the streams on disk in together's accounts
// with those the server loaded. nats-server skips a stream it cannot read
// (with a warning), and a skipped stream looks like no stream at all: the
// next create would start an empty one in its place.
func checkStreamsLoaded(ns *server.Server, storeDir string) error {
	info, err := ns.Jsz(&server.JSzOptions{Accounts: true, Streams: true, Limit: 1 << 20})
	if err != nil {
		return fmt.Errorf("embedded nats: %w", err)
	}
	loaded := map[string]bool{}
	for _, a := range info.AccountDetails {
		for _, s := range a.Streams {
			loaded[a.Name+"/"+s.Name] = true
		}
	}
	var missing []string
	for _, r := range busauth.Roles() {
		dir := filepath.Join(storeDir, "jetstream", r.Account(), "streams")
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			// A name starting with a dot is a stream nats-server was
			// deleting; it removes those itself.
			if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			if !loaded[r.Account()+"/"+e.Name()] {
				missing = append(missing, r.Account()+"/"+e.Name())
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %s (a missing or wrong store key, or damaged files)", ErrStoreNotLoaded, strings.Join(missing, ", "))
	}
	return nil
}

// ConnectAs opens an in-process connection as the role's user, with the
// role's permissions and no others.
func (s *Server) ConnectAs(role busauth.Role, opts ...nats.Option) (*nats.Conn, error) {
	if _, err := busauth.ParseRole(string(role)); err != nil {
		return nil, err
	}
	opts = append([]nats.Option{
		nats.InProcessServer(s.ns), nats.Name("together-" + string(role)),
		nats.UserInfo(string(role), s.passwords[role]),
	}, opts...)
	nc, err := nats.Connect("", opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to embedded nats as %s: %w", role, err)
	}
	return nc, nil
}

// Connect opens an in-process connection as the administrator of the
// RECORDER account (the event stream's): it may do anything there except
// delete or rewrite a stream and purge the events. It exists for the
// audit commands on a stopped system and for tests; the administrator
// cannot connect over the network, and its password lives only in this
// process's memory for this run.
func (s *Server) Connect(name string, opts ...nats.Option) (*nats.Conn, error) {
	opts = append([]nats.Option{nats.InProcessServer(s.ns), nats.Name(name), nats.UserInfo(busauth.AdminUser, s.inProcess.Admin)}, opts...)
	nc, err := nats.Connect("", opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to embedded nats: %w", err)
	}
	return nc, nil
}

// ConnectHistoryReader opens an in-process connection as the reader of
// the history in the RECORDER account: it may read the event stream (its
// info and direct gets) and hear the announcements of appends, nothing
// else, and its replies come to an inbox of its own. The reports of this
// process read the history through it, in the stream's own account.
func (s *Server) ConnectHistoryReader(opts ...nats.Option) (*nats.Conn, error) {
	opts = append([]nats.Option{
		nats.InProcessServer(s.ns), nats.Name("together-" + busauth.HistoryReaderUser),
		nats.UserInfo(busauth.HistoryReaderUser, s.inProcess.HistoryReader), nats.CustomInboxPrefix(busauth.HistoryReaderInbox),
	}, opts...)
	nc, err := nats.Connect("", opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to embedded nats as the history reader: %w", err)
	}
	return nc, nil
}

// ClientURL is the URL other processes connect to (tls:// when the server
// has a certificate); empty when the server accepts in-process
// connections only.
func (s *Server) ClientURL() string {
	if s.ns.Addr() == nil {
		return ""
	}
	return s.ns.ClientURL()
}

// Health reports whether JetStream takes writes, as the watchdog last
// found (it looks every Config.DiskCheckInterval, and at once when the
// server logs a write that found no space): nil, or an error wrapping
// [ErrOutOfSpace] (the disk is full, or the store has used the space
// JetStream set aside for it) or [ErrJetStreamDown], saying why. Reads
// still work while it fails. Once the disk has Config.MinFreeBytes free
// again, the watchdog starts JetStream again and writes resume, without a
// restart of the process. Cheap enough for every request.
func (s *Server) Health() error { return s.watch.Health() }

// Shutdown stops the server and waits until it has stopped.
func (s *Server) Shutdown() {
	s.watch.stop()
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
}

func randomSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("embedded nats: %w", err)
	}
	return hex.EncodeToString(b), nil
}
