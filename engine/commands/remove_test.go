package commands

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/build"
	"layerlab/engine/build/buildtest"
	"layerlab/engine/image"
)

// rmHarness is an in-memory store with the stand-in puller and a builder on a fixed
// clock, for the rm / prune / tag tests.
type rmHarness struct {
	t     *testing.T
	st    *buildtest.Store
	b     *build.Builder
	clock time.Time
}

func newRmHarness(t *testing.T) *rmHarness {
	t.Helper()
	h := &rmHarness{t: t, st: buildtest.New(), clock: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	h.b = build.New(h.st, build.StandIns{})
	h.b.Now = func() time.Time { h.clock = h.clock.Add(time.Second); return h.clock }
	return h
}

// build builds a Dockerfile (plus context files as name, content pairs) and tags it.
func (h *rmHarness) build(dockerfile string, tags []string, files ...string) digest.Digest {
	h.t.Helper()
	fs := []build.File{{Path: "Dockerfile", Data: []byte(dockerfile)}}
	for i := 0; i+1 < len(files); i += 2 {
		fs = append(fs, build.File{Path: files[i], Data: []byte(files[i+1])})
	}
	c, err := build.NewContext(fs, "")
	if err != nil {
		h.t.Fatal(err)
	}
	if tags == nil {
		tags = []string{}
	}
	res, err := h.b.Build(context.Background(), c, build.Options{Tags: tags})
	if err != nil {
		h.t.Fatalf("build: %v", err)
	}
	return res.Image
}

// run runs a command line with stdin and returns stdout, stderr and the exit status.
func (h *rmHarness) runIn(stdin string, args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	env := &Env{Store: h.st, Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb,
		Now: func() time.Time { return h.clock.Add(time.Minute) }}
	code, err := Run(context.Background(), env, args)
	checkRun(h.t, args, code, err, errb.String())
	return out.String(), errb.String(), code
}

func (h *rmHarness) run(args ...string) (string, string, int) { return h.runIn("", args...) }

func (h *rmHarness) lookup(ref string) *image.Record {
	h.t.Helper()
	r, err := h.st.Lookup(context.Background(), ref)
	if err != nil {
		h.t.Fatalf("lookup %s: %v", ref, err)
	}
	return r
}

func (h *rmHarness) exists(id digest.Digest) bool {
	_, err := h.st.Image(context.Background(), id)
	return err == nil
}

// top is the chain ID of an image's top layer: what Docker prints when the layer goes.
func top(r *image.Record) digest.Digest { return build.ChainID(r.DiffIDs()) }

// rmRecording is one recorded Docker text: its stdout, stderr and exit status.
type rmRecording struct {
	stdout, stderr string
	exit           int
}

func readRmRecording(t *testing.T, name string) rmRecording {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "rm", name))
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	_, rest, _ := strings.Cut(s, "--- stdout ---\n")
	stdout, rest, _ := strings.Cut(rest, "--- stderr ---\n")
	stderr, rest, _ := strings.Cut(rest, "--- exit ")
	code, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " ---"))
	if err != nil {
		t.Fatalf("%s: exit line: %v", name, err)
	}
	return rmRecording{stdout: stdout, stderr: stderr, exit: code}
}

var (
	rmLongID  = regexp.MustCompile(`sha256:[0-9a-f]{64}`)
	rmShortID = regexp.MustCompile(`\b[0-9a-f]{12}\b`)
)

// rmNormalize replaces image and chain IDs by placeholders: they embed creation times.
func rmNormalize(s string) string {
	return rmShortID.ReplaceAllString(rmLongID.ReplaceAllString(s, "sha256:<ID>"), "<ID12>")
}

// oracleDockerfileRm is the recordings' classic build (01-build-classic-output.txt).
const oracleDockerfileRm = `FROM busybox
ENV A=1 B=two
WORKDIR /app
COPY app.txt .
RUN echo built > /built.txt
LABEL org.example.k=v
CMD ["cat", "/built.txt"]
`

// TestRecordedTexts replays the recordings' rm and tag commands in their order over a
// store built like the recording daemon's, and compares the texts with IDs normalised.
func TestRecordedTexts(t *testing.T) {
	h := newRmHarness(t)
	v1 := h.build(oracleDockerfileRm, []string{"oracle-texts:v1"}, "app.txt", "hello\n")
	parent := h.build("FROM busybox\nRUN echo p > /p.txt\n", []string{"oracle-texts-parent:v1"})
	child := h.build("FROM oracle-texts-parent:v1\nRUN echo c > /c.txt\n", []string{"oracle-texts-child:v1"})
	two := h.build("FROM busybox\nRUN echo two > /two.txt\n", []string{"oracle-texts-two:a", "oracle-texts-two:b"})
	dangle := h.build("FROM busybox\nRUN echo d > /d.txt\n", []string{"oracle-texts-dangle:latest"})
	// The recording's BuildKit image kept its layers in BuildKit's cache; an image that
	// adds no layer of its own releases none either.
	bk := h.build("FROM busybox\nENV K=bk\n", []string{"oracle-texts-bk:v1"})
	intermediate := h.lookup(v1.String()).Parent.String() // LABEL's image
	intermediate = h.lookup(intermediate).Parent.String() // RUN's image

	cases := []struct {
		file string
		args []string
	}{
		{"03-tag.txt", []string{"tag", "oracle-texts:v1", "oracle-texts:alias"}},
		{"04-tag-unknown-source.txt", []string{"tag", "oracle-texts-nope:v9", "oracle-texts:x"}},
		{"36-rm-id-with-two-tags.txt", []string{"image", "rm", image.ShortID(v1)}},
		{"37-rm-one-of-two-tags.txt", []string{"image", "rm", "oracle-texts:alias"}},
		{"38-rm-parent-by-id.txt", []string{"image", "rm", image.ShortID(parent)}},
		{"39-rm-f-parent-by-id.txt", []string{"image", "rm", "-f", image.ShortID(parent)}},
		{"40-rm-parent-by-tag.txt", []string{"image", "rm", "oracle-texts-parent:v1"}},
		{"41-rm-intermediate.txt", []string{"image", "rm", digest.Digest(intermediate).Encoded()[:12]}},
		{"42-rm-f-id-with-two-tags.txt", []string{"image", "rm", "-f", image.ShortID(two)}},
		{"46-rm-unknown.txt", []string{"image", "rm", "oracle-texts-nope:v9"}},
		{"47-rm-unknown-id.txt", []string{"image", "rm", "0123456789ab"}},
		{"48-rm-unknown-and-known.txt", []string{"image", "rm", "oracle-texts-nope:v9", "oracle-texts-dangle:latest"}},
		{"49-rmi-alias.txt", []string{"rmi", "oracle-texts-bk:v1"}},
	}
	for _, c := range cases {
		want := readRmRecording(t, c.file)
		stdout, stderr, code := h.run(c.args...)
		if rmNormalize(stdout) != rmNormalize(want.stdout) || rmNormalize(stderr) != rmNormalize(want.stderr) || code != want.exit {
			t.Errorf("%s: %v\ngot  stdout %q stderr %q exit %d\nwant stdout %q stderr %q exit %d",
				c.file, c.args, stdout, stderr, code, want.stdout, want.stderr, want.exit)
		}
	}

	// Beyond the shape of the texts: the right IDs went, the right ones stayed.
	twoRec := h.st.Tags(two)
	if len(twoRec) != 0 || h.exists(two) {
		t.Errorf("oracle-texts-two still there: tags %v", twoRec)
	}
	if !h.exists(parent) || !h.exists(child) || !h.exists(v1) || h.exists(dangle) || h.exists(bk) {
		t.Errorf("after the rm texts: parent %v child %v v1 %v dangle %v bk %v; want true true true false false",
			h.exists(parent), h.exists(child), h.exists(v1), h.exists(dangle), h.exists(bk))
	}
	if got := h.st.Tags(v1); strings.Join(got, ",") != "oracle-texts:v1" {
		t.Errorf("oracle-texts:v1 tags = %v", got)
	}
	if got := h.st.Tags(parent); len(got) != 0 {
		t.Errorf("parent tags = %v, want none (untagged by 40)", got)
	}
}

// TestRemoveRules checks Docker's ImageDelete rules case by case, with exact IDs.
func TestRemoveRules(t *testing.T) {
	const base = "FROM busybox\n"
	tests := []struct {
		name string
		// setup builds images and returns the command line and the expected texts,
		// written with the IDs the setup made.
		setup func(h *rmHarness) (args []string, stdout, stderr string, exit int)
		check func(t *testing.T, h *rmHarness)
	}{
		{
			name: "last tag deletes the image and its untagged parents, top layer first",
			setup: func(h *rmHarness) ([]string, string, string, int) {
				id := h.build(base+"RUN echo a > /a\nENV X=1\nRUN echo b > /b\n", []string{"demo:v1"})
				r3 := h.lookup(id.String())
				r2 := h.lookup(r3.Parent.String()) // ENV: no layer of its own
				r1 := h.lookup(r2.Parent.String())
				return []string{"rmi", "demo:v1"},
					"Untagged: demo:v1\nDeleted: " + id.String() + "\nDeleted: " + top(r3).String() +
						"\nDeleted: " + r2.ID.String() + "\nDeleted: " + r1.ID.String() + "\nDeleted: " + top(r1).String() + "\n",
					"", 0
			},
			check: func(t *testing.T, h *rmHarness) {
				if h.st.Len() != 1 { // busybox
					t.Errorf("%d images left, want 1 (busybox)", h.st.Len())
				}
			},
		},
		{
			name: "--no-prune keeps the untagged parents",
			setup: func(h *rmHarness) ([]string, string, string, int) {
				id := h.build(base+"RUN echo a > /a\nRUN echo b > /b\n", []string{"demo:v1"})
				r := h.lookup(id.String())
				return []string{"image", "rm", "--no-prune", "demo:v1"},
					"Untagged: demo:v1\nDeleted: " + id.String() + "\nDeleted: " + top(r).String() + "\n", "", 0
			},
			check: func(t *testing.T, h *rmHarness) {
				if h.st.Len() != 2 || h.st.Dangling() != 1 {
					t.Errorf("images %d dangling %d, want 2 and 1", h.st.Len(), h.st.Dangling())
				}
			},
		},
		{
			name: "a shared layer stays: only the image is deleted",
			setup: func(h *rmHarness) ([]string, string, string, int) {
				h.build(base+"RUN echo a > /a\n", []string{"one:v1"})
				id := h.build(base+"RUN echo a > /a\nCMD [\"sh\"]\n", []string{"two:v1"})
				return []string{"rmi", "two:v1"}, "Untagged: two:v1\nDeleted: " + id.String() + "\n", "", 0
			},
		},
		{
			name: "the parent stays when it has another child",
			setup: func(h *rmHarness) ([]string, string, string, int) {
				h.build(base+"RUN echo a > /a\nRUN echo b > /b\n", []string{"b:v1"})
				id := h.build(base+"RUN echo a > /a\nRUN echo c > /c\n", []string{"c:v1"})
				r := h.lookup(id.String())
				return []string{"rmi", "c:v1"}, "Untagged: c:v1\nDeleted: " + id.String() + "\nDeleted: " + top(r).String() + "\n", "", 0
			},
		},
		{
			name: "the parent stays when it is tagged",
			setup: func(h *rmHarness) ([]string, string, string, int) {
				h.build(base+"RUN echo a > /a\n", []string{"p:v1"})
				id := h.build("FROM p:v1\nRUN echo c > /c\n", []string{"c:v1"})
				r := h.lookup(id.String())
				return []string{"rmi", "c:v1"}, "Untagged: c:v1\nDeleted: " + id.String() + "\nDeleted: " + top(r).String() + "\n", "", 0
			},
		},
		{
			name: "by ID with one tag: untag, then delete",
			setup: func(h *rmHarness) ([]string, string, string, int) {
				id := h.build(base+"RUN echo a > /a\n", []string{"demo:v1"})
				r := h.lookup(id.String())
				return []string{"rmi", id.Encoded()[:5]}, "Untagged: demo:v1\nDeleted: " + id.String() + "\nDeleted: " + top(r).String() + "\n", "", 0
			},
		},
		{
			name: "by full ID with sha256: prefix",
			setup: func(h *rmHarness) ([]string, string, string, int) {
				id := h.build(base+"RUN echo a > /a\n", nil)
				r := h.lookup(id.String())
				return []string{"rmi", id.String()}, "Deleted: " + id.String() + "\nDeleted: " + top(r).String() + "\n", "", 0
			},
		},
		{
			name: "by ID with one tag and children: cannot be forced, nothing untagged",
			setup: func(h *rmHarness) ([]string, string, string, int) {
				p := h.build(base+"RUN echo a > /a\n", []string{"p:v1"})
				h.build("FROM p:v1\nRUN echo c > /c\n", []string{"c:v1"})
				return []string{"rmi", "-f", image.ShortID(p)}, "",
					"Error response from daemon: conflict: unable to delete " + image.ShortID(p) + " (cannot be forced) - image has dependent child images\n", 1
			},
			check: func(t *testing.T, h *rmHarness) {
				if got := h.st.Tags(h.lookup("p:v1").ID); len(got) != 1 {
					t.Errorf("p:v1 tags %v, want it kept", got)
				}
			},
		},
		{
			name: "by ID with tags in two repositories and children: children win",
			setup: func(h *rmHarness) ([]string, string, string, int) {
				p := h.build(base+"RUN echo a > /a\n", []string{"p:v1", "q:v1"})
				h.build("FROM p:v1\nRUN echo c > /c\n", []string{"c:v1"})
				return []string{"rmi", image.ShortID(p)}, "",
					"Error response from daemon: conflict: unable to delete " + image.ShortID(p) + " (cannot be forced) - image has dependent child images\n", 1
			},
		},
		{
			name: "-f by ID with two tags: untag both (full-name order), delete",
			setup: func(h *rmHarness) ([]string, string, string, int) {
				id := h.build(base+"RUN echo a > /a\n", []string{"aaa:v1", "kkk/x:v1"})
				r := h.lookup(id.String())
				// docker.io/kkk/x sorts before docker.io/library/aaa.
				return []string{"rmi", "-f", image.ShortID(id)},
					"Untagged: kkk/x:v1\nUntagged: aaa:v1\nDeleted: " + id.String() + "\nDeleted: " + top(r).String() + "\n", "", 0
			},
		},
		{
			name: "by name without a tag means :latest",
			setup: func(h *rmHarness) ([]string, string, string, int) {
				id := h.build(base+"ENV X=1\n", []string{"demo"})
				return []string{"rmi", "demo"}, "Untagged: demo:latest\nDeleted: " + id.String() + "\n", "", 0
			},
		},
		{
			name: "an untagged leaf by ID",
			setup: func(h *rmHarness) ([]string, string, string, int) {
				old := h.build(base+"ENV X=1\n", []string{"demo:v1"})
				h.build(base+"ENV X=2\n", []string{"demo:v1"})
				return []string{"rmi", image.ShortID(old)}, "Deleted: " + old.String() + "\n", "", 0
			},
		},
		{
			name: "-f with only missing images exits 0",
			setup: func(h *rmHarness) ([]string, string, string, int) {
				return []string{"rmi", "-f", "nope"}, "", "Error: No such image: nope\n", 0
			},
		},
		{
			name: "-f with a missing and a malformed name exits 1, errors in order",
			setup: func(h *rmHarness) ([]string, string, string, int) {
				return []string{"rmi", "-f", "nope", "Bad"}, "",
					"Error: No such image: nope\nError response from daemon: invalid reference format: repository name must be lowercase\n", 1
			},
		},
		{
			name: "an ambiguous ID prefix is no such image",
			setup: func(h *rmHarness) ([]string, string, string, int) {
				// Enough images that two share a first hex digit.
				for i := 0; i < 20; i++ {
					h.build(base+"ENV X="+strconv.Itoa(i)+"\n", nil)
				}
				recs, _ := h.st.Images(context.Background())
				seen := map[byte]bool{}
				p := ""
				for _, r := range recs {
					c := r.ID.Encoded()[0]
					if seen[c] {
						p = string(c)
						break
					}
					seen[c] = true
				}
				return []string{"rmi", p}, "", "Error: No such image: " + p + "\n", 1
			},
		},
		{
			name: "a name with a digest is untagged with its repository's last tag",
			setup: func(h *rmHarness) ([]string, string, string, int) {
				id := h.build(base+"ENV X=1\n", []string{"demo:v1"})
				d := "demo@sha256:" + strings.Repeat("a", 64)
				ref, _ := image.ParseRef(d)
				if err := h.st.Tag(context.Background(), ref, id); err != nil {
					h.t.Fatal(err)
				}
				return []string{"rmi", "demo:v1"}, "Untagged: demo:v1\nUntagged: " + d + "\nDeleted: " + id.String() + "\n", "", 0
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newRmHarness(t)
			args, wantOut, wantErr, wantCode := tt.setup(h)
			out, errs, code := h.run(args...)
			if out != wantOut || errs != wantErr || code != wantCode {
				t.Errorf("%v:\ngot  stdout %q\n     stderr %q exit %d\nwant stdout %q\n     stderr %q exit %d",
					args, out, errs, code, wantOut, wantErr, wantCode)
			}
			if tt.check != nil {
				tt.check(t, h)
			}
		})
	}
}

// TestRemoveFreesBlobs: the layers rmi reports deleted leave the store.
func TestRemoveFreesBlobs(t *testing.T) {
	h := newRmHarness(t)
	id := h.build("FROM busybox\nRUN echo a > /a\n", []string{"demo:v1"})
	layer := h.lookup(id.String()).Layers[1].DiffID
	if _, _, code := h.run("rmi", "demo:v1"); code != 0 {
		t.Fatal("rmi failed")
	}
	if _, err := h.st.OpenBlob(context.Background(), layer); err == nil {
		t.Errorf("layer %s still stored after rmi", layer)
	}
}

// TestCommandHelp compares --help with docker 20.10's (testdata/rm/help-*.txt, recorded
// with /usr/bin/docker), "docker" being the program name.
func TestCommandHelp(t *testing.T) {
	tests := []struct {
		file string
		args []string
	}{
		{"help-rmi.txt", []string{"rmi", "--help"}},
		{"help-image-prune.txt", []string{"image", "prune", "--help"}},
		{"help-tag.txt", []string{"tag", "--help"}},
		{"help-image-tag.txt", []string{"image", "tag", "-h"}},
	}
	for _, tt := range tests {
		want, err := os.ReadFile(filepath.Join("testdata", "rm", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		h := newRmHarness(t)
		out, errs, code := h.run(tt.args...)
		if out != string(want) || errs != "" || code != 0 {
			t.Errorf("%v:\ngot  %q (stderr %q, exit %d)\nwant %q", tt.args, out, errs, code, want)
		}
	}
	// With another program name.
	var out bytes.Buffer
	env := &Env{Store: buildtest.New(), Stdout: &out, Stderr: io.Discard, Prog: "layerlab"}
	Run(context.Background(), env, []string{"rmi", "--help"})
	if !strings.Contains(out.String(), "Usage:  layerlab rmi [OPTIONS] IMAGE [IMAGE...]\n") {
		t.Errorf("help with Prog layerlab: %q", out.String())
	}
}

// TestRemoveTagUsageErrors: docker's texts for unknown flags and argument counts
// (recorded with /usr/bin/docker 20.10).
func TestRemoveTagUsageErrors(t *testing.T) {
	tests := []struct {
		args   []string
		stderr string
		exit   int
	}{
		{[]string{"rmi", "--bogus", "x"}, "unknown flag: --bogus\nSee 'docker rmi --help'.\n", 125},
		{[]string{"tag", "--bogus"}, "unknown flag: --bogus\nSee 'docker tag --help'.\n", 125},
		{[]string{"image", "prune", "--bogus"}, "unknown flag: --bogus\nSee 'docker image prune --help'.\n", 125},
		{[]string{"rmi"}, "\"docker rmi\" requires at least 1 argument.\nSee 'docker rmi --help'.\n\nUsage:  docker rmi [OPTIONS] IMAGE [IMAGE...]\n\nRemove one or more images\n", 1},
		{[]string{"tag", "busybox"}, "\"docker tag\" requires exactly 2 arguments.\nSee 'docker tag --help'.\n\nUsage:  docker tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]\n\nCreate a tag TARGET_IMAGE that refers to SOURCE_IMAGE\n", 1},
		{[]string{"image", "prune", "x"}, "\"docker image prune\" accepts no arguments.\nSee 'docker image prune --help'.\n\nUsage:  docker image prune [OPTIONS]\n\nRemove unused images\n", 1},
		{[]string{"image", "prune", "--filter", "label"}, "invalid argument \"label\" for \"--filter\" flag: bad format of filter (expected name=value)\nSee 'docker image prune --help'.\n", 125},
	}
	for _, tt := range tests {
		h := newRmHarness(t)
		out, errs, code := h.run(tt.args...)
		if out != "" || errs != tt.stderr || code != tt.exit {
			t.Errorf("%v: got stdout %q stderr %q exit %d, want stderr %q exit %d", tt.args, out, errs, code, tt.stderr, tt.exit)
		}
	}
}

// TestImageRmHelp: `image rm --help` is docker's but for the Aliases line, which the
// shared help printer words with full command names ("image remove, image rm, rmi"
// style) where cobra prints "rm, rmi, remove".
func TestImageRmHelp(t *testing.T) {
	want, err := os.ReadFile(filepath.Join("testdata", "rm", "help-image-rm.txt"))
	if err != nil {
		t.Fatal(err)
	}
	h := newRmHarness(t)
	out, _, code := h.run("image", "rm", "--help")
	dropAliases := func(s string) string {
		lines := strings.Split(s, "\n")
		var keep []string
		for i := 0; i < len(lines); i++ {
			if lines[i] == "Aliases:" {
				i += 2 // the names and the blank line after them
				continue
			}
			keep = append(keep, lines[i])
		}
		return strings.Join(keep, "\n")
	}
	if code != 0 || dropAliases(out) != dropAliases(string(want)) {
		t.Errorf("got %q\nwant %q", out, want)
	}
	if !strings.Contains(out, "Aliases:\n") {
		t.Errorf("no Aliases section: %q", out)
	}
}
