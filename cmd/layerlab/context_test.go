package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"layerlab/db"
)

var contextHostRe = regexp.MustCompile(`(?m)^docker context create layerlab --docker host=(tcp://(\S+)/ws/(ll[a-z2-7]+))$`)

// contextLines runs `layerlab context` with args and returns its output, the DOCKER_HOST
// it names, the HOST:PORT in it, and the token.
func contextLines(t *testing.T, data string, args ...string) (out, host, hostport, token string) {
	t.Helper()
	out, err := layerlab(t, data, append([]string{"context"}, args...)...)
	if err != nil {
		t.Fatalf("layerlab context %v: %v", args, err)
	}
	m := contextHostRe.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("layerlab context %v printed no docker context line:\n%s", args, out)
	}
	return out, m[1], m[2], m[3]
}

// enginePing is GET /ws/<token>/_ping on the server at base: its status and message.
func enginePing(t *testing.T, base, token string) (int, string) {
	t.Helper()
	res, err := http.Get(base + "ws/" + token + "/_ping")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var m struct{ Message string }
	json.Unmarshal(b, &m)
	return res.StatusCode, m.Message
}

// TestContext: `layerlab context` prints the docker CLI lines for the command line's
// workspace (its token, kept across runs), at --addr or --public-url; --rotate makes
// a new token that a running server takes at once, and the old one gets 404.
func TestContext(t *testing.T) {
	data := t.TempDir()
	out, host, hp, tok := contextLines(t, data)
	if hp != "127.0.0.1:8080" {
		t.Errorf("default address %q, want serve's default 127.0.0.1:8080", hp)
	}
	for _, line := range []string{
		"\ndocker --context layerlab build -t my_image:latest .\n",
		"\nexport DOCKER_HOST=" + host + "\n",
	} {
		if !strings.Contains(out, line) {
			t.Errorf("output lacks %q:\n%s", line, out)
		}
	}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.HasPrefix(l, "#") && !strings.HasPrefix(l, "docker ") && !strings.HasPrefix(l, "export ") {
			t.Errorf("line %q is neither a command nor a # comment: the output would not paste into a shell", l)
		}
	}
	// The token is the command line's workspace's (db.DefaultWorkspace).
	store, err := db.Open(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	ws, err := store.Workspace(context.Background(), db.DefaultWorkspace)
	if err != nil {
		t.Fatal(err)
	}
	want, err := ws.EngineToken(context.Background())
	store.Close()
	if err != nil || want != tok {
		t.Fatalf("printed token %s, the default workspace's is %s (%v)", tok, want, err)
	}
	if _, _, _, again := contextLines(t, data); again != tok {
		t.Errorf("a second run printed another token: %s then %s", tok, again)
	}
	if _, _, hp, _ := contextLines(t, data, "--public-url", "http://10.0.0.5:8080/"); hp != "10.0.0.5:8080" {
		t.Errorf("--public-url: address %q", hp)
	}
	if out, _, hp, _ := contextLines(t, data, "--public-url=https://lab.example.org"); hp != "lab.example.org:443" || !strings.Contains(out, "TLS options") {
		t.Errorf("https --public-url: address %q, want lab.example.org:443 and a word on TLS:\n%s", hp, out)
	}

	// Against a running server: the lines' token answers, and --rotate replaces it.
	base, stop := startServe(t, data)
	defer stop()
	addr := strings.TrimSuffix(strings.TrimPrefix(base, "http://"), "/")
	_, _, hp, tok = contextLines(t, data, "--addr", addr)
	if hp != addr {
		t.Errorf("--addr %s: address %q", addr, hp)
	}
	if code, msg := enginePing(t, base, tok); code != http.StatusOK {
		t.Fatalf("ping with the printed token: %d %q", code, msg)
	}
	out, _, _, newTok := contextLines(t, data, "--addr="+addr, "--rotate")
	if newTok == tok || !strings.Contains(out, "\ndocker context update layerlab --docker host=tcp://"+addr+"/ws/"+newTok+"\n") ||
		!strings.Contains(out, "the old one stops working now") {
		t.Errorf("--rotate: token %s (was %s), output:\n%s", newTok, tok, out)
	}
	if code, msg := enginePing(t, base, tok); code != http.StatusNotFound || !strings.Contains(msg, "token is unknown or was replaced") {
		t.Errorf("ping with the rotated-away token: %d %q, want 404", code, msg)
	}
	if code, msg := enginePing(t, base, newTok); code != http.StatusOK {
		t.Errorf("ping with the new token: %d %q", code, msg)
	}
}

// TestContextErrors: a usage error is 125 and says what to give.
func TestContextErrors(t *testing.T) {
	data := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no host", []string{"--addr", ":8080"}, `a client cannot connect to ""`},
		{"unspecified host", []string{"--addr", "0.0.0.0:8080"}, `a client cannot connect to "0.0.0.0"`},
		{"no port", []string{"--addr", "127.0.0.1"}, "want HOST:PORT"},
		{"bad port", []string{"--addr", "127.0.0.1:http"}, "the port must be a number"},
		{"port 0", []string{"--addr", "127.0.0.1:0"}, "the port must be a number from 1 to 65535"},
		{"bad public url", []string{"--public-url", "lab.example.org"}, "invalid --public-url"},
		{"public url with a path", []string{"--public-url", "http://lab.example.org/x"}, "invalid --public-url"},
		{"unknown flag", []string{"--rotat"}, "unknown flag or missing value: --rotat"},
		{"missing value", []string{"--addr"}, "unknown flag or missing value: --addr"},
		{"an argument", []string{"default"}, "accepts no arguments"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := layerlab(t, data, append([]string{"context"}, tc.args...)...)
			ee, ok := err.(*exitError)
			if !ok || ee.code != 125 || !strings.Contains(ee.msg, tc.want) || !strings.Contains(ee.msg, "layerlab context --help") {
				t.Errorf("context %v: %v, want exit 125 with %q", tc.args, err, tc.want)
			}
		})
	}
	help, err := layerlab(t, data, "context", "--help")
	if err != nil || !strings.Contains(help, "--rotate") || !strings.Contains(help, "--addr HOST:PORT") || !strings.Contains(help, "DOCKER_BUILDKIT=0") {
		t.Errorf("context --help: %v\n%s", err, help)
	}
	top, err := layerlab(t, data, "--help")
	if err != nil || !regexp.MustCompile(`\n  context +\S`).MatchString(top) {
		t.Errorf("layerlab --help does not list context: %v\n%s", err, top)
	}
}

// TestServeEngineAPIFlag: --engine-api is on by default and listed in serve --help;
// --engine-api=false answers 404 saying so, even for a valid token.
func TestServeEngineAPIFlag(t *testing.T) {
	tests := []struct {
		name string
		args []string
		off  bool
	}{
		{"default", nil, false},
		{"on", []string{"--engine-api"}, false},
		{"on explicitly", []string{"--engine-api=true"}, false},
		{"off", []string{"--engine-api=false"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, _, err := parseServeArgs(tc.args)
			if err != nil || o.noEngineAPI != tc.off {
				t.Errorf("parseServeArgs(%v): off %v, %v; want off %v", tc.args, o.noEngineAPI, err, tc.off)
			}
		})
	}
	if _, _, err := parseServeArgs([]string{"--engine-api=maybe"}); err == nil || !strings.Contains(err.Error(), `"--engine-api" flag`) {
		t.Errorf("--engine-api=maybe: %v", err)
	}
	help, err := layerlab(t, t.TempDir(), "serve", "--help")
	if err != nil || !regexp.MustCompile(`--engine-api +Serve the Docker Engine API.*\(default true\)`).MatchString(help) {
		t.Errorf("serve --help does not list --engine-api with its default: %v\n%s", err, help)
	}

	data := t.TempDir()
	_, _, _, tok := contextLines(t, data)
	base, stop := startServe(t, data, "--engine-api=false")
	code, msg := enginePing(t, base, tok)
	stop()
	if code != http.StatusNotFound || !strings.Contains(msg, "--engine-api=false") {
		t.Errorf("with --engine-api=false a valid token's ping: %d %q, want 404 saying the API is off", code, msg)
	}
	base, stop = startServe(t, data)
	defer stop()
	if code, msg := enginePing(t, base, tok); code != http.StatusOK {
		t.Errorf("with the API on, the same token's ping: %d %q", code, msg)
	}
}

// TestServeSaysContext: serve's first lines tell how to reach a workspace with the
// docker CLI: the `layerlab context` command for its address and data directory, or
// that the API is off.
func TestServeSaysContext(t *testing.T) {
	data := t.TempDir()
	tests := []struct {
		name  string
		flags []string
		want  string
	}{
		{"on", nil, "the command line's workspace's: layerlab --data-dir " + data + " context --addr 127.0.0.1:"},
		{"public url", []string{"--public-url", "http://10.0.0.5:8080"}, "context --public-url http://10.0.0.5:8080\n"},
		{"off", []string{"--engine-api=false"}, "the Docker Engine API is off (--engine-api=false)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			var out, errb syncBuffer
			done := make(chan error, 1)
			go func() {
				args := append([]string{"--data-dir", data, "serve", "--addr", "127.0.0.1:0"}, tc.flags...)
				done <- run(ctx, args, func(string) string { return "" }, strings.NewReader(""), &out, &errb)
			}()
			// serve prints its lines before it serves; shutting down prints the last.
			for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), "layerlab: your own docker CLI") &&
				!strings.Contains(out.String(), "API is off"); time.Sleep(20 * time.Millisecond) {
				select {
				case err := <-done:
					t.Fatalf("serve ended: %v\n%s%s", err, out.String(), errb.String())
				default:
				}
				if time.Now().After(deadline) {
					t.Fatalf("serve printed no docker CLI line:\n%s", out.String())
				}
			}
			cancel()
			if err := <-done; err != nil {
				t.Errorf("shutdown: %v", err)
			}
			if !strings.Contains(out.String(), tc.want) {
				t.Errorf("serve printed\n%s\nwant a line with %q", out.String(), tc.want)
			}
		})
	}
	var c cli
	c.getenv = func(string) string { return "" }
	c.dataDir = defaultDataDir(c.getenv)
	for addr, want := range map[string]string{
		"127.0.0.1:8080": "layerlab context",
		"10.0.0.5:9000":  "layerlab context --addr 10.0.0.5:9000",
		"[::]:8080":      "layerlab context --addr HOST:8080 (HOST: this machine's address as the docker CLI reaches it)",
	} {
		if got := c.contextCommand(addr, ""); got != want {
			t.Errorf("contextCommand(%q) = %q, want %q", addr, got, want)
		}
	}
}
