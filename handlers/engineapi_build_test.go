package handlers

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"layerlab/db"
)

// contextTarOf is a build context as docker build sends it: members named without ./,
// in name order.
func contextTarOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := tw.WriteHeader(&tar.Header{Name: n, Mode: 0o644, Size: int64(len(files[n])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(files[n])); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// engineBuildPost sends POST /v1.41/build?query with body as a chunked tar, as the CLI does.
func (e *testEnv) engineBuildPost(base, query string, body []byte) *testResponse {
	e.t.Helper()
	// An io.Reader that is not a *bytes.Reader: no Content-Length, chunked as the CLI sends it.
	req, err := http.NewRequest(http.MethodPost, base+"/v1.41/build?"+query, io.MultiReader(bytes.NewReader(body)))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-tar")
	return e.newBrowser().do(req)
}

// streamIDs are what differs from run to run in a build's frames.
var streamIDs = regexp.MustCompile(`\b[0-9a-f]{64}\b|\b[0-9a-f]{12}\b`)

func crlfLines(lines ...string) string { return strings.Join(lines, "\r\n") + "\r\n" }

// TestEngineBuild: POST /build answers as Docker 20.10's daemon: the JSON stream of a
// build, q=1's one frame, a failing RUN's error frame with its exit code, and the
// errors before the stream as {"message"} with the daemon's status.
func TestEngineBuild(t *testing.T) {
	env := newTestServer(t)
	base := env.engineBase(env.workspace())
	// The base image in the workspace first: its pull's lines are not what this tests.
	if r := env.engineBuildPost(base, "", contextTarOf(t, map[string]string{"Dockerfile": "FROM busybox\n"})); r.Code != 200 ||
		!strings.Contains(r.Body, `"latest: Pulling from library/busybox\n"`) {
		t.Fatalf("first build: %d %s", r.Code, r.Body)
	}
	const ok = "FROM busybox\nRUN echo built\n"
	okFrames := crlfLines(`{"stream":"Step 1/2 : FROM busybox"}`, `{"stream":"\n"}`, `{"stream":" ---\u003e ID\n"}`,
		`{"stream":"Step 2/2 : RUN echo built"}`, `{"stream":"\n"}`, `{"stream":" ---\u003e Running in ID\n"}`,
		`{"stream":"built\n"}`, `{"stream":"Removing intermediate container ID\n"}`, `{"stream":" ---\u003e ID\n"}`,
		`{"aux":{"ID":"sha256:ID"}}`, `{"stream":"Successfully built ID\n"}`)
	for _, tc := range []struct {
		name, query string
		files       map[string]string
		code        int
		body        string // the whole body, IDs as ID
	}{
		{"built and tagged", "t=lesson:v1&nocache=1&rm=1&version=1", map[string]string{"Dockerfile": ok}, 200,
			okFrames + crlfLines(`{"stream":"Successfully tagged lesson:v1\n"}`)},
		{"the 28.x CLI's long name is stored as Docker stores it", "t=docker.io/library/lesson:v2&t=lesson:v3&nocache=1", map[string]string{"Dockerfile": ok}, 200,
			okFrames + crlfLines(`{"stream":"Successfully tagged lesson:v2\n"}`, `{"stream":"Successfully tagged lesson:v3\n"}`)},
		{"quiet: the image ID alone", "t=lesson:q&q=1", map[string]string{"Dockerfile": ok}, 200,
			crlfLines(`{"stream":"sha256:ID\n"}`)},
		{"a RUN failing with 3: the error frame carries 3", "t=lesson:fail", map[string]string{"Dockerfile": "FROM busybox\nRUN exit 3\n"}, 200,
			crlfLines(`{"stream":"Step 1/2 : FROM busybox"}`, `{"stream":"\n"}`, `{"stream":" ---\u003e ID\n"}`,
				`{"stream":"Step 2/2 : RUN exit 3"}`, `{"stream":"\n"}`, `{"stream":" ---\u003e Running in ID\n"}`,
				`{"errorDetail":{"code":3,"message":"The command '/bin/sh -c exit 3' returned a non-zero code: 3"},`+
					`"error":"The command '/bin/sh -c exit 3' returned a non-zero code: 3"}`)},
		{"a bad tag", "t=Lesson:v1", map[string]string{"Dockerfile": ok}, 500,
			`{"message":"invalid reference format: repository name must be lowercase"}` + "\n"},
		{"a parse error", "t=x", map[string]string{"Dockerfile": "FROM busybox\nFROBNICATE x\n"}, 400,
			`{"message":"dockerfile parse error line 2: unknown instruction: FROBNICATE"}` + "\n"},
		{"no such Dockerfile", "dockerfile=Dockerfile.nosuch", map[string]string{"Dockerfile": ok}, 500,
			`{"message":"Cannot locate specified Dockerfile: Dockerfile.nosuch"}` + "\n"},
		{"no such target", "target=nosuch", map[string]string{"Dockerfile": ok}, 400,
			`{"message":"failed to reach build target nosuch in Dockerfile"}` + "\n"},
		{"BuildKit", "version=2&remote=client-session&session=abc", nil, 400,
			`{"message":"layerlab serves Docker's classic builder only, not BuildKit: build with DOCKER_BUILDKIT=0 (docker build then sends the context to the classic builder)"}` + "\n"},
		{"33 tags: past the limit, refused before anything is built", manyTags(33), map[string]string{"Dockerfile": ok}, 400,
			`{"message":"33 tags for one build: layerlab's limit is 32 tags (-t) a build; tag the image afterwards with docker tag for more"}` + "\n"},
		{"network host", "networkmode=host", map[string]string{"Dockerfile": ok}, 400,
			`{"message":"layerlab does not take docker build --network host: its RUN steps are simulated with no network, as with the default mode; leave --network out"}` + "\n"},
		{"labels", "labels=%7B%22a%22%3A%22b%22%7D", map[string]string{"Dockerfile": ok}, 400,
			`{"message":"layerlab does not apply docker build --label: put the labels in the Dockerfile (LABEL key=value) instead"}` + "\n"},
		{"another Dockerfile, build args, a target", "dockerfile=sub/Dockerfile.x&buildargs=%7B%22V%22%3A%22arg-value%22%7D&target=one&labels=%7B%7D&cachefrom=%5B%5D",
			map[string]string{"sub/Dockerfile.x": "FROM busybox AS one\nARG V\nRUN echo $V\nFROM one\nRUN exit 9\n"}, 200,
			crlfLines(`{"stream":"Step 1/3 : FROM busybox AS one"}`, `{"stream":"\n"}`, `{"stream":" ---\u003e ID\n"}`,
				`{"stream":"Step 2/3 : ARG V"}`, `{"stream":"\n"}`, `{"stream":" ---\u003e Running in ID\n"}`,
				`{"stream":"Removing intermediate container ID\n"}`, `{"stream":" ---\u003e ID\n"}`,
				`{"stream":"Step 3/3 : RUN echo $V"}`, `{"stream":"\n"}`, `{"stream":" ---\u003e Running in ID\n"}`,
				`{"stream":"arg-value\n"}`, `{"stream":"Removing intermediate container ID\n"}`, `{"stream":" ---\u003e ID\n"}`,
				`{"aux":{"ID":"sha256:ID"}}`, `{"stream":"Successfully built ID\n"}`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body []byte
			if tc.files != nil {
				body = contextTarOf(t, tc.files)
			}
			r := env.engineBuildPost(base, tc.query, body)
			got := streamIDs.ReplaceAllString(r.Body, "ID")
			if r.Code != tc.code || got != tc.body {
				t.Errorf("POST /build?%s: %d\n%s\nwant %d\n%s", tc.query, r.Code, got, tc.code, tc.body)
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
}

// TestEngineBuildIsTheWorkspaces: a build through the API is one of the workspace's
// builds (the page lists it), its image is the workspace's, and the workspace's own
// files (the page's editor) are left as they were.
func TestEngineBuildIsTheWorkspaces(t *testing.T) {
	env := newTestServer(t)
	ws := env.workspace()
	env.setContext(map[string]string{"Dockerfile": "FROM scratch\n", "page.txt": "the page's"})
	ctx := context.Background()
	before, err := ws.ContextFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r := env.engineBuildPost(env.engineBase(ws), "t=api:v1", contextTarOf(t, map[string]string{"Dockerfile": "FROM busybox\nCOPY cli.txt /\n", "cli.txt": "the CLI's"}))
	if r.Code != 200 || !strings.Contains(r.Body, "Successfully tagged api:v1") {
		t.Fatalf("build: %d %s", r.Code, r.Body)
	}
	builds, err := ws.Builds(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(builds) != 1 || builds[0].State != db.BuildSucceeded || builds[0].Dockerfile != "FROM busybox\nCOPY cli.txt /\n" ||
		fmt.Sprint(builds[0].Tags) != "[api:v1]" {
		t.Errorf("the workspace's builds: %+v", builds)
	}
	rec, err := ws.Lookup(ctx, "api:v1")
	if err != nil || rec.ID != builds[0].Image {
		t.Errorf("api:v1 in the workspace: %v, %v (build's image %s)", rec, err, builds[0].Image)
	}
	after, err := ws.ContextFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("the workspace's files changed:\n%v\nwere\n%v", after, before)
	}
}

// TestEngineBuildsPerMinute: the API's builds count towards the workspace's builds
// per minute, as the page's do; past it, Docker's error shape with the limit.
func TestEngineBuildsPerMinute(t *testing.T) {
	env := newTestServer(t, func(d *Deps) { d.Limits.BuildsPerMinute = 1 })
	base := env.engineBase(env.workspace())
	body := contextTarOf(t, map[string]string{"Dockerfile": "FROM busybox\n"})
	if r := env.engineBuildPost(base, "", body); r.Code != 200 {
		t.Fatalf("first build: %d %s", r.Code, r.Body)
	}
	r := env.engineBuildPost(base, "", body)
	if r.Code != http.StatusTooManyRequests || !strings.Contains(engineMessage(t, r), "1") {
		t.Errorf("second build in the minute: %d %s", r.Code, r.Body)
	}
}

// TestEngineBuildContextLimits: the context is bounded as the page's is (files,
// bytes a file, bytes in all); at each bound the build runs, one past it is refused
// with Docker's error shape naming the limit.
func TestEngineBuildContextLimits(t *testing.T) {
	env := newTestServer(t)
	base := env.engineBase(env.workspace())
	const df = "FROM busybox\n"
	many := func(n int) map[string]string {
		files := map[string]string{"Dockerfile": df}
		for i := 1; i < n; i++ {
			files[fmt.Sprintf("f%03d", i)] = "x"
		}
		return files
	}
	// total bytes of all files: 15 files of a MiB, the rest in the last.
	total := func(n int64) map[string]string {
		files := map[string]string{"Dockerfile": df}
		left := n - int64(len(df))
		for i := 0; left > 0; i++ {
			k := min(left, maxFileBytes)
			files[fmt.Sprintf("big%02d", i)] = strings.Repeat("b", int(k))
			left -= k
		}
		return files
	}
	for _, tc := range []struct {
		name  string
		files map[string]string
		msg   string // "" for a build that runs
	}{
		{"files at the bound", many(maxContextFiles), ""},
		{"files past the bound", many(maxContextFiles + 1), "the build context has more than 500 files"},
		{"a file at the bound", map[string]string{"Dockerfile": df, "one": strings.Repeat("a", maxFileBytes)}, ""},
		{"a file past the bound", map[string]string{"Dockerfile": df, "one": strings.Repeat("a", maxFileBytes+1)}, "the build context holds one, of 1048577 bytes"},
		{"bytes at the bound", total(maxContextBytes), ""},
		{"bytes past the bound", total(maxContextBytes + 1), "the build context is more than 16 MiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := env.engineBuildPost(base, "", contextTarOf(t, tc.files))
			if tc.msg == "" {
				if r.Code != 200 || !strings.Contains(r.Body, "Successfully built") {
					t.Errorf("%d %s", r.Code, r.Body)
				}
				return
			}
			if r.Code != http.StatusRequestEntityTooLarge {
				t.Fatalf("%d %.300s, want 413", r.Code, r.Body)
			}
			msg := engineMessage(t, r)
			if !strings.HasPrefix(msg, tc.msg) || !strings.Contains(msg, "up to 500 files of up to 1 MiB each, 16 MiB in all") {
				t.Errorf("message %q, want it to start %q and name the limits", msg, tc.msg)
			}
		})
	}
}

// countingReader counts what was read of it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// TestReadBuildContextStopsEarly: a context past the bound is refused at the header
// that passes it, before the rest of the body is read.
func TestReadBuildContextStopsEarly(t *testing.T) {
	files := map[string]string{"Dockerfile": "FROM busybox\n"}
	for i := 0; i < 40; i++ {
		files[fmt.Sprintf("big%02d", i)] = strings.Repeat("b", maxFileBytes)
	}
	body := contextTarOf(t, files)
	cr := &countingReader{r: bytes.NewReader(body)}
	_, err := readBuildContext(cr)
	var he *httpError
	if !errors.As(err, &he) || he.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("err %v, want 413", err)
	}
	if cr.n > maxContextBytes+contextTarSlack || cr.n >= int64(len(body)) {
		t.Errorf("read %d bytes of %d before refusing (the bound is %d)", cr.n, len(body), maxContextBytes)
	}
}

// TestEngineBuildPrune: the classic builder keeps no build cache but its images:
// docker builder prune gets Docker's answer for nothing to prune.
func TestEngineBuildPrune(t *testing.T) {
	env := newTestServer(t)
	r := env.engineDo(http.MethodPost, env.engineBase(env.workspace())+"/v1.41/build/prune?filters=&keep-storage=0", "")
	if r.Code != 200 || r.Body != `{"CachesDeleted":null,"SpaceReclaimed":0}`+"\n" {
		t.Errorf("POST /build/prune: %d %q", r.Code, r.Body)
	}
}

// TestReadBuildContextBareMode: a member's mode without file-type bits (the 28.x CLI's
// 0644) is marked so, one with them (the 20.10 CLI's 0100644) is not: Docker's COPY
// checksum differs by it (build.File.BareMode).
func TestReadBuildContextBareMode(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode int64
		bare bool
	}{
		{"28.x", 0o644, true},
		{"20.10", 0o100644, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			tw := tar.NewWriter(&buf)
			if err := tw.WriteHeader(&tar.Header{Name: "Dockerfile", Mode: tc.mode, Size: 2, Typeflag: tar.TypeReg}); err != nil {
				t.Fatal(err)
			}
			tw.Write([]byte("x\n"))
			tw.Close()
			files, err := readBuildContext(&buf)
			if err != nil || len(files) != 1 {
				t.Fatalf("%v %v", files, err)
			}
			if files[0].BareMode != tc.bare || files[0].Mode != 0o644 {
				t.Errorf("mode %o: BareMode %v, Mode %v; want %v, 0644", tc.mode, files[0].BareMode, files[0].Mode, tc.bare)
			}
		})
	}
}

// TestEngineBuildOutlivesItsClient: a docker build whose client goes away (Ctrl+C)
// goes on, as a page build does when its tab closes: here the client leaves while the
// build waits for a slot, and the build then runs to its end and tags its image.
func TestEngineBuildOutlivesItsClient(t *testing.T) {
	env := newTestServer(t, func(d *Deps) { d.Limits.MaxBuilds = 1 })
	release, err := env.Server.queue.acquireAs(context.Background(), "someone-else", func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	ws := env.workspace()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, env.engineBase(ws)+"/v1.41/build?t=kept:v1",
		bytes.NewReader(contextTarOf(t, map[string]string{"Dockerfile": "FROM busybox\nRUN echo kept\n"})))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		release()
		t.Fatal(err)
	}
	first, _ := bufio.NewReader(resp.Body).ReadString('\n')
	cancel()
	resp.Body.Close()
	release()
	if !strings.Contains(first, "waiting for a build slot") {
		t.Fatalf("first frame %q, want the queue's line", first)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		builds, err := ws.Builds(context.Background(), 1)
		if err != nil || len(builds) != 1 {
			t.Fatalf("builds: %v %v", builds, err)
		}
		if builds[0].State != db.BuildRunning {
			if builds[0].State != db.BuildSucceeded {
				t.Fatalf("the build ended %s, want succeeded", builds[0].State)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the build did not end within a minute")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := ws.Lookup(context.Background(), "kept:v1"); err != nil {
		t.Errorf("kept:v1: %v", err)
	}
}

// manyTags is a query naming n different tags.
func manyTags(n int) string {
	q := make([]string, n)
	for i := range q {
		q[i] = fmt.Sprintf("t=lesson:v%d", i)
	}
	return strings.Join(q, "&")
}

// TestBuildTagsBounded: a build takes at most maxBuildTags tags, from the page as from
// the Engine API (the runner checks): at the bound it builds and tags each; past it the
// request is refused naming the limit, and no build is stored.
func TestBuildTagsBounded(t *testing.T) {
	env := newTestServer(t)
	env.setContext(map[string]string{"Dockerfile": "FROM busybox\nENV A=1\n"})
	tags := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("lesson:v%d", i)
		}
		return out
	}
	r := env.postJSON("/api/builds", map[string]any{"tags": tags(maxBuildTags + 1)})
	if r.Code != http.StatusBadRequest || !strings.Contains(r.Body, "layerlab's limit is 32 tags") {
		t.Fatalf("%d tags: %d %s, want 400 naming the limit", maxBuildTags+1, r.Code, r.Body)
	}
	if bs, err := env.workspace().Builds(context.Background(), 10); err != nil || len(bs) != 0 {
		t.Fatalf("a refused build was stored: %d builds, %v", len(bs), err)
	}
	var res struct {
		ID string `json:"id"`
	}
	env.postJSON("/api/builds", map[string]any{"tags": tags(maxBuildTags)}).wantCode(http.StatusAccepted).json(&res)
	if b := env.waitBuild(res.ID); b.State != string(db.BuildSucceeded) || len(b.Tags) != maxBuildTags {
		t.Fatalf("%d tags: build %s with %d tags, want succeeded with all", maxBuildTags, b.State, len(b.Tags))
	}
}
