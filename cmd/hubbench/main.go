// Command hubbench pulls one image from a registry N times at once over raw HTTP (the
// distribution API, as a registry client does: GET /v2/, an anonymous bearer token when
// challenged, the manifest, then the config and every layer blob, each discarded) and
// reports the total throughput, the per-pull times and, given the registry's process
// id, the server's peak resident memory (VmHWM, reset just before the pulls start) and
// the CPU it used.
//
//	go run ./cmd/hubbench -url http://127.0.0.1:PORT -repo default/big -ref 1 -n 50 -pid PID
//
// Used by scripts/bench-hub, against the hub and against Debian's docker-registry.
//
// With -serve DIR it is instead a stand-in registry that serves the blobs of DIR (a
// layerlab data directory's blobs/sha256) read-only, the way the hub sends a blob
// (http.ServeContent of the file, so sendfile), with socket options to try (-sndbuf,
// -lowat) or a user-space copy (-copy-buf): a test bench for changes to the hub's
// download path without changing the server (serve.go).
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	base := flag.String("url", "", "registry base URL, e.g. http://127.0.0.1:5000")
	repo := flag.String("repo", "", "repository, e.g. default/big")
	ref := flag.String("ref", "latest", "tag or digest")
	n := flag.Int("n", 50, "concurrent pulls")
	pid := flag.Int("pid", 0, "the registry's process id (for its peak RSS and CPU); 0: not measured")
	verify := flag.Bool("verify", false, "sha256 every blob against its digest (costs client CPU)")
	layerJobs := flag.Int("layer-jobs", 1, "blobs one pull downloads at once (Docker: 3)")
	bufKiB := flag.Int("buf", 256, "read buffer per blob download, KiB (io.Copy uses 32; io.Discard's ReadFrom 8)")
	label := flag.String("label", "", "name of this run in the output")
	jsonOut := flag.Bool("json", false, "print the result as JSON")
	timeout := flag.Duration("timeout", 10*time.Minute, "give up after")
	serveDir := flag.String("serve", "", "serve the blobs of this directory instead (a stand-in registry; see serve.go)")
	addr := flag.String("addr", "127.0.0.1:0", "with -serve: listen address")
	manifestDigest := flag.String("manifest", "", "with -serve: the digest of the manifest every manifests/<ref> request gets")
	sndbuf := flag.Int("sndbuf", 0, "with -serve: SO_SNDBUF of every accepted connection, bytes (0: the kernel's autotuning)")
	lowat := flag.Int("lowat", 0, "with -serve: TCP_NOTSENT_LOWAT of every accepted connection, bytes (0: unset)")
	copyBuf := flag.Int("copy-buf", 0, "with -serve: send blobs by a user-space copy through a buffer of this many KiB, not sendfile (0: sendfile)")
	flag.Parse()
	if *serveDir != "" {
		if err := serve(*serveDir, *addr, *manifestDigest, serveOptions{sndbuf: *sndbuf, lowat: *lowat, copyBuf: *copyBuf << 10}); err != nil {
			fmt.Fprintln(os.Stderr, "hubbench:", err)
			os.Exit(1)
		}
		return
	}
	if *base == "" || *repo == "" || *n < 1 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	res, err := run(ctx, config{base: strings.TrimSuffix(*base, "/"), repo: *repo, ref: *ref, n: *n, pid: *pid,
		verify: *verify, layerJobs: max(*layerJobs, 1), buf: max(*bufKiB, 1) << 10})
	if err != nil {
		fmt.Fprintln(os.Stderr, "hubbench:", err)
		os.Exit(1)
	}
	res.Label = *label
	if *jsonOut {
		json.NewEncoder(os.Stdout).Encode(res)
		return
	}
	fmt.Printf("%s: %d pulls of %s (%.1f MB each): %.2f s, %.0f MB/s; per pull p50 %.2f s, p95 %.2f s, max %.2f s",
		orDefault(res.Label, res.Target), res.Pulls, res.Target, float64(res.ImageBytes)/1e6, res.WallSeconds, res.MBps,
		res.P50, res.P95, res.Max)
	if res.PeakRSSMiB > 0 {
		fmt.Printf("; server peak RSS %.1f MiB (%.1f MiB before), CPU %.1f s", res.PeakRSSMiB, res.RSSBeforeMiB, res.ServerCPUSeconds)
	}
	fmt.Println()
}

func orDefault(s, d string) string {
	if s != "" {
		return s
	}
	return d
}

type config struct {
	base, repo, ref string
	n, pid          int
	verify          bool
	layerJobs       int
	buf             int // bytes
}

type result struct {
	Label            string    `json:"label,omitempty"`
	Target           string    `json:"target"`
	Pulls            int       `json:"pulls"`
	ImageBytes       int64     `json:"image_bytes"` // manifest + config + layers, one pull
	TotalBytes       int64     `json:"total_bytes"`
	WallSeconds      float64   `json:"wall_seconds"`
	MBps             float64   `json:"mb_per_s"` // total bytes / wall time, 1 MB = 1e6 bytes
	P50              float64   `json:"p50_s"`
	P95              float64   `json:"p95_s"`
	Max              float64   `json:"max_s"`
	Times            []float64 `json:"times_s"`
	PeakRSSMiB       float64   `json:"server_peak_rss_mib,omitempty"`
	RSSBeforeMiB     float64   `json:"server_rss_before_mib,omitempty"`
	ServerCPUSeconds float64   `json:"server_cpu_s,omitempty"`
}

type descriptor struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
}

type manifest struct {
	MediaType string       `json:"mediaType"`
	Config    descriptor   `json:"config"`
	Layers    []descriptor `json:"layers"`
}

var acceptManifests = strings.Join([]string{
	"application/vnd.docker.distribution.manifest.v2+json",
	"application/vnd.oci.image.manifest.v1+json",
}, ", ")

func run(ctx context.Context, c config) (*result, error) {
	// One warm-up pull checks the image is there and learns its size; it also leaves
	// the blobs in the page cache, so every measured pull reads them from memory, as
	// the second and later of 50 pulls of one image would.
	first, err := pullOnce(ctx, c, newClient())
	if err != nil {
		return nil, fmt.Errorf("warm-up pull: %w", err)
	}
	res := &result{Target: c.base + "/" + c.repo + ":" + c.ref, Pulls: c.n, ImageBytes: first}
	var cpu0 float64
	if c.pid > 0 {
		// Writing 5 to clear_refs resets the peak RSS (VmHWM) to the current RSS.
		if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", c.pid), []byte("5"), 0); err != nil {
			fmt.Fprintf(os.Stderr, "hubbench: cannot reset the peak RSS of %d (%v): VmHWM is since the server started\n", c.pid, err)
		}
		res.RSSBeforeMiB, _ = procStatusMiB(c.pid, "VmRSS")
		cpu0, _ = procCPU(c.pid)
	}
	start := make(chan struct{})
	times := make([]float64, c.n)
	errs := make([]error, c.n)
	sizes := make([]int64, c.n)
	var wg sync.WaitGroup
	for i := range c.n {
		cl := newClient() // each pull is its own client, its own connections
		wg.Go(func() {
			<-start
			t0 := time.Now()
			sizes[i], errs[i] = pullOnce(ctx, c, cl)
			times[i] = time.Since(t0).Seconds()
		})
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	res.WallSeconds = time.Since(t0).Seconds()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if c.pid > 0 {
		res.PeakRSSMiB, _ = procStatusMiB(c.pid, "VmHWM")
		if cpu1, err := procCPU(c.pid); err == nil {
			res.ServerCPUSeconds = cpu1 - cpu0
		}
	}
	for _, s := range sizes {
		res.TotalBytes += s
	}
	res.MBps = float64(res.TotalBytes) / 1e6 / res.WallSeconds
	res.Times = times
	sorted := slices.Clone(times)
	slices.Sort(sorted)
	res.P50, res.P95, res.Max = percentile(sorted, 50), percentile(sorted, 95), sorted[len(sorted)-1]
	return res, nil
}

// percentile is the nearest-rank percentile of sorted values.
func percentile(sorted []float64, p float64) float64 {
	k := int(float64(len(sorted))*p/100+0.999999) - 1
	return sorted[min(max(k, 0), len(sorted)-1)]
}

func newClient() *http.Client {
	tr := &http.Transport{
		DisableCompression:  true,
		MaxIdleConnsPerHost: 8,
		IdleConnTimeout:     30 * time.Second,
	}
	return &http.Client{Transport: tr}
}

// pullOnce pulls the image as a client does and returns the bytes it received.
func pullOnce(ctx context.Context, c config, cl *http.Client) (int64, error) {
	defer cl.CloseIdleConnections()
	token, err := getToken(ctx, c, cl)
	if err != nil {
		return 0, err
	}
	get := func(path, accept string) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
		if err != nil {
			return nil, err
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		resp, err := cl.Do(req)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode != http.StatusOK {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			return nil, fmt.Errorf("GET %s: %s: %s", path, resp.Status, b)
		}
		return resp, nil
	}
	resp, err := get("/v2/"+c.repo+"/manifests/"+c.ref, acceptManifests)
	if err != nil {
		return 0, err
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	resp.Body.Close()
	if err != nil {
		return 0, err
	}
	var m manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return 0, fmt.Errorf("manifest: %w", err)
	}
	if m.Config.Digest == "" {
		return 0, fmt.Errorf("manifest of media type %q has no config: not an image manifest", m.MediaType)
	}
	total := int64(len(raw))
	blobs := append([]descriptor{m.Config}, m.Layers...)
	var mu sync.Mutex
	var firstErr error
	sem := make(chan struct{}, c.layerJobs)
	var wg sync.WaitGroup
	for _, b := range blobs {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			n, err := fetchBlob(get, c, b)
			mu.Lock()
			defer mu.Unlock()
			total += n
			if err != nil && firstErr == nil {
				firstErr = err
			}
		})
	}
	wg.Wait()
	return total, firstErr
}

func fetchBlob(get func(path, accept string) (*http.Response, error), c config, b descriptor) (int64, error) {
	resp, err := get("/v2/"+c.repo+"/blobs/"+b.Digest, "")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var h hash.Hash
	var w io.Writer = discard{} // not io.Discard: its ReadFrom would read 8 KiB at a time
	if c.verify {
		h = sha256.New()
		w = h
	}
	n, err := io.CopyBuffer(w, resp.Body, make([]byte, c.buf))
	if err != nil {
		return n, fmt.Errorf("blob %s: %w", b.Digest, err)
	}
	if n != b.Size {
		return n, fmt.Errorf("blob %s: %d bytes, the manifest says %d", b.Digest, n, b.Size)
	}
	if h != nil {
		if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != b.Digest {
			return n, fmt.Errorf("blob %s hashes to %s", b.Digest, got)
		}
	}
	return n, nil
}

// discard drops what is written to it; having no ReadFrom, io.CopyBuffer reads into
// the caller's buffer.
type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

var challengeParam = regexp.MustCompile(`(\w+)="([^"]*)"`)

// getToken pings /v2/ and, when challenged for a bearer token, fetches the anonymous
// one for pulling c.repo. A registry that answers 200 needs none ("").
func getToken(ctx context.Context, c config, cl *http.Client) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/v2/", nil)
	if err != nil {
		return "", err
	}
	resp, err := cl.Do(req)
	if err != nil {
		return "", err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		return "", nil
	}
	ch := resp.Header.Get("WWW-Authenticate")
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(strings.ToLower(ch), "bearer ") {
		return "", fmt.Errorf("GET /v2/: %s, challenge %q", resp.Status, ch)
	}
	p := map[string]string{}
	for _, m := range challengeParam.FindAllStringSubmatch(ch, -1) {
		p[strings.ToLower(m[1])] = m[2]
	}
	q := url.Values{"scope": {"repository:" + c.repo + ":pull"}}
	if s := p["service"]; s != "" {
		q.Set("service", s)
	}
	req, err = http.NewRequestWithContext(ctx, http.MethodGet, p["realm"]+"?"+q.Encode(), nil)
	if err != nil {
		return "", err
	}
	resp, err = cl.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var t struct {
		Token       string `json:"token"`
		AccessToken string `json:"access_token"`
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("token: %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&t); err != nil {
		return "", fmt.Errorf("token: %w", err)
	}
	return orDefault(t.Token, t.AccessToken), nil
}

// procStatusMiB reads a kB field (VmRSS, VmHWM) of /proc/PID/status, in MiB.
func procStatusMiB(pid int, field string) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb / 1024, err
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// procCPU is the user+system CPU time of pid, in seconds (clock ticks of 1/100 s).
func procCPU(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')') // the command name may hold spaces
	if i < 0 {
		return 0, errors.New("unreadable /proc stat")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	ut, err1 := strconv.ParseFloat(f[11], 64)
	st, err2 := strconv.ParseFloat(f[12], 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return (ut + st) / 100, nil
}
