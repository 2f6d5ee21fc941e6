package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"layerlab/engine/dockerfile"
	"layerlab/internal/testenv"
)

// TestSmallClassroom runs 3 students for 3 s against a real server process (built
// from cmd/layerlab): every build must end with build.done and nothing may fail.
func TestSmallClassroom(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts a server")
	}
	bin := filepath.Join(t.TempDir(), "layerlab")
	if out, err := exec.Command("go", "build", "-o", bin, "layerlab/cmd/layerlab").CombinedOutput(); err != nil {
		t.Fatalf("build layerlab: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var out strings.Builder
	c := config{Students: 3, Duration: 3 * time.Second, Interval: time.Second, BuildTimeout: 20 * time.Second,
		ServerBin: bin, Quiet: true}
	rep, err := loadTest(ctx, c, &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("report:\n%s", out.String())
	if rep.ErrorCount != 0 {
		t.Errorf("%d errors: %v (e.g. %v)", rep.ErrorCount, rep.Errors, rep.ErrorSamples)
	}
	if rep.Requested != 9 || rep.Succeeded != 9 {
		t.Errorf("%d builds requested, %d done; want 9 and 9 (3 students, 3 slots each)", rep.Requested, rep.Succeeded)
	}
	if rep.LastEvent.N != rep.Succeeded || rep.FirstEvent.P50 <= 0 || rep.LastEvent.P50 < rep.FirstEvent.P50 {
		t.Errorf("latencies look wrong: first %+v, last %+v", rep.FirstEvent, rep.LastEvent)
	}
	if rep.Steps["cached"] == 0 || rep.Steps["changed"] == 0 {
		t.Errorf("rebuild steps %v: an edit should give cache hits and a changed step", rep.Steps)
	}
	if rep.Server == nil || rep.Server.PeakRSSMiB <= 0 || rep.Server.CPUS <= 0 {
		t.Errorf("server stats not read: %+v", rep.Server)
	}
	if rep.ServerLogErrors != 0 || rep.ServerStopError != "" {
		t.Errorf("server: %d error log lines %v; stop: %q", rep.ServerLogErrors, rep.ServerLogSample, rep.ServerStopError)
	}
	if !regexp.MustCompile(`(?m)^errors\s+none$`).MatchString(out.String()) {
		t.Errorf("the report does not say there were no errors:\n%s", out.String())
	}
}

// TestProject checks the students' project: 15 instructions from a stand-in base, and
// every edit changes the file it names.
func TestProject(t *testing.T) {
	f, err := dockerfile.Parse([]byte(project["Dockerfile"]))
	if err != nil {
		t.Fatal(err)
	}
	if f.Steps != projectSteps {
		t.Errorf("the Dockerfile has %d instructions, want %d", f.Steps, projectSteps)
	}
	if len(f.Stages) != 1 || f.Stages[0].Base != baseImage {
		t.Errorf("stages %+v: want one, FROM %s", f.Stages, baseImage)
	}
	for i, e := range edits {
		old, ok := project[e.path]
		if !ok {
			t.Fatalf("edit %d: %s is not in the project", i, e.path)
		}
		if got := e.with(old, 7); got == old {
			t.Errorf("edit %d leaves %s as it was", i, e.path)
		}
	}
}

func TestDist(t *testing.T) {
	ms := func(vs ...int) []time.Duration {
		var out []time.Duration
		for _, v := range vs {
			out = append(out, time.Duration(v)*time.Millisecond)
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i // 100..1, unsorted
	}
	tests := []struct {
		name string
		in   []time.Duration
		want Dist
	}{
		{"empty", nil, Dist{}},
		{"one", ms(7), Dist{N: 1, P50: 7, P95: 7, P99: 7, Max: 7, Mean: 7}},
		{"hundred", ms(hundred...), Dist{N: 100, P50: 50, P95: 95, P99: 99, Max: 100, Mean: 50.5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := distOf(tt.in); got != tt.want {
				t.Errorf("distOf = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestReadProcStatsOfItself(t *testing.T) {
	st, err := readProcStats(os.Getpid())
	testenv.Need(t, err == nil, fmt.Sprintf("no /proc: %v", err))
	if st.HWM <= 0 || st.RSS <= 0 {
		t.Errorf("stats %+v: want a peak and a current RSS", st)
	}
}
