package build_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"layerlab/engine/build"
	"layerlab/engine/build/buildtest"
)

// frames collects a DockerStream's frames as one string, as the response body has them.
type frames struct{ b strings.Builder }

func (f *frames) write(frame []byte) { f.b.Write(frame) }

// crlf joins lines as the daemon's stream does: each frame ends in "\r\n".
func crlf(lines ...string) string { return strings.Join(lines, "\r\n") + "\r\n" }

func size(n int64) *int64 { return &n }

// TestDockerStreamFrames: event sequences give Docker 20.10's legacy /build frames
// exactly (the frames here are the daemon's, from the research's shapes/build_*.txt).
func TestDockerStreamFrames(t *testing.T) {
	const (
		base = "sha256:12694d9d0bae0000000000000000000000000000000000000000000000000000"
		env  = "sha256:6bb4d097cf060000000000000000000000000000000000000000000000000000"
		run  = "sha256:9c210671b1393bd44724c1d5bc6fb9544311e23fbf49edfa615061e8aacd5b5c"
	)
	from := []build.Event{
		{Type: build.EventBuildStarted, Steps: 3},
		{Type: build.EventStepStarted, Step: 1, Of: 3, Instruction: "FROM busybox:local"},
		{Type: build.EventStepDone, Step: 1, Of: 3, State: build.StateBase, Image: base},
	}
	for _, tc := range []struct {
		name    string
		quiet   bool
		noAux   bool
		forceRm bool
		events  []build.Event
		want    string
		started bool
	}{
		{
			name: "built: Running in, RUN output, no reason lines",
			events: append(append([]build.Event{}, from...),
				build.Event{Type: build.EventStepStarted, Step: 2, Of: 3, Instruction: "ENV GREETING=hello"},
				build.Event{Type: build.EventStepLog, Step: 2, Container: "23a231b3a65e"},
				build.Event{Type: build.EventStepLog, Step: 2, Text: "Removing intermediate container 23a231b3a65e", Container: "23a231b3a65e"},
				build.Event{Type: build.EventStepDone, Step: 2, State: build.StateNew, Reason: "never built before", Image: env, Size: size(0)},
				build.Event{Type: build.EventStepStarted, Step: 3, Of: 3, Instruction: "RUN cat hello.txt > copy.txt && echo built"},
				build.Event{Type: build.EventStepLog, Step: 3, Container: "f8709d0886c5"},
				build.Event{Type: build.EventStepLog, Step: 3, Text: "built"},
				build.Event{Type: build.EventStepLog, Step: 3, Text: "Removing intermediate container f8709d0886c5", Container: "f8709d0886c5"},
				build.Event{Type: build.EventStepDone, Step: 3, State: build.StateChanged, Reason: "changed: RUN text", Image: run, Size: size(18)},
				build.Event{Type: build.EventBuildDone, Image: run, Tags: []string{"lesson:v1", "lesson:latest"}},
			),
			want: crlf(`{"stream":"Step 1/3 : FROM busybox:local"}`, `{"stream":"\n"}`, `{"stream":" ---\u003e 12694d9d0bae\n"}`,
				`{"stream":"Step 2/3 : ENV GREETING=hello"}`, `{"stream":"\n"}`,
				`{"stream":" ---\u003e Running in 23a231b3a65e\n"}`, `{"stream":"Removing intermediate container 23a231b3a65e\n"}`,
				`{"stream":" ---\u003e 6bb4d097cf06\n"}`,
				`{"stream":"Step 3/3 : RUN cat hello.txt \u003e copy.txt \u0026\u0026 echo built"}`, `{"stream":"\n"}`,
				`{"stream":" ---\u003e Running in f8709d0886c5\n"}`, `{"stream":"built\n"}`,
				`{"stream":"Removing intermediate container f8709d0886c5\n"}`, `{"stream":" ---\u003e 9c210671b139\n"}`,
				`{"aux":{"ID":"sha256:9c210671b1393bd44724c1d5bc6fb9544311e23fbf49edfa615061e8aacd5b5c"}}`,
				`{"stream":"Successfully built 9c210671b139\n"}`, `{"stream":"Successfully tagged lesson:v1\n"}`,
				`{"stream":"Successfully tagged lesson:latest\n"}`),
			started: true,
		},
		{
			name: "cached step",
			events: append(append([]build.Event{}, from...),
				build.Event{Type: build.EventStepStarted, Step: 2, Of: 2, Instruction: "ENV GREETING=hello"},
				build.Event{Type: build.EventStepDone, Step: 2, State: build.StateCached, Image: env},
			),
			want: crlf(`{"stream":"Step 1/3 : FROM busybox:local"}`, `{"stream":"\n"}`, `{"stream":" ---\u003e 12694d9d0bae\n"}`,
				`{"stream":"Step 2/2 : ENV GREETING=hello"}`, `{"stream":"\n"}`,
				`{"stream":" ---\u003e Using cache\n"}`, `{"stream":" ---\u003e 6bb4d097cf06\n"}`),
			started: true,
		},
		{
			name: "RUN fails: the frame carries its exit code",
			events: append(append([]build.Event{}, from...),
				build.Event{Type: build.EventStepStarted, Step: 2, Of: 2, Instruction: "RUN exit 3"},
				build.Event{Type: build.EventStepLog, Step: 2, Container: "4f5ccc8d2fbd"},
				build.Event{Type: build.EventStepDone, Step: 2, State: build.StateFailed, Reason: "exit 3"},
				build.Event{Type: build.EventBuildFailed, Step: 2, Line: 2, Error: "The command '/bin/sh -c exit 3' returned a non-zero code: 3", ExitCode: 3},
			),
			want: crlf(`{"stream":"Step 1/3 : FROM busybox:local"}`, `{"stream":"\n"}`, `{"stream":" ---\u003e 12694d9d0bae\n"}`,
				`{"stream":"Step 2/2 : RUN exit 3"}`, `{"stream":"\n"}`, `{"stream":" ---\u003e Running in 4f5ccc8d2fbd\n"}`,
				`{"errorDetail":{"code":3,"message":"The command '/bin/sh -c exit 3' returned a non-zero code: 3"},"error":"The command '/bin/sh -c exit 3' returned a non-zero code: 3"}`),
			started: true,
		},
		{
			name:    "forcerm: the failed step's container is removed, and said so before the error",
			forceRm: true,
			events: append(append([]build.Event{}, from...),
				build.Event{Type: build.EventStepStarted, Step: 2, Of: 2, Instruction: "RUN exit 3"},
				build.Event{Type: build.EventStepLog, Step: 2, Container: "4f5ccc8d2fbd"},
				build.Event{Type: build.EventStepDone, Step: 2, State: build.StateFailed, Reason: "exit 3"},
				build.Event{Type: build.EventBuildFailed, Step: 2, Line: 2, Error: "The command '/bin/sh -c exit 3' returned a non-zero code: 3", ExitCode: 3},
			),
			want: crlf(`{"stream":"Step 1/3 : FROM busybox:local"}`, `{"stream":"\n"}`, `{"stream":" ---\u003e 12694d9d0bae\n"}`,
				`{"stream":"Step 2/2 : RUN exit 3"}`, `{"stream":"\n"}`, `{"stream":" ---\u003e Running in 4f5ccc8d2fbd\n"}`,
				`{"stream":"Removing intermediate container 4f5ccc8d2fbd\n"}`,
				`{"errorDetail":{"code":3,"message":"The command '/bin/sh -c exit 3' returned a non-zero code: 3"},"error":"The command '/bin/sh -c exit 3' returned a non-zero code: 3"}`),
			started: true,
		},
		{
			name: "COPY fails: no code, Docker's text alone (the hint is the page's)",
			events: append(append([]build.Event{}, from...),
				build.Event{Type: build.EventStepStarted, Step: 2, Of: 2, Instruction: "COPY missing.txt ."},
				build.Event{Type: build.EventBuildFailed, Step: 2, Line: 2, Error: "COPY failed: file not found", Hint: "add missing.txt"},
			),
			want: crlf(`{"stream":"Step 1/3 : FROM busybox:local"}`, `{"stream":"\n"}`, `{"stream":" ---\u003e 12694d9d0bae\n"}`,
				`{"stream":"Step 2/2 : COPY missing.txt ."}`, `{"stream":"\n"}`,
				`{"errorDetail":{"message":"COPY failed: file not found"},"error":"COPY failed: file not found"}`),
			started: true,
		},
		{
			name: "an error with no line: Docker's text alone",
			events: append(append([]build.Event{}, from...),
				build.Event{Type: build.EventBuildFailed, Error: "No image was generated. Is your Dockerfile empty?", Hint: "add an instruction"},
			),
			want: crlf(`{"stream":"Step 1/3 : FROM busybox:local"}`, `{"stream":"\n"}`, `{"stream":" ---\u003e 12694d9d0bae\n"}`,
				`{"errorDetail":{"message":"No image was generated. Is your Dockerfile empty?"},"error":"No image was generated. Is your Dockerfile empty?"}`),
			started: true,
		},
		{
			name: "failed before the first step: nothing written, the caller answers",
			events: []build.Event{
				{Type: build.EventBuildFailed, Line: 2, Error: "dockerfile parse error line 2: unknown instruction: FROBNICATE"},
			},
			want:    "",
			started: false,
		},
		{
			name:  "quiet: the image ID alone",
			quiet: true,
			events: append(append([]build.Event{}, from...),
				build.Event{Type: build.EventBuildDone, Image: base, Tags: []string{"x:latest"}}),
			want:    crlf(`{"stream":"sha256:12694d9d0bae0000000000000000000000000000000000000000000000000000\n"}`),
			started: true,
		},
		{
			name:  "quiet failure: what was held back, then the error",
			quiet: true,
			events: append(append([]build.Event{}, from...),
				build.Event{Type: build.EventBuildFailed, Step: 2, Error: "boom", ExitCode: 1}),
			want: crlf(`{"stream":"Step 1/3 : FROM busybox:local"}`, `{"stream":"\n"}`, `{"stream":" ---\u003e 12694d9d0bae\n"}`,
				`{"errorDetail":{"code":1,"message":"boom"},"error":"boom"}`),
			started: true,
		},
		{
			name: "notes, warnings and cached triggers stay; the trigger's own lines do not",
			events: []build.Event{
				{Type: build.EventWarning, Text: "[layerlab] waiting for a build slot: 1st in the queue"},
				{Type: build.EventStepStarted, Step: 1, Of: 1, Instruction: "FROM base"},
				{Type: build.EventStepLog, Step: 1, Text: "# Executing 1 build trigger"},
				{Type: build.EventStepStarted, Step: 1, Of: 1, Instruction: "RUN x", Trigger: true},
				{Type: build.EventStepDone, Step: 1, State: build.StateCached, Image: env, Trigger: true},
				{Type: build.EventStepLog, Step: 1, Text: "[layerlab] a note on the simulation"},
				{Type: build.EventStepDone, Step: 1, State: build.StateBase, Image: env},
				{Type: build.EventWarning, Text: "[Warning] One or more build-args [X] were not consumed"},
				{Type: build.EventBuildDone, Image: env},
			},
			noAux: true,
			want: crlf(`{"stream":"[layerlab] waiting for a build slot: 1st in the queue\n"}`,
				`{"stream":"Step 1/1 : FROM base"}`, `{"stream":"\n"}`, `{"stream":"# Executing 1 build trigger\n"}`,
				`{"stream":" ---\u003e Using cache\n"}`, `{"stream":"[layerlab] a note on the simulation\n"}`,
				`{"stream":" ---\u003e 6bb4d097cf06\n"}`, `{"stream":"[Warning] One or more build-args [X] were not consumed\n"}`,
				`{"stream":"Successfully built 6bb4d097cf06\n"}`),
			started: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out frames
			d := build.NewDockerStream(out.write)
			d.Quiet, d.NoAux, d.ForceRm = tc.quiet, tc.noAux, tc.forceRm
			for _, e := range tc.events {
				d.Sink(e)
			}
			if got := out.b.String(); got != tc.want {
				t.Errorf("frames:\n%s\nwant:\n%s", got, tc.want)
			}
			if d.Started() != tc.started {
				t.Errorf("Started() = %v, want %v", d.Started(), tc.started)
			}
		})
	}
}

// hexIDs are the IDs that differ from Docker's run to run: 12-hex short IDs and
// full sha256 digests.
var hexIDs = regexp.MustCompile(`sha256:[0-9a-f]{64}|\b[0-9a-f]{12}\b`)

// TestDockerStreamLessonBuild: the research's lesson built by the engine gives, IDs
// aside, the frames Docker 20.10's daemon sent for it (shapes/build_ok.txt and
// build_ok_rebuild_cached.txt), first build and rebuild after an edit.
func TestDockerStreamLessonBuild(t *testing.T) {
	st := buildtest.New()
	baseImage(t, st)
	b := build.New(st, build.StandIns{})
	df := "FROM busybox:local\nENV GREETING=hello\nWORKDIR /app\nCOPY hello.txt .\nRUN cat hello.txt > copy.txt && echo built\n"
	steps := crlf(`{"stream":"Step 1/5 : FROM busybox:local"}`, `{"stream":"\n"}`, `{"stream":" ---\u003e ID\n"}`,
		`{"stream":"Step 2/5 : ENV GREETING=hello"}`, `{"stream":"\n"}`)
	tail := crlf(`{"stream":"Step 4/5 : COPY hello.txt ."}`, `{"stream":"\n"}`, `{"stream":" ---\u003e ID\n"}`,
		`{"stream":"Step 5/5 : RUN cat hello.txt \u003e copy.txt \u0026\u0026 echo built"}`, `{"stream":"\n"}`,
		`{"stream":" ---\u003e Running in ID\n"}`, `{"stream":"built\n"}`, `{"stream":"Removing intermediate container ID\n"}`,
		`{"stream":" ---\u003e ID\n"}`, `{"aux":{"ID":"ID"}}`, `{"stream":"Successfully built ID\n"}`,
		`{"stream":"Successfully tagged lesson:v1\n"}`)
	for _, tc := range []struct {
		name, hello, want string
	}{
		{"first build", "hello\n", steps + crlf(`{"stream":" ---\u003e Running in ID\n"}`, `{"stream":"Removing intermediate container ID\n"}`,
			`{"stream":" ---\u003e ID\n"}`, `{"stream":"Step 3/5 : WORKDIR /app"}`, `{"stream":"\n"}`,
			`{"stream":" ---\u003e Running in ID\n"}`, `{"stream":"Removing intermediate container ID\n"}`, `{"stream":" ---\u003e ID\n"}`) + tail},
		{"rebuild after an edit", "hello again\n", steps + crlf(`{"stream":" ---\u003e Using cache\n"}`, `{"stream":" ---\u003e ID\n"}`,
			`{"stream":"Step 3/5 : WORKDIR /app"}`, `{"stream":"\n"}`, `{"stream":" ---\u003e Using cache\n"}`, `{"stream":" ---\u003e ID\n"}`) + tail},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := build.NewContext([]build.File{{Path: "Dockerfile", Data: []byte(df)}, {Path: "hello.txt", Data: []byte(tc.hello)}}, "")
			if err != nil {
				t.Fatal(err)
			}
			var out frames
			d := build.NewDockerStream(out.write)
			if _, err := b.Build(context.Background(), c, build.Options{Tags: []string{"lesson:v1"}, Sink: d.Sink}); err != nil {
				t.Fatal(err)
			}
			if got := hexIDs.ReplaceAllString(out.b.String(), "ID"); got != tc.want {
				t.Errorf("frames:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

// TestBareModeContextSum: a context file whose tar header carried its mode without the
// file-type bits (the 28.x CLI's) gets the COPY checksum Docker 20.10's daemon gave it,
// and one with them (the 20.10 CLI's) the other; both recorded from the daemon's
// `docker history --no-trunc` of the same hello.txt sent by each CLI.
func TestBareModeContextSum(t *testing.T) {
	for _, tc := range []struct {
		name string
		bare bool
		want string
	}{
		{"the 28.x CLI's 0644", true, "file:2ba2a9689dedcc47f18dd6249ad3469dabbfdef54a509a369fe2c25d67d84c6a"},
		{"the 20.10 CLI's 0100644", false, "file:a7956b3087947453bb8c142db846cec7dbf41abadf6928b49df0c0bd0efca6cb"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := buildtest.New()
			baseImage(t, st)
			c, err := build.NewContext([]build.File{
				{Path: "Dockerfile", Data: []byte("FROM busybox:local\nCOPY hello.txt .\n"), BareMode: tc.bare},
				{Path: "hello.txt", Data: []byte("hist2 1796646917\n"), BareMode: tc.bare},
			}, "")
			if err != nil {
				t.Fatal(err)
			}
			res, err := build.New(st, build.StandIns{}).Build(context.Background(), c, build.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Steps[len(res.Steps)-1].CreatedBy; !strings.Contains(got, "COPY "+tc.want+" in . ") {
				t.Errorf("COPY's history: %q, want %s", got, tc.want)
			}
		})
	}
}
