package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"layerlab/remote"
)

// frame is one websocket message of a transfer: a Docker JSON stream message.
type frame struct {
	ID       string         `json:"id"`
	Status   string         `json:"status"`
	Progress *remote.Detail `json:"progressDetail"`
	Error    string         `json:"error"`
	Detail   *errorDetail   `json:"errorDetail"`
	Hint     string         `json:"hint"`
}

type transferJSON struct {
	ID       string           `json:"id"`
	Kind     string           `json:"kind"`
	Cmd      string           `json:"cmd"`
	Repo     string           `json:"repo"`
	Messages []remote.Message `json:"messages"`
	Output   string           `json:"output"`
	End      *transferEnd     `json:"end"`
	Error    string           `json:"error"`
}

func (b *pgBrowser) startTransfer(kind, ref string) transferJSON {
	b.t.Helper()
	var res transferJSON
	if code := b.json("POST", "/api/"+kind, map[string]string{"ref": ref}, &res); code != http.StatusAccepted {
		b.t.Fatalf("POST /api/%s %q: %d %s", kind, ref, code, res.Error)
	}
	return res
}

// watchTransfer reads a transfer's stream to its end and checks it closes normally.
func (b *pgBrowser) watchTransfer(id string) []frame {
	b.t.Helper()
	conn, res, err := b.dialTransfer(id, "")
	if err != nil {
		b.t.Fatalf("dial: %v (%v)", err, res)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(60 * time.Second))
	var fs []frame
	for {
		var f frame
		if err := conn.ReadJSON(&f); err != nil {
			if !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
				b.t.Fatalf("read: %v (after %d frames)", err, len(fs))
			}
			return fs
		}
		fs = append(fs, f)
	}
}

func (b *pgBrowser) dialTransfer(id, origin string) (*websocket.Conn, *http.Response, error) {
	u := "ws" + strings.TrimPrefix(b.srv.URL, "http") + "/ws/transfers/" + id
	h := http.Header{}
	if origin == "" {
		origin = b.srv.URL
	}
	h.Set("Origin", origin)
	jar := b.c.Jar
	d := *websocket.DefaultDialer
	d.Jar = jar
	return d.Dial(u, h)
}

// lines renders frames as the docker CLI prints them without a terminal.
func lines(fs []frame) string {
	var sb strings.Builder
	for _, f := range fs {
		switch {
		case f.Progress != nil:
		case f.Error != "":
			sb.WriteString(f.Error + "\n")
		case f.ID != "":
			sb.WriteString(f.ID + ": " + f.Status + "\n")
		default:
			sb.WriteString(f.Status + "\n")
		}
	}
	return sb.String()
}

// checkBars: each layer's bars only count up, never past the total, and come before
// the layer's later lines. It returns how many layers had bars.
func checkBars(t *testing.T, fs []frame, status string) int {
	t.Helper()
	cur, total, moved := map[string]int64{}, map[string]int64{}, map[string]bool{}
	for _, f := range fs {
		if f.Progress == nil {
			if _, ok := total[f.ID]; ok {
				moved[f.ID] = true
			}
			continue
		}
		if f.Status != status || f.Progress.Current < cur[f.ID] || f.Progress.Current > f.Progress.Total || moved[f.ID] {
			t.Errorf("bar %+v %+v after %d", f, f.Progress, cur[f.ID])
		}
		cur[f.ID], total[f.ID] = f.Progress.Current, f.Progress.Total
	}
	return len(total)
}

// The images page's pull and push: started over the API, watched over a websocket as
// Docker's JSON stream (bars included), printed as Docker prints them.
func TestWebPushPull(t *testing.T) {
	srv := newPGServer(t)
	alice := newPGBrowser(t, srv)
	alice.put("Dockerfile", "FROM busybox\nCOPY a /a\nCOPY big /big\n")
	alice.put("a", "alice\n")
	alice.put("big", strings.Repeat("layerlab teaches layers\n", 40_000))
	if out, code := alice.term("docker build -t demo:v1 ."); code != 0 {
		t.Fatalf("build: %d\n%s", code, out)
	}

	push := alice.startTransfer("pushes", "demo:v1")
	if push.Cmd != "docker push demo:v1" || push.Kind != "push" || !strings.HasPrefix(push.Repo, "web-") || !strings.HasSuffix(push.Repo, "/demo") {
		t.Errorf("push started as %+v", push)
	}
	fs := alice.watchTransfer(push.ID)
	out := lines(fs)
	if !strings.HasPrefix(out, "The push refers to repository [docker.io/library/demo]\n") ||
		strings.Count(out, ": Preparing\n") != 3 || strings.Count(out, ": Pushed\n") != 3 ||
		!regexpMatch(`\nv1: digest: sha256:[0-9a-f]{64} size: \d+\n$`, out) {
		t.Errorf("push printed\n%s", out)
	}
	if n := checkBars(t, fs, "Pushing"); n != 3 {
		t.Errorf("Pushing bars for %d layers, want 3", n)
	}
	// What the terminal would have printed (its output minus its [layerlab] line).
	var snap transferJSON
	alice.json("GET", "/api/transfers/"+push.ID, nil, &snap)
	if snap.End == nil || !snap.End.OK || snap.Output != out {
		t.Errorf("snapshot %+v\noutput\n%s", snap.End, snap.Output)
	}
	// A browser that comes back after the end gets every line again, and the end.
	if again := lines(alice.watchTransfer(push.ID)); again != out {
		t.Errorf("second watch\n%s", again)
	}

	// Pull it back after removing it: Downloading bars, then Docker's lines.
	alice.term("docker rmi demo:v1")
	pull := alice.startTransfer("pulls", "demo:v1")
	fs = alice.watchTransfer(pull.ID)
	out = lines(fs)
	// Docker names the repository as the reference does: library/demo for demo:v1.
	if !strings.HasPrefix(out, "v1: Pulling from library/demo\n") ||
		!strings.HasSuffix(out, "Status: Downloaded newer image for demo:v1\n") {
		t.Errorf("pull printed\n%s", out)
	}
	if checkBars(t, fs, "Downloading") == 0 && !strings.Contains(out, "Already exists") {
		t.Errorf("no Downloading bars and no Already exists:\n%s", out)
	}
	if out, code := alice.term("docker images demo"); code != 0 || !strings.Contains(out, "demo         v1") {
		t.Errorf("after the web pull, docker images:\n%s", out)
	}
	// Again: up to date.
	out = lines(alice.watchTransfer(alice.startTransfer("pulls", "demo:v1").ID))
	if !strings.HasSuffix(out, "Status: Image is up to date for demo:v1\n") {
		t.Errorf("second pull printed\n%s", out)
	}
	// A default tag, as Docker says it.
	alice.term("docker tag demo:v1 demo:latest")
	alice.watchTransfer(alice.startTransfer("pushes", "demo").ID)
	out = lines(alice.watchTransfer(alice.startTransfer("pulls", "demo").ID))
	if !strings.HasPrefix(out, "Using default tag: latest\nlatest: Pulling from ") {
		t.Errorf("pull without a tag printed\n%s", out)
	}
}

func regexpMatch(re, s string) bool {
	return mustRegexp(re).MatchString(s)
}

// What cannot be pulled or pushed says why, and changes nothing; a transfer is only
// visible to its own workspace and its own origin.
func TestWebTransferErrors(t *testing.T) {
	srv := newPGServer(t)
	alice, bob := newPGBrowser(t, srv), newPGBrowser(t, srv)
	alice.put("Dockerfile", "FROM busybox\nCOPY a /a\n")
	alice.put("a", "alice\n")
	alice.term("docker build -t demo:v1 .")

	for _, c := range []struct {
		kind, ref, want string
		code            int
	}{
		{"pulls", "", `"docker pull" requires exactly 1 argument`, http.StatusBadRequest},
		{"pulls", "127.0.0.1:5000/team/app:1", "built-in hub only", http.StatusBadRequest},
		{"pulls", "UPPER:case", "invalid reference format", http.StatusBadRequest},
		{"pushes", "team/demo:v1", "denied: requested access to the resource is denied", http.StatusForbidden},
		{"pulls", strings.Repeat("a", 600), "longer than 512 characters", http.StatusBadRequest},
	} {
		var res transferJSON
		if code := alice.json("POST", "/api/"+c.kind, map[string]string{"ref": c.ref}, &res); code != c.code || !strings.Contains(res.Error, c.want) {
			t.Errorf("%s %q: %d %q, want %d %q", c.kind, c.ref, code, res.Error, c.code, c.want)
		}
	}

	// A missing image ends the stream with Docker's error shape.
	fs := alice.watchTransfer(alice.startTransfer("pulls", "nope:v1").ID)
	last := fs[len(fs)-1]
	if last.Error == "" || !strings.Contains(last.Error, "manifest for nope:v1 not found") || last.Detail == nil || last.Detail.Message != last.Error {
		t.Errorf("missing image: last frame %+v", last)
	}
	// A push of a tag the workspace lacks: Docker's text.
	fs = alice.watchTransfer(alice.startTransfer("pushes", "nothere:v1").ID)
	if last := fs[len(fs)-1]; !strings.Contains(last.Error, "An image does not exist locally with the tag: nothere") {
		t.Errorf("push of a missing tag: %+v", last)
	}

	// Bob cannot see, watch or cancel Alice's transfer.
	id := alice.startTransfer("pushes", "demo:v1").ID
	alice.watchTransfer(id)
	var res transferJSON
	if code := bob.json("GET", "/api/transfers/"+id, nil, &res); code != http.StatusNotFound {
		t.Errorf("bob reads alice's transfer: %d", code)
	}
	if code := bob.json("POST", "/api/transfers/"+id+"/cancel", nil, &res); code != http.StatusNotFound {
		t.Errorf("bob cancels alice's transfer: %d", code)
	}
	if _, resp, err := bob.dialTransfer(id, ""); err == nil || resp == nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("bob watches alice's transfer: %v %v", err, resp)
	}
	// Another origin cannot open the stream; a post without the CSRF token is refused.
	if _, resp, err := alice.dialTransfer(id, "http://evil.example"); err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("foreign origin: %v %v", err, resp)
	}
	csrf := alice.csrf
	alice.csrf = ""
	if code := alice.json("POST", "/api/pulls", map[string]string{"ref": "demo:v1"}, &res); code != http.StatusForbidden {
		t.Errorf("pull without the CSRF token: %d", code)
	}
	alice.csrf = csrf
}

// Without JavaScript the forms post, wait for the end and show Docker's lines.
func TestWebTransferForms(t *testing.T) {
	srv := newPGServer(t)
	alice := newPGBrowser(t, srv)
	alice.put("Dockerfile", "FROM busybox\nCOPY a /a\n")
	alice.put("a", "alice\n")
	alice.term("docker build -t demo:v1 .")
	alice.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	form := func(path, ref string) (int, string) {
		v := url.Values{"csrf": {alice.csrf}, "ref": {ref}}
		return alice.do("POST", path, "application/x-www-form-urlencoded", strings.NewReader(v.Encode()))
	}
	if code, body := form("/images/push", "demo:v1"); code != http.StatusSeeOther {
		t.Fatalf("push form: %d\n%s", code, body)
	}
	alice.c.CheckRedirect = nil
	code, body := alice.do("GET", "/images", "", nil)
	if code != 200 || !strings.Contains(body, "docker push demo:v1") || !strings.Contains(body, ": Pushed") {
		t.Errorf("images page after the push form: %d\n%s", code, body)
	}
	code, body = form("/images/pull", "127.0.0.1:5000/x:1")
	if code != http.StatusBadRequest || !strings.Contains(body, "built-in hub only") {
		t.Errorf("pull form with an address: %d", code)
	}
}

// The manager's bounds: two running per workspace, the rest refused with a message;
// close cancels what runs; ended transfers are forgotten after a while.
func TestTransferBounds(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	ts := newTransfers(func() time.Time { return now })
	block := func(ctx context.Context, _ func(remote.Message)) error { <-ctx.Done(); return ctx.Err() }
	a1, err := ts.start("a", "pull", "x", "docker pull x", "ns/x", block)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.start("a", "pull", "y", "docker pull y", "ns/y", block); err != nil {
		t.Fatal(err)
	}
	var he *httpError
	if _, err := ts.start("a", "pull", "z", "docker pull z", "ns/z", block); !errors.As(err, &he) || he.status != http.StatusTooManyRequests {
		t.Errorf("third running transfer: %v", err)
	}
	if _, err := ts.start("b", "pull", "z", "docker pull z", "ns/z", block); err != nil {
		t.Errorf("another workspace: %v", err)
	}
	if _, err := ts.get("b", a1.ID); err == nil {
		t.Error("workspace b sees a's transfer")
	}
	a1.cancel()
	wake := a1.watch()
	for a1.end() == nil {
		<-wake
	}
	if e := a1.end(); e.OK || !e.Canceled || e.Hint == "" {
		t.Errorf("cancelled: %+v", e)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ts.close(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.start("a", "pull", "x", "docker pull x", "ns/x", block); err == nil {
		t.Error("started after close")
	}
	now = now.Add(transferKeep + time.Minute)
	ts.mu.Lock()
	ts.expireLocked()
	n := len(ts.byID)
	ts.mu.Unlock()
	if n != 0 {
		t.Errorf("%d transfers kept past %v", n, transferKeep)
	}
}

func mustRegexp(re string) *regexp.Regexp { return regexp.MustCompile(re) }

// A watcher gets each layer's latest bar between the lines it came between, and every
// bar that moved at least once, however late it reads.
func TestTransferSinceOrder(t *testing.T) {
	tr := &transfer{bars: map[string]*barState{}, wake: map[chan struct{}]struct{}{}}
	bar := func(id string, cur int64) remote.Message {
		return remote.Message{ID: id, Status: "Downloading", Progress: &remote.Detail{Current: cur, Total: 100}}
	}
	show := func(ms []remote.Message) string {
		var out []string
		for _, m := range ms {
			if m.Progress != nil {
				out = append(out, fmt.Sprintf("%s=%d", m.ID, m.Progress.Current))
			} else {
				out = append(out, m.ID+":"+m.Status)
			}
		}
		return strings.Join(out, " ")
	}
	var mid cursor
	tr.progress(remote.Message{ID: "x", Status: "Pulling fs layer"})
	tr.progress(remote.Message{ID: "y", Status: "Pulling fs layer"})
	tr.progress(bar("x", 0))
	tr.progress(bar("y", 10))
	tr.since(&mid)
	tr.progress(bar("x", 50))
	tr.progress(bar("x", 100))
	tr.progress(remote.Message{ID: "x", Status: "Download complete"})
	tr.progress(bar("y", 100))
	tr.progress(remote.Message{ID: "y", Status: "Download complete"})
	got, _ := tr.since(&cursor{})
	if want := "x:Pulling fs layer y:Pulling fs layer x=100 x:Download complete y=100 y:Download complete"; show(got) != want {
		t.Errorf("from the start:\n got %s\nwant %s", show(got), want)
	}
	got, _ = tr.since(&mid)
	if want := "x=100 x:Download complete y=100 y:Download complete"; show(got) != want {
		t.Errorf("from the middle:\n got %s\nwant %s", show(got), want)
	}
	if got, _ = tr.since(&mid); len(got) != 0 {
		t.Errorf("nothing new, got %s", show(got))
	}
}
