package remote

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"testing"

	digest "github.com/opencontainers/go-digest"

	"layerlab/db"
)

// countingStore counts the reads of each stored blob: a push reads a layer only to
// compress it.
type countingStore struct {
	*db.Workspace
	mu    sync.Mutex
	opens map[digest.Digest]int
}

func newCountingStore(ws *db.Workspace) *countingStore {
	return &countingStore{Workspace: ws, opens: map[digest.Digest]int{}}
}

func (c *countingStore) OpenBlob(ctx context.Context, d digest.Digest) (io.ReadCloser, error) {
	c.mu.Lock()
	c.opens[d]++
	c.mu.Unlock()
	return c.Workspace.OpenBlob(ctx, d)
}

func (c *countingStore) count(d digest.Digest) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.opens[d]
}

// countingRegistry is a memRegistry that records what it is asked, and fails uploads
// on demand.
type countingRegistry struct {
	*memRegistry
	mu    sync.Mutex
	stats []digest.Digest
	puts  []digest.Digest
	fail  func(d digest.Digest) error
}

func newCountingRegistry() *countingRegistry {
	return &countingRegistry{memRegistry: newMemRegistry()}
}

func (r *countingRegistry) StatBlob(ctx context.Context, repo string, d digest.Digest) (int64, error) {
	r.mu.Lock()
	r.stats = append(r.stats, d)
	r.mu.Unlock()
	return r.memRegistry.StatBlob(ctx, repo, d)
}

func (r *countingRegistry) PutBlob(ctx context.Context, repo string, d digest.Digest, size int64, open func() (io.ReadCloser, error)) error {
	r.mu.Lock()
	r.puts = append(r.puts, d)
	fail := r.fail
	r.mu.Unlock()
	if fail != nil {
		if err := fail(d); err != nil {
			return err
		}
	}
	return r.memRegistry.PutBlob(ctx, repo, d, size, open)
}

func (r *countingRegistry) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stats, r.puts = nil, nil
}

// openStoreDB is openStore with the store itself, for the hub in process.
func openStoreDB(t *testing.T) (*db.Store, *db.Workspace) {
	t.Helper()
	ctx := context.Background()
	s, err := db.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ws, err := s.Workspace(ctx, db.DefaultWorkspace)
	if err != nil {
		t.Fatal(err)
	}
	return s, ws
}

// manifestLayers is what the registry's manifest says of the layers.
func manifestLayers(t *testing.T, reg Registry, repo, tag string) []Descriptor {
	t.Helper()
	m, err := reg.Manifest(context.Background(), repo, tag)
	if err != nil {
		t.Fatal(err)
	}
	var im ImageManifest
	if err := json.Unmarshal(m.Raw, &im); err != nil {
		t.Fatal(err)
	}
	return im.Layers
}

// A push to an empty registry gzips each layer once; the push after it reads no
// layer at all: the recorded digests are asked for, and found.
func TestPushGzipsOnce(t *testing.T) {
	ctx := context.Background()
	ws := openStore(t)
	ref := mustRef(t, "127.0.0.1:5000/team/app:1")
	id := buildImage(t, ws, "FROM busybox\nCOPY app.txt /app/\nRUN echo hi > /hi.txt\n", ref.Familiar())
	rec, err := ws.Image(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	st := newCountingStore(ws)
	reg := newCountingRegistry()
	var out bytes.Buffer
	res, err := Push(ctx, st, reg, ref, PushOptions{Out: &out})
	if err != nil || res.Pushed != 3 {
		t.Fatalf("push: %+v %v\n%s", res, err, out.String())
	}
	layers := manifestLayers(t, reg, "team/app", "1")
	for i, l := range rec.Layers {
		if n := st.count(l.DiffID); n != 1 {
			t.Errorf("layer %d read %d times by the first push, want 1", i, n)
		}
		d, n, err := ws.LayerGzip(ctx, l.DiffID)
		if err != nil || d != layers[i].Digest || n != layers[i].Size {
			t.Errorf("layer %d: recorded %q %d (%v), pushed %+v", i, d, n, err, layers[i])
		}
	}

	reg.reset()
	out.Reset()
	again, err := Push(ctx, st, reg, ref, PushOptions{Out: &out})
	if err != nil || again.Existing != 3 || again.Digest != res.Digest {
		t.Fatalf("second push: %+v %v", again, err)
	}
	if strings.Count(out.String(), ": Layer already exists\n") != 3 {
		t.Errorf("second push printed\n%s", out.String())
	}
	for i, l := range rec.Layers {
		if n := st.count(l.DiffID); n != 1 {
			t.Errorf("layer %d read %d times by both pushes, want 1", i, n)
		}
	}
	// The second push asked for exactly the recorded blobs and the config, and sent
	// nothing.
	asked := map[digest.Digest]bool{}
	for _, d := range reg.stats {
		asked[d] = true
	}
	for i, l := range layers {
		if !asked[l.Digest] {
			t.Errorf("layer %d: %s not asked for", i, l.Digest)
		}
	}
	if len(reg.stats) != len(layers)+1 || len(reg.puts) != 0 {
		t.Errorf("second push asked for %v and sent %v", reg.stats, reg.puts)
	}

	// Another empty registry: the recorded digests are not there, so each layer is
	// gzipped (once) and sent; the same bytes, so the same manifest.
	st2 := newCountingStore(ws)
	reg2 := newCountingRegistry()
	third, err := Push(ctx, st2, reg2, ref, PushOptions{})
	if err != nil || third.Pushed != 3 || third.Digest != res.Digest {
		t.Fatalf("push to another registry: %+v %v", third, err)
	}
	for i, l := range rec.Layers {
		if n := st2.count(l.DiffID); n != 1 {
			t.Errorf("layer %d read %d times, want 1", i, n)
		}
	}
}

// Over HTTP (go-containerregistry's client and registry): the same.
func TestHTTPPushGzipsOnce(t *testing.T) {
	ctx := context.Background()
	addr := serveRegistry(t, "", "")
	ws := openStore(t)
	ref := mustRef(t, addr+"/team/app:1")
	id := buildImage(t, ws, "FROM busybox\nCOPY app.txt /app/\n", ref.Familiar())
	rec, _ := ws.Image(ctx, id)
	reg, err := NewHTTP(addr, Credential{})
	if err != nil {
		t.Fatal(err)
	}
	st := newCountingStore(ws)
	for i, want := range []string{": Pushed\n", ": Layer already exists\n"} {
		var out bytes.Buffer
		if _, err := Push(ctx, st, reg, ref, PushOptions{Out: &out}); err != nil || strings.Count(out.String(), want) != 2 {
			t.Fatalf("push %d: %v\n%s", i+1, err, out.String())
		}
	}
	for i, l := range rec.Layers {
		if n := st.count(l.DiffID); n != 1 {
			t.Errorf("layer %d read %d times by two pushes, want 1", i, n)
		}
	}
	if ents, err := os.ReadDir(ws.Store().Dir() + "/blobs/tmp"); err != nil || len(ents) != 0 {
		t.Errorf("scratch files left: %v %v", ents, err)
	}
}

// Into the hub in process: each layer is gzipped once, straight into the store; a
// second push reads nothing; a push of the same layers to another repository links
// them. What the hub holds pulls back as the same image.
func TestHubPushGzipsOnce(t *testing.T) {
	ctx := context.Background()
	s, ws := openStoreDB(t)
	id := buildImage(t, ws, "FROM busybox\nCOPY app.txt /app/\nRUN echo hi > /hi.txt\n", "demo:v1")
	rec, _ := ws.Image(ctx, id)
	if err := ws.Tag(ctx, mustRef(t, "other:v1"), id); err != nil {
		t.Fatal(err)
	}
	hub := &Hub{Store: s, Namespace: "ns"}
	st := newCountingStore(ws)

	var out bytes.Buffer
	var c collect
	res, err := Push(ctx, st, hub, mustRef(t, "demo:v1"), PushOptions{Out: &out, Progress: c.add})
	if err != nil || res.Pushed != 3 {
		t.Fatalf("push: %+v %v\n%s", res, err, out.String())
	}
	if got := c.lines(); got != out.String() {
		t.Errorf("messages without bars:\n%s\nprinted:\n%s", got, out.String())
	}
	if totals := checkBars(t, c.msgs, "Pushing", map[string]bool{"Pushed": true}); len(totals) != 3 {
		t.Errorf("bars for %d layers, want 3", len(totals))
	}
	layers := manifestLayers(t, hub, "library/demo", "v1")
	for i, l := range rec.Layers {
		if n := st.count(l.DiffID); n != 1 {
			t.Errorf("layer %d read %d times, want 1", i, n)
		}
		if d, n, _ := ws.LayerGzip(ctx, l.DiffID); d != layers[i].Digest || n != layers[i].Size {
			t.Errorf("layer %d: recorded %q %d, pushed %+v", i, d, n, layers[i])
		}
		// The blob is layerlab's gzip of the layer, as an HTTP push would send it.
		tarball, _ := ws.OpenBlob(ctx, l.DiffID)
		var z bytes.Buffer
		Compress(&z, tarball)
		tarball.Close()
		if digest.FromBytes(z.Bytes()) != layers[i].Digest {
			t.Errorf("layer %d: the hub holds %s, Compress gives %s", i, layers[i].Digest, digest.FromBytes(z.Bytes()))
		}
	}

	out.Reset()
	again, err := Push(ctx, st, hub, mustRef(t, "demo:v1"), PushOptions{Out: &out})
	if err != nil || again.Existing != 3 || again.Digest != res.Digest || strings.Count(out.String(), ": Layer already exists\n") != 3 {
		t.Fatalf("second push: %+v %v\n%s", again, err, out.String())
	}
	out.Reset()
	other, err := Push(ctx, st, hub, mustRef(t, "other:v1"), PushOptions{Out: &out})
	if err != nil || other.Pushed != 3 || strings.Count(out.String(), ": Pushed\n") != 3 {
		t.Fatalf("push to another repository: %+v %v\n%s", other, err, out.String())
	}
	for i, l := range rec.Layers {
		if n := st.count(l.DiffID); n != 1 {
			t.Errorf("layer %d read %d times by three pushes, want 1", i, n)
		}
		if _, err := s.HubBlob(ctx, "ns/other", layers[i].Digest); err != nil {
			t.Errorf("layer %d not in ns/other: %v", i, err)
		}
	}

	// Pulled back into an empty store (every digest and diff_id checked): the image.
	ws2 := openStore(t)
	pulled, err := Pull(ctx, ws2, &Hub{Store: s, Namespace: "ns"}, mustRef(t, "other:v1"), PullOptions{})
	if err != nil || pulled.ID != id {
		t.Fatalf("pull: %+v %v", pulled, err)
	}
}

// A failed upload records nothing; the next push gzips and sends the layer.
func TestPushFailedUploadRecordsNothing(t *testing.T) {
	ctx := context.Background()
	ws := openStore(t)
	ref := mustRef(t, "127.0.0.1:5000/team/app:1")
	id := buildImage(t, ws, "FROM busybox\nRUN echo hi > /hi.txt\n", ref.Familiar())
	rec, _ := ws.Image(ctx, id)
	reg := newCountingRegistry()
	reg.fail = func(d digest.Digest) error { return errors.New("the disk is full") }
	if _, err := Push(ctx, ws, reg, ref, PushOptions{}); err == nil || !strings.Contains(err.Error(), "the disk is full") {
		t.Fatalf("push: %v", err)
	}
	for i, l := range rec.Layers {
		if d, _, err := ws.LayerGzip(ctx, l.DiffID); d != "" || err != nil {
			t.Errorf("layer %d: a failed push recorded %q (%v)", i, d, err)
		}
	}
	if len(reg.manifests) != 0 {
		t.Error("a failed push wrote a manifest")
	}

	reg.fail = nil
	st := newCountingStore(ws)
	if res, err := Push(ctx, st, reg, ref, PushOptions{}); err != nil || res.Pushed != 2 {
		t.Fatalf("push after the failure: %+v %v", res, err)
	}
	for i, l := range rec.Layers {
		if d, _, _ := ws.LayerGzip(ctx, l.DiffID); d == "" || st.count(l.DiffID) != 1 {
			t.Errorf("layer %d: recorded %q, read %d times", i, d, st.count(l.DiffID))
		}
	}
}

// A stored layer that no longer hashes to its diffID is not pushed, into a registry or
// into the hub, and nothing is recorded for it.
func TestPushDamagedLayer(t *testing.T) {
	ctx := context.Background()
	s, ws := openStoreDB(t)
	id := buildImage(t, ws, "FROM busybox\nCOPY app.txt /app/\n", "demo:v1")
	if err := ws.Tag(ctx, mustRef(t, "127.0.0.1:5000/team/app:1"), id); err != nil {
		t.Fatal(err)
	}
	rec, _ := ws.Image(ctx, id)
	top := rec.Layers[len(rec.Layers)-1].DiffID
	path := ws.BlobPath(top)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 1
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	hub := &Hub{Store: s, Namespace: "ns"}
	for _, tc := range []struct {
		reg Registry
		ref string
	}{{newMemRegistry(), "127.0.0.1:5000/team/app:1"}, {hub, "demo:v1"}} {
		_, err := Push(ctx, ws, tc.reg, mustRef(t, tc.ref), PushOptions{})
		if err == nil || !strings.HasPrefix(err.Error(), "stored layer "+top.String()+" is damaged: it hashes to sha256:") {
			t.Errorf("push to %T: %v", tc.reg, err)
		}
		if d, _, _ := ws.LayerGzip(ctx, top); d != "" {
			t.Errorf("push to %T recorded %s for the damaged layer", tc.reg, d)
		}
	}
	if _, err := s.HubManifest(ctx, "ns/demo", "v1"); err == nil {
		t.Error("the hub took a manifest")
	}
}

// A layer pulled from a registry keeps the digest it was pulled with; pushing it where
// that blob is missing gzips it the layerlab way and records that apart.
func TestPushPulledLayerKeepsItsDigest(t *testing.T) {
	ctx := context.Background()
	big := make([]byte, 200_000)
	rand.Read(big)
	tb := mkTar(t, tf{name: "a.bin", body: big})
	ti := newTestImage(t, tb)
	// The registry's gzip is not layerlab's: another level.
	var z bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
	zw.Write(tb)
	zw.Close()
	ti.blobs[0] = z.Bytes()
	ti.layers[0] = Descriptor{MediaType: MediaDockerLayer, Size: int64(z.Len()), Digest: digest.FromBytes(z.Bytes())}
	src := newMemRegistry()
	ti.publish(t, src, "team/app", "1")
	ws := openStore(t)
	ref := mustRef(t, "127.0.0.1:5000/team/app:1")
	pulled, err := Pull(ctx, ws, src, ref, PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pulledDigest := ti.layers[0].Digest

	dst := newCountingRegistry()
	if res, err := Push(ctx, ws, dst, ref, PushOptions{}); err != nil || res.Pushed != 1 {
		t.Fatalf("push: %+v %v", res, err)
	}
	ours := digest.FromBytes(gz(t, tb))
	if dst.puts[0] != ours || ours == pulledDigest {
		t.Fatalf("pushed %v, layerlab's gzip is %s, pulled %s", dst.puts, ours, pulledDigest)
	}
	rec, _ := ws.Image(ctx, pulled.ID)
	if rec.Layers[0].Digest != pulledDigest {
		t.Errorf("the pulled digest became %s", rec.Layers[0].Digest)
	}
	if d, _, _ := ws.LayerGzip(ctx, rec.Layers[0].DiffID); d != ours {
		t.Errorf("recorded %q, want %s", d, ours)
	}
	// Back to where it came from: found under the digest it was pulled with.
	var out bytes.Buffer
	res, err := Push(ctx, ws, src, ref, PushOptions{Out: &out})
	if err != nil || res.Existing != 1 {
		t.Fatalf("push back: %+v %v", res, err)
	}
	if layers := manifestLayers(t, src, "team/app", "1"); layers[0].Digest != pulledDigest {
		t.Errorf("pushed back as %s, pulled as %s", layers[0].Digest, pulledDigest)
	}
}

// A record whose size the registry contradicts is not trusted: the layer is gzipped
// again, and the record set right.
func TestPushRecordSizeMismatch(t *testing.T) {
	ctx := context.Background()
	ws := openStore(t)
	ref := mustRef(t, "127.0.0.1:5000/team/app:1")
	id := buildImage(t, ws, "FROM busybox\n", ref.Familiar())
	rec, _ := ws.Image(ctx, id)
	reg := newMemRegistry()
	if _, err := Push(ctx, ws, reg, ref, PushOptions{}); err != nil {
		t.Fatal(err)
	}
	l := rec.Layers[0]
	d, n, _ := ws.LayerGzip(ctx, l.DiffID)
	if err := ws.SetLayerGzip(ctx, l.DiffID, d, n+1); err != nil {
		t.Fatal(err)
	}
	st := newCountingStore(ws)
	res, err := Push(ctx, st, reg, ref, PushOptions{})
	if err != nil || res.Existing != 1 || st.count(l.DiffID) != 1 {
		t.Fatalf("push: %+v %v, read %d times", res, err, st.count(l.DiffID))
	}
	if d2, n2, _ := ws.LayerGzip(ctx, l.DiffID); d2 != d || n2 != n {
		t.Errorf("record %q %d, want %q %d", d2, n2, d, n)
	}
}

// plainStore is a Store and nothing more: no gzip records, no scratch files.
type plainStore struct{ Store }

// Pushing into the hub gives the same manifest as pushing the image to any other
// registry, with or without records: the hub's blobs are Compress's bytes.
func TestHubPushSameDigests(t *testing.T) {
	ctx := context.Background()
	s, ws := openStoreDB(t)
	id := buildImage(t, ws, "FROM alpine:3.20\nCOPY app.txt /app/\n", "demo:v1")
	if err := ws.Tag(ctx, mustRef(t, "127.0.0.1:5000/ns/demo:v1"), id); err != nil {
		t.Fatal(err)
	}
	viaReg, err := Push(ctx, plainStore{ws}, newMemRegistry(), mustRef(t, "127.0.0.1:5000/ns/demo:v1"), PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	viaHub, err := Push(ctx, plainStore{ws}, &Hub{Store: s, Namespace: "ns"}, mustRef(t, "demo:v1"), PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if viaHub.Digest != viaReg.Digest {
		t.Errorf("hub manifest %s, registry manifest %s", viaHub.Digest, viaReg.Digest)
	}
	// With records (none yet), into another hub repository: the same again.
	if err := ws.Tag(ctx, mustRef(t, "again:v1"), id); err != nil {
		t.Fatal(err)
	}
	recorded, err := Push(ctx, ws, &Hub{Store: s, Namespace: "ns"}, mustRef(t, "again:v1"), PushOptions{})
	if err != nil || recorded.Digest != viaReg.Digest {
		t.Errorf("push with records: %+v %v, want manifest %s", recorded, err, viaReg.Digest)
	}
}

// An image pulled from the hub's library/ pushed into a namespace: its layers are
// linked from the blobs the hub holds, read by nobody.
func TestHubPushLinksPulledLayers(t *testing.T) {
	ctx := context.Background()
	s, ws := openStoreDB(t)
	hub := &Hub{Store: s, Namespace: "ns"}
	pulled, err := Pull(ctx, ws, hub, mustRef(t, "alpine:3.20"), PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.Tag(ctx, mustRef(t, "mine:v1"), pulled.ID); err != nil {
		t.Fatal(err)
	}
	st := newCountingStore(ws)
	var out bytes.Buffer
	res, err := Push(ctx, st, hub, mustRef(t, "mine:v1"), PushOptions{Out: &out})
	if err != nil || res.Pushed == 0 || res.Existing != 0 {
		t.Fatalf("push: %+v %v\n%s", res, err, out.String())
	}
	if len(st.opens) != 0 {
		t.Errorf("the push read %v", st.opens)
	}
	lib := manifestLayers(t, hub, "library/alpine", "3.20")
	mine := manifestLayers(t, hub, "ns/mine", "v1")
	if len(lib) != len(mine) {
		t.Fatalf("library/alpine has %d layers, ns/mine %d", len(lib), len(mine))
	}
	for i := range lib {
		if lib[i].Digest != mine[i].Digest || lib[i].Size != mine[i].Size {
			t.Errorf("layer %d: %+v in library/, %+v in ns/mine", i, lib[i], mine[i])
		}
	}
}
