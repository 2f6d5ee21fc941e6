package commands

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/image"
)

// classes are the failure classes of errors.go.
var classes = []struct {
	name string
	err  error
}{
	{"ErrUsage", ErrUsage}, {"ErrInvalid", ErrInvalid}, {"ErrTemplate", ErrTemplate},
	{"ErrNotFound", ErrNotFound}, {"ErrConflict", ErrConflict},
}

// finerClasses are errors.go's finer classes, each within one of classes.
var finerClasses = []struct {
	name        string
	err, within error
}{
	{"ErrBadReference", ErrBadReference, ErrInvalid},
	{"ErrHasChildren", ErrHasChildren, ErrConflict},
	{"ErrMultipleRefs", ErrMultipleRefs, ErrConflict},
	{"ErrBuildHolds", ErrBuildHolds, ErrConflict},
}

// checkRun checks what Run promises of every run: an error exactly when the exit status
// is not 0, and that error's text is the last thing the command printed on stderr.
func checkRun(t testing.TB, args []string, code int, err error, stderr string) {
	t.Helper()
	if (code != 0) != (err != nil) {
		t.Errorf("%q: exit status %d with error %v: a failure returns its error, a success none", args, code, err)
	}
	if err != nil && !strings.HasSuffix(stderr, err.Error()+"\n") {
		t.Errorf("%q: error %q is not the end of what the command printed:\n%s", args, err, stderr)
	}
}

// runErr runs a command line over st and returns its status, stderr and error.
func runErr(t *testing.T, st Store, args ...string) (int, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &Env{Store: st, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Prog: "docker"}
	code, err := Run(context.Background(), env, args)
	checkRun(t, args, code, err, errb.String())
	return code, errb.String(), err
}

// Each way a command fails has its class, found with errors.Is (the web handlers map the
// class, never the text, to a status), and no other class.
func TestRunErrorClasses(t *testing.T) {
	h := newRmHarness(t)
	base := h.build("FROM busybox\n", nil)
	id := h.build("FROM busybox\nLABEL a=1\n", []string{"demo:v1", "demo:v2"})
	short := image.ShortID(id)
	out := filepath.Join(t.TempDir(), "x.tar")
	tests := []struct {
		name string
		args []string
		code int
		want error // nil: no class (or, with code 0, no error)
	}{
		{"succeeds", []string{"image", "ls"}, 0, nil},
		{"rmi -f of a missing image succeeds", []string{"rmi", "-f", "nope"}, 0, nil},
		{"no command", nil, 1, ErrUsage},
		{"unknown command", []string{"frobnicate"}, 1, ErrUsage},
		{"unknown flag", []string{"image", "ls", "--nope"}, 125, ErrUsage},
		{"unknown image group flag", []string{"image", "--nope"}, 125, ErrUsage},
		{"flag without its value", []string{"history", "demo:v1", "--format"}, 125, ErrUsage},
		{"filter value without =", []string{"image", "ls", "-f", "dangling"}, 125, ErrUsage},
		{"wrong number of arguments", []string{"tag", "demo:v1"}, 1, ErrUsage},
		{"save to a terminal", nil, 1, ErrUsage}, // args set below: needs a terminal
		{"unknown filter", []string{"image", "ls", "-f", "nope=1"}, 1, ErrInvalid},
		{"bad dangling filter", []string{"image", "ls", "-f", "dangling=maybe"}, 1, ErrInvalid},
		{"bad until filter", []string{"image", "prune", "-f", "--filter", "until=soon"}, 1, ErrInvalid},
		{"malformed tag target", []string{"tag", "demo:v1", "Demo:V2"}, 1, ErrInvalid},
		{"malformed tag source", []string{"tag", "Demo:V1", "demo:v3"}, 1, ErrInvalid},
		{"tag with a digest", []string{"tag", "demo:v1", "demo@" + id.String()}, 1, ErrInvalid},
		{"malformed history reference", []string{"history", "Demo"}, 1, ErrInvalid},
		{"malformed rmi reference", []string{"rmi", "Nope"}, 1, ErrInvalid},
		{"malformed image inspect reference", []string{"image", "inspect", "Nope"}, 1, ErrInvalid},
		{"unknown inspect --type", []string{"inspect", "--type", "nope", "demo:v1"}, 1, ErrInvalid},
		{"output directory missing", []string{"save", "-o", "/nonexist/x.tar", "demo:v1"}, 1, ErrInvalid},
		{"inspect template that does not parse", []string{"inspect", "--format", "{{.Id", "demo:v1"}, 64, ErrTemplate},
		{"inspect template that fails on the data", []string{"inspect", "--format", "{{.Nope}}", "demo:v1"}, 1, ErrTemplate},
		{"image ls template that does not parse", []string{"image", "ls", "--format", "{{.ID"}, 1, ErrTemplate},
		{"history template that fails", []string{"history", "--format", "{{.Nope}}", "demo:v1"}, 1, ErrTemplate},
		{"no such image: history", []string{"history", "nope:1"}, 1, ErrNotFound},
		{"no such image: rmi", []string{"rmi", "nope"}, 1, ErrNotFound},
		{"no such image: tag", []string{"tag", "nope:1", "x:1"}, 1, ErrNotFound},
		{"no such image: image ls --filter before", []string{"image", "ls", "-f", "before=nope:1"}, 1, ErrNotFound},
		{"no such object: inspect", []string{"inspect", "nope"}, 1, ErrNotFound},
		{"no such reference: save", []string{"save", "-o", out, "nope:1"}, 1, ErrNotFound},
		{"no such image: save", []string{"save", "-o", out, "nope"}, 1, ErrNotFound},
		{"conflict: two references", []string{"rmi", short}, 1, ErrConflict},
		{"conflict: a parent, even forced", []string{"rmi", "-f", base.String()}, 1, ErrConflict},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var code int
			var err error
			var stderr string
			if tc.name == "save to a terminal" {
				var errb bytes.Buffer
				env := &Env{Store: h.st, Stdout: &termWriter{}, Stderr: &errb}
				args := []string{"save", "demo:v1"}
				code, err = Run(context.Background(), env, args)
				stderr = errb.String()
				checkRun(t, args, code, err, stderr)
			} else {
				code, stderr, err = runErr(t, h.st, tc.args...)
			}
			if code != tc.code {
				t.Errorf("exit status %d, want %d (stderr %q)", code, tc.code, stderr)
			}
			if tc.code == 0 {
				return
			}
			if err == nil {
				t.Fatalf("no error (stderr %q)", stderr)
			}
			for _, c := range classes {
				if is := errors.Is(err, c.err); is != (c.err == tc.want) {
					t.Errorf("errors.Is(%q, %s) = %v", err, c.name, is)
				}
			}
			for _, c := range finerClasses {
				want := finer[tc.name] == c.err
				if is := errors.Is(err, c.err); is != want {
					t.Errorf("errors.Is(%q, %s) = %v, want %v", err, c.name, is, want)
				}
				if want && tc.want != c.within {
					t.Errorf("%s is within %v, but the case's class is %v", c.name, c.within, tc.want)
				}
			}
		})
	}
}

// finer is the finer class of the cases of TestRunErrorClasses that have one; every
// other case must have none.
var finer = map[string]error{
	"malformed tag target":              ErrBadReference,
	"malformed tag source":              ErrBadReference,
	"malformed history reference":       ErrBadReference,
	"malformed rmi reference":           ErrBadReference,
	"malformed image inspect reference": ErrBadReference,
	"conflict: two references":          ErrMultipleRefs,
	"conflict: a parent, even forced":   ErrHasChildren,
}

// failingStore is a store whose listing fails, and whose records' configs cannot be
// read: what a broken database gives.
type failingStore struct {
	Store
	err error
}

func (s failingStore) Images(context.Context) ([]*image.Record, error) { return nil, s.err }

// Lookup returns the record as a store that defers its config would, with a loader
// that fails.
func (s failingStore) Lookup(ctx context.Context, ref string) (*image.Record, error) {
	rec, err := s.Store.Lookup(ctx, ref)
	if err != nil {
		return nil, err
	}
	return brokenRecord(rec, s.err), nil
}

func (s failingStore) Image(ctx context.Context, id digest.Digest) (*image.Record, error) {
	rec, err := s.Store.Image(ctx, id)
	if err != nil {
		return nil, err
	}
	return brokenRecord(rec, s.err), nil
}

// brokenRecord is rec without its config, whose loader fails with err.
func brokenRecord(rec *image.Record, err error) *image.Record {
	out := &image.Record{ID: rec.ID, Parent: rec.Parent, Layers: rec.Layers, Created: rec.Created,
		CacheKey: rec.CacheKey, Build: rec.Build}
	out.SetConfigLoader(func(context.Context) ([]byte, error) { return nil, err })
	return out
}

// A store's failure is returned, of no class (an internal error, for the handlers), and
// a config that cannot be read fails the command: history and inspect do not print an
// empty image in its place.
func TestRunStoreFailures(t *testing.T) {
	h := newRmHarness(t)
	id := h.build("FROM busybox\nLABEL a=1\n", []string{"demo:v1"})
	boom := errors.New("boom: database is locked")
	st := failingStore{Store: h.st, err: boom}
	tests := []struct {
		name   string
		args   []string
		stderr string // the end of it
	}{
		{"image ls", []string{"image", "ls"}, "Error response from daemon: list images: boom: database is locked\n"},
		{"rmi", []string{"rmi", "demo:v1"}, "Error response from daemon: boom: database is locked\n"},
		{"history", []string{"history", "demo:v1"},
			"Error response from daemon: read config of " + id.String() + ": boom: database is locked\n"},
		{"inspect", []string{"inspect", "demo:v1"},
			"Error response from daemon: read config of " + id.String() + ": boom: database is locked\n"},
		{"inspect --format", []string{"inspect", "--format", "{{.Config.Labels}}", "demo:v1"},
			"Error response from daemon: read config of " + id.String() + ": boom: database is locked\n"},
		{"image ls --filter label", []string{"image", "ls", "-f", "label=a"},
			"Error response from daemon: read config of " + id.String() + ": boom: database is locked\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			env := &Env{Store: st, Stdout: &out, Stderr: &errb, Prog: "docker"}
			if tc.name == "image ls --filter label" {
				// The listing works; the config of a listed image does not.
				env.Store = lookupOnlyFailing{Store: h.st, err: boom}
			}
			code, err := Run(context.Background(), env, tc.args)
			checkRun(t, tc.args, code, err, errb.String())
			if code != 1 || !errors.Is(err, boom) {
				t.Fatalf("exit %d, error %v: want 1 and the store's error", code, err)
			}
			for _, c := range classes {
				if errors.Is(err, c.err) {
					t.Errorf("the store's failure is classed %s", c.name)
				}
			}
			if !strings.HasSuffix(errb.String(), tc.stderr) {
				t.Errorf("stderr %q, want it to end with %q", errb.String(), tc.stderr)
			}
			if strings.Contains(out.String(), `"Config"`) || strings.Contains(out.String(), "map[") {
				t.Errorf("printed an image it could not read:\n%s", out.String())
			}
		})
	}
}

// lookupOnlyFailing lists and looks up images as its Store does, with configs that
// cannot be read.
type lookupOnlyFailing struct {
	Store
	err error
}

func (s lookupOnlyFailing) Images(ctx context.Context) ([]*image.Record, error) {
	recs, err := s.Store.Images(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*image.Record, len(recs))
	for i, r := range recs {
		out[i] = brokenRecord(r, s.err)
	}
	return out, nil
}

// The check every run goes through must itself fail on a broken promise.
func TestCheckRunCatches(t *testing.T) {
	tests := []struct {
		name   string
		code   int
		err    error
		stderr string
	}{
		{"failure without an error", 1, nil, "Error: No such image: x\n"},
		{"success with an error", 0, ErrNotFound, ""},
		{"error that was not printed", 1, errors.New("something else"), "Error: No such image: x\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recordingTB{TB: t}
			checkRun(rec, []string{"x"}, tc.code, tc.err, tc.stderr)
			if !rec.failed {
				t.Errorf("checkRun passed %d, %v, %q", tc.code, tc.err, tc.stderr)
			}
		})
	}
}

// recordingTB notes a failure instead of failing the test.
type recordingTB struct {
	testing.TB
	failed bool
}

func (r *recordingTB) Errorf(string, ...any) { r.failed = true }
func (r *recordingTB) Helper()               {}

// An image a running build holds cannot be removed, even with -f: ErrConflict, and the
// finer ErrBuildHolds the images page explains.
func TestRunHeldImageClass(t *testing.T) {
	h := newRmHarness(t)
	id := h.build("FROM busybox\nLABEL held=1\n", nil)
	if err := h.st.Hold(context.Background(), "build-1", id); err != nil {
		t.Fatal(err)
	}
	code, stderr, err := runErr(t, h.st, "rmi", "-f", id.String())
	if code != 1 || !errors.Is(err, ErrConflict) || !errors.Is(err, ErrBuildHolds) {
		t.Fatalf("rmi -f of a held image: exit %d, error %v (stderr %q); want 1 and ErrConflict, ErrBuildHolds", code, err, stderr)
	}
	if errors.Is(err, ErrHasChildren) || errors.Is(err, ErrMultipleRefs) {
		t.Errorf("error %v has another conflict's class too", err)
	}
}
