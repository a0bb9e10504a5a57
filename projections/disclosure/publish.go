package disclosure

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/together-coop/together/projections"
)

// countsKey is the header field that says whether counts are exact.
const countsKey = "counts"

// JSON rewrites a report's JSON document as published: each declared
// count becomes its published value or "*", each ratio its recomputed
// value, each hidden figure "*", and the header's "counts" names the
// rule. Every other name and value is written as encoding/json writes
// it, which leaves what encoding/json wrote byte for byte as it was; what
// lies between them (nothing, in what encoding/json writes) is left out.
func (p Published) JSON(doc []byte) ([]byte, error) {
	// The decoder reads a bytes.Buffer where it lies, rather than copying
	// it into a buffer of its own.
	r := rewriter{p: p, out: make([]byte, 0, len(doc)+len(doc)/8),
		dec: jsontext.NewDecoder(bytes.NewBuffer(doc), jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))}
	if err := r.value(); err != nil {
		return nil, fmt.Errorf("publish report: %w", err)
	}
	if _, err := r.dec.ReadToken(); !errors.Is(err, io.EOF) {
		return nil, errors.New("publish report: more than one JSON value")
	}
	return r.out, nil
}

// rewriter copies a document's tokens one after the other, each value at
// a path the plan declares replaced. The path of what it reads is kept in
// one buffer, as a map lookup by its bytes makes no string: a report has
// hundreds of values, and every reading of a published report rewrites
// it.
type rewriter struct {
	p    Published
	dec  *jsontext.Decoder
	out  []byte
	path []byte
	name []byte
}

func (r *rewriter) value() error {
	switch r.dec.PeekKind() {
	case '{':
		return r.object()
	case '[':
		return r.array()
	}
	v, err := r.dec.ReadValue()
	if err != nil {
		return err
	}
	if s, ok := r.p.replacement(r.path); ok {
		r.out = append(r.out, s...)
	} else {
		r.appendLiteral(v)
	}
	return nil
}

// appendLiteral appends raw, a value or a name as the document has it, as
// encoding/json writes it. What encoding/json wrote is written as it is;
// a string with an escape, a byte beyond ASCII or a character that
// encoding/json escapes (<, > and &) is decoded and encoded again.
func (r *rewriter) appendLiteral(raw []byte) {
	if len(raw) == 0 || raw[0] != '"' || !bytes.ContainsFunc(raw, func(c rune) bool {
		return c == '\\' || c == '<' || c == '>' || c == '&' || c >= utf8.RuneSelf
	}) {
		r.out = append(r.out, raw...)
		return
	}
	// The decoder has checked the string; all AppendUnquote can report is
	// invalid UTF-8, which it replaces, as encoding/json's decoder does.
	s, _ := jsontext.AppendUnquote(nil, raw)
	quoted, _ := json.Marshal(string(s)) // a string always encodes
	r.out = append(r.out, quoted...)
}

func (r *rewriter) object() error {
	if _, err := r.dec.ReadToken(); err != nil {
		return err
	}
	r.out = append(r.out, '{')
	top := len(r.path) == 0
	for first := true; r.dec.PeekKind() != '}'; first = false {
		name, err := r.dec.ReadValue()
		if err != nil {
			return err
		}
		if !first {
			r.out = append(r.out, ',')
		}
		r.appendLiteral(name)
		r.out = append(r.out, ':')
		// Checked by the decoder: all AppendUnquote can report is invalid
		// UTF-8, replaced as encoding/json's decoder replaces it.
		r.name, _ = jsontext.AppendUnquote(r.name[:0], name)
		if top && string(r.name) == countsKey {
			if err := r.dec.SkipValue(); err != nil {
				return err
			}
			rule, _ := json.Marshal(r.p.Rule.String()) // a string always encodes
			r.out = append(r.out, rule...)
			continue
		}
		parent := r.enter(r.name)
		if err := r.value(); err != nil {
			return err
		}
		r.path = r.path[:parent]
	}
	if _, err := r.dec.ReadToken(); err != nil {
		return err
	}
	r.out = append(r.out, '}')
	return nil
}

func (r *rewriter) array() error {
	if _, err := r.dec.ReadToken(); err != nil {
		return err
	}
	r.out = append(r.out, '[')
	for i := 0; r.dec.PeekKind() != ']'; i++ {
		if i > 0 {
			r.out = append(r.out, ',')
		}
		parent := r.enter(strconv.AppendInt(r.name[:0], int64(i), 10))
		if err := r.value(); err != nil {
			return err
		}
		r.path = r.path[:parent]
	}
	if _, err := r.dec.ReadToken(); err != nil {
		return err
	}
	r.out = append(r.out, ']')
	return nil
}

// enter adds key to the path, and returns the path's length before it.
func (r *rewriter) enter(key []byte) int {
	parent := len(r.path)
	if parent > 0 {
		r.path = append(r.path, '.')
	}
	r.path = append(r.path, key...)
	return parent
}

// replacement returns the JSON a published cell shows, if path is one.
// The maps are indexed by string(path) itself, which makes no string.
func (p Published) replacement(path []byte) (string, bool) {
	if c, ok := p.Counts[string(path)]; ok {
		if c.Hidden {
			return `"` + Hidden + `"`, true
		}
		return strconv.Itoa(c.Value), true
	}
	if f, ok := p.Figures[string(path)]; ok && !f.Keep {
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
