package keyring_test

import (
	"context"
	"fmt"
	"os"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/together-coop/together/services/internal/embednats"
	"github.com/together-coop/together/services/internal/keyring"
)

// The stakeholders process keeps the key stream and serves it; a
// feedback process seals and shreds through a Remote on its own
// connection.
func ExampleKeyring_ServeNATS() {
	dir, _ := os.MkdirTemp("", "keyring-example-")
	defer os.RemoveAll(dir)
	srv, err := embednats.Start(embednats.Config{StoreDir: dir, NoSync: true})
	if err != nil {
		panic(err)
	}
	defer srv.Shutdown()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()

	// In the stakeholders process.
	stk, _ := srv.Connect("stakeholders")
	js, _ := jetstream.New(stk)
	kek, _ := keyring.GenerateKEK()
	keys, err := keyring.New(ctx, js, kek)
	if err != nil {
		panic(err)
	}
	go func() { _ = keys.ServeNATS(ctx, stk) }()
	<-keys.Ready()

	// In the feedback process.
	fb, _ := srv.Connect("feedback")
	remote, _ := keyring.NewRemote(fb)
	record := "feedback-0199a1b2-0000-7000-8000-0000000000f1"
	sealed, err := remote.Seal(ctx, record, []byte("The signs point two ways"))
	fmt.Println(sealed.KeyID, err)
	fmt.Println(remote.Destroy(ctx, record))
	_, err = keys.Open(ctx, record, sealed)
	fmt.Println(err)
	// Output:
	// feedback-0199a1b2-0000-7000-8000-0000000000f1 <nil>
	// <nil>
	// key destroyed: the person was erased
}
