package handlers

// What the image pages' tests share (the demo image, the command line's own output,
// the rows of the images table), and the tests of what every page and action shares:
// CSRF, separate workspaces, request limits, unknown and malformed references, escaping.
// Each page's and action's own tests are in its file's _test.go.

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"layerlab/db"
	"layerlab/engine/commands"
)

// demoDockerfile is a small lesson image: a COPY layer, a file written then deleted
// (wasted space), metadata-only steps, and a label that must show as text.
const demoDockerfile = `FROM busybox
WORKDIR /app
COPY main.py .
RUN echo hello > /app/big.txt
RUN rm /app/big.txt
LABEL x="<script>alert(1)</script>"
CMD ["python", "main.py"]
`

const demoMain = "print('hi')\n" // 12 bytes

// fixedNow is the clock of tests that compare a page with the command line's output:
// relative times ("About an hour ago") must not move between the two.
var fixedNow = time.Now().Add(75 * time.Minute)

// cli runs a docker command over ws as the command line would (the reference output).
func cli(t *testing.T, ws *db.Workspace, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &commands.Env{Store: ws, Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Now: func() time.Time { return fixedNow }, Prog: "docker"}
	code, _ := commands.Run(context.Background(), env, args) // the text and status are the reference
	return out.String(), errb.String(), code
}

func rowsOf(r *testResponse) [][]string {
	var out [][]string
	for _, row := range r.find("image-row") {
		var cells []string
		for _, id := range []string{"col-repo", "col-tag", "col-id", "col-created", "col-size"} {
			cell := within(row, id)[0]
			if id == "col-repo" {
				cell = cell.FirstChild // the name, without the intermediate/dangling label
			}
			cells = append(cells, nodeText(cell))
		}
		out = append(out, cells)
	}
	return out
}

func findRow(rows [][]string, repo, tag string) []string {
	for _, r := range rows {
		if r[0] == repo && r[1] == tag {
			return r
		}
	}
	return nil
}

func TestImagesCSRFRefused(t *testing.T) {
	env := newTestServer(t)
	env.build("FROM busybox\nLABEL a=1\n", nil, "demo:v1")
	for _, path := range []string{"/images/rm", "/images/tag", "/images/prune"} {
		res := env.postRawForm(path, url.Values{"ref": {"demo:v1"}, "source": {"demo:v1"}, "target": {"x:1"}, "all": {"1"}})
		if res.Code != http.StatusForbidden || !strings.Contains(res.Body, "CSRF token") {
			t.Errorf("POST %s without a token: %d %q", path, res.Code, res.Body)
		}
		res = env.postRawForm(path, url.Values{"ref": {"demo:v1"}, "csrf": {"forged"}})
		if res.Code != http.StatusForbidden {
			t.Errorf("POST %s with a wrong token: %d", path, res.Code)
		}
	}
	for _, path := range []string{"/api/images/rm", "/api/terminal", "/api/inspect/format"} {
		req, _ := http.NewRequest(http.MethodPost, env.url(path), strings.NewReader(`{"ref":"demo:v1","cmd":"docker rmi demo:v1"}`))
		req.Header.Set("Content-Type", "application/json")
		if res := env.do(req); res.Code != http.StatusForbidden {
			t.Errorf("POST %s without the header: %d", path, res.Code)
		}
	}
	if _, err := env.workspace().Lookup(context.Background(), "demo:v1"); err != nil {
		t.Errorf("a refused request removed demo:v1: %v", err)
	}
}

func TestImagesSessionsAreSeparate(t *testing.T) {
	env := newTestServer(t)
	alice, bob := env.browser, env.newBrowser()
	res := alice.build("FROM busybox\nLABEL owner=alice\n", nil, "alice:v1")
	if alice.workspace().Name() == bob.workspace().Name() {
		t.Fatal("two browsers share a workspace")
	}
	if findRow(rowsOf(bob.get("/images?all=1")), "alice", "v1") != nil {
		t.Error("bob's images page lists alice's image")
	}
	bob.get("/images/alice:v1/history").wantCode(http.StatusNotFound)
	bob.get("/images/" + res.Image.String() + "/inspect").wantCode(http.StatusNotFound)
	bob.postForm("/images/rm", url.Values{"ref": {res.Image.String()}}).wantCode(http.StatusNotFound)
	// docker rmi -f exits 0 when the only errors were missing images: said, not hidden.
	forced := bob.postForm("/images/rm", url.Values{"ref": {res.Image.String()}, "force": {"1"}}).wantCode(http.StatusOK)
	if got := forced.text("flash-error"); got != "Error: No such image: "+res.Image.String() {
		t.Errorf("bob's rm -f of alice's image: %q", got)
	}
	bob.postForm("/images/tag", url.Values{"source": {"alice:v1"}, "target": {"bob:v1"}}).wantCode(http.StatusNotFound)
	var out termResponse
	bob.postJSON("/api/terminal", map[string]string{"cmd": "docker image rm alice:v1"}).wantCode(http.StatusOK).json(&out)
	if out.ExitCode == 0 || !strings.Contains(out.Output, "No such image: alice:v1") {
		t.Errorf("bob's terminal rm of alice's image: %+v", out)
	}
	bob.postJSON("/api/terminal", map[string]string{"cmd": "docker image prune -a -f"}).wantCode(http.StatusOK)
	if findRow(rowsOf(alice.get("/images")), "alice", "v1") == nil {
		t.Error("alice's image is gone after bob's commands")
	}
}

func TestImagesRequestLimits(t *testing.T) {
	env := newTestServer(t)
	big := strings.Repeat("a", maxImageFormBytes+1)
	var e struct{ Error string }
	env.postJSON("/api/images/tag", map[string]string{"source": big, "target": "x:1"}).wantCode(http.StatusRequestEntityTooLarge).json(&e)
	if !strings.Contains(e.Error, "request too large") {
		t.Errorf("error = %q", e.Error)
	}
	// A form carrying the token in the header is limited by the action itself.
	req, _ := http.NewRequest(http.MethodPost, env.url("/images/rm"), strings.NewReader(url.Values{"ref": {big}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-CSRF-Token", env.token())
	if res := env.do(req); res.Code != http.StatusRequestEntityTooLarge || !strings.Contains(res.Body, "request too large") {
		t.Errorf("big form: %d", res.Code)
	}
	res := env.postForm("/images/rm", url.Values{"ref": {strings.Repeat("a", maxRefLen+1)}})
	if res.Code != http.StatusRequestEntityTooLarge || !strings.Contains(res.Body, "longer than 512 bytes") {
		t.Errorf("long reference: %d", res.Code)
	}
}

func TestHistoryAndInspectErrors(t *testing.T) {
	env := newTestServer(t)
	env.build("FROM busybox\nLABEL a=1\n", nil, "demo:v1")
	tests := []struct {
		name, path string
		code       int
		msg        []string
	}{
		{"unknown image", "/images/nope:1/history", http.StatusNotFound, []string{"No such image: nope:1", "Images page"}},
		{"unknown ID", "/images/0123456789ab/inspect", http.StatusNotFound, []string{"No such image: 0123456789ab"}},
		{"bad reference", "/images/Demo:V1/history", http.StatusBadRequest, []string{"invalid reference format: repository name must be lowercase"}},
		{"no reference", "/images/history", http.StatusBadRequest, []string{"no image named"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := env.withT(t)
			page := env.get(tc.path).wantCode(tc.code)
			got := page.text("error-page")
			for _, m := range tc.msg {
				if !strings.Contains(got, m) {
					t.Errorf("error page %q lacks %q", got, m)
				}
			}
		})
	}
}

func TestEscapeOnImagePages(t *testing.T) {
	env := newTestServer(t)
	evil := "<img src=x onerror=alert(1)>.txt"
	env.build("FROM busybox\nCOPY . /ctx/\nLABEL x=\"<script>alert(1)</script>\"\n",
		map[string]string{evil: "boo\n"}, "demo:v1")
	for _, path := range []string{"/images/demo:v1/history", "/images/demo:v1/inspect", "/images?all=1"} {
		page := env.get(path).wantCode(http.StatusOK)
		for _, raw := range []string{"<script>alert(1)</script>", "<img src=x"} {
			if strings.Contains(page.Body, raw) {
				t.Errorf("%s contains the raw %q", path, raw)
			}
		}
		if path != "/images?all=1" && !strings.Contains(page.Body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
			t.Errorf("%s does not show the label as text", path)
		}
	}
	hist := env.get("/images/demo:v1/history")
	if !strings.Contains(hist.Body, "/ctx/&lt;img src=x onerror=alert(1)&gt;.txt") {
		t.Error("the history page does not list the file name as text")
	}
	// JSON answers escape too (a page inserting them as HTML by mistake stays safe).
	var out termResponse
	res := env.postJSON("/api/terminal", map[string]string{"cmd": "docker inspect --format '{{json .Config.Labels}}' demo:v1"}).wantCode(http.StatusOK)
	res.json(&out)
	if strings.Contains(res.Body, "<script>") || out.Output != `{"x":"<script>alert(1)</script>"}`+"\n" {
		t.Errorf("terminal JSON %s", res.Body)
	}
}
