package keyring_test

import (
	"context"
	"fmt"
	"maps"
	"testing"

	"github.com/together-coop/together/events/stakeholder"
)

// TestOpenManyOpensWhatOpenOpens asks OpenMany for more keys than one
// request reads, among them destroyed keys, keys never made, values
// sealed under another key or tampered with, and checks every answer
// against Open's, key by key.
func TestOpenManyOpensWhatOpenOpens(t *testing.T) {
	ids := manyIDs(1500)
	ks := newSealedKeys(t, ids...)
	ctx := context.Background()
	asked := maps.Clone(ks.sealed)
	for _, id := range ids[:10] {
		if err := ks.k.Destroy(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	never := "0199a1b2-0000-7000-8000-ffffffffffff"
	asked[never] = stakeholder.Sealed{KeyID: never, Nonce: ks.sealed[ids[20]].Nonce, Ciphertext: ks.sealed[ids[20]].Ciphertext}
	asked[ids[30]] = ks.sealed[ids[31]] // sealed under another person's key
	tampered := ks.sealed[ids[40]]
	tampered.Ciphertext = append([]byte(nil), tampered.Ciphertext...)
	tampered.Ciphertext[0] ^= 1
	asked[ids[40]] = tampered
	asked["not a key id"] = stakeholder.Sealed{KeyID: "not a key id"}

	got, err := ks.k.OpenMany(ctx, asked)
	if err != nil {
		t.Fatal(err)
	}
	opened := 0
	for id, s := range asked {
		want, err := ks.k.Open(ctx, id, s)
		plain, ok := got[id]
		switch {
		case err != nil && ok:
			t.Errorf("%s: OpenMany opened %q, Open refused: %v", id, plain, err)
		case err == nil && !ok:
			t.Errorf("%s: OpenMany left out what Open opened", id)
		case err == nil && string(plain) != string(want):
			t.Errorf("%s: OpenMany = %q, Open = %q", id, plain, want)
		case err == nil:
			opened++
		}
	}
	if want := len(ids) - 10 - 2; opened != want || len(got) != want {
		t.Errorf("opened %d (OpenMany %d), want %d", opened, len(got), want)
	}
	if got, err := ks.k.OpenMany(ctx, nil); err != nil || len(got) != 0 {
		t.Errorf("OpenMany(nothing) = %v, %v", got, err)
	}
}

// manyIDs returns n stakeholder ids.
func manyIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("0199a1b2-0000-7000-8000-%012x", i+1)
	}
	return ids
}
