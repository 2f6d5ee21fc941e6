package commands

import (
	"bytes"
	"context"
	stdflag "flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"layerlab/engine/build"
	"layerlab/engine/build/buildtest"
	"layerlab/engine/image"
)

var update = stdflag.Bool("update", false, "rewrite the golden files under testdata/")

// TestUpdateFlagIsOff fails while -update is set, so a run that rewrote the golden
// files (and so compared nothing) never passes as a real test run.
func TestUpdateFlagIsOff(t *testing.T) {
	if *update {
		t.Fatal("-update is set: golden files were rewritten; review the diff and run again without -update")
	}
}

// The recordings in testdata/conformance/texts were made in this situation: busybox:local
// imported at 10:25:08, the demo images built right after, the oracle-texts images at
// 10:50:35-36, the commands run a second or two later.
var (
	baseTime   = time.Date(2026, 11, 27, 10, 25, 8, 0, time.UTC)
	oracleTime = time.Date(2026, 11, 27, 10, 50, 35, 0, time.UTC)
)

// oracleDockerfile is the recordings' classic build (01-build-classic-output.txt).
const oracleDockerfile = `FROM busybox:local
ENV A=1 B=two
WORKDIR /app
COPY app.txt .
RUN echo built > /built.txt
LABEL org.example.k=v
CMD ["cat", "/built.txt"]
`

// scene is an in-memory store, a builder with a controlled clock, and a command runner.
type scene struct {
	t     *testing.T
	st    *buildtest.Store
	b     *build.Builder
	clock time.Time
	now   time.Time // the commands' clock
}

func newScene(t *testing.T) *scene {
	t.Helper()
	s := &scene{t: t, st: buildtest.New(), clock: baseTime}
	s.b = build.New(s.st, build.StandIns{})
	// Each step a millisecond after the last: distinct times, the same second.
	s.b.Now = func() time.Time { s.clock = s.clock.Add(time.Millisecond); return s.clock }
	s.st.Now = func() time.Time { return s.clock }
	s.importBase()
	return s
}

// importBase makes busybox:local as the recordings had it: one layer (the busybox
// stand-in's), one history row "Imported from -", created at baseTime.
func (s *scene) importBase() {
	ctx := context.Background()
	ref, _ := image.ParseRef("busybox:1.36.1")
	pulled, _, err := build.StandIns{}.Pull(ctx, s.st, ref)
	if err != nil {
		s.t.Fatal(err)
	}
	if len(pulled.Layers) != 1 {
		s.t.Fatalf("busybox stand-in has %d layers, want 1", len(pulled.Layers))
	}
	src, err := pulled.ConfigFile(ctx)
	if err != nil {
		s.t.Fatalf("read config of %s: %v", pulled.ID, err)
	}
	img := &image.Image{
		Created:      baseTime,
		Config:       src.Config.Clone(),
		Architecture: src.Architecture,
		OS:           src.OS,
		RootFS:       image.RootFS{Type: "layers", DiffIDs: pulled.DiffIDs()},
		History:      []image.History{{Created: baseTime, Comment: "Imported from -"}},
		Comment:      "Imported from -",
	}
	raw, id, err := img.Encode()
	if err != nil {
		s.t.Fatal(err)
	}
	// The layer keeps layerlab's own size for it (see standInBaseLayer), so every size
	// the commands print is layerlab's figure, and a change in the stand-in shows.
	layers := append([]image.Layer(nil), pulled.Layers...)
	if layers[0].Size != standInBaseLayer {
		s.t.Fatalf("busybox stand-in layer is %d bytes, want %d: update standInBaseLayer and baseLayerFigures if the change is deliberate",
			layers[0].Size, standInBaseLayer)
	}
	rec := &image.Record{ID: id, Config: raw, Image: img, Layers: layers, Created: baseTime,
		Build: &image.StepInfo{Keyword: "FROM", StandIn: pulled.Build.StandIn}}
	if err := s.st.PutImage(ctx, rec); err != nil {
		s.t.Fatal(err)
	}
	for _, tg := range s.st.Tags(pulled.ID) {
		r, _ := image.ParseRef(tg)
		if _, err := s.st.Untag(ctx, r); err != nil {
			s.t.Fatal(err)
		}
	}
	if err := s.st.DeleteImage(ctx, pulled.ID); err != nil {
		s.t.Fatal(err)
	}
	s.tag("busybox:local", id.String())
}

// at sets the build clock.
func (s *scene) at(t time.Time) { s.clock = t }

// build runs a classic build of dockerfile with the given context files and tags.
func (s *scene) build(dockerfile string, files map[string]string, tags ...string) *build.Result {
	s.t.Helper()
	fs := []build.File{{Path: "Dockerfile", Data: []byte(dockerfile)}}
	for p, d := range files {
		fs = append(fs, build.File{Path: p, Data: []byte(d)})
	}
	c, err := build.NewContext(fs, "")
	if err != nil {
		s.t.Fatal(err)
	}
	res, err := s.b.Build(context.Background(), c, build.Options{Tags: tags})
	if err != nil {
		s.t.Fatalf("build: %v", err)
	}
	return res
}

// tag points ref at the image named by src.
func (s *scene) tag(ref, src string) {
	s.t.Helper()
	rec, err := s.st.Lookup(context.Background(), src)
	if err != nil {
		s.t.Fatal(err)
	}
	r, err := image.ParseRef(ref)
	if err != nil {
		s.t.Fatal(err)
	}
	if err := s.st.Tag(context.Background(), r, rec.ID); err != nil {
		s.t.Fatal(err)
	}
}

// run runs one command line and returns its stdout, stderr and exit status.
func (s *scene) run(args ...string) (string, string, int) {
	var out, errb bytes.Buffer
	env := &Env{Store: s.st, Stdout: &out, Stderr: &errb, Prog: "docker", Now: func() time.Time { return s.now }}
	code, err := Run(context.Background(), env, args)
	checkRun(s.t, args, code, err, errb.String())
	return out.String(), errb.String(), code
}

// The busybox:local layer: Docker's size in the recordings, and layerlab's own figure,
// the busybox stand-in's layer as layerlab computes it. The stand-in's regular files
// add up to Docker's 1982312 bytes; its 270 applet symlinks (target "busybox") add 7
// bytes each, counted as Docker's DiffSize counts a symlink, so 1890 bytes more.
const (
	dockerBaseLayer  = 1982312
	standInBaseLayer = 1984202
)

// baseLayerFigures are the figures in the recordings that count Docker's busybox:local
// layer, each with layerlab's figure for the same image (the stand-in's layer in its
// place). readRecording puts layerlab's figure in, so every other size still has to
// equal Docker's, and these have to equal layerlab's.
var baseLayerFigures = []struct{ docker, layerlab, what string }{
	{"1982312", "1984202", "the base layer alone (history -H=false, 20)"},
	{"1982322", "1984212", "oracle-texts:v1: the base layer, COPY's 4 bytes and RUN's 6 (inspect's Size and VirtualSize, 33)"},
	{"1.982MB", "1.984MB", "an image of the base layer and a few bytes, four digits (image ls's VirtualSize, 17)"},
}

// withLayerlabFigures replaces, in a recorded text, each figure of baseLayerFigures
// (whole figures only: "1982312" inside another number or an ID stays) by layerlab's.
func withLayerlabFigures(s string) string {
	for _, f := range baseLayerFigures {
		s = wholeFigure(f.docker).ReplaceAllString(s, "${1}"+f.layerlab+"${2}")
	}
	return s
}

// wholeFigure matches figure with what surrounds it, when that is not part of a longer
// number, word or ID.
func wholeFigure(figure string) *regexp.Regexp {
	return regexp.MustCompile(`(^|[^0-9A-Za-z.])` + regexp.QuoteMeta(figure) + `($|[^0-9A-Za-z.])`)
}

// recording is one file of testdata/conformance/texts, its base-layer figures
// replaced by layerlab's (withLayerlabFigures).
type recording struct {
	command        string
	stdout, stderr string
	exit           int
}

func readRecording(t *testing.T, name string) recording {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "conformance", "texts", name))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	var r recording
	r.command = strings.TrimPrefix(strings.SplitN(s, "\n", 2)[0], "$ ")
	_, rest, _ := strings.Cut(s, "--- stdout ---\n")
	r.stdout, rest, _ = strings.Cut(rest, "--- stderr ---\n")
	r.stderr, rest, _ = strings.Cut(rest, "--- exit ")
	if _, err := fmtSscan(rest, &r.exit); err != nil {
		t.Fatalf("%s: exit: %v", name, err)
	}
	r.stdout, r.stderr = withLayerlabFigures(r.stdout), withLayerlabFigures(r.stderr)
	return r
}

var (
	longID  = regexp.MustCompile(`sha256:[0-9a-f]{64}`)
	shortID = regexp.MustCompile(`\b[0-9a-f]{12}\b`)
)

// normalizeIDs replaces image IDs (which embed creation times, so never repeat) by
// placeholders of the same width, keeping the columns as they were.
func normalizeIDs(s string) string {
	s = longID.ReplaceAllString(s, "sha256:"+strings.Repeat("x", 64))
	return shortID.ReplaceAllString(s, strings.Repeat("x", 12))
}

// golden compares got with testdata/name. With -update it only rewrites the file:
// comparing the file with what was just written to it would check nothing
// (TestUpdateFlagIsOff fails that run instead).
func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n--- got\n%s--- want\n%s", name, got, want)
	}
}

func fmtSscan(s string, v *int) (int, error) { return fmt.Sscan(s, v) }

// oracleScene is the store the recordings 05-35 were made against (see the comments in
// index.json): demo images 25 minutes old, oracle-texts built a second or two before.
func oracleScene(t *testing.T) *scene {
	s := newScene(t)
	demo := "FROM busybox:local\nENV X=1\nRUN echo a > /a.txt\nLABEL a=b\nWORKDIR /w\nCMD [\"sh\"]\n"
	s.at(baseTime.Add(time.Second))
	s.build(demo, nil, "demo:v1")
	s.at(baseTime.Add(2 * time.Second))
	s.build(strings.Replace(demo, "X=1", "X=2", 1), nil, "demo:v1") // the first demo:v1 dangles
	s.at(baseTime.Add(3 * time.Second))
	s.build("FROM busybox:local\nLABEL bk=1\n", nil, "demo:bk")
	s.at(oracleTime)
	s.build(oracleDockerfile, map[string]string{"app.txt": "app\n"}, "oracle-texts:v1")
	s.at(oracleTime.Add(time.Second))
	s.tag("oracle-texts:alias", "oracle-texts:v1")
	s.build("FROM busybox:local\nLABEL d=1\n", nil, "oracle-texts-dangle")
	s.build("FROM busybox:local\nLABEL d=2\n", nil, "oracle-texts-dangle") // d=1 dangles
	s.build("FROM busybox:local\nLABEL role=parent\n", nil, "oracle-texts-parent:v1")
	s.build("FROM oracle-texts-parent:v1\nLABEL role=child\n", nil, "oracle-texts-child:v1")
	s.build("FROM busybox:local\nLABEL bk=oracle\n", nil, "oracle-texts-bk:v1")
	return s
}

// sameTable compares a table with a recorded one: the header line exactly, and the rows
// as a multiset (Docker orders images created in the same second at random), all with
// IDs normalised. Column widths are compared too, since every line is.
func sameTable(t *testing.T, got, want string) {
	t.Helper()
	g := strings.Split(normalizeIDs(got), "\n")
	w := strings.Split(normalizeIDs(want), "\n")
	if len(g) == 0 || len(w) == 0 || g[0] != w[0] {
		t.Errorf("header:\n got %q\nwant %q", first(g), first(w))
	}
	sort.Strings(g)
	sort.Strings(w)
	if strings.Join(g, "\n") != strings.Join(w, "\n") {
		t.Errorf("rows differ:\n--- got\n%s--- want\n%s", got, want)
	}
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// minRecordedTexts counts the recorded command texts, testdata/conformance/texts/01-54.
const minRecordedTexts = 54

// TestBaseLayerFiguresAreRecorded keeps baseLayerFigures true: each Docker figure it
// replaces occurs in some recording, so a row that no longer does is removed.
func TestBaseLayerFiguresAreRecorded(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "conformance", "texts", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < minRecordedTexts {
		t.Fatalf("%d recorded texts in testdata/conformance/texts, want at least %d", len(files), minRecordedTexts)
	}
	var all strings.Builder
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
	}
	for _, f := range baseLayerFigures {
		if !wholeFigure(f.docker).MatchString(all.String()) {
			t.Errorf("no recording holds %s (%s): remove it from baseLayerFigures", f.docker, f.what)
		}
	}
}
