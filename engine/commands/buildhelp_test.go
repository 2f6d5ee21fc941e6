package commands

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
)

func TestParseBuildFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    BuildFlags
		pos     []string
		help    bool
		wantErr string
	}{
		{name: "defaults", args: []string{"."}, want: BuildFlags{Progress: "classic"}, pos: []string{"."}},
		{name: "every flag", args: []string{"-t", "a:1", "--tag=b", "--build-arg", "K=v", "-f", "D", "--target", "s", "--progress", "json", "--no-cache", "-q", "ctx"},
			want: BuildFlags{Tags: []string{"a:1", "b"}, BuildArgs: []string{"K=v"}, File: "D", Target: "s", Progress: "json", NoCache: true, Quiet: true},
			pos:  []string{"ctx"}},
		{name: "help", args: []string{"--help"}, help: true},
		{name: "unknown flag", args: []string{"--squash", "."}, wantErr: "unknown flag: --squash"},
		{name: "missing value", args: []string{"-t"}, wantErr: "flag needs an argument: 't' in -t"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, pos, err := ParseBuildFlags(tc.args)
			switch {
			case tc.help:
				if !IsHelp(err) {
					t.Fatalf("err = %v, want the help request", err)
				}
				return
			case tc.wantErr != "":
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) || !reflect.DeepEqual(pos, tc.pos) {
				t.Errorf("got %+v %q, want %+v %q", got, pos, tc.want, tc.pos)
			}
		})
	}
}

// TestBuildUsage: the help lists every option ParseBuildFlags takes, from the same
// definitions, for either front end.
func TestBuildUsage(t *testing.T) {
	u := BuildUsage("docker", " (note)")
	for _, want := range []string{"Usage:  docker build [OPTIONS] PATH\n\nBuild an image from a Dockerfile (note)\n\nOptions:\n",
		"--build-arg list", "-f, --file string", "--no-cache", `(default "classic")`, "-q, --quiet", "-t, --tag list", "--target string"} {
		if !strings.Contains(u, want) {
			t.Errorf("usage lacks %q:\n%s", want, u)
		}
	}
	// An option's line starts with its flag; a wrapped usage continues on lines of blanks.
	if got := len(regexp.MustCompile(`\n {2,6}-`).FindAllString(u, -1)); got != 7 {
		t.Errorf("usage lists %d options, want 7:\n%s", got, u)
	}
	if got, want := BuildArgCount("layerlab"), "\"layerlab build\" requires exactly 1 argument.\nSee 'layerlab build --help'.\n\nUsage:  layerlab build [OPTIONS] PATH\n\nBuild an image from a Dockerfile"; got != want {
		t.Errorf("BuildArgCount = %q, want %q", got, want)
	}
}
