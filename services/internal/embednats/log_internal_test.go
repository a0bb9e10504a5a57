package embednats

import (
	"bytes"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

func TestServerLog(t *testing.T) {
	tests := []struct {
		name    string
		log     func(l *serverLog)
		want    string // the line logged, "" for none
		kept    bool   // kept to explain a failed start
		heard   bool   // passed to said
		noMatch string // must not appear anywhere
	}{
		{name: "notice at info", log: func(l *serverLog) { l.Noticef("Server is %s", "ready") },
			want: `{"level":"info","message":"Server is ready"}`},
		{name: "warning", log: func(l *serverLog) { l.Warnf("slow %d", 3) },
			want: `{"level":"warn","message":"slow 3"}`, kept: true, heard: true},
		{name: "error", log: func(l *serverLog) { l.Errorf("write: %v", "no space left on device") },
			want: `{"level":"error","message":"write: no space left on device"}`, kept: true, heard: true},
		{name: "fatal as an error", log: func(l *serverLog) { l.Fatalf("cannot start") },
			want: `{"level":"error","message":"cannot start"}`, kept: true, heard: true},
		{name: "debug is dropped", log: func(l *serverLog) { l.Debugf("payload %s", "secret") }},
		{name: "trace is dropped", log: func(l *serverLog) { l.Tracef("payload %s", "secret") }},
		{name: "advice to hash passwords is dropped", log: func(l *serverLog) {
			l.Warnf("Plaintext passwords detected, use nkeys or bcrypt")
		}},
		{name: "message bodies are withheld", log: func(l *serverLog) {
			l.Warnf("Malformed JetStream API Request: [%s] %q", "$JS.API.X", []byte(`{"name":"Jo Bloggs"}`))
		}, want: `{"level":"warn","message":"Malformed JetStream API Request: [$JS.API.X] \"[20 bytes withheld]\""}`,
			kept: true, heard: true, noMatch: "Bloggs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			var heard []string
			l := &serverLog{log: zerolog.New(&out), said: func(line string) { heard = append(heard, line) }}
			tt.log(l)
			if got := strings.TrimSpace(out.String()); got != tt.want {
				t.Errorf("logged %s; want %s", got, tt.want)
			}
			if got := l.detail() != ""; got != tt.kept {
				t.Errorf("kept = %v (%q); want %v", got, l.detail(), tt.kept)
			}
			if got := len(heard) == 1; got != tt.heard {
				t.Errorf("heard %q; want heard = %v", heard, tt.heard)
			}
			if tt.noMatch != "" && (strings.Contains(out.String(), tt.noMatch) || strings.Contains(l.detail(), tt.noMatch)) {
				t.Errorf("%q reached the log", tt.noMatch)
			}
		})
	}
}

// A failed start quotes the last warnings and errors, no more than
// keptLines of them.
func TestServerLogKeepsTheLast(t *testing.T) {
	l := &serverLog{}
	for i := range keptLines + 5 {
		l.Errorf("error %d", i)
	}
	d := l.detail()
	if strings.Contains(d, "error 4;") || !strings.Contains(d, "error 5;") || !strings.HasSuffix(d, "error 24") {
		t.Errorf("detail = %q; want errors 5 to 24", d)
	}
}
