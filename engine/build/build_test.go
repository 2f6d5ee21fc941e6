package build_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"layerlab/engine/build"
	"layerlab/engine/build/buildtest"
	"layerlab/engine/dockerfile"
	"layerlab/engine/sandbox"
)

// harness builds in-memory contexts into an in-memory store with the stand-in puller.
type harness struct {
	t     *testing.T
	st    *buildtest.Store
	b     *build.Builder
	files map[string]string
	clock time.Time
}

func newHarness(t *testing.T, files map[string]string) *harness {
	h := &harness{t: t, st: buildtest.New(), files: files, clock: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	h.b = build.New(h.st, build.StandIns{})
	h.b.Now = func() time.Time { h.clock = h.clock.Add(time.Second); return h.clock }
	return h
}

func (h *harness) context() *build.Context {
	h.t.Helper()
	var fs []build.File
	for p, d := range h.files {
		fs = append(fs, build.File{Path: p, Data: []byte(d)})
	}
	c, err := build.NewContext(fs, "")
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}

func (h *harness) build(opt build.Options) (*build.Result, []build.Event, error) {
	h.t.Helper()
	var evs []build.Event
	opt.Sink = func(e build.Event) { evs = append(evs, e) }
	if opt.Tags == nil {
		opt.Tags = []string{"demo:v1"}
	}
	res, err := h.b.Build(context.Background(), h.context(), opt)
	return res, evs, err
}

func (h *harness) mustBuild(opt build.Options) *build.Result {
	h.t.Helper()
	res, _, err := h.build(opt)
	if err != nil {
		h.t.Fatalf("build: %v", err)
	}
	return res
}

// states is "KEYWORD=state" for every step after FROM.
func states(res *build.Result) []string {
	var out []string
	for _, s := range res.Steps {
		if s.State != build.StateBase {
			out = append(out, s.Keyword+"="+s.State)
		}
	}
	return out
}

func reasons(res *build.Result) []string {
	var out []string
	for _, s := range res.Steps {
		if s.State != build.StateBase && s.State != build.StateCached {
			out = append(out, fmt.Sprintf("%d %s: %s", s.Step, s.State, s.Reason))
		}
	}
	return out
}

const lessonDockerfile = `FROM busybox
WORKDIR /app
ARG V=1
COPY requirements.txt .
RUN cat requirements.txt > /installed.txt
COPY app.txt .
CMD ["cat", "/app/app.txt"]
`

func TestStepStatesAndReasons(t *testing.T) {
	h := newHarness(t, map[string]string{"Dockerfile": lessonDockerfile, "requirements.txt": "fastapi\n", "app.txt": "v1\n"})
	first := h.mustBuild(build.Options{})
	if got := strings.Join(states(first), " "); got != "WORKDIR=new ARG=new COPY=new RUN=new COPY=new CMD=new" {
		t.Errorf("first build: %s", got)
	}
	// A first build: every step is new on a parent nothing was built on, and none is
	// said to follow a "rebuilt" step (issue 13: "step 2 was rebuilt" on a first build).
	for _, r := range reasons(first) {
		if !strings.HasSuffix(r, ": never built on this parent image before") {
			t.Errorf("first build: reason %q, want never built on this parent image before", r)
		}
	}
	again := h.mustBuild(build.Options{})
	if again.Image != first.Image {
		t.Errorf("a fully cached rebuild must give the same image ID")
	}
	for _, s := range again.Steps[1:] {
		if s.State != build.StateCached {
			t.Errorf("rebuild: step %d is %s, want cached", s.Step, s.State)
		}
	}
	tests := []struct {
		name    string
		edit    func()
		opt     build.Options
		states  string
		reasons []string
	}{
		{
			name:   "edit a copied file",
			edit:   func() { h.files["requirements.txt"] = "fastapi\nuvicorn\n" },
			states: "WORKDIR=cached ARG=cached COPY=changed RUN=downstream COPY=downstream CMD=downstream",
			reasons: []string{"4 changed: COPY sources changed: requirements.txt", "5 downstream: step 4 was rebuilt",
				"6 downstream: step 4 was rebuilt", "7 downstream: step 4 was rebuilt"},
		},
		{
			name:   "revert the file: the old chain is a cache hit again",
			edit:   func() { h.files["requirements.txt"] = "fastapi\n" },
			states: "WORKDIR=cached ARG=cached COPY=cached RUN=cached COPY=cached CMD=cached",
		},
		{
			name: "edit the instruction text",
			edit: func() {
				h.files["Dockerfile"] = strings.Replace(lessonDockerfile, "> /installed.txt", ">> /installed.txt", 1)
			},
			states:  "WORKDIR=cached ARG=cached COPY=cached RUN=changed COPY=downstream CMD=downstream",
			reasons: []string{"5 changed: instruction changed (was: RUN cat requirements.txt > /installed.txt)", "6 downstream: step 5 was rebuilt", "7 downstream: step 5 was rebuilt"},
		},
		{
			name:    "a build arg changes the RUN's cache key",
			edit:    func() { h.files["Dockerfile"] = lessonDockerfile },
			opt:     build.Options{BuildArgs: map[string]string{"V": "2"}},
			states:  "WORKDIR=cached ARG=cached COPY=cached RUN=changed COPY=downstream CMD=downstream",
			reasons: []string{"5 changed: build args changed: V=2", "6 downstream: step 5 was rebuilt", "7 downstream: step 5 was rebuilt"},
		},
		{
			name:    "a new last line",
			edit:    func() { h.files["Dockerfile"] = lessonDockerfile + "LABEL course=docker-101\n" },
			states:  "WORKDIR=cached ARG=cached COPY=cached RUN=cached COPY=cached CMD=cached LABEL=new",
			reasons: []string{"8 new: never built on this parent image before"},
		},
		{
			name: "a new line before a copy: the steps after it stand on new images",
			edit: func() {
				h.files["Dockerfile"] = strings.Replace(lessonDockerfile+"LABEL course=docker-101\n", "COPY app.txt .\n", "", 1)
				h.files["Dockerfile"] = strings.Replace(h.files["Dockerfile"], "> /installed.txt\n", "> /installed.txt\nLABEL moved=1\nCOPY app.txt .\n", 1)
			},
			states: "WORKDIR=cached ARG=cached COPY=cached RUN=cached LABEL=new COPY=new CMD=new LABEL=new",
			reasons: []string{"6 new: never built on this parent image before", "7 new: never built on this parent image before",
				"8 new: never built on this parent image before", "9 new: never built on this parent image before"},
		},
		{
			name:   "--no-cache rebuilds every step",
			opt:    build.Options{NoCache: true},
			states: "WORKDIR=changed ARG=changed COPY=changed RUN=changed LABEL=changed COPY=changed CMD=changed LABEL=changed",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.edit != nil {
				tc.edit()
			}
			res := h.mustBuild(tc.opt)
			if got := strings.Join(states(res), " "); got != tc.states {
				t.Errorf("states\n got: %s\nwant: %s", got, tc.states)
			}
			if tc.reasons != nil {
				if got := reasons(res); strings.Join(got, "\n") != strings.Join(tc.reasons, "\n") {
					t.Errorf("reasons\n got: %q\nwant: %q", got, tc.reasons)
				}
			}
		})
	}
}

// TestEvents checks the event stream the CLI's --progress=json and the websocket use.
func TestEvents(t *testing.T) {
	h := newHarness(t, map[string]string{"Dockerfile": "FROM busybox\nRUN echo hello\nENV A=1\n"})
	res, evs, err := h.build(build.Options{ID: "b1"})
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for i, e := range evs {
		if e.Seq != int64(i+1) || e.Build != "b1" {
			t.Fatalf("event %d: seq %d build %q", i, e.Seq, e.Build)
		}
		if e.Type != build.EventStepLog {
			types = append(types, fmt.Sprintf("%s:%d", e.Type, e.Step))
		}
	}
	want := "build.started:0 step.started:1 step.done:1 step.started:2 step.done:2 step.started:3 step.done:3 build.done:0"
	if got := strings.Join(types, " "); got != want {
		t.Errorf("events\n got: %s\nwant: %s", got, want)
	}
	var logged bool
	for _, e := range evs {
		if e.Type == build.EventStepLog && e.Step == 2 && e.Text == "hello" {
			logged = true
		}
		if e.Type == build.EventStepDone && e.Step == 2 {
			// echo changes no file: Docker commits an empty layer (no diffID, 0B).
			if e.State != build.StateNew || e.Layer != "" || e.Size == nil || *e.Size != 0 || e.Line != 2 {
				t.Errorf("RUN step.done: %+v", e)
			}
		}
		if e.Type == build.EventBuildDone && (e.Image != res.Image.String() || len(e.Tags) != 1 || e.Tags[0] != "demo:v1") {
			t.Errorf("build.done: %+v", e)
		}
	}
	if !logged {
		t.Errorf("RUN output was not streamed as a step.log event")
	}
}

func targz(t *testing.T, entries []tar.Header, content map[string][]byte) string {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, h := range entries {
		h := h
		data := content[h.Name]
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(data))
		}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		tw.Write(data)
	}
	tw.Close()
	gz.Close()
	return buf.String()
}

// bomb is a small gzip that inflates to more than the 512 MiB a step may unpack.
func bomb(t *testing.T) string {
	t.Helper()
	var buf bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	tw := tar.NewWriter(gz)
	const n = 600 << 20
	tw.WriteHeader(&tar.Header{Name: "zeros", Typeflag: tar.TypeReg, Size: n, Mode: 0o644})
	zero := make([]byte, 1<<20)
	for i := 0; i < n>>20; i++ {
		tw.Write(zero)
	}
	tw.Close()
	gz.Close()
	return buf.String()
}

// TestBadInput: each mistake gets a clear error naming the line, and the store keeps
// nothing of the failed build.
func TestBadInput(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a decompression bomb")
	}
	reg := func(name string) tar.Header { return tar.Header{Name: name, Typeflag: tar.TypeReg} }
	tests := []struct {
		name    string
		files   map[string]string
		line    int
		wantErr string
	}{
		{"COPY of ../x", map[string]string{"Dockerfile": "FROM busybox\nCOPY ../x /x\n"}, 2,
			"COPY failed: forbidden path outside the build context: ../x ()"},
		{"missing COPY source", map[string]string{"Dockerfile": "FROM busybox\nCOPY missing.txt /m\n"}, 2,
			"COPY failed: file not found in build context or excluded by .dockerignore: stat missing.txt: file does not exist"},
		{"FROM scratch then RUN", map[string]string{"Dockerfile": "FROM scratch\nRUN echo hi\n"}, 2,
			`failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "/bin/sh": stat /bin/sh: no such file or directory: unknown`},
		{"unknown instruction", map[string]string{"Dockerfile": "FROM busybox\nRUNN echo\n"}, 2,
			"dockerfile parse error line 2: unknown instruction: RUNN"},
		{"ADD of a tar with ../ entries", map[string]string{"Dockerfile": "FROM busybox\nADD x.tar.gz /d/\n",
			"x.tar.gz": targz(t, []tar.Header{reg("../evil")}, map[string][]byte{"../evil": []byte("x")})}, 2, `"../evil"`},
		{"ADD of a tar with absolute entries", map[string]string{"Dockerfile": "FROM busybox\nADD x.tar.gz /d/\n",
			"x.tar.gz": targz(t, []tar.Header{reg("/etc/evil")}, map[string][]byte{"/etc/evil": []byte("x")})}, 2, "absolute path"},
		{"ADD of a tar writing through its own symlink", map[string]string{"Dockerfile": "FROM busybox\nADD x.tar.gz /d/\n",
			"x.tar.gz": targz(t, []tar.Header{{Name: "l", Typeflag: tar.TypeSymlink, Linkname: "/etc"}, reg("l/passwd")},
				map[string][]byte{"l/passwd": []byte("root::0:0")})}, 2, "symlink"},
		{"ADD of a tar with a hard link escape", map[string]string{"Dockerfile": "FROM busybox\nADD x.tar.gz /d/\n",
			"x.tar.gz": targz(t, []tar.Header{{Name: "h", Typeflag: tar.TypeLink, Linkname: "../../etc/passwd"}}, nil)}, 2, "hard link"},
		{"ADD of a decompression bomb", map[string]string{"Dockerfile": "FROM busybox\nADD x.tar.gz /d/\n", "x.tar.gz": bomb(t)}, 2,
			"decompression bomb"},
		{"1 MB of garbage as a Dockerfile", map[string]string{"Dockerfile": strings.Repeat("\x01garbage \xff\n", 1<<17)}, 0,
			"failed to parse Dockerfile"},
		{"10,000 instructions", map[string]string{"Dockerfile": "FROM busybox\n" + strings.Repeat("RUN true\n", 9999)}, 0,
			"more than 500 instructions, layerlab's limit per Dockerfile"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.files)
			// The base is pulled first, so what the failed build leaves can be counted.
			df := tc.files["Dockerfile"]
			h.files["Dockerfile"] = "FROM busybox\n"
			h.mustBuild(build.Options{Tags: []string{"base:keep"}})
			h.files["Dockerfile"] = df
			before := h.st.Len()
			_, evs, err := h.build(build.Options{})
			if err == nil {
				t.Fatal("built; want an error")
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("error %q does not say %q", err, tc.wantErr)
			}
			line := 0
			var se *build.StepError
			var pe *dockerfile.Error
			switch {
			case errors.As(err, &se):
				line = se.Line
			case errors.As(err, &pe):
				line = pe.Line
			}
			if tc.line != 0 && line != tc.line {
				t.Errorf("error at line %d, want %d", line, tc.line)
			}
			if last := evs[len(evs)-1]; last.Type != build.EventBuildFailed || last.Error == "" {
				t.Errorf("last event %+v, want build.failed", last)
			}
			if after := h.st.Len(); after != before {
				t.Errorf("the failed build stored %d images", after-before)
			}
			if _, err := h.st.Lookup(context.Background(), "demo:v1"); err == nil {
				t.Errorf("the failed build tagged demo:v1")
			}
		})
	}
}

func TestContextSymlinkOutside(t *testing.T) {
	c, err := build.NewContext([]build.File{
		{Path: "Dockerfile", Data: []byte("FROM busybox\nCOPY link /x\n")},
		{Path: "link", Symlink: "/etc/passwd"},
	}, "")
	if err != nil {
		t.Fatal(err)
	}
	st := buildtest.New()
	_, err = build.New(st, build.StandIns{}).Build(context.Background(), c, build.Options{})
	if err == nil || !strings.Contains(err.Error(), "outside the build context") {
		t.Fatalf("got %v, want an error saying the symlink points outside the context", err)
	}
}

func TestRunLimitsAndExitCodes(t *testing.T) {
	tests := []struct {
		name     string
		run      string
		limits   sandbox.Limits
		wantErr  string
		wantCode int
	}{
		{"exit code", "exit 3", sandbox.Limits{}, "The command '/bin/sh -c exit 3' returned a non-zero code: 3", 3},
		{"missing command", "apk add curl", sandbox.Limits{}, "returned a non-zero code: 127", 127},
		{"time limit", "while :; do :; done", sandbox.Limits{Timeout: 300 * time.Millisecond}, "time limit", 0},
		{"output limit", "while :; do echo yyyyyyyyyyyy; done", sandbox.Limits{MaxOutput: 1 << 10}, "output", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, map[string]string{"Dockerfile": "FROM busybox\nRUN " + tc.run + "\n"})
			_, _, err := h.build(build.Options{Limits: tc.limits})
			var se *build.StepError
			if !errors.As(err, &se) {
				t.Fatalf("got %v, want a StepError", err)
			}
			if !strings.Contains(err.Error(), tc.wantErr) || se.ExitCode != tc.wantCode || se.Line != 2 {
				t.Errorf("got %q (exit %d, line %d), want %q (exit %d, line 2)", err, se.ExitCode, se.Line, tc.wantErr, tc.wantCode)
			}
		})
	}
}

func TestCancel(t *testing.T) {
	h := newHarness(t, map[string]string{"Dockerfile": "FROM busybox\nRUN while :; do :; done\n"})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := h.b.Build(ctx, h.context(), build.Options{})
	if err == nil {
		t.Fatal("a cancelled build succeeded")
	}
}

var _ = io.EOF

// One Builder serves many stores (the web server's workspaces) through Options.Store:
// each build writes only into its own store, and a second store still gets its own
// images even though the Builder's snapshot cache already holds the filesystems.
func TestOptionsStoreKeepsStoresApart(t *testing.T) {
	c, err := build.NewContext([]build.File{
		{Path: "Dockerfile", Data: []byte("FROM busybox\nCOPY a /a\nRUN cat /a > /b\n")},
		{Path: "a", Data: []byte("hello")},
	}, "")
	if err != nil {
		t.Fatal(err)
	}
	b := build.New(nil, build.StandIns{})
	b.Now = func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }
	s1, s2 := buildtest.New(), buildtest.New()
	r1, err := b.Build(context.Background(), c, build.Options{Store: s1, Tags: []string{"a:1"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Lookup(context.Background(), "a:1"); err == nil {
		t.Fatal("a build into store 1 tagged an image in store 2")
	}
	r2, err := b.Build(context.Background(), c, build.Options{Store: s2, Tags: []string{"a:1"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range r2.Steps[1:] {
		if s.State == build.StateCached {
			t.Errorf("step %d was cached from another store", s.Step)
		}
	}
	for i := range r1.Steps {
		if r1.Steps[i].Layer != r2.Steps[i].Layer {
			t.Errorf("step %d: same input and clock, different layers: %s and %s", i+1, r1.Steps[i].Layer, r2.Steps[i].Layer)
		}
	}
	if _, err := s2.Lookup(context.Background(), "a:1"); err != nil {
		t.Errorf("store 2 lacks its image: %v", err)
	}
}
