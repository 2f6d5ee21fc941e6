package e2e

// The red-team harness (issue 12, point 6): a real `layerlab serve` process whose memory
// is watched from /proc (and, where the machine lets us, capped by a memory cgroup), a
// victim workspace whose ordinary build runs while a probe attacks, and a report row per
// probe (peak memory, server up, victim result and duration, what the attacker saw).

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

const (
	// rtCeiling is where the watchdog SIGKILLs the server, so that a probe the server
	// does not withstand cannot take the shared machine down with it.
	rtCeiling = 3 << 30
	// rtBound is the peak resident memory the server must stay under during any probe.
	rtBound = 1 << 30
	// rtVictimTimeout is how long the victim's build may take before it counts as
	// failed. Its duration is logged, never asserted against a tighter bound: a shared
	// CI machine's timings are noise.
	rtVictimTimeout = 60 * time.Second
	// rtPoll is how often the watchdog reads /proc/PID/status.
	rtPoll = 20 * time.Millisecond
)

// redteamBin is the binary the probes attack: LAYERLAB_BIN (e.g. a baseline build, to
// measure "before" figures), else the one TestMain built.
func redteamBin() string {
	if b := os.Getenv("LAYERLAB_BIN"); b != "" {
		return b
	}
	return binPath
}

var (
	serveHelpOnce sync.Once
	serveHelp     string
)

// serveHasFlag reports whether the binary's `serve --help` lists flag (--secure-cookies,
// --public-url, ...): a baseline binary predates them, and a probe that needs one then
// records that the flag is missing instead of failing to start the server.
func serveHasFlag(flag string) bool {
	serveHelpOnce.Do(func() {
		out, _ := exec.Command(redteamBin(), "serve", "--help").CombinedOutput()
		serveHelp = string(out)
	})
	return regexp.MustCompile(`(^|[\s,])` + regexp.QuoteMeta(flag) + `\b`).MatchString(serveHelp)
}

// rtFlags keeps the serve flags (--name=value) the binary has, logging those it lacks:
// a probe that tightens a quota to stay small still runs against an older binary,
// which shows what it did without the quota.
func rtFlags(t *testing.T, flags ...string) []string {
	t.Helper()
	var out []string
	for _, f := range flags {
		name, _, _ := strings.Cut(f, "=")
		if serveHasFlag(name) {
			out = append(out, f)
		} else {
			t.Logf("%s has no %s flag: the probe runs without it", redteamBin(), name)
		}
	}
	return out
}

// memWatch follows one process's memory: VmRSS every rtPoll, and VmHWM, the kernel's
// own high-water mark, so a spike between two polls is not missed.
type memWatch struct {
	pid    int
	mu     sync.Mutex
	peak   int64 // bytes, the largest VmRSS or VmHWM seen since the last reset
	killed atomic.Bool
	stop   chan struct{}
	done   chan struct{}
}

// readStatus returns VmRSS and VmHWM of pid in bytes.
func readStatus(pid int) (rss, hwm int64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		if k == "VmRSS" {
			rss = n << 10
		} else {
			hwm = n << 10
		}
	}
	return rss, hwm, nil
}

func watchMemory(pid int) *memWatch {
	m := &memWatch{pid: pid, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(m.done)
		tick := time.NewTicker(rtPoll)
		defer tick.Stop()
		for {
			rss, hwm, err := readStatus(pid)
			if err != nil {
				return // the process is gone
			}
			m.mu.Lock()
			m.peak = max(m.peak, rss, hwm)
			m.mu.Unlock()
			if rss > rtCeiling && !m.killed.Swap(true) {
				syscall.Kill(pid, syscall.SIGKILL)
			}
			select {
			case <-m.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return m
}

// Peak is the largest resident size seen since the start or the last Reset.
func (m *memWatch) Peak() int64 {
	if rss, hwm, err := readStatus(m.pid); err == nil {
		m.mu.Lock()
		m.peak = max(m.peak, rss, hwm)
		m.mu.Unlock()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.peak
}

// Reset starts a new measurement: it clears the kernel's high-water mark (writing 5 to
// /proc/PID/clear_refs) and the largest VmRSS seen, so the next probe's peak is its own.
func (m *memWatch) Reset() {
	os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", m.pid), []byte("5"), 0)
	rss, _, _ := readStatus(m.pid)
	m.mu.Lock()
	m.peak = rss
	m.mu.Unlock()
}

func (m *memWatch) Close() {
	select {
	case <-m.stop:
	default:
		close(m.stop)
	}
	<-m.done
}

// memCgroup is an optional memory cgroup (v2) holding the server, with memory.max at the
// watchdog's ceiling: the kernel then bounds the server even between two polls. It is
// made under the test's own cgroup, so the server stays inside whatever bounds the test
// runs in (never moved out of a CI job's or a container's limits); that needs the
// memory controller delegated to the test's cgroup, which most machines and containers
// do not do. Without it the harness logs why and relies on the watchdog alone.
type memCgroup struct{ dir string }

func newMemCgroup(pid int) (*memCgroup, error) {
	root := "/sys/fs/cgroup"
	if _, err := os.Stat(filepath.Join(root, "cgroup.controllers")); err != nil {
		return nil, fmt.Errorf("no cgroup v2 at %s: %w", root, err)
	}
	self, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil, fmt.Errorf("read /proc/self/cgroup: %w", err)
	}
	rel, ok := strings.CutPrefix(strings.TrimSpace(string(self)), "0::")
	if !ok || strings.Contains(rel, "\n") {
		return nil, fmt.Errorf("the test is not in a single cgroup v2 hierarchy (%q)", self)
	}
	parent := filepath.Join(root, rel)
	ctrl, err := os.ReadFile(filepath.Join(parent, "cgroup.subtree_control"))
	if err != nil || !strings.Contains(string(ctrl), "memory") {
		return nil, fmt.Errorf("the memory controller is not delegated to the test's cgroup %s", parent)
	}
	dir := filepath.Join(parent, fmt.Sprintf("layerlab-redteam-%d", pid))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create a memory cgroup: %w", err)
	}
	cg := &memCgroup{dir: dir}
	if err := os.WriteFile(filepath.Join(dir, "memory.max"), []byte(strconv.Itoa(rtCeiling)), 0); err != nil {
		cg.remove()
		return nil, fmt.Errorf("set memory.max: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0); err != nil {
		cg.remove()
		return nil, fmt.Errorf("move the server into the cgroup: %w", err)
	}
	return cg, nil
}

// Peak is the cgroup's memory.peak (the server's memory and its page cache), or -1.
func (cg *memCgroup) Peak() int64 {
	b, err := os.ReadFile(filepath.Join(cg.dir, "memory.peak"))
	if err != nil {
		return -1
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return -1
	}
	return n
}

func (cg *memCgroup) remove() { os.Remove(cg.dir) }

// rtServer is one `layerlab serve` under attack.
type rtServer struct {
	*server
	t       *testing.T
	args    []string // serve's flags after --addr
	pid     int
	cmd     *exec.Cmd
	exited  chan struct{}
	mem     *memWatch
	cg      *memCgroup
	stdout  *lockedBuffer
	waitErr error
}

// startRedteam starts the binary on a fresh data directory with serve's extra flags,
// and watches its memory. The server is stopped (SIGTERM, then SIGKILL after 10 s) when
// the test ends.
func startRedteam(t *testing.T, args ...string) *rtServer {
	t.Helper()
	rt := &rtServer{server: &server{DataDir: t.TempDir(), stderr: &lockedBuffer{}}, t: t, args: args, stdout: &lockedBuffer{}}
	rt.start()
	t.Cleanup(rt.stop)
	return rt
}

var rtListenLine = regexp.MustCompile(`(http://127\.0\.0\.1:\d+)/`)

func (rt *rtServer) start() {
	t := rt.t
	t.Helper()
	args := append([]string{"--data-dir", rt.DataDir, "serve", "--addr", "127.0.0.1:0"}, rt.args...)
	cmd := exec.Command(redteamBin(), args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = rt.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", redteamBin(), err)
	}
	rt.cmd, rt.pid, rt.exited = cmd, cmd.Process.Pid, make(chan struct{})
	rt.mem = watchMemory(rt.pid)
	if cg, err := newMemCgroup(rt.pid); err != nil {
		rt.cg = nil
		logOnce("memory cgroup", "red team: no memory cgroup, the /proc watchdog alone bounds the server: "+err.Error(), t)
	} else {
		rt.cg = cg
	}
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		found := false
		for sc.Scan() {
			line := sc.Text()
			if m := rtListenLine.FindStringSubmatch(line); m != nil && !found {
				found = true
				urlc <- m[1]
				continue
			}
			fmt.Fprintln(rt.stdout, line)
		}
		io.Copy(io.Discard, stdout)
		close(urlc)
		rt.waitErr = cmd.Wait()
		close(rt.exited)
	}()
	select {
	case u, ok := <-urlc:
		if !ok {
			<-rt.exited
			t.Fatalf("layerlab serve %s exited before printing its address: %v\nstderr:\n%s", strings.Join(rt.args, " "), rt.waitErr, rt.stderr.String())
		}
		rt.URL = u
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("layerlab serve printed no address within 15 s\nstderr:\n%s", rt.stderr.String())
	}
}

// alive reports whether the process still runs and answers /healthz.
func (rt *rtServer) alive() (bool, string) {
	select {
	case <-rt.exited:
		if rt.mem.killed.Load() {
			return false, fmt.Sprintf("killed by the watchdog at %s RSS", mib(rtCeiling))
		}
		return false, fmt.Sprintf("exited: %v", rt.waitErr)
	default:
	}
	c := &http.Client{Timeout: 10 * time.Second}
	res, err := c.Get(rt.URL + "/healthz")
	if err != nil {
		return false, "no answer to /healthz: " + err.Error()
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return false, fmt.Sprintf("/healthz answered %d", res.StatusCode)
	}
	return true, ""
}

// crash SIGKILLs the server, as a power cut or the OOM killer would.
func (rt *rtServer) crash() {
	rt.cmd.Process.Kill()
	<-rt.exited
	rt.mem.Close()
	if rt.cg != nil {
		rt.cg.remove()
	}
}

// restart starts the binary again on the same data directory.
func (rt *rtServer) restart() { rt.start() }

func (rt *rtServer) stop() {
	select {
	case <-rt.exited:
	default:
		rt.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-rt.exited:
		case <-time.After(10 * time.Second):
			rt.cmd.Process.Kill()
			<-rt.exited
			rt.t.Errorf("layerlab serve did not exit within 10 s of SIGTERM")
		}
	}
	rt.mem.Close()
	if rt.cg != nil {
		rt.cg.remove()
	}
	if rt.t.Failed() {
		rt.t.Logf("server stdout:\n%s\nserver stderr (last 4000 bytes):\n%s", tail(rt.stdout.String(), 4000), tail(rt.stderr.String(), 4000))
	}
}

var (
	loggedMu sync.Mutex
	logged   = map[string]bool{}
)

func logOnce(key, msg string, t *testing.T) {
	loggedMu.Lock()
	defer loggedMu.Unlock()
	if !logged[key] {
		logged[key] = true
		t.Log(msg)
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

func mib(n int64) string { return fmt.Sprintf("%d MiB", n>>20) }

// rtClient is one browser (its own cookie jar, so its own workspace) whose methods
// return errors instead of failing the test, so they can run on any goroutine while the
// server may be going down.
type rtClient struct {
	base string
	http *http.Client
	csrf string
	// usual is how long the victim's build took on the quiet server, before the probe.
	usual time.Duration
}

func newRTClient(base string) (*rtClient, error) { return newRTClientFrom(base, 1) }

// newRTClientFrom is a browser on another machine of the class: its connections come
// from 127.0.0.n (Linux routes all of 127/8 to the loopback), so limits per client
// address (new workspaces per minute) count it apart from the attacker.
func newRTClientFrom(base string, n int) (*rtClient, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	d := &net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(n))}}
	tr := &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 4}
	c := &rtClient{base: base, http: &http.Client{Jar: jar, Timeout: 90 * time.Second, Transport: tr}}
	code, body, err := c.do(http.MethodGet, "/", nil)
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, fmt.Errorf("GET /: %d %.300s", code, body)
	}
	m := csrfMeta.FindStringSubmatch(body)
	if m == nil {
		return nil, errors.New("GET /: no csrf-token meta in the page")
	}
	c.csrf = m[1]
	return c, nil
}

// do sends a request (body: nil, a string sent as is, or a value sent as JSON) with the
// session's CSRF token.
func (c *rtClient) do(method, path string, body any) (int, string, error) {
	var r io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return 0, "", err
		}
		r, ctype = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		return 0, "", err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, "", fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 64<<20))
	return res.StatusCode, string(b), err
}

// put stores a file of the build context.
func (c *rtClient) put(path, content string) error {
	code, body, err := c.do(http.MethodPut, "/api/context/file", map[string]string{"path": path, "content": content})
	if err != nil {
		return err
	}
	if code != http.StatusOK {
		return fmt.Errorf("PUT /api/context/file %s: %d %.300s", path, code, body)
	}
	return nil
}

// term runs a line in the web terminal and returns its output and exit status.
func (c *rtClient) term(line string) (string, int, error) {
	code, body, err := c.do(http.MethodPost, "/api/terminal", map[string]string{"cmd": line})
	if err != nil {
		return "", -1, err
	}
	var res struct {
		Output   string `json:"output"`
		ExitCode int    `json:"exit_code"`
		Error    string `json:"error"`
	}
	if json.Unmarshal([]byte(body), &res) != nil || code != http.StatusOK {
		return body, -1, fmt.Errorf("POST /api/terminal: %d %.500s", code, body)
	}
	return res.Output, res.ExitCode, nil
}

// rtBuild is a build's end as GET /api/builds/ID reports it.
type rtBuild struct {
	ID    string `json:"id"`
	State string `json:"state"`
	Error string `json:"error"`
}

// startBuild starts a build of the context (POST /api/builds).
func (c *rtClient) startBuild(tags ...string) (string, error) {
	return c.startBuildOpts(false, tags...)
}

// startBuildOpts starts a build, with --no-cache when noCache.
func (c *rtClient) startBuildOpts(noCache bool, tags ...string) (string, error) {
	code, body, err := c.do(http.MethodPost, "/api/builds", map[string]any{"tags": tags, "no_cache": noCache})
	if err != nil {
		return "", err
	}
	var res struct {
		ID string `json:"id"`
	}
	if code != http.StatusAccepted || json.Unmarshal([]byte(body), &res) != nil || res.ID == "" {
		return "", fmt.Errorf("POST /api/builds: %d %.500s", code, body)
	}
	return res.ID, nil
}

// waitBuild polls a build until it is no longer running or queued.
func (c *rtClient) waitBuild(id string, timeout time.Duration) (rtBuild, error) {
	deadline := time.Now().Add(timeout)
	for {
		var b rtBuild
		code, body, err := c.do(http.MethodGet, "/api/builds/"+id, nil)
		if err != nil {
			return b, err
		}
		if code != http.StatusOK || json.Unmarshal([]byte(body), &b) != nil {
			return b, fmt.Errorf("GET /api/builds/%s: %d %.300s", id, code, body)
		}
		if b.State != "running" && b.State != "queued" && b.State != "" {
			return b, nil
		}
		if time.Now().After(deadline) {
			return b, fmt.Errorf("build %s still %s after %s", id, b.State, timeout)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// build stores the Dockerfile, builds it with POST /api/builds, and waits for its end.
func (c *rtClient) build(dockerfile string, timeout time.Duration) (rtBuild, error) {
	if err := c.put("Dockerfile", dockerfile); err != nil {
		return rtBuild{}, err
	}
	id, err := c.startBuild()
	if err != nil {
		return rtBuild{}, err
	}
	return c.waitBuild(id, timeout)
}

// buildLog is a build's stored step log and errors (GET /api/builds/ID/events), joined.
func (c *rtClient) buildLog(id string) (string, error) {
	code, body, err := c.do(http.MethodGet, "/api/builds/"+id+"/events", nil)
	if err != nil {
		return "", err
	}
	if code != http.StatusOK {
		return "", fmt.Errorf("GET /api/builds/%s/events: %d %.300s", id, code, body)
	}
	var evs []struct {
		Type, Text, Error, Hint string
	}
	if err := json.Unmarshal([]byte(body), &evs); err != nil {
		return "", fmt.Errorf("events of %s: %w", id, err)
	}
	var b strings.Builder
	for _, e := range evs {
		for _, s := range []string{e.Text, e.Error, e.Hint} {
			if s != "" {
				b.WriteString(s + "\n")
			}
		}
	}
	return b.String(), nil
}

// victimResult is how the victim's build went.
type victimResult struct {
	State string
	Dur   time.Duration
	Err   string
}

func (v victimResult) String() string {
	if v.State == "" {
		return "not started"
	}
	s := fmt.Sprintf("%s in %.1fs", v.State, v.Dur.Seconds())
	if v.Err != "" {
		s += ": " + oneLine(v.Err, 160)
	}
	return s
}

// rtVictimDockerfile is the victim's build: the lesson's FastAPI example as the
// playground loads it, so "its usual time" is that of an ordinary student's build.
const rtVictimExample = "fastapi"

// newVictim is a classmate's workspace with the lesson's example loaded. Loading the
// example is a state-changing request, so the workspace exists whatever a GET makes.
func newVictim(base string) (*rtClient, error) {
	v, err := newRTClientFrom(base, 2)
	if err != nil {
		return nil, err
	}
	code, body, err := v.do(http.MethodPost, "/api/examples/"+rtVictimExample, map[string]any{})
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, fmt.Errorf("load the %s example: %d %.300s", rtVictimExample, code, body)
	}
	if err := v.measureUsual(); err != nil {
		return nil, err
	}
	return v, nil
}

// measureUsual builds the victim's context once on the quiet server (which also makes
// its base image), and keeps how long that took: the usual time the build during the
// probe is logged against.
func (v *rtClient) measureUsual() error {
	r := runVictim(v, "victim:usual")
	if r.State != "succeeded" {
		return fmt.Errorf("the victim's build on the quiet server: %s", r)
	}
	v.usual = r.Dur
	return nil
}

// runVictim builds the victim's context with --no-cache (so every build does the same
// work) and reports how it went.
func runVictim(v *rtClient, tag string) victimResult {
	start := time.Now()
	id, err := v.startBuildOpts(true, tag)
	if err != nil {
		return victimResult{State: "refused", Dur: time.Since(start), Err: err.Error()}
	}
	b, err := v.waitBuild(id, rtVictimTimeout)
	res := victimResult{State: b.State, Dur: time.Since(start), Err: b.Error}
	if err != nil {
		res.State, res.Err = "error", err.Error()
	}
	return res
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}

// rtRow is one line of the red team's report.
type rtRow struct {
	Probe    string
	Peak     int64
	CgPeak   int64
	Up       bool
	Down     string
	Victim   victimResult
	Usual    time.Duration
	Attacker string
}

var (
	rtRowsMu sync.Mutex
	rtRows   []rtRow
)

// rtReport prints the table of every probe run, and writes it as Markdown to
// $LAYERLAB_REDTEAM_REPORT when set (the before/after figures).
func rtReport(t *testing.T) {
	rtRowsMu.Lock()
	rows := append([]rtRow(nil), rtRows...)
	rtRowsMu.Unlock()
	if len(rows) == 0 {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "binary: %s\n\n", redteamBin())
	b.WriteString("| probe | peak RSS | server | victim build | attacker saw |\n| --- | --- | --- | --- | --- |\n")
	for _, r := range rows {
		up := "up"
		if !r.Up {
			up = "DOWN (" + r.Down + ")"
		}
		peak := mib(r.Peak)
		if r.CgPeak > 0 {
			peak += fmt.Sprintf(" (cgroup %s)", mib(r.CgPeak))
		}
		vic := r.Victim.String()
		if r.Usual > 0 {
			vic += fmt.Sprintf(" (quiet: %.1fs)", r.Usual.Seconds())
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", r.Probe, peak, up, vic, strings.ReplaceAll(oneLine(r.Attacker, 220), "|", `\|`))
	}
	t.Log("red team report:\n" + b.String())
	if p := os.Getenv("LAYERLAB_REDTEAM_REPORT"); p != "" {
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			t.Errorf("write the red team report: %v", err)
		}
	}
}

// attack runs one probe against rt: attack runs on its own goroutine and calls loaded()
// once its pressure is in place (or returns); the victim's build starts then (or after
// 2 s at the latest) and runs alongside. attack returns what the attacker saw. Then the
// common requirements are checked: the server is up, its peak memory is under rtBound,
// and the victim's build succeeded. The probe's own checks of what the attacker saw
// follow in its test.
func (rt *rtServer) attack(t *testing.T, victim *rtClient, attack func(loaded func()) string) string {
	t.Helper()
	rt.mem.Reset()
	loadedc := make(chan struct{})
	var once sync.Once
	loaded := func() { once.Do(func() { close(loadedc) }) }
	sawc := make(chan string, 1)
	go func() {
		defer loaded()
		sawc <- attack(loaded)
	}()
	vicc := make(chan victimResult, 1)
	go func() {
		select {
		case <-loadedc:
			// Into the attack's stride, so the victim builds while the pressure is on.
			time.Sleep(300 * time.Millisecond)
		case <-time.After(2 * time.Second):
		}
		if victim == nil {
			vicc <- victimResult{}
			return
		}
		vicc <- runVictim(victim, "victim:"+strconv.FormatInt(time.Now().UnixNano(), 36))
	}()
	saw := <-sawc
	vic := <-vicc
	up, down := rt.alive()
	row := rtRow{Probe: strings.TrimPrefix(t.Name(), "TestRedTeam/"), Peak: rt.mem.Peak(), Up: up, Down: down, Victim: vic, Attacker: saw}
	if victim != nil {
		row.Usual = victim.usual
	}
	if rt.cg != nil {
		row.CgPeak = rt.cg.Peak()
	}
	rtRowsMu.Lock()
	rtRows = append(rtRows, row)
	rtRowsMu.Unlock()
	t.Logf("peak RSS %s; server up: %v %s; victim: %s; attacker saw: %s", mib(row.Peak), up, down, vic, oneLine(saw, 400))
	if !up {
		t.Errorf("the server is down after the probe: %s", down)
	}
	if row.Peak >= rtBound {
		t.Errorf("the server's peak RSS was %s, want under %s", mib(row.Peak), mib(rtBound))
	}
	if victim != nil {
		if vic.State != "succeeded" {
			t.Errorf("the victim's build, started during the probe: %s; want succeeded", vic)
		} else {
			// Logged, never asserted: a shared machine's timings are noise.
			t.Logf("the victim's build took %.1fs during the probe; %.1fs on the quiet server", vic.Dur.Seconds(), victim.usual.Seconds())
		}
	}
	return saw
}

// namesLimit reports whether an error message names a limit and its number, as issue
// 12 asks of every refusal ("... exceeded the sandbox's memory budget (256 MiB) ...").
var limitWords = regexp.MustCompile(`(?i)\b(limit|budget|quota|at most|up to|too (large|many|long|big)|exceed|ratio|maximum|stops at|more than)`)

func namesLimit(s string) bool {
	return limitWords.MatchString(s) && regexp.MustCompile(`\d`).MatchString(s)
}
