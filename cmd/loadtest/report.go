package main

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

// targetP95 is the target for build request -> last event, at p95.
const targetP95 = 150 * time.Millisecond

// Report is a run's outcome; -json prints it as is.
type Report struct {
	Students     int     `json:"students"`
	DurationS    float64 `json:"duration_s"`
	IntervalS    float64 `json:"interval_s"`
	StepsN       int     `json:"dockerfile_steps"`
	Base         string  `json:"base_image"`
	URL          string  `json:"url"`
	CPUs         int     `json:"cpus"`
	SetupS       float64 `json:"setup_s"`
	PhaseS       float64 `json:"phase_s"`
	Requested    int     `json:"builds_requested"`
	Succeeded    int     `json:"builds_succeeded"`
	BuildsPerSec float64 `json:"builds_per_s"`
	EventsPerSec float64 `json:"events_per_s"`
	Events       int     `json:"events"`
	LateStarts   int     `json:"late_starts"`
	Reconnects   int     `json:"ws_reconnects"`
	// Steps counts the step.done events of the rebuilds by state (cached, changed,
	// downstream, ...): the edits should give cache hits, then a changed step.
	Steps map[string]int `json:"rebuild_steps"`

	ErrorCount   int               `json:"error_count"`
	Errors       map[string]int    `json:"errors"`
	ErrorSamples map[string]string `json:"error_samples,omitempty"`

	// Latencies in milliseconds, from the moment the request is sent.
	Edit            Dist `json:"edit_ms"`             // PUT /api/context/file
	Request         Dist `json:"build_request_ms"`    // POST /api/builds -> 202
	FirstEvent      Dist `json:"first_event_ms"`      // -> first websocket event
	LastEvent       Dist `json:"last_event_ms"`       // -> build.done
	LastEventFirst  Dist `json:"last_event_first_ms"` // the students' first builds (all steps new, base pulled)
	LastEventRebuid Dist `json:"last_event_rebuild_ms"`
	// Windows is the last-event latency of the builds asked for in each interval-long
	// window of the timed phase (the first one holds the students' first builds):
	// whether the figures come from a start-up burst or from the steady state.
	Windows []Window `json:"windows"`

	// Dashboard is the class mode's (-class) teacher's dashboard; nil otherwise.
	Dashboard *DashboardStats `json:"dashboard,omitempty"`

	Server          *ServerStats `json:"server,omitempty"`
	ServerLogErrors int          `json:"server_log_errors"`
	ServerLogSample []string     `json:"server_log_sample,omitempty"`
	ServerStopError string       `json:"server_stop_error,omitempty"`
	LoadToolCPUS    float64      `json:"loadtool_cpu_s"`
	// Machine: all processes' CPU during the run, in cores, and the load average at the
	// end. Other processes on the machine (machine - server - load tool) skew the figures.
	MachineCores float64 `json:"machine_cpu_cores"`
	OtherCores   float64 `json:"other_cpu_cores"`
	LoadAvg      string  `json:"loadavg_end"`

	TargetMet bool `json:"target_met"` // no errors and last-event p95 under 150 ms (class mode: and dashboard update p95 under 1 s)
}

// ServerStats is the server process's memory and CPU, from /proc.
type ServerStats struct {
	PID         int     `json:"pid"`
	PeakRSSMiB  float64 `json:"peak_rss_mib"` // VmHWM: since the process started
	EndRSSMiB   float64 `json:"end_rss_mib"`  // VmRSS at the end of the run
	CPUS        float64 `json:"cpu_s"`        // utime+stime during the run (setup and builds)
	WallS       float64 `json:"wall_s"`
	CPUCores    float64 `json:"cpu_cores"`   // CPUS / WallS: cores busy on average
	WrittenMiB  float64 `json:"written_mib"` // write_bytes (/proc/PID/io) during the run
	ThreadsEnd  int     `json:"threads_end"`
	TotalCPUSec float64 `json:"cpu_total_s"` // since the process started
}

// Window is the builds asked for in [StartS, StartS+interval) of the timed phase.
type Window struct {
	StartS float64 `json:"start_s"`
	Last   Dist    `json:"last_event_ms"`
}

// Dist is a latency distribution in milliseconds.
type Dist struct {
	N    int     `json:"n"`
	P50  float64 `json:"p50"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

func distOf(ds []time.Duration) Dist {
	if len(ds) == 0 {
		return Dist{}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	// Nearest rank: the smallest value with at least p% of the values at or below it.
	rank := func(p float64) float64 {
		i := int(float64(len(ds))*p/100+0.999999) - 1
		i = max(0, min(i, len(ds)-1))
		return ms(ds[i])
	}
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return Dist{N: len(ds), P50: rank(50), P95: rank(95), P99: rank(99), Max: ms(ds[len(ds)-1]), Mean: ms(sum / time.Duration(len(ds)))}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func newReport(c config, url string, res *results) *Report {
	r := &Report{
		Students: c.Students, DurationS: c.Duration.Seconds(), IntervalS: c.Interval.Seconds(),
		StepsN: projectSteps, Steps: map[string]int{}, Base: baseImage, URL: url, CPUs: runtime.NumCPU(),
		SetupS: res.setup.Seconds(), PhaseS: res.phase.Seconds(),
		LateStarts: res.late, Errors: res.errors, ErrorSamples: res.errSample,
		Requested: res.requested,
	}
	var edit, req, first, last, lastFirst, lastRe []time.Duration
	byWindow := map[int][]time.Duration{}
	for _, s := range res.samples {
		byWindow[int(s.at/c.Interval)] = append(byWindow[int(s.at/c.Interval)], s.lastEv)
		r.Succeeded++
		r.Events += s.events
		r.Reconnects += s.reconnect
		if !s.first {
			edit = append(edit, s.edit)
		}
		req = append(req, s.request)
		first = append(first, s.firstEv)
		last = append(last, s.lastEv)
		if s.first {
			lastFirst = append(lastFirst, s.lastEv)
		} else {
			lastRe = append(lastRe, s.lastEv)
			for k, n := range s.states {
				r.Steps[k] += n
			}
		}
	}
	for _, n := range res.errors {
		r.ErrorCount += n
	}
	r.Edit, r.Request, r.FirstEvent, r.LastEvent = distOf(edit), distOf(req), distOf(first), distOf(last)
	r.LastEventFirst, r.LastEventRebuid = distOf(lastFirst), distOf(lastRe)
	for w := 0; w <= int(c.Duration/c.Interval); w++ {
		if ds := byWindow[w]; len(ds) > 0 {
			r.Windows = append(r.Windows, Window{StartS: (time.Duration(w) * c.Interval).Seconds(), Last: distOf(ds)})
		}
	}
	if res.phase > 0 {
		r.BuildsPerSec = float64(r.Succeeded) / res.phase.Seconds()
		r.EventsPerSec = float64(r.Events) / res.phase.Seconds()
	}
	r.TargetMet = r.ErrorCount == 0 && r.Succeeded > 0 && r.LastEvent.P95 < ms(targetP95)
	if res.dash != nil {
		r.Dashboard = res.dash
		r.TargetMet = r.TargetMet && r.Dashboard.Update.N > 0 && r.Dashboard.Update.P95 < ms(targetDashboard)
	}
	return r
}

func (r *Report) setServer(pid int, before, after procStats) {
	mib := func(b int64) float64 { return float64(b) / (1 << 20) }
	wall := after.At.Sub(before.At).Seconds()
	cpu := (after.CPU - before.CPU).Seconds()
	r.Server = &ServerStats{PID: pid, PeakRSSMiB: mib(after.HWM), EndRSSMiB: mib(after.RSS), CPUS: cpu,
		WallS: wall, ThreadsEnd: after.Threads, TotalCPUSec: after.CPU.Seconds(), WrittenMiB: mib(after.Written - before.Written)}
	if wall > 0 {
		r.Server.CPUCores = cpu / wall
	}
}

func (r *Report) setMachine(before, after machineStats) {
	wall := after.At.Sub(before.At).Seconds()
	if wall <= 0 {
		return
	}
	r.MachineCores = (after.Busy - before.Busy).Seconds() / wall
	r.LoadAvg = after.LoadAvg
}

func (r *Report) setLoadTool() {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		r.LoadToolCPUS = time.Duration(syscall.TimevalToNsec(ru.Utime) + syscall.TimevalToNsec(ru.Stime)).Seconds()
	}
	if r.MachineCores > 0 && r.PhaseS > 0 {
		other := r.MachineCores - r.LoadToolCPUS/(r.SetupS+r.PhaseS)
		if r.Server != nil {
			other -= r.Server.CPUCores
		}
		r.OtherCores = max(other, 0)
	}
}

func (r *Report) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func (r *Report) writeText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "layerlab load test: %d students, an edit and a build every %s each for %s (starts staggered), %d-step Dockerfile FROM %s; %d CPUs\n",
		r.Students, secs(r.IntervalS), secs(r.DurationS), r.StepsN, r.Base, r.CPUs)
	setupText := "a session and 5 files each"
	if r.Dashboard != nil {
		setupText = "the teacher's class and dashboard, then a join and 5 files each"
	}
	fmt.Fprintf(&b, "setup (%s) %s; timed phase %s\n\n", setupText, secs(r.SetupS).Round(time.Millisecond), secs(r.PhaseS).Round(time.Millisecond))

	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "builds\t%d requested, %d done (%.1f/s, %d events, %.0f events/s), %d late starts, %d websocket reconnects\n",
		r.Requested, r.Succeeded, r.BuildsPerSec, r.Events, r.EventsPerSec, r.LateStarts, r.Reconnects)
	fmt.Fprintf(tw, "rebuild steps\t%s\n", countsText(r.Steps))
	if r.ErrorCount == 0 {
		fmt.Fprintf(tw, "errors\tnone\n")
	} else {
		fmt.Fprintf(tw, "errors\t%d\n", r.ErrorCount)
		kinds := make([]string, 0, len(r.Errors))
		for k := range r.Errors {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		for _, k := range kinds {
			fmt.Fprintf(tw, "  %s\t%d\t(e.g. %s)\n", k, r.Errors[k], oneLine(r.ErrorSamples[k]))
		}
	}
	tw.Flush()

	fmt.Fprintln(&b)
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "latency (ms, from the request)\tn\tp50\tp95\tp99\tmax\t\n")
	row := func(name string, d Dist) {
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t\n", name, d.N, d.P50, d.P95, d.P99, d.Max)
	}
	row("edit: PUT file -> 200", r.Edit)
	row("build request: POST -> 202", r.Request)
	row("first event", r.FirstEvent)
	row("last event (all builds)", r.LastEvent)
	row("last event, first builds", r.LastEventFirst)
	row("last event, rebuilds", r.LastEventRebuid)
	tw.Flush()
	if len(r.Windows) > 1 {
		fmt.Fprintf(&b, "\nlast event p50/p95 (ms) of the builds asked for in each %s window:\n", secs(r.IntervalS))
		for i, w := range r.Windows {
			fmt.Fprintf(&b, "  %4.0fs %6.0f/%-6.0f", w.StartS, w.Last.P50, w.Last.P95)
			if i%5 == 4 || i == len(r.Windows)-1 {
				b.WriteString("\n")
			}
		}
	}
	r.writeDashboardText(&b)

	fmt.Fprintln(&b)
	if s := r.Server; s != nil {
		fmt.Fprintf(&b, "server (pid %d): peak RSS (VmHWM) %.1f MiB, RSS at end %.1f MiB, %d threads; CPU %.1fs user+sys over %.1fs (%.2f cores of %d); wrote %.0f MiB to storage\n",
			s.PID, s.PeakRSSMiB, s.EndRSSMiB, s.ThreadsEnd, s.CPUS, s.WallS, s.CPUCores, r.CPUs, s.WrittenMiB)
	} else {
		fmt.Fprintf(&b, "server: memory and CPU not measured (give -server-pid with -url)\n")
	}
	fmt.Fprintf(&b, "server log: %d error lines\n", r.ServerLogErrors)
	for _, l := range r.ServerLogSample {
		fmt.Fprintf(&b, "  %s\n", oneLine(l))
	}
	if r.ServerStopError != "" {
		fmt.Fprintf(&b, "server stop: %s\n", r.ServerStopError)
	}
	fmt.Fprintf(&b, "load tool CPU (same machine): %.1fs\n", r.LoadToolCPUS)
	if r.MachineCores > 0 {
		fmt.Fprintf(&b, "machine: %.2f of %d cores busy during the run, %.2f of them other processes; load average %s at the end\n",
			r.MachineCores, r.CPUs, r.OtherCores, r.LoadAvg)
	}
	verdict := "MET"
	if !r.TargetMet {
		verdict = "NOT MET"
	}
	if r.Dashboard != nil {
		fmt.Fprintf(&b, "target (no errors, last event p95 < %dms, dashboard update p95 < %dms): %s\n", targetP95.Milliseconds(), targetDashboard.Milliseconds(), verdict)
	} else {
		fmt.Fprintf(&b, "target (no errors, last event p95 < %dms): %s\n", targetP95.Milliseconds(), verdict)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func secs(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// countsText is "cached 12, changed 3" in descending order of count.
func countsText(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] || m[keys[i]] == m[keys[j]] && keys[i] < keys[j] })
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}
