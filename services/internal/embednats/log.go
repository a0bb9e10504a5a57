package embednats

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/rs/zerolog"
)

// serverLog passes the server's notices, warnings and errors to a zerolog
// logger at their level and keeps the last few warnings and errors, to
// explain a failed start. Debug and trace stay off: they would carry
// message payloads.
type serverLog struct {
	log zerolog.Logger
	// said, when set, hears every warning and error.
	said func(line string)

	mu    sync.Mutex
	lines []string
}

// keptLines is how many warnings and errors a failed start can quote.
const keptLines = 20

func (l *serverLog) Noticef(format string, v ...any) { l.write(zerolog.InfoLevel, format, v) }
func (l *serverLog) Warnf(format string, v ...any)   { l.write(zerolog.WarnLevel, format, v) }
func (l *serverLog) Errorf(format string, v ...any)  { l.write(zerolog.ErrorLevel, format, v) }

// Fatalf is logged as an error: the server returns after it, and the
// process is not ours to end.
func (l *serverLog) Fatalf(format string, v ...any) { l.write(zerolog.ErrorLevel, format, v) }
func (l *serverLog) Debugf(string, ...any)          {}
func (l *serverLog) Tracef(string, ...any)          {}

func (l *serverLog) write(level zerolog.Level, format string, v []any) {
	// The passwords are plain text only in this process's memory; the
	// server's advice to hash them is no news.
	if strings.HasPrefix(format, "Plaintext passwords detected") {
		return
	}
	line := strings.TrimSpace(fmt.Sprintf(format, withholdBytes(v)...))
	if level >= zerolog.WarnLevel {
		l.mu.Lock()
		if len(l.lines) == keptLines {
			l.lines = l.lines[1:]
		}
		l.lines = append(l.lines, line)
		l.mu.Unlock()
		if l.said != nil {
			l.said(line)
		}
	}
	l.log.WithLevel(level).Msg(line)
}

// withholdBytes replaces every byte slice among a log line's arguments by
// its length: the server passes message bodies (a malformed API request,
// a bad response) as bytes, and those may hold personal data.
func withholdBytes(v []any) []any {
	var out []any
	for i, a := range v {
		b, ok := a.([]byte)
		if !ok {
			continue
		}
		if out == nil {
			out = slices.Clone(v)
		}
		out[i] = fmt.Sprintf("[%d bytes withheld]", len(b))
	}
	if out == nil {
		return v
	}
	return out
}

// detail is the last warnings and errors, to append to an error.
func (l *serverLog) detail() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.lines) == 0 {
		return ""
	}
	return "; the server said: " + strings.Join(l.lines, "; ")
}
