package commands

import (
	"regexp"
	"strings"
	"testing"
)

var (
	nanoTime = regexp.MustCompile(`(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z`)
	hex64    = regexp.MustCompile(`"[0-9a-f]{64}"`)
	// Docker's overlay2 paths; layerlab has no graph driver and says so.
	graphDriver = regexp.MustCompile(`(?s)"GraphDriver": \{.*?"Name": "overlay2"\n        \}`)
)

func normalizeInspect(s string) string {
	s = graphDriver.ReplaceAllString(s, "\"GraphDriver\": {\n            \"Data\": null,\n            \"Name\": \"layerlab\"\n        }")
	s = nanoTime.ReplaceAllString(s, "${1}.NZ")
	s = hex64.ReplaceAllString(s, `"`+strings.Repeat("x", 64)+`"`)
	return normalizeIDs(s)
}

// TestInspectRecorded replays 30, 32, 33 and 35: the same JSON, key for key, IDs, the
// container ID and sub-second times normalised.
func TestInspectRecorded(t *testing.T) {
	s := oracleScene(t)
	tests := []struct {
		file string
		args []string
	}{
		{"30-inspect-format-env-classic.txt", []string{"inspect", "--format", "{{.Config.Env}}", "oracle-texts:v1"}},
		{"32-inspect-format-json-config.txt", []string{"inspect", "--format", "{{json .Config}}", "oracle-texts:v1"}},
		{"33-image-inspect-classic.txt", []string{"image", "inspect", "oracle-texts:v1"}},
		{"35-image-inspect-unknown.txt", []string{"image", "inspect", "oracle-texts-nope:v9"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			rec := readRecording(t, tt.file)
			out, errs, code := s.run(tt.args...)
			if code != rec.exit || errs != rec.stderr {
				t.Fatalf("exit %d, stderr %q; want %d, %q", code, errs, rec.exit, rec.stderr)
			}
			if got, want := normalizeInspect(out), normalizeInspect(rec.stdout); got != want {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
		})
	}
}

func TestInspect(t *testing.T) {
	s := oracleScene(t)
	tests := []struct {
		name           string
		args           []string
		stdout, stderr string
		exit           int
	}{
		// Recorded from Docker 20.10.24 (dockerd-up), 2026-11-27.
		{name: "image inspect, upper-case name", args: []string{"image", "inspect", "Demo"}, stdout: "[]\n",
			stderr: "Error response from daemon: no such image: Demo: invalid reference format: repository name must be lowercase\n", exit: 1},
		{name: "image inspect, bad reference", args: []string{"image", "inspect", "a:b:c"}, stdout: "[]\n",
			stderr: "Error response from daemon: no such image: a:b:c: invalid reference format\n", exit: 1},
		{name: "inspect, upper-case name", args: []string{"inspect", "Demo"}, stdout: "[]\n", stderr: "Error: No such object: Demo\n", exit: 1},
		{name: "raw fallback for json names", args: []string{"inspect", "-f", "{{.Id}} {{.Os}}", "busybox:local"}, stdout: "sha256:" + strings.Repeat("x", 64) + " linux\n"},
		{name: "missing key on raw", args: []string{"image", "inspect", "-f", "{{.Nope}}", "busybox:local"}, stdout: "\n",
			stderr: "Template parsing error: template: :1:2: executing \"\" at <.Nope>: map has no entry for key \"Nope\"\n", exit: 1},
		{name: "bad template", args: []string{"inspect", "-f", "{{.Nope", "busybox:local"},
			stderr: "Template parsing error: template: :1: unclosed action\n", exit: 64},
		{name: "unknown object", args: []string{"inspect", "nope"}, stdout: "[]\n", stderr: "Error: No such object: nope\n", exit: 1},
		{name: "unknown with format", args: []string{"inspect", "-f", "{{.Id}}", "nope"}, stdout: "\n", stderr: "Error: No such object: nope\n", exit: 1},
		{name: "type container", args: []string{"inspect", "--type", "container", "busybox:local"}, stdout: "[]\n", stderr: "Error: No such container: busybox:local\n", exit: 1},
		{name: "bad type", args: []string{"inspect", "--type", "blob", "x"}, stderr: "\"blob\" is not a valid value for --type\n", exit: 1},
		{name: "several, one unknown", args: []string{"image", "inspect", "-f", "{{.RepoTags}}", "demo:v1", "nope", "oracle-texts:v1"},
			stdout: "[demo:v1]\n[oracle-texts:alias oracle-texts:v1]\n", stderr: "Error: No such image: nope\n", exit: 1},
		{name: "functions", args: []string{"inspect", "-f", `{{join .Config.Env ","}} {{upper .Os}} {{json .RootFS.Type}}`, "oracle-texts:v1"},
			stdout: "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin,A=1,B=two LINUX \"layers\"\n"},
		{name: "untagged image", args: []string{"inspect", "-f", "{{json .RepoTags}} {{.Metadata.LastTagTime.IsZero}}", "oracle-texts:v1"},
			stdout: "[\"oracle-texts:alias\",\"oracle-texts:v1\"] false\n"},
		{name: "no argument", args: []string{"image", "inspect"},
			stderr: "\"docker image inspect\" requires at least 1 argument.\nSee 'docker image inspect --help'.\n\nUsage:  docker image inspect [OPTIONS] IMAGE [IMAGE...]\n\nDisplay detailed information on one or more images\n", exit: 1},
		{name: "help", args: []string{"inspect", "--help"}, stdout: `
Usage:  docker inspect [OPTIONS] NAME|ID [NAME|ID...]

Return low-level information on Docker objects

Options:
  -f, --format string   Format the output using the given Go template
  -s, --size            Display total file sizes if the type is container
      --type string     Return JSON for specified type
`},
		{name: "image inspect help", args: []string{"image", "inspect", "--help"}, stdout: `
Usage:  docker image inspect [OPTIONS] IMAGE [IMAGE...]

Display detailed information on one or more images

Options:
  -f, --format string   Format the output using the given Go template
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errs, code := s.run(tt.args...)
			if normalizeIDs(out) != tt.stdout || errs != tt.stderr || code != tt.exit {
				t.Errorf("got (%q, %q, %d)\nwant (%q, %q, %d)", out, errs, code, tt.stdout, tt.stderr, tt.exit)
			}
		})
	}
	// Several images: one array.
	out, _, _ := s.run("image", "inspect", "demo:v1", "demo:bk")
	if strings.Count(out, `"Id": `) != 2 || !strings.HasPrefix(out, "[\n    {") || !strings.HasSuffix(out, "    }\n]\n") {
		t.Errorf("two images:\n%s", out)
	}
}
