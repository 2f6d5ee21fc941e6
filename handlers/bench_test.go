package handlers

// Server time to render each page for a workspace with 1,000 images: the handler is
// called directly (httptest.NewRecorder), so the figures are the server's own work
// (store reads, the docker command the page runs, templ rendering), without the
// network. Run with
//
//	go test ./handlers -run '^$' -bench . -benchtime 2s

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"

	"layerlab/db"
	"layerlab/engine/build"
	"layerlab/engine/image"
)

// benchImages is the number of images in the benchmarks' workspace.
const benchImages = 1000

// benchLesson is the image the history and inspect pages show: a real build on a
// stand-in base, so the history page reads real layer tars (busybox's ~400 files).
const benchLesson = `FROM busybox
WORKDIR /app
COPY main.py .
RUN echo hello > /app/big.txt
RUN rm /app/big.txt
ENV PORT=8080
CMD ["python", "main.py"]
`

// benchEnv is a server over a store in b.TempDir() and one browser session whose
// workspace holds benchImages images.
type benchEnv struct {
	srv    *Server
	log    *bytes.Buffer // the server's log, shown when a page fails
	cookie *http.Cookie
	lesson string // the ref of the built image
}

func newBenchEnv(b *testing.B) *benchEnv {
	b.Helper()
	ctx := context.Background()
	st, err := db.Open(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	var log bytes.Buffer
	srv := New(Deps{Store: st, Log: slog.New(slog.NewTextHandler(&log, nil))})
	b.Cleanup(func() {
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		srv.Close(cctx)
		st.Close()
	})
	key, err := srv.sessionKey(ctx)
	if err != nil {
		b.Fatal(err)
	}
	token := newToken(key)
	ws, err := st.Workspace(ctx, workspaceName(token))
	if err != nil {
		b.Fatal(err)
	}
	e := &benchEnv{srv: srv, log: &log, cookie: &http.Cookie{Name: sessionCookie, Value: token}, lesson: "lesson:v1"}

	bctx, err := build.NewContext([]build.File{
		{Path: "Dockerfile", Data: []byte(benchLesson)},
		{Path: "main.py", Data: []byte("print('hello')\n")},
	}, "Dockerfile")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := build.New(ws, build.StandIns{}).Build(ctx, bctx, build.Options{Tags: []string{e.lesson}}); err != nil {
		b.Fatalf("build the lesson: %v", err)
	}
	n := benchImages - benchCount(b, ws)
	benchSeed(b, ws, n)
	if got := benchCount(b, ws); got != benchImages {
		b.Fatalf("the workspace has %d images, want %d", got, benchImages)
	}
	// The first visit to the playground loads the lesson's example into the context;
	// do it here, outside the timings.
	e.get(b, "/")
	return e
}

func benchCount(b *testing.B, ws *db.Workspace) int {
	b.Helper()
	imgs, err := ws.Images(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	return len(imgs)
}

// benchSeed stores n images directly (as db's fillImages does, without builds): chains
// of 10, each image a step on the previous one with a small layer (a real tar) and a
// history row; every image is tagged but one chain head in two, which is dangling, so
// `docker image ls` lists them all. Ten layer blobs are shared by all chains.
func benchSeed(b *testing.B, ws *db.Workspace, n int) {
	b.Helper()
	ctx := context.Background()
	const chainLen = 10
	var layers []image.Layer
	for k := range chainLen {
		blob := benchTar(b, map[string]string{fmt.Sprintf("app/step%d.txt", k): strings.Repeat(fmt.Sprintf("step %d\n", k), 100*(k+1))})
		d, size, err := ws.PutBlob(ctx, "", bytes.NewReader(blob))
		if err != nil {
			b.Fatal(err)
		}
		layers = append(layers, image.Layer{DiffID: d, Size: size})
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var parent *image.Record
	for i := range n {
		c, k := i/chainLen, i%chainLen
		if k == 0 {
			parent = nil
		}
		created := base.Add(time.Duration(i) * time.Second)
		rec := benchRecord(b, parent, fmt.Sprintf("/bin/sh -c echo chain %d step %d > /app/step%d.txt", c, k, k), created, layers[k])
		if err := ws.PutImage(ctx, rec); err != nil {
			b.Fatal(err)
		}
		if k < chainLen-1 || c%2 == 0 {
			ref, err := image.ParseRef(fmt.Sprintf("bench/app%d:step%d", c, k))
			if err != nil {
				b.Fatal(err)
			}
			if err := ws.Tag(ctx, ref, rec.ID); err != nil {
				b.Fatal(err)
			}
		}
		parent = rec
	}
}

// benchRecord is the record of a RUN step on parent (nil: a base image) that added layer.
func benchRecord(b *testing.B, parent *image.Record, createdBy string, created time.Time, layer image.Layer) *image.Record {
	b.Helper()
	img := &image.Image{
		Created:         created,
		Architecture:    "amd64",
		OS:              "linux",
		DockerVersion:   image.DockerVersion,
		Config:          &image.ContainerConfig{Cmd: []string{"/bin/sh"}, Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}, WorkingDir: "/app"},
		ContainerConfig: &image.ContainerConfig{Cmd: []string{"/bin/sh", "-c", createdBy}, Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}},
		RootFS:          image.RootFS{Type: "layers"},
	}
	var all []image.Layer
	var pid digest.Digest
	if parent != nil {
		pid = parent.ID
		img.Parent = parent.ID
		all = append(all, parent.Layers...)
		pimg, err := parent.ConfigFile(context.Background())
		if err != nil {
			b.Fatalf("read config of %s: %v", parent.ID, err)
		}
		img.History = append(img.History, pimg.History...)
	}
	all = append(all, layer)
	for _, l := range all {
		img.RootFS.DiffIDs = append(img.RootFS.DiffIDs, l.DiffID)
	}
	img.History = append(img.History, image.History{Created: created, CreatedBy: createdBy})
	raw, id, err := img.Encode()
	if err != nil {
		b.Fatal(err)
	}
	return &image.Record{ID: id, Config: raw, Image: img, Parent: pid, Layers: all, Created: created,
		CacheKey: img.ContainerConfig.CacheKey(),
		Build:    &image.StepInfo{Instruction: "RUN " + createdBy, Keyword: "RUN", Line: 2}}
}

// benchTar is a layer tar holding files (path -> content).
func benchTar(b *testing.B, files map[string]string) []byte {
	b.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for p, c := range files {
		if err := tw.WriteHeader(&tar.Header{Name: p, Mode: 0o644, Size: int64(len(c)), Typeflag: tar.TypeReg,
			ModTime: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
			b.Fatal(err)
		}
		if _, err := io.WriteString(tw, c); err != nil {
			b.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// get serves one GET of path as the session's browser and returns the body; anything
// but 200 fails the benchmark.
func (e *benchEnv) get(b *testing.B, path string) []byte {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.AddCookie(e.cookie)
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("GET %s: status %d; server log:\n%s", path, rec.Code, e.log.String())
	}
	return rec.Body.Bytes()
}

// benchPage times GET path; want is checked once, on the first answer, and the page's
// size is reported (B/op of the response: SetBytes).
func benchPage(b *testing.B, e *benchEnv, path string, want func(body string) error) {
	b.Helper()
	body := e.get(b, path)
	if err := want(string(body)); err != nil {
		b.Fatalf("GET %s: %v", path, err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		e.get(b, path)
	}
}

func benchContains(subs ...string) func(string) error {
	return func(body string) error {
		for _, s := range subs {
			if !strings.Contains(body, s) {
				return fmt.Errorf("the page has no %q", s)
			}
		}
		return nil
	}
}

// BenchmarkPlaygroundPage is GET / (the editor, the file tree, the last builds).
func BenchmarkPlaygroundPage(b *testing.B) {
	e := newBenchEnv(b)
	benchPage(b, e, "/", benchContains(`name="csrf-token"`, "Dockerfile"))
}

// BenchmarkImagesPage1000 is GET /images with 1,000 images in the workspace: the
// default list (`docker image ls`: all but the lesson build's few intermediate images)
// and ?all=1 (`docker image ls -a`: every one).
func BenchmarkImagesPage1000(b *testing.B) {
	e := newBenchEnv(b)
	rows := func(min int) func(string) error {
		return func(body string) error {
			if n := strings.Count(body, `data-testid="image-row"`); n < min || n > benchImages {
				return fmt.Errorf("%d image rows, want %d to %d", n, min, benchImages)
			}
			return nil
		}
	}
	b.Run("default", func(b *testing.B) { benchPage(b, e, "/images", rows(benchImages-10)) })
	b.Run("all", func(b *testing.B) { benchPage(b, e, "/images?all=1", rows(benchImages)) })
}

// BenchmarkHistoryPage is the history page of the lesson image (7 steps on busybox:
// `docker history`, and every layer's files read from its tar), among 1,000 images.
func BenchmarkHistoryPage(b *testing.B) {
	e := newBenchEnv(b)
	benchPage(b, e, "/images/history?ref="+e.lesson, func(body string) error {
		if n := strings.Count(body, `data-testid="layer-row"`); n < 7 {
			return fmt.Errorf("%d layer rows, want at least 7", n)
		}
		if strings.Contains(body, "could not be read") {
			return fmt.Errorf("the layers were not analysed")
		}
		return nil
	})
}

// BenchmarkInspectPage is the inspect page of the lesson image, among 1,000 images.
func BenchmarkInspectPage(b *testing.B) {
	e := newBenchEnv(b)
	benchPage(b, e, "/images/inspect?ref="+e.lesson, benchContains("RootFS", "sha256:"))
}
