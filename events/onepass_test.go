package events

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
)

// onePassBody has a field of every kind the catalogue's payloads use.
type onePassBody struct {
	onePassInner
	Text     string          `json:"text"`
	Optional *string         `json:"optional"`
	Count    int             `json:"count"`
	Amount   int64           `json:"amount"`
	Position uint64          `json:"position"`
	Flag     bool            `json:"flag"`
	List     []string        `json:"list"`
	Levels   []Level         `json:"levels"`
	Day      Date            `json:"day"`
	At       time.Time       `json:"at"`
	Bytes    []byte          `json:"bytes"`
	Nested   *onePassInner   `json:"nested"`
	Items    []onePassInner  `json:"items"`
	Raw      json.RawMessage `json:"raw"`
}

type onePassInner struct {
	Name  string `json:"name"`
	Level Level  `json:"level"`
}

// FuzzDecodeStrictInOnePass holds DecodeStrict's one pass to the two
// passes it stands in for: whatever the one pass accepts, the two passes
// accept with the same value, and DecodeStrict's answer is theirs.
func FuzzDecodeStrictInOnePass(f *testing.F) {
	for _, s := range []string{
		`{"name":"Zoë","level":"involve","text":"a","optional":"b","count":-3,"amount":12,"position":7,"flag":true}`,
		`{"list":["a","b"],"levels":["inform"],"day":"2026-03-01","at":"2026-03-01T10:00:00Z","bytes":"aGVsbG8="}`,
		`{"nested":{"name":"x"},"items":[{"name":"y"},{}],"raw":{"a":1,"a":2}}`,
		`{"day":null,"optional":null,"list":null,"bytes":"aGVs\nbG8="}`,
		`{"name":"a","name":"b"}`, `{"Name":"a"}`, "{\"text\":\"\xff\"}", `{"text":"\ud800"}`,
		`{"count":1e2}`, `{"count":1.0}`, `{"position":-1}`, `{"at":"2026-03-01t10:00:00z"}`, `{} {}`, `null`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var one, two, got onePassBody
		oneErr := jsonUnmarshalOnePass(data, &one)
		twoErr := decodeStrictInTwoPasses(data, &two)
		if oneErr == nil && twoErr != nil {
			t.Fatalf("one pass accepted %q, two passes refused it: %v", data, twoErr)
		}
		if oneErr == nil && !reflect.DeepEqual(one, two) {
			t.Fatalf("%q: one pass decoded %+v, two passes %+v", data, one, two)
		}
		err := DecodeStrict(data, &got)
		if (err == nil) != (twoErr == nil) {
			t.Fatalf("DecodeStrict(%q) = %v, two passes %v", data, err, twoErr)
		}
		if err == nil && !reflect.DeepEqual(got, two) {
			t.Fatalf("DecodeStrict(%q) decoded %+v, two passes %+v", data, got, two)
		}
	})
}

func jsonUnmarshalOnePass(data []byte, v any) error { return jsonv2.Unmarshal(data, v, strictOptions) }

func BenchmarkDecodeStrict(b *testing.B) {
	data := []byte(`{"name":"Zoë","level":"involve","text":"a fairly ordinary sentence of feedback","count":3,` +
		`"list":["a","b"],"day":"2026-03-01","at":"2026-03-01T10:00:00Z","items":[{"name":"y"}]}`)
	b.Run("one-pass", func(b *testing.B) {
		for b.Loop() {
			var v onePassBody
			if err := DecodeStrict(data, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("two-passes", func(b *testing.B) {
		for b.Loop() {
			var v onePassBody
			if err := decodeStrictInTwoPasses(data, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}
