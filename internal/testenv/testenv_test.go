package testenv

import (
	"testing"
)

// recorder is a testing.TB that records how Need ended the test instead of ending it
// (its Fatal and Skip return; the embedded nil TB makes any other call panic).
type recorder struct {
	testing.TB
	fatal, skip string
}

func (r *recorder) Helper()           {}
func (r *recorder) Fatal(args ...any) { r.fatal = args[0].(string) }
func (r *recorder) Skip(args ...any)  { r.skip = args[0].(string) }

func TestNeed(t *testing.T) {
	tests := []struct {
		name        string
		ci          string
		ok          bool
		fatal, skip bool
	}{
		{name: "met, CI", ci: "true", ok: true},
		{name: "met, not CI", ci: "", ok: true},
		{name: "missing, CI", ci: "true", fatal: true},
		{name: "missing, CI=1", ci: "1", fatal: true},
		{name: "missing, not CI", ci: "", skip: true},
		{name: "missing, CI=false", ci: "false", skip: true},
		{name: "missing, CI=0", ci: "0", skip: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("CI", tt.ci)
			r := &recorder{}
			Need(r, tt.ok, "no widget")
			if got := r.fatal != ""; got != tt.fatal {
				t.Errorf("fatal = %q, want fatal %v", r.fatal, tt.fatal)
			}
			if got := r.skip != ""; got != tt.skip {
				t.Errorf("skip = %q, want skip %v", r.skip, tt.skip)
			}
			if tt.fatal && r.fatal != "CI needs this test to run: no widget" {
				t.Errorf("fatal = %q, want the reason", r.fatal)
			}
			if tt.skip && r.skip != "no widget" {
				t.Errorf("skip = %q, want the reason", r.skip)
			}
		})
	}
}
