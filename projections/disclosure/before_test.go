package disclosure

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"testing"
)

// FuzzJSONAsBefore holds [Published.JSON] to the rewrite it replaced,
// which decoded every token with encoding/json and encoded it again:
// byte for byte on any document it rewrote, and on any document as
// encoding/json writes one (here, what that rewrite gives back under the
// zero plan).
func FuzzJSONAsBefore(f *testing.F) {
	f.Add([]byte(`{"counts":"exact","a":{"b":[1,2,{"c":3}]},"r":0.5,"s":"<é>"}`))
	f.Add([]byte(`[1,"*",null,true,{"counts":2}]`))
	f.Add([]byte(`{"a":1,"a":{"b":-0.0e5},"\u00e9":"\ud800"}`))
	f.Add([]byte(` {"s" : "<a>\u2028\t", "n":[ 1e3 ,"\/"]}`))
	var plan Plan
	plan.Count("a.b.2.c", 3)
	plan.Count("a.b.0", 12)
	plan.Count("a", 4)
	plan.Ratio("r", "a.b.0", "a.b.2.c")
	published := NHSEngland().Apply(plan)
	f.Fuzz(func(t *testing.T, doc []byte) {
		// As it comes, if it is one JSON value (the rewrite before let a
		// stray closing brace after it pass) and has no top-level "counts"
		// of more than one token (which that rewrite took apart).
		if json.Valid(doc) && !bytes.Contains(doc, []byte(`"counts"`)) {
			want, wantErr := rewriteAsBefore(published, doc)
			got, err := published.JSON(doc)
			if wantErr == nil && json.Valid(want) && (err != nil || !bytes.Equal(got, want)) {
				t.Fatalf("JSON(%s) = %s, %v; before, %s", doc, got, err, want)
			}
		}
		canonical, err := rewriteAsBefore(Published{}, doc)
		if err != nil || !json.Valid(canonical) {
			return
		}
		want, wantErr := rewriteAsBefore(published, canonical)
		got, err := published.JSON(canonical)
		if (err != nil) != (wantErr != nil) || !bytes.Equal(got, want) {
			t.Fatalf("JSON(%s) = %s, %v; before, %s, %v", canonical, got, err, want, wantErr)
		}
	})
}

// rewriteAsBefore is Published.JSON as it was.
func rewriteAsBefore(p Published, doc []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var b bytes.Buffer
	if err := rewriteTokens(p, dec, &b, ""); err != nil {
		return nil, fmt.Errorf("publish report: %w", err)
	}
	if dec.More() {
		return nil, errors.New("publish report: more than one JSON value")
	}
	return b.Bytes(), nil
}

func rewriteTokens(p Published, dec *json.Decoder, b *bytes.Buffer, path string) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			b.WriteByte('{')
			for first := true; dec.More(); first = false {
				k, err := dec.Token()
				if err != nil {
					return err
				}
				key, _ := k.(string)
				if !first {
					b.WriteByte(',')
				}
				writeToken(b, key)
				b.WriteByte(':')
				child := joinPath(path, key)
				if path == "" && key == countsKey {
					if _, err := dec.Token(); err != nil {
						return err
					}
					writeToken(b, p.Rule.String())
					continue
				}
				if err := rewriteTokens(p, dec, b, child); err != nil {
					return err
				}
			}
			b.WriteByte('}')
		case '[':
			b.WriteByte('[')
			for i := 0; dec.More(); i++ {
				if i > 0 {
					b.WriteByte(',')
				}
				if err := rewriteTokens(p, dec, b, joinPath(path, strconv.Itoa(i))); err != nil {
					return err
				}
			}
			b.WriteByte(']')
		}
		_, err := dec.Token() // the closing delimiter
		return err
	default:
		if s, ok := p.replacement([]byte(path)); ok {
			b.WriteString(s)
			return nil
		}
		writeToken(b, tok)
	}
	return nil
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func writeToken(b *bytes.Buffer, v any) {
	if n, ok := v.(json.Number); ok {
		b.WriteString(n.String())
		return
	}
	e, _ := json.Marshal(v)
	b.Write(e)
}
