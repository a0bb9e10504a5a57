package disclosure

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/together-coop/together/projections"
)

// countsKey is the header field that says whether counts are exact.
const countsKey = "counts"

// JSON rewrites a report's JSON document as published: each declared
// count becomes its published value or "*", each ratio its recomputed
// value, each hidden figure "*", and the header's "counts" names the
// rule. Field order and everything else are kept byte for byte.
func (p Published) JSON(doc []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var b bytes.Buffer
	if err := p.rewrite(dec, &b, ""); err != nil {
		return nil, fmt.Errorf("publish report: %w", err)
	}
	if dec.More() {
		return nil, errors.New("publish report: more than one JSON value")
	}
	return b.Bytes(), nil
}

func (p Published) rewrite(dec *json.Decoder, b *bytes.Buffer, path string) error {
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
				writeJSON(b, key)
				b.WriteByte(':')
				child := join(path, key)
				if path == "" && key == countsKey {
					if _, err := dec.Token(); err != nil {
						return err
					}
					writeJSON(b, p.Rule.String())
					continue
				}
				if err := p.rewrite(dec, b, child); err != nil {
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
				if err := p.rewrite(dec, b, join(path, strconv.Itoa(i))); err != nil {
					return err
				}
			}
			b.WriteByte(']')
		}
		_, err := dec.Token() // the closing delimiter
		return err
	default:
		if s, ok := p.replacement(path); ok {
			b.WriteString(s)
			return nil
		}
		writeJSON(b, tok)
	}
	return nil
}

// replacement returns the JSON a published cell shows, if path is one.
func (p Published) replacement(path string) (string, bool) {
	if c, ok := p.Counts[path]; ok {
		if c.Hidden {
			return `"` + Hidden + `"`, true
		}
		return strconv.Itoa(c.Value), true
	}
	if f, ok := p.Figures[path]; ok && !f.Keep {
		switch {
		case f.Hidden:
			return `"` + Hidden + `"`, true
		case f.Value == nil:
			return "null", true
		default:
			v, _ := json.Marshal(*f.Value)
			return string(v), true
		}
	}
	return "", false
}

// Table rewrites a report's CSV table as published: every cell that
// shows a declared count or figure shows its published value instead,
// and the "counts" figure names the rule.
func (p Published) Table(t projections.Table) projections.Table {
	out := projections.Table{Header: t.Header, Paths: t.Paths, Rows: make([][]string, len(t.Rows))}
	for i, row := range t.Rows {
		out.Rows[i] = append([]string(nil), row...)
		for j := range row {
			path := t.PathOf(i, j)
			if path == "" {
				continue
			}
			if path == countsKey {
				out.Rows[i][j] = p.Rule.String()
			}
			if c, ok := p.Counts[path]; ok {
				out.Rows[i][j] = c.Text()
			}
			if f, ok := p.Figures[path]; ok && !f.Keep {
				if f.Hidden {
					out.Rows[i][j] = Hidden
				} else {
					out.Rows[i][j] = projections.RatioCell(f.Value)
				}
			}
		}
	}
	return out
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func writeJSON(b *bytes.Buffer, v any) {
	if n, ok := v.(json.Number); ok {
		b.WriteString(n.String())
		return
	}
	e, _ := json.Marshal(v) // strings, bools and null always marshal
	b.Write(e)
}
