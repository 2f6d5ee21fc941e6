package e2e

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRedTeamHeld keeps, as regression tests, the probes of issue 12 the server already
// withstood: CSRF, path traversal, sandbox escape, XSS and slow clients. Workspace
// isolation and the websocket's origin check are TestWorkspacesAreIsolated and
// TestWebsocketRefusesForeignOrigin (security_test.go); crash consistency is
// TestRedTeam/crash.
func TestRedTeamHeld(t *testing.T) {
	t.Run("csrf", func(t *testing.T) {
		rt := startRedteam(t)
		c, err := newRTClient(rt.URL)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.put("a.txt", "a"); err != nil {
			t.Fatal(err)
		}
		body := `{"path":"csrf.txt","content":"x"}`
		for _, tc := range []struct {
			name   string
			token  string
			origin string
		}{
			{name: "no token", token: ""},
			{name: "wrong token", token: strings.Repeat("0", 32)},
			{name: "foreign origin", token: c.csrf, origin: "http://evil.example"},
		} {
			req := mustReq(http.MethodPut, rt.URL+"/api/context/file", body)
			req.Header.Set("Content-Type", "application/json")
			if tc.token != "" {
				req.Header.Set("X-CSRF-Token", tc.token)
			}
			if tc.origin != "" {
				req.Header.Set("Origin", tc.origin)
			}
			res, err := c.http.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusForbidden {
				t.Errorf("%s: PUT /api/context/file answered %d, want 403", tc.name, res.StatusCode)
			}
		}
		// A plain cross-site form post carries the cookie but no token.
		req := mustReq(http.MethodPost, rt.URL+"/images/prune", "all=1")
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := c.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("a form post without the csrf field answered %d, want 403", res.StatusCode)
		}
		if _, body, _ := c.do(http.MethodGet, "/api/context", nil); strings.Contains(body, "csrf.txt") {
			t.Errorf("a refused request stored its file: %s", oneLine(body, 300))
		}
	})

	t.Run("traversal", func(t *testing.T) {
		rt := startRedteam(t)
		c, err := newRTClient(rt.URL)
		if err != nil {
			t.Fatal(err)
		}
		outside := filepath.Join(t.TempDir(), "traversal-marker")
		rel, _ := filepath.Rel(rt.DataDir, outside)
		for _, p := range []string{"../../../../../../.." + outside, rel, "/" + outside, `..\..\x`} {
			code, body, err := c.do(http.MethodPut, "/api/context/file", map[string]string{"path": p, "content": "x"})
			if err != nil {
				t.Fatal(err)
			}
			if code == http.StatusOK && !strings.Contains(body, `"path":"`) {
				t.Errorf("PUT %q: %d %s", p, code, body)
			}
		}
		// A tar upload whose entry climbs out of the context.
		var tb bytes.Buffer
		tw := tar.NewWriter(&tb)
		tw.WriteHeader(&tar.Header{Name: "../../../../../../.." + outside, Mode: 0o644, Size: 1})
		tw.Write([]byte("x"))
		tw.Close()
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, _ := mw.CreateFormFile("tar", "evil.tar")
		fw.Write(tb.Bytes())
		mw.Close()
		req := mustReq(http.MethodPost, rt.URL+"/api/context/upload", "")
		req.Body = io.NopCloser(&body)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("X-CSRF-Token", c.csrf)
		if res, err := c.http.Do(req); err == nil {
			res.Body.Close()
		}
		// COPY of a path outside the context.
		b, err := c.build(rtBase+"COPY ../../../../../../../etc/passwd /p\n", 60*time.Second)
		if err == nil && b.State == "succeeded" {
			if log, _ := c.buildLog(b.ID); strings.Contains(log, "root:x:0:0") {
				t.Errorf("COPY ../etc/passwd copied the host's file")
			}
		}
		if _, err := os.Stat(outside); err == nil {
			t.Errorf("a context path wrote %s, outside the data directory", outside)
		}
		// The static files and the hub's blobs stay in their own trees.
		for _, p := range []string{"/static/../../go.mod", "/static/..%2f..%2fgo.mod", "/v2/library/alpine/blobs/sha256:..%2F..%2F..%2Fetc%2Fpasswd"} {
			code, body, _ := c.do(http.MethodGet, p, nil)
			if strings.Contains(body, "module layerlab") || strings.Contains(body, "root:x:0:0") {
				t.Errorf("GET %s (%d) served a file outside its tree", p, code)
			}
		}
	})

	// The sandbox runs RUN in a virtual filesystem: it reads none of the host's files
	// and writes none.
	t.Run("escape", func(t *testing.T) {
		rt := startRedteam(t)
		c, err := newRTClient(rt.URL)
		if err != nil {
			t.Fatal(err)
		}
		marker := filepath.Join(t.TempDir(), "escape-marker")
		gomod := filepath.Join(moduleRoot, "go.mod")
		run := fmt.Sprintf("RUN echo pwned > %s; cat %s; cat /proc/self/environ; ls %s; true\n", marker, gomod, rt.DataDir)
		b, err := c.build(rtBase+run, 60*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		log, _ := c.buildLog(b.ID)
		if strings.Contains(log, "module layerlab") {
			t.Errorf("RUN read the host's %s", gomod)
		}
		if strings.Contains(log, "layerlab.db") || strings.Contains(log, "blobs") {
			t.Errorf("RUN listed the server's data directory:\n%s", tail(log, 500))
		}
		if _, err := os.Stat(marker); err == nil {
			t.Errorf("RUN wrote %s on the host", marker)
		}
	})

	// What a student types comes back escaped on the pages (their Dockerfile line in
	// the history, a tag, a file name).
	t.Run("xss", func(t *testing.T) {
		rt := startRedteam(t)
		c, err := newRTClient(rt.URL)
		if err != nil {
			t.Fatal(err)
		}
		const payload = `<script>alert(1)</script>`
		b, err := c.build(rtBase+"RUN echo '"+payload+"' > /x\nLABEL a=\""+payload+"\"\n", 60*time.Second)
		if err != nil || b.State != "succeeded" {
			t.Fatalf("the build: %v %s", err, b.Error)
		}
		c.put("x<img src=x onerror=alert(1)>.txt", "x")
		code, body, err := c.do(http.MethodGet, "/api/builds/"+b.ID, nil)
		if err != nil || code != http.StatusOK {
			t.Fatalf("GET /api/builds/%s: %d %v", b.ID, code, err)
		}
		var img struct {
			Image string `json:"image"`
		}
		if err := json.Unmarshal([]byte(body), &img); err != nil || len(img.Image) < 19 {
			t.Fatalf("GET /api/builds/%s: %s: %v", b.ID, body, err)
		}
		short := strings.TrimPrefix(img.Image, "sha256:")[:12]
		for _, p := range []string{"/", "/images", "/images/" + short + "/history", "/images/" + short + "/inspect"} {
			code, page, err := c.do(http.MethodGet, p, nil)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(page, payload) || strings.Contains(page, "<img src=x") {
				t.Errorf("GET %s (%d) has the payload unescaped", p, code)
			}
		}
	})

	// Slow clients: 50 connections that send half a request and stop are cut by the
	// server's header timeout, while a victim builds.
	t.Run("slow-clients", func(t *testing.T) {
		rt := startRedteam(t)
		victim, err := newVictim(rt.URL)
		if err != nil {
			t.Fatal(err)
		}
		saw := rt.attack(t, victim, func(loaded func()) string {
			addr := strings.TrimPrefix(rt.URL, "http://")
			var conns []net.Conn
			for range 50 {
				conn, err := net.Dial("tcp", addr)
				if err != nil {
					return err.Error()
				}
				fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: %s\r\nX-Slow: ", addr)
				conns = append(conns, conn)
			}
			loaded()
			closed := 0
			deadline := time.Now().Add(30 * time.Second)
			for _, conn := range conns {
				conn.SetReadDeadline(deadline)
				if _, err := conn.Read(make([]byte, 1)); err != nil {
					if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
						closed++
					}
				} else {
					closed++ // the server answered (408) and will close
				}
				conn.Close()
			}
			return fmt.Sprintf("%d of 50 half-sent requests cut by the server within 30 s", closed)
		})
		if !strings.HasPrefix(saw, "50 of 50") {
			t.Errorf("%s; want every one cut by the header timeout", saw)
		}
	})
}
