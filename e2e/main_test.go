package e2e

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"layerlab/internal/testenv"
)

// binPath is the layerlab binary TestMain builds once for every test.
var binPath string

// moduleRoot is the directory of go.mod.
var moduleRoot string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go env GOMOD: %v\n", err)
		return 1
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		fmt.Fprintln(os.Stderr, "e2e: not inside the layerlab module (go env GOMOD is empty)")
		return 1
	}
	moduleRoot = filepath.Dir(gomod)
	binPath = filepath.Join(moduleRoot, "tmp", "layerlab")
	build := exec.Command("go", "build", "-o", binPath, "./cmd/layerlab")
	build.Dir = moduleRoot
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build -o tmp/layerlab ./cmd/layerlab: %v\n", err)
		return 1
	}
	return m.Run()
}

// server is one layerlab process serving the playground on its own data directory.
type server struct {
	URL     string // http://127.0.0.1:PORT, no trailing slash
	DataDir string
	stderr  *lockedBuffer
}

// lockedBuffer collects a process's output while it runs.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var listenLine = regexp.MustCompile(`the playground is at (http://127\.0\.0\.1:\d+)/`)

// startServer runs `layerlab --data-dir DIR serve --addr 127.0.0.1:0` on a fresh
// temporary directory, reads its address from the line it prints, and stops it with
// SIGTERM when the test ends: it must exit 0 within 10 s. flags are more serve flags
// (--watchers-per-build 1).
func startServer(t *testing.T, flags ...string) *server {
	t.Helper()
	dir := t.TempDir()
	cmd := exec.Command(binPath, append([]string{"--data-dir", dir, "serve", "--addr", "127.0.0.1:0"}, flags...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &server{DataDir: dir, stderr: &lockedBuffer{}}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", binPath, err)
	}
	exited := make(chan error, 1)
	urlc := make(chan string, 1)
	var rest lockedBuffer
	go func() {
		sc := bufio.NewScanner(stdout)
		found := false
		for sc.Scan() {
			line := sc.Text()
			if m := listenLine.FindStringSubmatch(line); m != nil && !found {
				found = true
				urlc <- m[1]
				continue
			}
			fmt.Fprintln(&rest, line)
		}
		io.Copy(io.Discard, stdout)
		close(urlc)
		exited <- cmd.Wait()
	}()
	select {
	case u, ok := <-urlc:
		if !ok {
			t.Fatalf("layerlab serve exited before printing its address: %v\nstdout:\n%s\nstderr:\n%s", <-exited, rest.String(), s.stderr.String())
		}
		s.URL = u
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("layerlab serve printed no address within 15 s\nstderr:\n%s", s.stderr.String())
	}
	t.Cleanup(func() {
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Errorf("SIGTERM the server: %v", err)
		}
		select {
		case err := <-exited:
			var ee *exec.ExitError
			switch {
			case errors.As(err, &ee):
				t.Errorf("layerlab serve exited with %d after SIGTERM, want 0", ee.ExitCode())
			case err != nil:
				t.Errorf("layerlab serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
			t.Errorf("layerlab serve did not exit within 10 s of SIGTERM")
		}
		if t.Failed() {
			t.Logf("server stdout:\n%s\nserver stderr:\n%s", rest.String(), s.stderr.String())
		}
	})
	return s
}

// chromiumPath finds Debian's chromium. Without it the browser tests skip, except in
// CI (testenv), where a skipped browser test would hide a broken page: there they fail.
func chromiumPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("chromium")
	testenv.Need(t, err == nil, "chromium is not installed: scripts/test installs it (apt-get install chromium)")
	return p
}

// screenshotDir is where the tests write their screenshots: tmp/screenshots under the
// module root (ignored by git), or $LAYERLAB_SCREENSHOTS. The committed ones in
// e2e/screenshots are refreshed with LAYERLAB_SCREENSHOTS=$PWD/e2e/screenshots, so a
// plain test run leaves the checkout clean.
func screenshotDir() string {
	if d := os.Getenv("LAYERLAB_SCREENSHOTS"); d != "" {
		return d
	}
	return filepath.Join(moduleRoot, "tmp", "screenshots")
}

func saveScreenshot(t *testing.T, name string, png []byte) {
	t.Helper()
	dir := screenshotDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", p, len(png))
}

// readExample returns a file of an example build context, as the playground loads it.
func readExample(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(moduleRoot, "examples", rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// dockerfileSteps returns a Dockerfile's instructions, one per build step, for files
// with no line continuations or parser directives (as the examples are).
func dockerfileSteps(t *testing.T, df string) []string {
	t.Helper()
	var steps []string
	for _, line := range strings.Split(df, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			t.Fatalf("dockerfileSteps cannot read continuation lines: %q", line)
		}
		steps = append(steps, line)
	}
	return steps
}
