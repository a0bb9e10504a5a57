package bench

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

// Memory is the resident set of this process, when the stack runs in it.
type Memory struct {
	RSSMiB, PeakRSSMiB float64
}

// ReadMemory reads this process's resident set from Linux's /proc; ok is
// false elsewhere.
func ReadMemory() (m Memory, ok bool) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return Memory{}, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		for _, field := range []struct {
			prefix string
			to     *float64
		}{{"VmRSS:", &m.RSSMiB}, {"VmHWM:", &m.PeakRSSMiB}} {
			if rest, found := strings.CutPrefix(line, field.prefix); found {
				kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
				*field.to = kb / 1024
				ok = true
			}
		}
	}
	return m, ok
}

// ResetPeak sets this process's peak resident set to what it holds now,
// so that the next [ReadMemory] gives the peak of what happened since;
// false where Linux's /proc cannot (then the peak is the process's life).
func ResetPeak() bool {
	// "5" resets the peak resident set (VmHWM), Linux 4.0 and later.
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// ProcessCPU returns the CPU time this process has used so far, in user
// and system mode together; ok is false when the system cannot say.
func ProcessCPU() (cpu time.Duration, ok bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}

// Report is everything one run measured.
type Report struct {
	Target   string
	Load     Result
	Ceilings *Ceilings // nil when not measured
	Memory   *Memory   // nil when the stack is not in this process
	// LoadCPU is the CPU time this process used over the load, the
	// stack's and the clients' together; zero when the stack is not in
	// this process.
	LoadCPU time.Duration
	// PeakOfLoad is set when Memory's peak is the load's, not the
	// process's whole life.
	PeakOfLoad bool
	// History, RawRead and ColdStart are nil unless the run built a
	// history and started on it.
	History *History
	// HistoryAge is how long the history was left before the cold start.
	HistoryAge time.Duration
	RawRead    *RawRead
	ColdStart  *ColdStart
	// Restart is a start after the cold start that resumes the reports
	// from the snapshot the stop saved, and Rebuild one with the
	// snapshot dropped; each nil unless measured.
	Restart, Rebuild *ColdStart
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64)
}

// cpuMS is ms to the hundredth, as a command's CPU is well under one.
func cpuMS(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64)
}

// WriteText prints the report for a person.
func (r Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "target\t%s\n", r.Target)
	r.writeColdStart(tw)
	if r.Load.Clients > 0 || r.Load.ReportReaders > 0 {
		r.writeLoad(tw)
	}
	return tw.Flush()
}

// writeColdStart prints the history built and the cold start on it, as
// far as they were measured.
func (r Report) writeColdStart(w io.Writer) {
	if h := r.History; h != nil {
		fmt.Fprintf(w, "history built\t%d events (seed %d), one an append, from %d writers through the recorder: %s (%.0f events/s); generating them %s\n",
			h.Events, h.Seed, h.Writers, secs(h.Elapsed), h.EventsPerSecond(), secs(h.Generated))
		fmt.Fprintf(w, "  stream head\t%d (on a fresh directory: the events and %d seals)\n", h.Head, h.Head-uint64(h.Events))
		if r.HistoryAge > 0 {
			fmt.Fprintf(w, "  left to age\t%s before the cold start\n", r.HistoryAge)
		}
		if c := r.Ceilings; c != nil && c.PublishPerSecond > 0 {
			fmt.Fprintf(w, "  history events/s ÷ durable publish/s\t%.2f (publish ceiling from %d publishers)\n", h.EventsPerSecond()/c.PublishPerSecond, c.Publishers)
		}
	}
	if rr := r.RawRead; rr != nil {
		fmt.Fprintf(w, "ceiling: raw ordered read\t%d messages, %.0f MiB in %s (%.0f/s); opening the stopped server %s\n",
			rr.Messages, float64(rr.Bytes)/(1<<20), secs(rr.Elapsed), rr.PerSecond(), secs(rr.Open))
	}
	if c := r.ColdStart; c != nil {
		writeStart(w, "cold start", c, r.RawRead)
	}
	if c := r.Restart; c != nil {
		writeStart(w, "restart from the snapshot", c, r.RawRead)
	}
	if c := r.Rebuild; c != nil {
		writeStart(w, "rebuild on restart", c, r.RawRead)
	}
}

// writeStart prints one start on the history: the cold start, a restart
// resuming the reports from their snapshot, or the rebuild of the reports
// when together starts again without it.
func writeStart(w io.Writer, name string, c *ColdStart, rr *RawRead) {
	fmt.Fprintf(w, "%s to the head\t%s to position %d (%.0f events/s); Start returned after %s\n",
		name, secs(c.Elapsed), c.Head, c.PerSecond(), secs(c.Started))
	if rr != nil && rr.Elapsed > 0 {
		fmt.Fprintf(w, "%s ÷ raw read\t%.2f (events/s; the start counts starting the server and the stack, the read does not, and runs second on a warm page cache)\n", name, c.PerSecond()/rr.PerSecond())
	}
	fmt.Fprintf(w, "memory after the %s\tGo heap in use %.0f MiB", name, c.HeapInUseMiB)
	if m := c.Memory; m != nil {
		fmt.Fprintf(w, "; resident %.0f MiB at the head", m.RSSMiB)
		if i := c.Idle; i != nil {
			fmt.Fprintf(w, ", %.0f MiB %s later", i.RSSMiB, secs(idleAfterColdStart))
		}
		if c.PeakSinceStart {
			fmt.Fprintf(w, "; peak %.0f MiB during the %s", m.PeakRSSMiB, name)
		} else {
			fmt.Fprintf(w, "; peak %.0f MiB (includes generating the history)", m.PeakRSSMiB)
		}
	}
	fmt.Fprintln(w)
}

func secs(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + " s"
}

// writeLoad prints what the load measured.
func (r Report) writeLoad(tw io.Writer) {
	l := r.Load
	if l.Clients == 0 {
		fmt.Fprintln(tw, "clients\tnone: the report readers alone")
	} else {
		fmt.Fprintf(tw, "clients\t%d\n", l.Clients)
	}
	fmt.Fprintf(tw, "elapsed\t%s\n", l.Elapsed.Round(time.Millisecond))
	if l.Clients > 0 {
		r.writeCommands(tw)
	}
	if l.ReportReaders > 0 {
		scope := ""
		switch {
		case l.ReadProgramme != "":
			scope = " of " + l.ReadProgramme
		case l.ReadProject != "":
			scope = " of project " + l.ReadProject
		}
		fmt.Fprintf(tw, "report %s%s, %d readers, ms\tp50 %s  p95 %s  p99 %s  max %s  (%d reads)\n", l.ReadReport, scope, l.ReportReaders,
			ms(l.ReportReads.P50), ms(l.ReportReads.P95), ms(l.ReportReads.P99), ms(l.ReportReads.Max), l.ReportReads.N)
	}
	if m := r.Memory; m != nil {
		peak := "peak"
		if r.PeakOfLoad {
			peak = "peak during the load"
		}
		fmt.Fprintf(tw, "resident memory (bench + stack)\t%.0f MiB now, %.0f MiB %s\n", m.RSSMiB, m.PeakRSSMiB, peak)
	}
	if r.LoadCPU > 0 {
		r.writeCPU(tw)
	}
	if l.Clients > 0 {
		r.writeCommandCeilings(tw)
	}
}

// writeCommands prints what the load measured of its commands.
func (r Report) writeCommands(tw io.Writer) {
	l := r.Load
	fmt.Fprintf(tw, "commands\t%d (%.0f/s)\n", l.Commands, l.CommandsPerSecond())
	fmt.Fprintf(tw, "events\t%d (%.0f/s)\n", l.Events, l.EventsPerSecond())
	fmt.Fprintf(tw, "command latency ms\tp50 %s  p95 %s  p99 %s  max %s\n", ms(l.Latency.P50), ms(l.Latency.P95), ms(l.Latency.P99), ms(l.Latency.Max))
	failed := 0
	for _, n := range l.Errors {
		failed += n
	}
	fmt.Fprintf(tw, "failed commands\t%d %v\n", failed, l.Errors)
	for _, e := range l.FirstErrors {
		fmt.Fprintf(tw, "  failure\t%s\n", e)
	}
	fmt.Fprintf(tw, "report reflects newest event ms\tp50 %s  p95 %s  p99 %s  max %s  (%d samples)\n", ms(l.Visible.P50), ms(l.Visible.P95), ms(l.Visible.P99), ms(l.Visible.Max), l.Visible.N)
	fmt.Fprintf(tw, "catch-up after the last command\t%s ms (position %d)\n", ms(l.CatchUp), l.LastPosition)
}

// writeCPU prints the CPU the process used over the load, and a command's
// or a reading's share of it when only commands or only readings ran:
// with both, their shares cannot be told apart.
func (r Report) writeCPU(tw io.Writer) {
	l := r.Load
	fmt.Fprintf(tw, "CPU (bench + stack)\t%s over the load (%.2f cores)", secs(r.LoadCPU), r.LoadCPU.Seconds()/l.Elapsed.Seconds())
	switch {
	case l.ReportReaders == 0 && l.Commands > 0:
		fmt.Fprintf(tw, ", %s ms a command", cpuMS(r.LoadCPU/time.Duration(l.Commands)))
	case l.Clients == 0 && l.ReportReads.N > 0:
		fmt.Fprintf(tw, ", %s ms a reading", cpuMS(r.LoadCPU/time.Duration(l.ReportReads.N)))
	}
	fmt.Fprintln(tw)
}

// writeCommandCeilings prints the ceilings and the commands' figures
// against them.
func (r Report) writeCommandCeilings(tw io.Writer) {
	l := r.Load
	if c := r.Ceilings; c != nil {
		fmt.Fprintf(tw, "ceiling: durable publish\t%.0f/s from %d publishers (p50 %s ms, p99 %s ms)", c.PublishPerSecond, c.Publishers, ms(c.PublishLatency.P50), ms(c.PublishLatency.P99))
		if c.PublishCPU > 0 && c.Messages > 0 {
			fmt.Fprintf(tw, ", %s ms of CPU a message", cpuMS(c.PublishCPU/time.Duration(c.Messages)))
		}
		fmt.Fprintln(tw)
		fmt.Fprintf(tw, "ceiling: ordered read\t%.0f/s over %d messages\n", c.ReadPerSecond, c.Messages)
		if c.PublishPerSecond > 0 {
			fmt.Fprintf(tw, "events/s ÷ durable publish/s\t%.2f\n", l.EventsPerSecond()/c.PublishPerSecond)
			fmt.Fprintf(tw, "command p50 ÷ publish p50\t%.1f\n", float64(l.Latency.P50)/float64(max(c.PublishLatency.P50, 1)))
		}
	}
	fmt.Fprintln(tw, "per command (ms)\tn  p50  p95  p99")
	for _, k := range sortedKeys(l.ByCommand) {
		p := l.ByCommand[k]
		fmt.Fprintf(tw, "  %s\t%d  %s  %s  %s\n", k, p.N, ms(p.P50), ms(p.P95), ms(p.P99))
	}
}
