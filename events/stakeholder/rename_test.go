package stakeholder

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzRenameField holds the one-pass rename to the rename through a map:
// whatever it renames, the map renames to the same members.
func FuzzRenameField(f *testing.F) {
	for _, s := range []string{
		`{"stakeholder_id":"a","accepted":false,"reason":"The bus <does> not run"}`, `{"reason":"x","legacy_reason":"y"}`,
		`{"accepted":true}`, `{}`, `null`, `[]`, `{"reason":1,"reason":2}`, `{"a":{"reason":1},"b":[1,2.50,"\u00e9"]}`,
		` {"reason" : "spaced" } `, `{"reason":"x"} {}`, "{\"reason\":\"\xff\"}", `{"\u0072eason":"escaped name"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, old []byte) {
		fast, ok := renameInPlace(old, "reason", "legacy_reason")
		if !ok {
			return
		}
		ref, err := renameThroughMap(old, "reason", "legacy_reason")
		if err != nil {
			t.Fatalf("renamed %s in one pass to %s; through a map: %v", old, fast, err)
		}
		if got, want := members(t, fast), members(t, ref); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s:\none pass  %s\nmap       %s", old, fast, ref)
		}
	})
}

func members(t *testing.T, data []byte) map[string]any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("%s: %v", data, err)
	}
	return m
}

func BenchmarkRenameField(b *testing.B) {
	old := []byte(`{"stakeholder_id":"0199a1b2-0000-7000-8000-000000000001","accepted":false,"reason":"The bus does not run on Sundays."}`)
	b.Run("one-pass", func(b *testing.B) {
		for b.Loop() {
			if _, ok := renameInPlace(old, "reason", "legacy_reason"); !ok {
				b.Fatal("refused")
			}
		}
	})
	b.Run("map", func(b *testing.B) {
		for b.Loop() {
			if _, err := renameThroughMap(old, "reason", "legacy_reason"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
