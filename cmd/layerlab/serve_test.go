package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"layerlab/db"
	"layerlab/handlers"
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

// startServe runs `layerlab serve` (with flags) in process on a free port and returns
// its URL and a stop function that shuts it down and checks it stopped cleanly.
func startServe(t *testing.T, data string, flags ...string) (string, func()) {
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
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, flags...), env, strings.NewReader(""), &out, &errb)
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

// Every field of handlers.Limits has a serve flag that sets it, and --help shows each
// flag with its default.
func TestServeLimitFlags(t *testing.T) {
	o, help, err := parseServeArgs([]string{
		"--workspace-quota", "3GiB", "--max-builds", "5", "--builds-per-minute=7", "--keep-builds", "9",
		"--idle-expiry", "2d", "--new-workspaces-per-minute", "11", "--upload-sessions", "13",
		"--upload-bytes", "100MB", "--watchers-per-build", "17", "--watchers-per-workspace", "19",
		"--transfer-slots", "23", "--transfers-per-workspace", "29", "--library-bytes", "3g",
		"--secure-cookies", "--public-url", "https://lab.example.org/",
	})
	if err != nil || help {
		t.Fatalf("parse: %v %v", err, help)
	}
	want := handlers.Limits{
		WorkspaceQuota: 3 << 30, MaxBuilds: 5, BuildsPerMinute: 7, KeepBuilds: 9, IdleExpiry: 48 * time.Hour,
		NewWorkspacesPerMinute: 11, UploadSessions: 13, UploadBytes: 100_000_000, WatchersPerBuild: 17,
		WatchersPerWorkspace: 19, TransferSlots: 23, TransfersPerWorkspace: 29, LibraryBytes: 3 << 30,
	}
	if o.limits != want {
		t.Errorf("limits %+v\nwant   %+v", o.limits, want)
	}
	if !o.secure || o.publicURL != "https://lab.example.org/" {
		t.Errorf("secure %v, public URL %q", o.secure, o.publicURL)
	}
	// A field added to Limits without a flag would keep its default here.
	def, got := reflect.ValueOf(handlers.DefaultLimits()), reflect.ValueOf(o.limits)
	for i := 0; i < def.NumField(); i++ {
		if def.Field(i).Interface() == got.Field(i).Interface() {
			t.Errorf("handlers.Limits.%s: no serve flag set it", def.Type().Field(i).Name)
		}
	}
	// With no flags, the defaults.
	if o, _, err := parseServeArgs(nil); err != nil || o.limits != handlers.DefaultLimits() || o.addr != "127.0.0.1:8080" || o.secure {
		t.Errorf("no flags: %+v, %v", o, err)
	}
	out, err := layerlab(t, t.TempDir(), "serve", "--help")
	if err != nil {
		t.Fatal(err)
	}
	d := handlers.DefaultLimits()
	for _, want := range []string{
		`--addr string`, `(default "127.0.0.1:8080")`, "--secure-cookies", "--public-url string",
		"--workspace-quota bytes", "(default 2GiB)",
		"--max-builds int", fmt.Sprintf("%d here)", d.MaxBuilds),
		"--builds-per-minute int", fmt.Sprintf("(default %d)", d.BuildsPerMinute),
		"--keep-builds int", fmt.Sprintf("(default %d)", d.KeepBuilds),
		"--idle-expiry duration", "(default 720h)",
		"--new-workspaces-per-minute int", fmt.Sprintf("(default %d)", d.NewWorkspacesPerMinute),
		"--upload-sessions int", fmt.Sprintf("(default %d)", d.UploadSessions),
		"--upload-bytes bytes", "(default 1GiB)",
		"--watchers-per-build int", fmt.Sprintf("(default %d)", d.WatchersPerBuild),
		"--watchers-per-workspace int", fmt.Sprintf("(default %d)", d.WatchersPerWorkspace),
		"--transfer-slots int", fmt.Sprintf("(default %d)", d.TransferSlots),
		"--transfers-per-workspace int", fmt.Sprintf("(default %d)", d.TransfersPerWorkspace),
		"--library-bytes bytes", "(default 2GiB)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("serve --help lacks %q:\n%s", want, out)
		}
	}
}

// A flag's bad value is a usage error (125) that names the flag and the value, as
// Docker's; a limit of 0 is refused rather than silently taken as the default.
func TestServeFlagErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "unknown flag", args: []string{"--bogus"}, want: "unknown flag or argument: --bogus"},
		{name: "argument", args: []string{"extra"}, want: "unknown flag or argument: extra"},
		{name: "zero limit", args: []string{"--max-builds", "0"}, want: `invalid argument "0" for "--max-builds" flag: must be at least 1`},
		{name: "not a number", args: []string{"--keep-builds=many"}, want: `invalid argument "many" for "--keep-builds" flag: not a whole number`},
		{name: "bad size", args: []string{"--workspace-quota", "2XB"}, want: `invalid argument "2XB" for "--workspace-quota" flag: want a size`},
		{name: "zero size", args: []string{"--upload-bytes", "0"}, want: `"--upload-bytes" flag: must be at least 1 byte`},
		{name: "bad duration", args: []string{"--idle-expiry", "soon"}, want: `invalid argument "soon" for "--idle-expiry" flag: want a duration`},
		{name: "negative duration", args: []string{"--idle-expiry", "-1h"}, want: `"--idle-expiry" flag: must be more than 0`},
		{name: "public URL not a URL", args: []string{"--public-url", "lab.example.org"}, want: `invalid argument "lab.example.org" for "--public-url" flag`},
		{name: "public URL with a path", args: []string{"--public-url", "https://x.org/lab"}, want: `"--public-url" flag: want the server's root URL`},
		{name: "missing value", args: []string{"--addr"}, want: "flag needs an argument: --addr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := layerlab(t, t.TempDir(), append([]string{"serve"}, tt.args...)...)
			if exitCode(err) != 125 || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "See 'layerlab serve --help'.") {
				t.Errorf("serve %v: %v (exit %d), want 125 and %q", tt.args, err, exitCode(err), tt.want)
			}
		})
	}
}

func TestByteSize(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int64
	}{
		{name: "binary", in: "2GiB", want: 2 << 30},
		{name: "decimal", in: "2GB", want: 2e9},
		{name: "docker's g", in: "2g", want: 2 << 30},
		{name: "lower case", in: "512mib", want: 512 << 20},
		{name: "fraction", in: "1.5GiB", want: 3 << 29},
		{name: "bytes", in: "1048576", want: 1 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b byteSize
			if err := b.Set(tt.in); err != nil || int64(b) != tt.want {
				t.Errorf("Set(%q) = %d, %v; want %d", tt.in, b, err, tt.want)
			}
		})
	}
}

// --secure-cookies marks the session cookie Secure, and --public-url is the URL the
// hub's login challenge names, whatever Host a request says.
func TestServeSecureCookiesAndPublicURL(t *testing.T) {
	url, stop := startServe(t, t.TempDir(), "--secure-cookies", "--public-url", "https://lab.example.org")
	defer stop()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	var secure bool
	for _, c := range res.Cookies() {
		if c.Name == "layerlab_session" {
			secure = c.Secure
		}
	}
	if !secure {
		t.Errorf("with --secure-cookies the session cookie is not Secure: %v", res.Header["Set-Cookie"])
	}
	req, _ := http.NewRequest(http.MethodGet, url+"v2/", nil)
	req.Host = "evil.example"
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if got := res.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, `Bearer realm="https://lab.example.org/v2/token"`) {
		t.Errorf("challenge %q, want the public URL's token service", got)
	}
}

// TestServeLessonsDir: a lesson file serve cannot read stops it before it listens,
// naming the file and line.
func TestServeLessonsDir(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "mine.yaml"), []byte("id: mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := layerlab(t, t.TempDir(), "serve", "--addr", "127.0.0.1:0", "--lessons", dir)
	if err == nil || !strings.Contains(err.Error(), "--lessons: ") || !strings.Contains(err.Error(), "mine.yaml:1: ") {
		t.Fatalf("serve --lessons with a broken lesson: %v; want an error naming mine.yaml:1", err)
	}
}
