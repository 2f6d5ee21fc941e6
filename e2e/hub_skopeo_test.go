package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"layerlab/internal/testenv"
)

// skopeo (Debian's, 1.9) copies an image layerlab pushed to its hub into an OCI layout
// and back into the hub, and `skopeo inspect` agrees with `layerlab image inspect`:
//
//   - the manifest digest skopeo sees is the one `layerlab push` printed and recorded
//     in RepoDigests, and the raw manifest hashes to it;
//   - the config skopeo reads hashes to layerlab's image ID, and has the same
//     rootfs diff_ids (layerlab's RootFS.Layers), Env, Cmd, WorkingDir, Architecture,
//     Os and Created; skopeo's Layers (compressed digests) are the manifest's, one per
//     diff_id, and every layer blob in the OCI layout gunzips to its diff_id;
//   - pushed back from the OCI layout (with the namespace's token) and pulled by
//     layerlab into another data directory, the image has the same layers, config
//     and history. Its ID is the digest of the config skopeo wrote into the layout,
//     not the original's: converting to OCI, skopeo re-encodes the config without the
//     Docker-only fields (container, container_config, docker_version), so the ID
//     cannot survive that trip. The byte-preserving trip (skopeo copy
//     --preserve-digests through a dir: copy) keeps it: same manifest digest, same ID.
//
// Anonymous pulls work (the Bearer token service); a push without credentials fails.
func TestSkopeoCopiesThroughHub(t *testing.T) {
	needSkopeo(t)
	srv := startServer(t)
	host := strings.TrimPrefix(srv.URL, "http://")
	ns, token := skopeoHubToken(t, srv.DataDir)
	if ns != "default" {
		t.Fatalf("the CLI's workspace namespace is %q, want default", ns)
	}
	sk := newSkopeo(t)

	// The image: FROM busybox (layerlab's stand-in), two COPY layers, ENV, WORKDIR, CMD.
	ctxDir := t.TempDir()
	files := map[string]string{
		"hello.txt": "hello from the hub\n",
		"app.sh":    "#!/bin/sh\necho \"$GREETING from $(pwd)\"\n",
		"Dockerfile": "FROM busybox\nCOPY hello.txt /data/hello.txt\nCOPY app.sh /usr/local/bin/app.sh\n" +
			"ENV GREETING=skopeo\nWORKDIR /data\nCMD [\"/usr/local/bin/app.sh\"]\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(ctxDir, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	layerlabCLI(t, srv.DataDir, "build", "-t", "demo:v1", ctxDir)
	out := layerlabCLI(t, srv.DataDir, "push", "demo:v1")
	m := regexp.MustCompile(`(?m)^v1: digest: (sha256:[0-9a-f]{64}) size: (\d+)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("layerlab push printed no digest line:\n%s", out)
	}
	pushed := m[1]
	orig := skopeoLLInspect(t, srv.DataDir, "demo:v1")
	if !slices.ContainsFunc(orig.RepoDigests, func(r string) bool { return strings.HasSuffix(r, "@"+pushed) }) {
		t.Errorf("RepoDigests after the push = %q, want one ending in @%s", orig.RepoDigests, pushed)
	}
	if len(orig.RootFS.Layers) != 3 {
		t.Fatalf("demo:v1 has %d layers, want 3 (busybox + two COPY)", len(orig.RootFS.Layers))
	}
	origHistory := layerlabCLI(t, srv.DataDir, "history", "--no-trunc", "--format", "{{.CreatedBy}}", "demo:v1")

	// skopeo inspect, anonymously, agrees with layerlab's inspect.
	src := "docker://" + host + "/" + ns + "/demo:v1"
	var si skopeoInspect
	sk.json(&si, "inspect", "--tls-verify=false", src)
	if si.Digest != pushed {
		t.Errorf("skopeo inspect Digest = %s, layerlab push printed %s", si.Digest, pushed)
	}
	if !slices.Contains(si.RepoTags, "v1") {
		t.Errorf("skopeo inspect RepoTags = %q, want v1 among them", si.RepoTags)
	}
	if si.Architecture != orig.Architecture || si.Os != orig.Os {
		t.Errorf("skopeo inspect platform %s/%s, layerlab %s/%s", si.Os, si.Architecture, orig.Os, orig.Architecture)
	}
	if !slices.Equal(si.Env, orig.Config.Env) {
		t.Errorf("skopeo inspect Env = %q, layerlab %q", si.Env, orig.Config.Env)
	}
	if !skopeoSameInstant(si.Created, orig.Created) {
		t.Errorf("skopeo inspect Created = %s, layerlab %s", si.Created, orig.Created)
	}
	if len(si.Layers) != len(orig.RootFS.Layers) {
		t.Errorf("skopeo inspect lists %d layers, layerlab %d", len(si.Layers), len(orig.RootFS.Layers))
	}
	rawManifest := sk.run("inspect", "--raw", "--tls-verify=false", src)
	if got := skopeoSHA256([]byte(rawManifest)); got != pushed {
		t.Errorf("the manifest skopeo fetched hashes to %s, not %s", got, pushed)
	}
	var man skopeoManifest
	if err := json.Unmarshal([]byte(rawManifest), &man); err != nil {
		t.Fatalf("manifest %q: %v", rawManifest, err)
	}
	if !slices.Equal(man.layerDigests(), si.Layers) {
		t.Errorf("skopeo inspect Layers = %q, the manifest's = %q", si.Layers, man.layerDigests())
	}
	if man.Config.Digest != orig.ID {
		t.Errorf("the manifest's config is %s, layerlab's image ID %s", man.Config.Digest, orig.ID)
	}
	rawConfig := sk.run("inspect", "--config", "--raw", "--tls-verify=false", src)
	if got := skopeoSHA256([]byte(rawConfig)); got != orig.ID {
		t.Errorf("the config skopeo fetched hashes to %s, layerlab's image ID is %s", got, orig.ID)
	}
	var cfg skopeoConfig
	sk.json(&cfg, "inspect", "--config", "--tls-verify=false", src)
	cfg.check(t, "skopeo inspect --config of demo:v1", orig)

	// skopeo copy, anonymously, into an OCI layout: every layer blob gunzips to its
	// diff_id, and the config keeps the layers and settings.
	layout := filepath.Join(t.TempDir(), "oci")
	sk.run("copy", "--src-tls-verify=false", src, "oci:"+layout+":demo")
	ociDesc := skopeoLayoutManifest(t, layout, "demo")
	var ociMan skopeoManifest
	skopeoJSONBlob(t, layout, ociDesc, &ociMan)
	if ociMan.MediaType != "application/vnd.oci.image.manifest.v1+json" {
		t.Errorf("the layout's manifest is %q, want an OCI image manifest", ociMan.MediaType)
	}
	if !slices.Equal(ociMan.layerDigests(), si.Layers) {
		t.Errorf("the layout's layers = %q, the hub's = %q (compressed blobs should be copied as they are)", ociMan.layerDigests(), si.Layers)
	}
	for i, l := range ociMan.Layers {
		if got := skopeoGunzipDigest(t, layout, l.Digest); got != orig.RootFS.Layers[i] {
			t.Errorf("layer %d (%s) of the layout gunzips to %s, want diff_id %s", i, l.Digest, got, orig.RootFS.Layers[i])
		}
	}
	var ociCfg skopeoConfig
	skopeoJSONBlob(t, layout, ociMan.Config.Digest, &ociCfg)
	ociCfg.check(t, "the OCI layout's config", orig)

	// Without credentials skopeo may not push into the hub.
	anon := "docker://" + host + "/" + ns + "/anonymous:v1"
	if out, err := sk.try("copy", "--dest-tls-verify=false", "oci:"+layout+":demo", anon); err == nil {
		t.Errorf("skopeo copy to %s without credentials succeeded:\n%s", anon, out)
	}

	// And back into the hub with the namespace's token; layerlab pulls it elsewhere.
	back := host + "/" + ns + "/copy:v1"
	sk.run("copy", "--dest-tls-verify=false", "--dest-creds", ns+":"+token, "oci:"+layout+":demo", "docker://"+back)
	var bi skopeoInspect
	sk.json(&bi, "inspect", "--tls-verify=false", "docker://"+back)
	if bi.Digest != ociDesc {
		t.Errorf("the copied-back manifest is %s in the hub, %s in the layout", bi.Digest, ociDesc)
	}
	other := t.TempDir()
	if out := layerlabCLI(t, other, "pull", back); !strings.Contains(out, "Status: Downloaded newer image for "+back) {
		t.Fatalf("layerlab pull %s printed:\n%s", back, out)
	}
	got := skopeoLLInspect(t, other, back)
	if got.ID != ociMan.Config.Digest {
		t.Errorf("layerlab's ID of the copied-back image = %s, the layout's config is %s", got.ID, ociMan.Config.Digest)
	}
	if got.ID == orig.ID {
		t.Logf("note: the OCI conversion kept the config byte for byte (ID %s)", got.ID)
	}
	if !slices.Equal(got.RootFS.Layers, orig.RootFS.Layers) {
		t.Errorf("copied-back layers %q, original %q", got.RootFS.Layers, orig.RootFS.Layers)
	}
	if !slices.Equal(got.Config.Env, orig.Config.Env) || !slices.Equal(got.Config.Cmd, orig.Config.Cmd) ||
		got.Config.WorkingDir != orig.Config.WorkingDir || got.Architecture != orig.Architecture || got.Os != orig.Os {
		t.Errorf("copied-back image: %+v %s/%s, original %+v %s/%s", got.Config, got.Os, got.Architecture, orig.Config, orig.Os, orig.Architecture)
	}
	if h := layerlabCLI(t, other, "history", "--no-trunc", "--format", "{{.CreatedBy}}", back); h != origHistory {
		t.Errorf("history of the copied-back image:\n%s\noriginal:\n%s", h, origHistory)
	}

	// The byte-preserving trip keeps everything, the image ID included.
	dir := filepath.Join(t.TempDir(), "dir")
	same := host + "/" + ns + "/same:v1"
	sk.run("copy", "--preserve-digests", "--src-tls-verify=false", src, "dir:"+dir)
	sk.run("copy", "--preserve-digests", "--dest-tls-verify=false", "--dest-creds", ns+":"+token, "dir:"+dir, "docker://"+same)
	var pi skopeoInspect
	sk.json(&pi, "inspect", "--tls-verify=false", "docker://"+same)
	if pi.Digest != pushed {
		t.Errorf("after the dir: trip the manifest is %s, want %s", pi.Digest, pushed)
	}
	third := t.TempDir()
	layerlabCLI(t, third, "pull", same)
	if id := skopeoLLInspect(t, third, same).ID; id != orig.ID {
		t.Errorf("after the dir: trip layerlab's image ID is %s, want the original %s", id, orig.ID)
	}
	if h := layerlabCLI(t, third, "history", "--no-trunc", "--format", "{{.CreatedBy}}", same); h != origHistory {
		t.Errorf("history after the dir: trip:\n%s\noriginal:\n%s", h, origHistory)
	}
}

var skopeoInstall sync.Once

// needSkopeo finds skopeo. Missing, the test skips, except in CI (CI set), where it
// is installed with apt-get (as root), and the test fails if that does not work.
func needSkopeo(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("skopeo"); err == nil {
		return
	}
	const msg = "skopeo is not installed (apt-get install skopeo)"
	if !testenv.InCI() {
		t.Skip(msg)
	}
	var out bytes.Buffer
	skopeoInstall.Do(func() {
		if os.Getuid() != 0 {
			out.WriteString("not root: cannot apt-get install skopeo\n")
			return
		}
		for _, args := range [][]string{{"update", "-qq"}, {"install", "-y", "-qq", "skopeo"}} {
			cmd := exec.Command("apt-get", args...)
			cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Run(); err != nil {
				fmt.Fprintf(&out, "apt-get %s: %v\n", strings.Join(args, " "), err)
				return
			}
		}
	})
	if _, err := exec.LookPath("skopeo"); err != nil {
		t.Fatalf("%s; in CI this test must run, not skip, and installing it failed:\n%s", msg, out.String())
	}
}

// skopeoHubToken returns the namespace and push token `layerlab hub token` prints.
func skopeoHubToken(t *testing.T, dataDir string) (ns, token string) {
	t.Helper()
	f := strings.Fields(layerlabCLI(t, dataDir, "hub", "token"))
	if len(f) != 2 {
		t.Fatalf("layerlab hub token printed %q, want NAMESPACE TOKEN", f)
	}
	return f[0], f[1]
}

// skopeoCLI runs skopeo with no policy file or credentials of the machine's:
// --insecure-policy (the default policy would do; a missing one would fail) and an
// empty auth file of its own.
type skopeoCLI struct {
	t   *testing.T
	env []string
}

func newSkopeo(t *testing.T) *skopeoCLI {
	dir := t.TempDir()
	env := append(os.Environ(),
		"REGISTRY_AUTH_FILE="+filepath.Join(dir, "auth.json"),
		"HOME="+dir, // no ~/.config/containers of the machine's
		"TMPDIR="+dir,
	)
	return &skopeoCLI{t: t, env: env}
}

func (s *skopeoCLI) try(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "skopeo", append([]string{"--insecure-policy"}, args...)...)
	cmd.Env = s.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stdout.String() + stderr.String(), err
	}
	return stdout.String(), nil
}

func (s *skopeoCLI) run(args ...string) string {
	s.t.Helper()
	out, err := s.try(args...)
	if err != nil {
		s.t.Fatalf("skopeo %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func (s *skopeoCLI) json(v any, args ...string) {
	s.t.Helper()
	out := s.run(args...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		s.t.Fatalf("skopeo %s printed %q: %v", strings.Join(args, " "), out, err)
	}
}

// skopeoInspect is what `skopeo inspect` prints (1.9).
type skopeoInspect struct {
	Name         string
	Digest       string
	RepoTags     []string
	Created      string
	Architecture string
	Os           string
	Layers       []string
	Env          []string
}

// skopeoLLImage is the part of `layerlab image inspect` compared here.
type skopeoLLImage struct {
	ID          string `json:"Id"`
	RepoDigests []string
	Created     string
	Config      struct {
		Env        []string
		Cmd        []string
		WorkingDir string
	}
	Architecture string
	Os           string
	RootFS       struct{ Layers []string }
}

func skopeoLLInspect(t *testing.T, dataDir, ref string) skopeoLLImage {
	t.Helper()
	out := layerlabCLI(t, dataDir, "image", "inspect", ref)
	var v []skopeoLLImage
	if err := json.Unmarshal([]byte(out), &v); err != nil || len(v) != 1 {
		t.Fatalf("layerlab image inspect %s printed %q: %v", ref, out, err)
	}
	return v[0]
}

// skopeoConfig is the part of an image config (Docker's or OCI's) compared here.
type skopeoConfig struct {
	Created      string `json:"created"`
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
	Config       struct {
		Env        []string `json:"Env"`
		Cmd        []string `json:"Cmd"`
		WorkingDir string   `json:"WorkingDir"`
	} `json:"config"`
	RootFS struct {
		Type    string   `json:"type"`
		DiffIDs []string `json:"diff_ids"`
	} `json:"rootfs"`
}

func (c skopeoConfig) check(t *testing.T, what string, want skopeoLLImage) {
	t.Helper()
	if !slices.Equal(c.RootFS.DiffIDs, want.RootFS.Layers) {
		t.Errorf("%s: diff_ids %q, layerlab's RootFS.Layers %q", what, c.RootFS.DiffIDs, want.RootFS.Layers)
	}
	if !slices.Equal(c.Config.Env, want.Config.Env) {
		t.Errorf("%s: Env %q, layerlab %q", what, c.Config.Env, want.Config.Env)
	}
	if !slices.Equal(c.Config.Cmd, want.Config.Cmd) {
		t.Errorf("%s: Cmd %q, layerlab %q", what, c.Config.Cmd, want.Config.Cmd)
	}
	if c.Config.WorkingDir != want.Config.WorkingDir {
		t.Errorf("%s: WorkingDir %q, layerlab %q", what, c.Config.WorkingDir, want.Config.WorkingDir)
	}
	if c.Architecture != want.Architecture || c.OS != want.Os {
		t.Errorf("%s: platform %s/%s, layerlab %s/%s", what, c.OS, c.Architecture, want.Os, want.Architecture)
	}
	if !skopeoSameInstant(c.Created, want.Created) {
		t.Errorf("%s: created %s, layerlab %s", what, c.Created, want.Created)
	}
}

type skopeoManifest struct {
	MediaType string `json:"mediaType"`
	Config    struct {
		Digest string `json:"digest"`
	} `json:"config"`
	Layers []struct {
		MediaType string `json:"mediaType"`
		Digest    string `json:"digest"`
		Size      int64  `json:"size"`
	} `json:"layers"`
}

func (m skopeoManifest) layerDigests() []string {
	var out []string
	for _, l := range m.Layers {
		out = append(out, l.Digest)
	}
	return out
}

// skopeoLayoutManifest returns the digest of the manifest an OCI layout's index.json
// names ref.
func skopeoLayoutManifest(t *testing.T, layout, ref string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(layout, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var idx struct {
		Manifests []struct {
			Digest      string            `json:"digest"`
			Annotations map[string]string `json:"annotations"`
		} `json:"manifests"`
	}
	if err := json.Unmarshal(b, &idx); err != nil {
		t.Fatalf("index.json %q: %v", b, err)
	}
	for _, m := range idx.Manifests {
		if m.Annotations["org.opencontainers.image.ref.name"] == ref {
			return m.Digest
		}
	}
	t.Fatalf("index.json names no %q: %s", ref, b)
	return ""
}

// skopeoLayoutBlob opens blob d of an OCI layout, checking it hashes to d.
func skopeoLayoutBlob(t *testing.T, layout, d string) []byte {
	t.Helper()
	alg, hx, _ := strings.Cut(d, ":")
	b, err := os.ReadFile(filepath.Join(layout, "blobs", alg, hx))
	if err != nil {
		t.Fatal(err)
	}
	if got := skopeoSHA256(b); got != d {
		t.Fatalf("blob %s of the layout hashes to %s", d, got)
	}
	return b
}

func skopeoJSONBlob(t *testing.T, layout, d string, v any) {
	t.Helper()
	b := skopeoLayoutBlob(t, layout, d)
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("blob %s: %v", d, err)
	}
}

// skopeoGunzipDigest is the sha256 of a layout blob's uncompressed bytes.
func skopeoGunzipDigest(t *testing.T, layout, d string) string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(skopeoLayoutBlob(t, layout, d)))
	if err != nil {
		t.Fatalf("layer %s: %v", d, err)
	}
	h := sha256.New()
	if _, err := io.Copy(h, zr); err != nil {
		t.Fatalf("layer %s: %v", d, err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

func skopeoSHA256(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// skopeoSameInstant reports whether two RFC 3339 times are the same instant.
func skopeoSameInstant(a, b string) bool {
	ta, err1 := time.Parse(time.RFC3339Nano, a)
	tb, err2 := time.Parse(time.RFC3339Nano, b)
	return err1 == nil && err2 == nil && ta.Equal(tb)
}
