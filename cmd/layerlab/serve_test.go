package main

import (
	"context"
	"errors"
	"io"
	"layerlab/db"
	"net"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe to read while run writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// `layerlab serve` prints its address, serves the playground, and shuts down cleanly
// when its context ends (Ctrl+C); a bad address is an error that says what to do.
func TestServe(t *testing.T) {
	data := t.TempDir()
	url, stop := startServe(t, data)
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), "Playground") {
		t.Fatalf("GET /: %d", res.StatusCode)
	}
	stop()
	if _, err := layerlab(t, data, "serve", "--addr", "256.0.0.1:1"); err == nil || !strings.Contains(err.Error(), "--addr HOST:PORT") {
		t.Errorf("bad address: %v", err)
	}
}

// startServe runs `layerlab serve` in process on a free port and returns its URL and a
// stop function that shuts it down and checks it stopped cleanly.
func startServe(t *testing.T, data string) (string, func()) {
	t.Helper()
	env := func(k string) string {
		if k == "LAYERLAB_DATA" {
			return data
		}
		return ""
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, env, strings.NewReader(""), &out, &errb)
	}()
	re := regexp.MustCompile(`the playground is at (http://127\.0\.0\.1:\d+/)`)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return m[1], func() {
				cancel()
				if err := <-done; err != nil {
					t.Errorf("shutdown: %v", err)
				}
			}
		}
	}
	cancel()
	t.Fatalf("no address printed: %q %q", out.String(), errb.String())
	return "", nil
}

// A browser's workspace (its files, builds and images) survives a server restart.
func TestWorkspaceSurvivesRestart(t *testing.T) {
	data := t.TempDir()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	url, stop := startServe(t, data)
	res, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	token := regexp.MustCompile(`name="csrf-token" content="([0-9a-f]+)"`).FindSubmatch(page)[1]
	post := func(url, body string) int {
		req, _ := http.NewRequest("POST", url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-CSRF-Token", string(token))
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode
	}
	if code := post(url+"api/terminal", `{"cmd":"docker build -t kept:v1 ."}`); code != 200 {
		t.Fatalf("terminal build: %d", code)
	}
	stop()

	url, stop = startServe(t, data)
	defer stop()
	res, err = c.Get(url + "images")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), "kept") {
		t.Fatal("the image built before the restart is not on the images page")
	}
	res, err = c.Get(url + "api/context")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), "app/main.py") {
		t.Fatalf("the build context is gone after the restart: %s", body)
	}
}

// acceptFails is a listener whose Accept always fails: the server stops on its own,
// not because its context ended.
type acceptFails struct{ net.Listener }

var errAcceptBroken = errors.New("accept: listener broken")

func (acceptFails) Accept() (net.Conn, error) { return nil, errAcceptBroken }

// When the server itself fails, serve still shuts down in order and closes the store,
// and says why it stopped; before, it returned at once and left builds, the websocket
// fan-out and the store to whoever came next.
func TestServeFailureClosesEverything(t *testing.T) {
	ctx := context.Background()
	store, err := db.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var out, errb syncBuffer
	c := &cli{dataDir: store.Dir(), getenv: func(string) string { return "" }, stdin: strings.NewReader(""),
		stdout: &out, stderr: &errb, store: store}
	err = c.serveOn(ctx, acceptFails{ln}, serveOptions{})
	if !errors.Is(err, errAcceptBroken) {
		t.Fatalf("serve returned %v, want the listener's error", err)
	}
	if c.store != nil {
		t.Error("serve left its store to the caller")
	}
	if _, err := store.Workspace(ctx, db.DefaultWorkspace); err == nil {
		t.Error("the store is still open after serve returned")
	}
}
