package commands

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"layerlab/engine/baseimage"
)

// runSearchWith runs search over a catalogue of the test's.
func runSearchWith(t *testing.T, cat []SearchResult, args ...string) (string, string, int) {
	t.Helper()
	old := searchSource
	searchSource = func() []SearchResult { return cat }
	t.Cleanup(func() { searchSource = old })
	var out, errb bytes.Buffer
	code, _ := Run(context.Background(), &Env{Stdout: &out, Stderr: &errb, Prog: "docker"}, append([]string{"search"}, args...))
	return out.String(), errb.String(), code
}

func TestSearch(t *testing.T) {
	cat := []SearchResult{
		{Name: "alpine", Description: "A minimal Docker image based on Alpine Linux with a complete package index", Official: true,
			Variants: []baseimage.Variant{{Name: "default", Tags: []string{"latest", "3.20"}}}},
		{Name: "python", Description: "Python is an interpreted language", Official: true,
			Variants: []baseimage.Variant{{Name: "default", Tags: []string{"latest", "3.12"}}, {Name: "slim", Tags: []string{"3.12-slim"}}}},
		{Name: "continuumio/miniconda3", Description: "conda for python", Variants: []baseimage.Variant{{Name: "default", Tags: []string{"latest"}}}},
	}
	tests := []struct {
		name      string
		args      []string
		out, errs string
		code      int
	}{
		{name: "a term, docker's table (description cut at 45 with …, exact name first)", args: []string{"python"},
			out: "NAME                     DESCRIPTION                         STARS     OFFICIAL   AUTOMATED\n" +
				"python                   Python is an interpreted language             [OK]       \n" +
				"continuumio/miniconda3   conda for python                                         \n"},
		{name: "description truncated", args: []string{"alpine"},
			out: "NAME      DESCRIPTION                                     STARS     OFFICIAL   AUTOMATED\n" +
				"alpine    A minimal Docker image based on Alpine Linux…             [OK]       \n"},
		{name: "--no-trunc", args: []string{"--no-trunc", "--format", "{{.Description}}", "alpine"},
			out: "A minimal Docker image based on Alpine Linux with a complete package index\n"},
		{name: "is-official", args: []string{"--filter", "is-official=false", "--format", "{{.Name}}", "python"},
			out: "continuumio/miniconda3\n"},
		{name: "--limit cuts with a line saying so", args: []string{"--limit", "1", "--format", "{{.Name}}"},
			out: "alpine\n", errs: "[layerlab] 3 images match; the first 1 are shown (--limit 100 shows up to 100)\n"},
		{name: "--limit out of docker's range", args: []string{"--limit", "101", "x"}, code: 1,
			errs: "Error response from daemon: limit 101 is outside the range of [1, 100]\n"},
		{name: "stars filter refused, naming why", args: []string{"--filter", "stars=3", "x"}, code: 1,
			errs: "[layerlab] the built-in hub keeps no stars, so the filter stars=3 cannot be applied\n"},
		{name: "--list-tags", args: []string{"--list-tags", "python"},
			out: "NAME                     VARIANT   EXAMPLE TAGS\n" +
				"python                   default   latest 3.12\n" +
				"python                   slim      3.12-slim\n" +
				"continuumio/miniconda3   default   latest\n" +
				"[layerlab] examples: any version of these lines in these variants resolves too (docker pull python:TAG)\n"},
		{name: "nothing matches", args: []string{"nope"}, out: "NAME      DESCRIPTION   STARS     OFFICIAL   AUTOMATED\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, errs, code := runSearchWith(t, cat, tc.args...)
			if out != tc.out || errs != tc.errs || code != tc.code {
				t.Errorf("got exit %d\nstdout:\n%q\nstderr:\n%q\nwant exit %d\nstdout:\n%q\nstderr:\n%q", code, out, errs, tc.code, tc.out, tc.errs)
			}
		})
	}
}

// TestSearchListsTheCatalog: without a catalogue of the test's, search lists the
// stand-ins baseimage serves, the official ones marked.
func TestSearchListsTheCatalog(t *testing.T) {
	var out, errb bytes.Buffer
	code, _ := Run(context.Background(), &Env{Stdout: &out, Stderr: &errb}, []string{"search", "--format", "{{.Name}} {{.IsOfficial}}", "--limit", "100", "postgres"})
	if code != 0 || !strings.Contains(out.String(), "postgres [OK]\n") {
		t.Errorf("exit %d, output %q %q: want postgres [OK]", code, out.String(), errb.String())
	}
}

// TestTransferHelp: pull's and push's help is docker's, options wrapped as docker wraps them.
func TestTransferHelp(t *testing.T) {
	got := TransferUsage("docker", "image pull", false, "")
	want := `
Usage:  docker image pull [OPTIONS] NAME[:TAG|@DIGEST]

Pull an image or a repository from a registry

Options:
  -a, --all-tags                Download all tagged images in the repository
      --disable-content-trust   Skip image verification (default true)
      --platform string         Set platform if server is multi-platform
                                capable
  -q, --quiet                   Suppress verbose output
`
	if got != want {
		t.Errorf("pull help:\n%s\nwant (docker 20.10's):\n%s", got, want)
	}
	got = TransferUsage("docker", "push", true, "")
	want = `
Usage:  docker push [OPTIONS] NAME[:TAG]

Push an image or a repository to a registry

Options:
  -a, --all-tags                Push all tagged images in the repository
      --disable-content-trust   Skip image signing (default true)
  -q, --quiet                   Suppress verbose output
`
	if got != want {
		t.Errorf("push help:\n%s\nwant (docker 20.10's):\n%s", got, want)
	}
	if got, want := TransferArgCount("docker", "image push", true), "\"docker image push\" requires exactly 1 argument.\nSee 'docker image push --help'.\n\nUsage:  docker image push [OPTIONS] NAME[:TAG]\n\nPush an image or a repository to a registry"; got != want {
		t.Errorf("arg count: %q, want %q", got, want)
	}
}

// TestImageGroupHelp: image --help lists build, pull and push, as docker's does.
func TestImageGroupHelp(t *testing.T) {
	var out bytes.Buffer
	Run(context.Background(), &Env{Stdout: &out, Stderr: &out}, []string{"image", "--help"})
	for _, want := range []string{"  build       Build an image from a Dockerfile\n", "  pull        Pull an image or a repository from a registry\n", "  push        Push an image or a repository to a registry\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("image --help lacks %q:\n%s", want, out.String())
		}
	}
}

// TestWrapUsage: pflag's wrapping for docker's 79 columns (recorded help texts).
func TestWrapUsage(t *testing.T) {
	tests := []struct {
		name, in, want string
		indent         int
	}{
		{"history's -H", "Print sizes and dates in human readable format (default true)",
			"Print sizes and dates in human readable format\n" + strings.Repeat(" ", 24) + "(default true)", 24},
		{"fits", "Suppress verbose output", "Suppress verbose output", 32},
		{"build's -q", "Suppress the build output and print image ID on success",
			"Suppress the build output and print image\n" + strings.Repeat(" ", 32) + "ID on success", 32},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := wrapUsage(tc.indent, usageColumns, tc.in); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
