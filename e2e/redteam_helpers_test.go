package e2e

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// upload adds a binary file to the build context through the page's upload form (the
// JSON file API carries text only).
func (c *rtClient) upload(name string, data []byte) error {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("files", name)
	if err != nil {
		return err
	}
	fw.Write(data)
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, c.base+"/api/context/upload", &body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("X-CSRF-Token", c.csrf)
	res, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("upload %s: %w", name, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		return fmt.Errorf("upload %s: %d %.300s", name, res.StatusCode, b)
	}
	return nil
}

// rtBigLogLine is one line of the big log: 199 characters and a newline.
var rtBigLogLine = strings.Repeat("x", 199)

// The big log the watcher probes replay: rtBigLogSteps steps of rtBigLogStep bytes each
// (a step's output is bounded, 1 MiB when the issue was filed). The finding used
// a 230 MB log; 48 MB is enough to show a replay per watcher (200 of them, or 8 event
// replays, reach gigabytes) and keeps the build short on a shared machine.
const (
	rtBigLogSteps = 48
	rtBigLogStep  = 1_000_000
)

// bigLogBuild runs a build whose steps print rtBigLogSteps*rtBigLogStep bytes, and
// returns its ID.
func (c *rtClient) bigLogBuild(t *testing.T) string {
	t.Helper()
	var df strings.Builder
	df.WriteString(rtBase)
	for i := range rtBigLogSteps {
		fmt.Fprintf(&df, "RUN echo %d; yes %s | head -c %d\n", i, rtBigLogLine, rtBigLogStep)
	}
	b, err := c.build(df.String(), 120*time.Second)
	if err != nil {
		t.Fatalf("the big log's build: %v", err)
	}
	t.Logf("the build with a %d MB log: %s %s", rtBigLogSteps*rtBigLogStep/1000000, b.State, oneLine(b.Error, 200))
	return b.ID
}

var (
	hubNamespaceRe = regexp.MustCompile(`data-testid="hub-namespace">([^<]+)<`)
	hubTokenRe     = regexp.MustCompile(`data-testid="hub-token">([^<]+)<`)
)

// hubCredentials reads the workspace's hub namespace and push token from the images
// page, as a student copies them for docker login.
func (c *rtClient) hubCredentials() (ns, token string, err error) {
	// A state-changing request first, so the workspace exists whatever a GET makes.
	if err := c.put("Dockerfile", rtBase); err != nil {
		return "", "", err
	}
	code, body, err := c.do(http.MethodGet, "/images", nil)
	if err != nil {
		return "", "", err
	}
	n, k := hubNamespaceRe.FindStringSubmatch(body), hubTokenRe.FindStringSubmatch(body)
	if code != http.StatusOK || n == nil || k == nil {
		return "", "", fmt.Errorf("GET /images: %d, no hub namespace or token on the page", code)
	}
	return html.UnescapeString(n[1]), html.UnescapeString(k[1]), nil
}

// hubPut uploads one blob monolithically (POST ...?digest=) with basic auth.
func hubPut(base, ns, token, repo string, blob []byte) (string, error) {
	d := fmt.Sprintf("sha256:%x", sha256.Sum256(blob))
	req, err := http.NewRequest(http.MethodPost, base+"/v2/"+repo+"/blobs/uploads/?digest="+d, bytes.NewReader(blob))
	if err != nil {
		return "", err
	}
	req.SetBasicAuth(ns, token)
	req.Header.Set("Content-Type", "application/octet-stream")
	code, body, err := rawDo(req)
	if err != nil {
		return "", err
	}
	if code != http.StatusCreated {
		return "", fmt.Errorf("push blob %s: %d %.300s", d, code, body)
	}
	return d, nil
}

// pushGzipBomb pushes an image of n layers to the attacker's namespace, each a tar of
// one file of size zero bytes: a few hundred KiB compressed, n*size once a pull
// unpacks it. Each layer is three gzip members (the tar header naming a file of its
// own, the shared zeros, the end of the archive), so the zeros are compressed once.
func (c *rtClient) pushGzipBomb(t *testing.T, base string, n int, size int64) string {
	t.Helper()
	ns, token, err := c.hubCredentials()
	if err != nil {
		t.Fatal(err)
	}
	gz := func(p []byte) []byte {
		var b bytes.Buffer
		w, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		w.Write(p)
		w.Close()
		return b.Bytes()
	}
	zeros := make([]byte, 1<<20)
	var zgz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&zgz, gzip.BestCompression)
	for left := size; left > 0; left -= int64(len(zeros)) {
		zw.Write(zeros[:min(int64(len(zeros)), left)])
	}
	zw.Close()
	end := make([]byte, 1024+(512-size%512)%512) // the file's padding, then two zero blocks
	repo := ns + "/gzbomb"
	var layers []map[string]any
	var diffIDs []string
	var compressed int64
	for i := range n {
		var hdr bytes.Buffer
		tw := tar.NewWriter(&hdr)
		tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("zeros%02d", i), Mode: 0o644, Size: size, Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)})
		tw.Flush() // the header only: the zeros and the end come in their own members
		blob := append(append(gz(hdr.Bytes()), zgz.Bytes()...), gz(end)...)
		h := sha256.New()
		h.Write(hdr.Bytes())
		for left := size; left > 0; left -= int64(len(zeros)) {
			h.Write(zeros[:min(int64(len(zeros)), left)])
		}
		h.Write(end)
		d, err := hubPut(base, ns, token, repo, blob)
		if err != nil {
			t.Fatal(err)
		}
		compressed += int64(len(blob))
		layers = append(layers, map[string]any{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": len(blob)})
		diffIDs = append(diffIDs, fmt.Sprintf("sha256:%x", h.Sum(nil)))
	}
	cfg, _ := json.Marshal(map[string]any{
		"architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
		"config": map[string]any{"Cmd": []string{"sh"}},
		"rootfs": map[string]any{"type": "layers", "diff_ids": diffIDs},
	})
	cd, err := hubPut(base, ns, token, repo, cfg)
	if err != nil {
		t.Fatal(err)
	}
	man, _ := json.Marshal(map[string]any{
		"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": len(cfg)},
		"layers": layers,
	})
	req, _ := http.NewRequest(http.MethodPut, base+"/v2/"+repo+"/manifests/v1", bytes.NewReader(man))
	req.SetBasicAuth(ns, token)
	req.Header.Set("Content-Type", "application/vnd.oci.image.manifest.v1+json")
	code, body, err := rawDo(req)
	if err != nil || code != http.StatusCreated {
		t.Fatalf("push the manifest: %d %v %.300s", code, err, body)
	}
	t.Logf("pushed %s:v1: %d layers, %d KiB compressed, %s unpacked", repo, n, compressed>>10, mib(int64(n)*size))
	return repo + ":v1"
}
