package main

import (
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSmallClass runs class mode with 3 students for 3 s against a real server: the
// teacher creates the class, the students join it, and the dashboard must show every
// build finished, with its latency measured.
func TestSmallClass(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts a server")
	}
	bin := filepath.Join(t.TempDir(), "layerlab")
	if out, err := exec.Command("go", "build", "-o", bin, "layerlab/cmd/layerlab").CombinedOutput(); err != nil {
		t.Fatalf("build layerlab: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var out strings.Builder
	c := config{Students: 3, Duration: 3 * time.Second, Interval: time.Second, BuildTimeout: 20 * time.Second,
		ServerBin: bin, Quiet: true, Class: true}
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
	d := rep.Dashboard
	if d == nil {
		t.Fatal("class mode reported no dashboard")
	}
	if d.Class == "" || d.Messages == 0 || d.Bytes == 0 || d.Snapshots == 0 {
		t.Errorf("dashboard %+v: want its class, messages, bytes and the first snapshot", d)
	}
	if d.Shown+d.Superseded != rep.Succeeded || d.Update.N != d.Shown || d.Shown == 0 {
		t.Errorf("dashboard showed %d builds finished (%d superseded, %d timed) of %d done", d.Shown, d.Superseded, d.Update.N, rep.Succeeded)
	}
	if d.OnlineMax != 3 {
		t.Errorf("the dashboard showed at most %d students online, want 3 (each holds a presence websocket)", d.OnlineMax)
	}
	if !strings.Contains(out.String(), "dashboard update (ms") {
		t.Errorf("the report has no dashboard update line:\n%s", out.String())
	}
}

// TestDashboardAccounting checks finish's verdicts from what the dashboard saw: a build
// shown is timed from the student's last event (0 when the dashboard was first), one
// not shown is superseded when the student's next request came within the target,
// and an error otherwise.
func TestDashboardAccounting(t *testing.T) {
	t0 := time.Now().Add(-time.Minute)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	tests := []struct {
		name       string
		seen       map[string]time.Time
		requests   []time.Time // the student's build requests
		wantShown  int
		wantEarly  int
		wantSuper  int
		wantErrors int
		wantP50    float64
	}{
		{"shown", map[string]time.Time{"b1": at(1250)}, []time.Time{at(0)}, 1, 0, 0, 0, 250},
		{"shown before the student", map[string]time.Time{"b1": at(900)}, []time.Time{at(0)}, 1, 1, 0, 0, 0},
		{"superseded at the bound", nil, []time.Time{at(0), at(2000)}, 0, 0, 1, 0, 0},
		{"next request too late", nil, []time.Time{at(0), at(2001)}, 0, 0, 0, 1, 0},
		{"never shown", nil, []time.Time{at(0)}, 0, 0, 0, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := &results{errors: map[string]int{}, errSample: map[string]string{},
				samples: []sample{{student: 0, build: "b1", endAt: at(1000), ok: true}}}
			seen := tt.seen
			if seen == nil {
				seen = map[string]time.Time{}
			}
			cs := &classSession{seen: seen}
			st := cs.verdicts(res, []*student{{requests: tt.requests}})
			if st.Shown != tt.wantShown || st.Early != tt.wantEarly || st.Superseded != tt.wantSuper {
				t.Errorf("shown %d, early %d, superseded %d; want %d, %d, %d", st.Shown, st.Early, st.Superseded, tt.wantShown, tt.wantEarly, tt.wantSuper)
			}
			if got := res.errors["dashboard: build end never shown"]; got != tt.wantErrors {
				t.Errorf("%d never-shown errors, want %d (%v)", got, tt.wantErrors, res.errSample)
			}
			if st.Update.P50 != tt.wantP50 {
				t.Errorf("update p50 %.1f ms, want %.1f", st.Update.P50, tt.wantP50)
			}
		})
	}
}

func TestClassFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"class on a started server", []string{"-class"}, ""},
		{"class on a running server needs its link", []string{"-class", "-url", "http://127.0.0.1:1"}, "-teacher-link"},
		{"class on a running server with its link", []string{"-class", "-url", "http://127.0.0.1:1", "-teacher-link", "http://127.0.0.1:1/teach/login?key=k"}, ""},
		{"a link without class", []string{"-url", "http://127.0.0.1:1", "-teacher-link", "http://x/teach/login?key=k"}, "-teacher-link is for -class"},
		{"a link for a started server", []string{"-class", "-teacher-link", "http://x/teach/login?key=k"}, "-teacher-link is for -class"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseFlags(tt.args, io.Discard)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error %v, want one with %q", err, tt.wantErr)
			}
		})
	}
}

func TestTeacherLine(t *testing.T) {
	line := "teacher link (keep it secret; layerlab teacher link --rotate replaces it): http://127.0.0.1:8080/teach/login?key=AbC-_1"
	m := teacherLine.FindStringSubmatch(line)
	if m == nil || m[1] != "http://127.0.0.1:8080/teach/login?key=AbC-_1" {
		t.Errorf("teacherLine found %q in %q", m, line)
	}
	if teacherLine.MatchString("layerlab: the playground is at http://127.0.0.1:8080/ (data in d; Ctrl+C stops)") {
		t.Error("teacherLine matches the address line")
	}
}
