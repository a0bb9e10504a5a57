package embednats_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/together-coop/together/services/internal/busauth"
	"github.com/together-coop/together/services/internal/busauth/bustest"
	"github.com/together-coop/together/services/internal/embednats"
	"github.com/together-coop/together/services/internal/keyring"
	"github.com/together-coop/together/services/internal/natsjs"
)

var storeKey = bytes.Repeat([]byte{0x5a, 0x17}, 16)

// The bus as a client on 127.0.0.1 sees it, over TLS, on an encrypted
// store: every process's own path works, everything else is refused.
func TestBusIsLocked(t *testing.T) {
	dir := t.TempDir()
	ca := writeCert(t, dir)
	passwords, err := busauth.GeneratePasswords()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := embednats.Start(embednats.Config{
		StoreDir: filepath.Join(dir, "store"), Listen: "127.0.0.1:0", Passwords: passwords,
		TLSCertFile: filepath.Join(dir, "cert.pem"), TLSKeyFile: filepath.Join(dir, "key.pem"),
		StoreKey: storeKey, StoreCipher: "aes",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	if !strings.HasPrefix(srv.ClientURL(), "tls://127.0.0.1:") {
		t.Fatalf("ClientURL = %q", srv.ClientURL())
	}
	tg := bustest.Target{URL: srv.ClientURL(), Passwords: passwords, Options: []nats.Option{nats.RootCAs(ca)}}
	w := bustest.Legitimate(t, tg)
	bustest.Attack(t, tg, w)

	t.Run("TLS is required", func(t *testing.T) {
		nc, err := nats.Connect(srv.ClientURL(), nats.UserInfo("projects", passwords[busauth.Projects]))
		if err == nil {
			nc.Close()
			t.Fatal("connected without trusting the server's certificate")
		}
	})
	t.Run("in-process connections as each role", func(t *testing.T) {
		for _, r := range busauth.Roles() {
			nc, err := srv.ConnectAs(r)
			if err != nil {
				t.Fatalf("%s: %v", r, err)
			}
			nc.Close()
		}
		if _, err := srv.ConnectAs("mallory"); !errors.Is(err, busauth.ErrUnknownRole) {
			t.Errorf("ConnectAs(mallory) = %v", err)
		}
	})
	t.Run("the history reader reads the events and does nothing else", func(t *testing.T) {
		historyReader(t, srv)
	})
}

// historyReader reads the events srv holds as the reports of its process
// do, through the in-process history reader, and is refused anything
// else: writing, consumers, other streams, other users' answers.
func historyReader(t *testing.T, srv *embednats.Server) {
	ctx := context.Background()
	nc, err := srv.ConnectHistoryReader()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	r, err := natsjs.NewReader(nc, natsjs.ReaderConfig{
		APIPrefix: "$JS.API", Stream: busauth.EventStream, Announcements: busauth.SubjectAppended, ContentOnly: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	read := 0
	for _, err := range r.ReadAll(ctx, 0) {
		if err != nil {
			t.Fatal(err)
		}
		read++
	}
	if read == 0 {
		t.Fatal("read no events")
	}
	if err := nc.LastError(); err != nil {
		t.Fatalf("reading: %v", err)
	}
	for _, a := range []struct {
		subject string
		do      func() error
	}{
		{"events.project-x", func() error { return nc.Publish("events.project-x", []byte(`{}`)) }},
		{"$JS.API.CONSUMER.CREATE." + busauth.EventStream, func() error {
			return nc.PublishRequest("$JS.API.CONSUMER.CREATE."+busauth.EventStream, nc.NewRespInbox(), []byte(`{}`))
		}},
		{"$JS.API.STREAM.INFO." + busauth.KeyStream, func() error {
			return nc.PublishRequest("$JS.API.STREAM.INFO."+busauth.KeyStream, nc.NewRespInbox(), nil)
		}},
		{"$JS.API.DIRECT.GET." + busauth.KeyStream, func() error {
			return nc.PublishRequest("$JS.API.DIRECT.GET."+busauth.KeyStream, nc.NewRespInbox(), []byte(`{"seq":1}`))
		}},
		{"$JS.API.STREAM.PURGE." + busauth.EventStream, func() error {
			return nc.PublishRequest("$JS.API.STREAM.PURGE."+busauth.EventStream, nc.NewRespInbox(), nil)
		}},
		{"_INBOX.>", func() error { _, err := nc.Subscribe("_INBOX.>", func(*nats.Msg) {}); return err }},
		{">", func() error { _, err := nc.Subscribe(">", func(*nats.Msg) {}); return err }},
		{"together.recorder.append", func() error { _, err := nc.Subscribe("together.recorder.append", func(*nats.Msg) {}); return err }},
	} {
		if err := a.do(); err != nil {
			t.Fatal(err)
		}
		// The refusal comes before the PONG of this flush.
		if err := nc.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := nc.LastError(); !errors.Is(err, nats.ErrPermissionViolation) || !strings.Contains(err.Error(), `"`+a.subject+`"`) {
			t.Errorf("%s was not refused: last error %v", a.subject, err)
		}
	}
}

func TestConfigRefused(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		cfg  embednats.Config
	}{
		{"no store directory", embednats.Config{}},
		{"bad listen address", embednats.Config{StoreDir: dir, Listen: "nowhere"}},
		{"short store key", embednats.Config{StoreDir: dir, StoreKey: []byte("short")}},
		{"unknown cipher", embednats.Config{StoreDir: dir, StoreKey: storeKey, StoreCipher: "rot13"}},
		{"cipher without key", embednats.Config{StoreDir: dir, StoreCipher: "aes"}},
		{"certificate without key", embednats.Config{StoreDir: dir, TLSCertFile: "cert.pem"}},
		{"weak password", embednats.Config{StoreDir: dir, Passwords: busauth.Passwords{busauth.Recorder: "secret"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, err := embednats.Start(tt.cfg)
			if err == nil {
				srv.Shutdown()
				t.Fatal("started")
			}
			if !errors.Is(err, embednats.ErrConfig) {
				t.Errorf("err = %v; want ErrConfig", err)
			}
		})
	}
}

// The store key: nothing of an event is readable in the files, the same
// key opens them again, and a wrong or missing key refuses to start
// rather than starting an empty store.
func TestStoreEncryption(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	run := func(key []byte, body func(srv *embednats.Server)) error {
		srv, err := embednats.Start(embednats.Config{StoreDir: dir, StoreKey: key})
		if err != nil {
			return err
		}
		defer srv.Shutdown()
		body(srv)
		return nil
	}
	if err := run(storeKey, func(srv *embednats.Server) { writeEvent(t, srv) }); err != nil {
		t.Fatal(err)
	}
	nothingReadable(t, dir)
	if err := run(storeKey, func(srv *embednats.Server) { readEvent(t, srv) }); err != nil {
		t.Fatalf("restart with the same key: %v", err)
	}
	for name, key := range map[string][]byte{"wrong key": bytes.Repeat([]byte{1}, 32), "no key": nil} {
		t.Run(name, func(t *testing.T) {
			err := run(key, func(*embednats.Server) { t.Error("started") })
			if !errors.Is(err, embednats.ErrStoreNotLoaded) {
				t.Errorf("err = %v; want ErrStoreNotLoaded", err)
			}
			if testing.Verbose() {
				t.Log(err)
			}
		})
	}
	if err := run(storeKey, func(srv *embednats.Server) { readEvent(t, srv) }); err != nil {
		t.Fatalf("the refused starts harmed the store: %v", err)
	}
	t.Run("rotating the key", func(t *testing.T) {
		newKey := bytes.Repeat([]byte{0x42}, 32)
		srv, err := embednats.Start(embednats.Config{StoreDir: dir, StoreKey: newKey, PreviousStoreKey: storeKey})
		if err != nil {
			t.Fatal(err)
		}
		readEvent(t, srv)
		srv.Shutdown()
		if err := run(newKey, func(srv *embednats.Server) { readEvent(t, srv) }); err != nil {
			t.Fatalf("the new key alone: %v", err)
		}
	})
}

// nothingReadable fails t if the distinctive string of the event the
// tests write is in any file under dir, as text, hex or base64.
func nothingReadable(t *testing.T, dir string) {
	t.Helper()
	for _, enc := range encodings(bustest.Distinctive) {
		if where := grep(t, dir, enc); where != "" {
			t.Errorf("%q is readable in %s", enc, where)
		}
	}
}

// TestStoreKeepsItsCipher: a new store is AES, a store keeps the cipher
// it was written in (one from before the cipher file, ChaCha20, the
// default then), and only a cipher named converts it.
func TestStoreKeepsItsCipher(t *testing.T) {
	cipherOf := func(dir string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join(dir, "together-store-cipher"))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	start := func(dir, cipher string) *embednats.Server {
		t.Helper()
		srv, err := embednats.Start(embednats.Config{StoreDir: dir, StoreKey: storeKey, StoreCipher: cipher})
		if err != nil {
			t.Fatal(err)
		}
		return srv
	}

	fresh := filepath.Join(t.TempDir(), "store")
	srv := start(fresh, "")
	writeEvent(t, srv)
	srv.Shutdown()
	srv = start(fresh, "")
	readEvent(t, srv)
	srv.Shutdown()
	if got := cipherOf(fresh); got != "aes" {
		t.Errorf("a new store is written in %q, want aes", got)
	}

	old := filepath.Join(t.TempDir(), "store")
	srv = start(old, "chacha")
	writeEvent(t, srv)
	srv.Shutdown()
	if err := os.Remove(filepath.Join(old, "together-store-cipher")); err != nil {
		t.Fatal(err)
	}
	srv = start(old, "")
	readEvent(t, srv)
	srv.Shutdown()
	if got := cipherOf(old); got != "chacha" {
		t.Errorf("a store from before the cipher file is taken for %q, want chacha", got)
	}
	srv = start(old, "aes")
	readEvent(t, srv)
	srv.Shutdown()
	srv = start(old, "")
	readEvent(t, srv)
	srv.Shutdown()
	if got := cipherOf(old); got != "aes" {
		t.Errorf("after asking for aes the store is %q", got)
	}
	nothingReadable(t, fresh)
	nothingReadable(t, old)
}

// A store written without a key is encrypted in place by the first start
// with one.
func TestEncryptsAnExistingStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	srv, err := embednats.Start(embednats.Config{StoreDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	writeEvent(t, srv)
	srv.Shutdown()
	if grep(t, dir, bustest.Distinctive) == "" {
		t.Fatal("the unencrypted store does not hold the event in plain text; the test proves nothing")
	}
	if srv, err = embednats.Start(embednats.Config{StoreDir: dir, StoreKey: storeKey}); err != nil {
		t.Fatal(err)
	}
	readEvent(t, srv)
	srv.Shutdown()
	nothingReadable(t, dir)
}

// A store written before the accounts keeps its streams in the global
// account; Start moves together's streams to their accounts.
func TestMovesStreamsOutOfTheGlobalAccount(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	ns, err := server.NewServer(&server.Options{JetStream: true, StoreDir: dir, DontListen: true, NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("not ready")
	}
	nc, err := nats.Connect("", nats.InProcessServer(ns))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := natsjs.New(ctx, nc); err != nil {
		t.Fatal(err)
	}
	js, _ := jetstream.New(nc)
	if _, err := js.Publish(ctx, "events.project-1", []byte(`{"old":"event"}`)); err != nil {
		t.Fatal(err)
	}
	kek, err := keyring.GenerateKEK()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := keyring.New(ctx, js, kek)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := keys.Seal(ctx, "someone", []byte("a name"))
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()
	ns.Shutdown()
	ns.WaitForShutdown()

	srv, err := embednats.Start(embednats.Config{StoreDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	rec, err := srv.ConnectAs(busauth.Recorder)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	recJS, _ := jetstream.New(rec)
	s, err := recJS.Stream(ctx, busauth.EventStream)
	if err != nil || s.CachedInfo().State.Msgs != 1 {
		t.Fatalf("the recorder's event stream: %v", err)
	}
	stk, err := srv.ConnectAs(busauth.Stakeholders)
	if err != nil {
		t.Fatal(err)
	}
	defer stk.Close()
	stkJS, _ := jetstream.New(stk)
	keys, err = keyring.New(ctx, stkJS, kek)
	if err != nil {
		t.Fatal(err)
	}
	if plain, err := keys.Open(ctx, "someone", sealed); err != nil || string(plain) != "a name" {
		t.Fatalf("the moved key opens %q, %v", plain, err)
	}
}

func writeEvent(t *testing.T, srv *embednats.Server) {
	t.Helper()
	nc, err := srv.ConnectAs(busauth.Recorder)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx := context.Background()
	if _, err := natsjs.New(ctx, nc); err != nil {
		t.Fatal(err)
	}
	js, _ := jetstream.New(nc)
	if _, err := js.Publish(ctx, "events.project-1", []byte(`{"programme":"`+bustest.Distinctive+`"}`)); err != nil {
		t.Fatal(err)
	}
}

func readEvent(t *testing.T, srv *embednats.Server) {
	t.Helper()
	nc, err := srv.ConnectAs(busauth.Recorder)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx := context.Background()
	js, _ := jetstream.New(nc)
	s, err := js.Stream(ctx, busauth.EventStream)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.GetMsg(ctx, 1)
	if err != nil || !strings.Contains(string(m.Data), bustest.Distinctive) {
		t.Fatalf("the event after a restart: %v", err)
	}
}

// encodings are the forms s could take in a file: itself, base64 (of
// three alignments, as in a longer encoded text) and hex.
func encodings(s string) []string {
	out := []string{s, hex.EncodeToString([]byte(s))}
	for pad := range 3 {
		enc := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", pad) + s))
		// Drop the characters that depend on the neighbours.
		out = append(out, enc[4:len(enc)-4])
	}
	return out
}

// grep returns the first file under dir that contains s, or "".
func grep(t *testing.T, dir, s string) string {
	t.Helper()
	found := ""
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || found != "" {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(data, []byte(s)) {
			found = path
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// writeCert writes a self-signed certificate for 127.0.0.1 (cert.pem,
// key.pem) into dir and returns the certificate's path, to trust it.
func writeCert(t *testing.T, dir string) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "together test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cert := filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return cert
}
