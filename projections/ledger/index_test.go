package ledger

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"testing"
)

// TestIndexKeepsEveryVersion sets ids over many generations, some ids
// again, and checks every version ever returned still holds exactly what
// it held when it was returned.
func TestIndexKeepsEveryVersion(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var x Index[int]
	want := map[string]int{}
	type version struct {
		x    Index[int]
		want map[string]int
	}
	var versions []version
	for gen := uint64(1); gen <= 200; gen++ {
		for range rng.IntN(50) {
			id := fmt.Sprintf("id-%d", rng.IntN(3000))
			v := rng.Int()
			x = x.set(gen, id, v)
			want[id] = v
		}
		versions = append(versions, version{x, maps.Clone(want)})
	}
	for i, v := range versions {
		if v.x.Len() != len(v.want) {
			t.Fatalf("version %d: Len() = %d, want %d", i, v.x.Len(), len(v.want))
		}
		for id, val := range v.want {
			if got, ok := v.x.lookup(id); !ok || got != val {
				t.Fatalf("version %d: %s = %d, %v; want %d", i, id, got, ok, val)
			}
		}
		all := map[string]int{}
		for id, val := range v.x.All {
			all[id] = val
		}
		if !maps.Equal(all, v.want) {
			t.Fatalf("version %d: All yields %d entries, not the %d set", i, len(all), len(v.want))
		}
		if got, ok := v.x.lookup("absent"); ok || got != 0 {
			t.Fatalf("version %d: absent id found: %d", i, got)
		}
	}
}

// TestIndexKeysSharingTheirHash puts keys whose hashes are equal, or
// equal but for their last bits, below the last level of the trie.
func TestIndexKeysSharingTheirHash(t *testing.T) {
	hashes := map[string]uint64{
		"a": 0xdeadbeefcafef00d,
		"b": 0xdeadbeefcafef00d,
		"c": 0xdeadbeefcafef00d,
		"d": 0x0eadbeefcafef00d, // differs only in the top bits
		"e": 0x1,
	}
	hash := func(id string) uint64 { return hashes[id] }
	n := &node[string]{gen: 1}
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		var added bool
		n, added = n.set(hash, 1, 0, hashes[id], id, "v"+id)
		if !added {
			t.Fatalf("%s was not added", id)
		}
	}
	old := n
	n, added := n.set(hash, 2, 0, hashes["b"], "b", "new")
	if added {
		t.Fatal("setting b again added it")
	}
	for id, h := range hashes {
		if got, ok := old.get(h, id); !ok || got != "v"+id {
			t.Errorf("old version: %s = %q, %v", id, got, ok)
		}
		want := "v" + id
		if id == "b" {
			want = "new"
		}
		if got, ok := n.get(h, id); !ok || got != want {
			t.Errorf("new version: %s = %q, %v; want %q", id, got, ok, want)
		}
	}
	if _, ok := n.get(hashes["a"], "z"); ok {
		t.Error("an absent key sharing a's hash was found")
	}
}

func TestZeroIndexIsEmpty(t *testing.T) {
	var x Index[*Project]
	if x.Get("p") != nil || x.Len() != 0 {
		t.Fatal("the zero index is not empty")
	}
}
