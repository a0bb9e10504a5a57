package projections

import (
	"bytes"
	"testing"
)

// TestTableBytes checks that a table is written as Excel opens it: a
// UTF-8 byte-order mark, then RFC 4180 with CRLF line ends.
func TestTableBytes(t *testing.T) {
	tab := Table{Header: []string{"figure", "value"}}
	tab.Add([]string{"name", "Siân, \"Ó\""}, nil)
	got := tab.Bytes()
	rest, ok := bytes.CutPrefix(got, []byte(ByteOrderMark))
	if !ok {
		t.Fatalf("Bytes() = %q, want it to start with the UTF-8 byte-order mark", got)
	}
	if want := "figure,value\r\nname,\"Siân, \"\"Ó\"\"\"\r\n"; string(rest) != want {
		t.Errorf("Bytes() after the mark = %q, want %q", rest, want)
	}
}
