package commands

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"layerlab/engine/build/buildtest"
)

// termWriter is a Stdout that says it is a terminal.
type termWriter struct{ bytes.Buffer }

func (*termWriter) IsTerminal() bool { return true }

// TestSaveLoad: save then load through the commands, with Docker 20.10's texts
// (recorded with /usr/bin/docker against a daemon).
func TestSaveLoad(t *testing.T) {
	h := newRmHarness(t)
	id := h.build("FROM busybox\nRUN echo 1 > /one\n", []string{"demo:v1", "demo:v2"})
	dir := t.TempDir()
	tarPath := filepath.Join(dir, "demo.tar")
	if out, errs, code := h.run("save", "-o", tarPath, "demo:v1"); code != 0 || out != "" || errs != "" {
		t.Fatalf("save: %q %q %d", out, errs, code)
	}
	// A bare name saves every tag of the repository.
	allPath := filepath.Join(dir, "all.tar")
	if _, errs, code := h.run("image", "save", "--output="+allPath, "demo"); code != 0 {
		t.Fatalf("save demo: %s", errs)
	}
	var stdout bytes.Buffer
	env := &Env{Store: h.st, Stdout: &stdout, Stderr: &bytes.Buffer{}}
	if code, _ := Run(context.Background(), env, []string{"save", image6(id)}); code != 0 || stdout.Len() == 0 {
		t.Fatalf("save to stdout: exit %d, %d bytes", code, stdout.Len())
	}

	load := func(st *buildtest.Store, stdin []byte, args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		env := &Env{Store: st, Stdin: bytes.NewReader(stdin), Stdout: &out, Stderr: &errb}
		code, err := Run(context.Background(), env, args)
		checkRun(t, args, code, err, errb.String())
		return out.String(), errb.String(), code
	}
	st := buildtest.New()
	if out, errs, code := load(st, nil, "load", "-i", tarPath); code != 0 || out != "Loaded image: demo:v1\n" {
		t.Fatalf("load: %q %q %d", out, errs, code)
	}
	if out, _, _ := load(st, nil, "image", "load", "-q", "--input", allPath); out != "Loaded image: demo:v1\nLoaded image: demo:v2\n" {
		t.Errorf("load of all tags: %q", out)
	}
	if out, errs, _ := load(st, stdout.Bytes(), "load"); out != "Loaded image ID: "+id.String()+"\n" {
		t.Errorf("load of an untagged image from stdin: %q %q", out, errs)
	}
	// A tag that named another image moves, and Docker says so.
	other := h.build("FROM busybox\nRUN echo 2 > /two\n", []string{"demo:v1"})
	h.run("save", "-o", tarPath, "demo:v1")
	if out, _, _ := load(st, nil, "load", "-i", tarPath); out != "The image demo:v1 already exists, renaming the old one with ID "+id.String()+" to empty string\nLoaded image: demo:v1\n" {
		t.Errorf("load over a tag: %q", out)
	}
	if rec, _ := st.Lookup(context.Background(), "demo:v1"); rec == nil || rec.ID != other {
		t.Errorf("demo:v1 does not name the loaded image")
	}
}

func image6(id interface{ Encoded() string }) string { return id.Encoded()[:6] }

func TestSaveLoadErrors(t *testing.T) {
	h := newRmHarness(t)
	h.build("FROM busybox\n", nil)
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.tar")
	os.WriteFile(bad, []byte("not a tar"), 0o644)
	tests := []struct {
		name   string
		args   []string
		term   bool // stdin (load) or stdout (save) is a terminal
		stderr string
		exit   int
	}{
		{name: "save to a terminal", args: []string{"save", "busybox"}, term: true,
			stderr: "cowardly refusing to save to a terminal. Use the -o flag or redirect\n", exit: 1},
		{name: "unknown name:tag", args: []string{"save", "-o", filepath.Join(dir, "x.tar"), "nope:1"},
			stderr: "Error response from daemon: reference does not exist\n", exit: 1},
		{name: "unknown name", args: []string{"save", "-o", filepath.Join(dir, "x.tar"), "nope"},
			stderr: "Error response from daemon: No such image: nope\n", exit: 1},
		{name: "output directory missing", args: []string{"save", "-o", "/nonexist/x.tar", "busybox"},
			stderr: "failed to save image: invalid output path: directory \"/nonexist\" does not exist\n", exit: 1},
		{name: "save without arguments", args: []string{"save"},
			stderr: "\"docker save\" requires at least 1 argument.\nSee 'docker save --help'.\n\nUsage:  docker save [OPTIONS] IMAGE [IMAGE...]\n\nSave one or more images to a tar archive (streamed to STDOUT by default)\n", exit: 1},
		{name: "load from a terminal", args: []string{"load"}, term: true,
			stderr: "requested load from stdin, but stdin is empty\n", exit: 1},
		{name: "load a missing file", args: []string{"load", "-i", "/nonexist.tar"},
			stderr: "open /nonexist.tar: no such file or directory\n", exit: 1},
		{name: "load arguments", args: []string{"load", "x"},
			stderr: "\"docker load\" accepts no arguments.\nSee 'docker load --help'.\n\nUsage:  docker load [OPTIONS]\n\nLoad an image from a tar archive or STDIN\n", exit: 1},
		{name: "load garbage", args: []string{"load", "-i", bad},
			stderr: "Error response from daemon: load: invalid archive: read tar: unexpected EOF\n", exit: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := &termWriter{}
			var stdout interface {
				Write([]byte) (int, error)
			} = &out.Buffer
			if tt.term {
				stdout = out
			}
			var errb bytes.Buffer
			env := &Env{Store: h.st, Stdin: strings.NewReader(""), Stdout: stdout, Stderr: &errb, Terminal: tt.term}
			code, err := Run(context.Background(), env, tt.args)
			checkRun(t, tt.args, code, err, errb.String())
			if errb.String() != tt.stderr || code != tt.exit {
				t.Errorf("got stderr %q exit %d, want %q %d", errb.String(), code, tt.stderr, tt.exit)
			}
		})
	}
}

func TestSaveLoadHelp(t *testing.T) {
	h := newRmHarness(t)
	for args, want := range map[string]string{
		"save --help":       "\nUsage:  docker save [OPTIONS] IMAGE [IMAGE...]\n\nSave one or more images to a tar archive (streamed to STDOUT by default)\n\nOptions:\n  -o, --output string   Write to a file, instead of STDOUT\n",
		"load --help":       "\nUsage:  docker load [OPTIONS]\n\nLoad an image from a tar archive or STDIN\n\nOptions:\n  -i, --input string   Read from tar archive file, instead of STDIN\n  -q, --quiet          Suppress the load output\n",
		"image load --help": "\nUsage:  docker image load [OPTIONS]\n\nLoad an image from a tar archive or STDIN\n\nOptions:\n  -i, --input string   Read from tar archive file, instead of STDIN\n  -q, --quiet          Suppress the load output\n",
	} {
		if out, _, _ := h.run(strings.Fields(args)...); out != want {
			t.Errorf("%s:\n%q\nwant\n%q", args, out, want)
		}
	}
}
