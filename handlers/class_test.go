package handlers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"layerlab/db"
)

// postFormStay submits a form as b and returns the redirect's target without
// following it (the class's dashboard, another helper's page, is not needed here).
func (b *browser) postFormStay(path string, values url.Values) (int, string) {
	b.t.Helper()
	v := url.Values{"csrf": {b.token()}}
	for k, vs := range values {
		v[k] = vs
	}
	req, _ := http.NewRequest(http.MethodPost, b.url(path), strings.NewReader(v.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res := b.noRedirect(req)
	return res.StatusCode, res.Header.Get("Location")
}

// teacherBrowser is a browser that opened the teacher link.
func (e *testEnv) teacherBrowser() *browser {
	e.t.Helper()
	b := e.newBrowser()
	key, err := TeacherKey(context.Background(), e.Store)
	if err != nil {
		e.t.Fatal(err)
	}
	res := b.get("/teach/login?key=" + key).wantCode(http.StatusOK)
	if res.URL.Path != "/teach" || len(res.find("teach-page")) == 0 {
		e.t.Fatalf("teacher link led to %s, want /teach", res.URL)
	}
	return b
}

// createClass creates a class as teacher b and returns it (from the store).
func (b *browser) createClass(name string) *db.Class {
	b.t.Helper()
	res := b.postForm("/teach/classes", url.Values{"name": {name}, "lesson": {"docker-images"}}).wantCode(http.StatusOK)
	m := regexp.MustCompile(`^/teach/([0-9a-f]{16})/join$`).FindStringSubmatch(res.URL.Path)
	if m == nil {
		b.t.Fatalf("creating a class led to %s, want /teach/{class}/join", res.URL)
	}
	c, err := b.env.Store.Class(context.Background(), m[1])
	if err != nil {
		b.t.Fatal(err)
	}
	return c
}

// join submits the join form as b.
func (b *browser) join(code, name string) *testResponse {
	b.t.Helper()
	return b.postForm("/join", url.Values{"code": {code}, "name": {name}})
}

// noRedirect sends req as b without following a redirect (to read its Set-Cookie).
func (b *browser) noRedirect(req *http.Request) *http.Response {
	b.t.Helper()
	c := *b.client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

func TestTeachLogin(t *testing.T) {
	env := newTestServer(t)
	key, err := TeacherKey(context.Background(), env.Store)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, key string
	}{
		{"no key", ""},
		{"wrong key", "AAAAAAAAAAAAAAAAAAAAAA"},
		{"key with a character changed", key[:len(key)-1] + otherLetter(key[len(key)-1])},
		{"key with more after it", key + "x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := env.newBrowser().withT(t)
			res := b.get("/teach/login?key=" + url.QueryEscape(tc.key)).wantCode(http.StatusForbidden)
			if !strings.Contains(res.Body, "ask the server") || !strings.Contains(res.Body, "layerlab teacher link") {
				t.Errorf("a wrong key's page does not say to ask for the link again:\n%s", res.Body)
			}
			b.get("/teach").wantCode(http.StatusForbidden)
		})
	}
	t.Run("right key", func(t *testing.T) {
		b := env.newBrowser().withT(t)
		req, _ := http.NewRequest(http.MethodGet, b.url("/teach/login?key="+key), nil)
		res := b.noRedirect(req)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/teach" {
			t.Fatalf("status %d to %q, want 303 to /teach", res.StatusCode, res.Header.Get("Location"))
		}
		var tc *http.Cookie
		for _, c := range res.Cookies() {
			if c.Name == teacherCookie {
				tc = c
			}
		}
		if tc == nil || !tc.HttpOnly || tc.SameSite != http.SameSiteLaxMode || tc.Path != "/" {
			t.Fatalf("teacher cookie %+v: want HttpOnly, SameSite=Lax, Path=/", tc)
		}
		b.get("/teach").wantCode(http.StatusOK)
		// The link stored the workspace the cookie names.
		if _, err := env.Store.ExistingWorkspace(context.Background(), strings.Split(tc.Value, ".")[0]); err != nil {
			t.Errorf("the teacher's workspace is not stored: %v", err)
		}
	})
}

func TestTeacherCookieSecure(t *testing.T) {
	env := newTestServer(t, func(d *Deps) { d.Secure = true })
	key, _ := TeacherKey(context.Background(), env.Store)
	b := env.newBrowser()
	req, _ := http.NewRequest(http.MethodGet, b.url("/teach/login?key="+key), nil)
	for _, c := range b.noRedirect(req).Cookies() {
		if c.Name == teacherCookie && !c.Secure {
			t.Errorf("teacher cookie not Secure on a server with Secure set")
		}
	}
}

// A student (no teacher cookie) gets 403 from every teacher page and action, with a
// message that names the teacher link.
func TestTeachRefusesStudent(t *testing.T) {
	env := newTestServer(t)
	teacher := env.teacherBrowser()
	c := teacher.createClass("Docker 101")
	student := env.newBrowser()
	student.join(c.Code, "Ana").wantCode(http.StatusOK)
	ws := student.workspace().Name()
	for _, tc := range []struct {
		name, method, path string
	}{
		{"teach index", "GET", "/teach"},
		{"join page", "GET", "/teach/" + c.ID + "/join"},
		{"create", "POST", "/teach/classes"},
		{"close", "POST", "/teach/" + c.ID + "/close"},
		{"rename", "POST", "/teach/" + c.ID + "/students/" + ws + "/rename"},
		{"remove", "POST", "/teach/" + c.ID + "/students/" + ws + "/remove"},
		{"reset", "POST", "/teach/" + c.ID + "/students/" + ws + "/reset"},
		{"quota", "POST", "/teach/" + c.ID + "/students/" + ws + "/quota"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := student.withT(t)
			var res *testResponse
			if tc.method == "GET" {
				res = s.get(tc.path)
			} else {
				res = s.postForm(tc.path, url.Values{"name": {"Bob"}, "quota": {"1GiB"}, "lesson": {"docker-images"}})
			}
			res.wantCode(http.StatusForbidden)
			if !strings.Contains(res.Body, "layerlab teacher link") || !strings.Contains(res.Body, "teacher") {
				t.Errorf("refusal does not name the teacher link:\n%s", res.Body)
			}
		})
	}
	if cl, err := env.Store.Class(context.Background(), c.ID); err != nil || !cl.Closed.IsZero() {
		t.Errorf("class after the student's tries: %+v, %v; want it open", cl, err)
	}
	if m, err := env.Store.MemberOf(context.Background(), ws); err != nil || m.Name != "Ana" || m.Quota != 0 {
		t.Errorf("student after the tries: %+v, %v; want Ana, default quota", m, err)
	}
}

// A teacher of one class gets 403 on another teacher's class, for every page and action.
func TestTeachRefusesOtherTeacher(t *testing.T) {
	env := newTestServer(t)
	a, b := env.teacherBrowser(), env.teacherBrowser()
	ca := a.createClass("Class A")
	b.createClass("Class B")
	student := env.newBrowser()
	student.join(ca.Code, "Ana").wantCode(http.StatusOK)
	ws := student.workspace().Name()
	for _, tc := range []struct {
		name, method, path string
	}{
		{"join page", "GET", "/teach/" + ca.ID + "/join"},
		{"close", "POST", "/teach/" + ca.ID + "/close"},
		{"rename", "POST", "/teach/" + ca.ID + "/students/" + ws + "/rename"},
		{"remove", "POST", "/teach/" + ca.ID + "/students/" + ws + "/remove"},
		{"reset", "POST", "/teach/" + ca.ID + "/students/" + ws + "/reset"},
		{"quota", "POST", "/teach/" + ca.ID + "/students/" + ws + "/quota"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bb := b.withT(t)
			var res *testResponse
			if tc.method == "GET" {
				res = bb.get(tc.path)
			} else {
				res = bb.postForm(tc.path, url.Values{"name": {"Bob"}, "quota": {"1GiB"}})
			}
			res.wantCode(http.StatusForbidden)
			if !strings.Contains(res.Body, "this class belongs to another teacher") {
				t.Errorf("refusal does not say the class is another teacher's:\n%s", res.Body)
			}
		})
	}
	// B's index lists B's class only.
	page := b.get("/teach").wantCode(http.StatusOK)
	if names := page.texts("teach-class-name"); len(names) != 1 || names[0] != "Class B" {
		t.Errorf("B's classes: %q, want [Class B]", names)
	}
	if m, err := env.Store.MemberOf(context.Background(), ws); err != nil || m.Name != "Ana" {
		t.Errorf("A's student after B's tries: %+v, %v", m, err)
	}
}

// A teacher cookie that the server did not make for this browser, or made before the
// secret was rotated, is refused, as is the old link.
func TestTeacherCookieForgedOrRotated(t *testing.T) {
	env := newTestServer(t)
	u, _ := url.Parse(env.HTTP.URL)
	setCookie := func(b *browser, v string) {
		b.client.Jar.SetCookies(u, []*http.Cookie{{Name: teacherCookie, Value: v, Path: "/"}})
	}
	t.Run("made up", func(t *testing.T) {
		b := env.newBrowser().withT(t)
		setCookie(b, b.workspace().Name()+".AAAAAAAAAAAAAAAAAAAAAA")
		b.get("/teach").wantCode(http.StatusForbidden)
	})
	t.Run("signed with another secret", func(t *testing.T) {
		b := env.newBrowser().withT(t)
		setCookie(b, teacherCookieValue([]byte("not the secret"), b.workspace().Name()))
		b.get("/teach").wantCode(http.StatusForbidden)
	})
	t.Run("copied into another browser", func(t *testing.T) {
		teacher := env.teacherBrowser()
		var v string
		for _, c := range teacher.client.Jar.Cookies(u) {
			if c.Name == teacherCookie {
				v = c.Value
			}
		}
		b := env.newBrowser().withT(t)
		setCookie(b, v)
		b.get("/teach").wantCode(http.StatusForbidden)
	})
	t.Run("after rotation", func(t *testing.T) {
		teacher := env.teacherBrowser().withT(t)
		c := teacher.createClass("Before")
		oldKey, _ := TeacherKey(context.Background(), env.Store)
		if _, err := env.Store.RotateSecret(context.Background(), TeacherSecret); err != nil {
			t.Fatal(err)
		}
		teacher.get("/teach").wantCode(http.StatusForbidden)
		teacher.get("/teach/" + c.ID + "/join").wantCode(http.StatusForbidden)
		teacher.postForm("/teach/"+c.ID+"/close", nil).wantCode(http.StatusForbidden)
		teacher.get("/teach/login?key=" + oldKey).wantCode(http.StatusForbidden)
		// The new link makes the same browser the teacher again, of its classes.
		newKey, _ := TeacherKey(context.Background(), env.Store)
		teacher.get("/teach/login?key=" + newKey).wantCode(http.StatusOK)
		teacher.get("/teach/" + c.ID + "/join").wantCode(http.StatusOK)
	})
}

func TestTeachCreateAndJoinPage(t *testing.T) {
	env := newTestServer(t, func(d *Deps) { d.PublicURL = "http://lab.example.org" })
	teacher := env.teacherBrowser()
	t.Run("unknown lesson", func(t *testing.T) {
		res := teacher.withT(t).postForm("/teach/classes", url.Values{"name": {"X"}, "lesson": {"nope"}}).wantCode(http.StatusBadRequest)
		if !strings.Contains(res.text("teach-error"), `no lesson "nope"`) || attrOf(res.find("teach-name")[0], "value") != "X" {
			t.Errorf("error %q, name kept %q", res.text("teach-error"), attrOf(res.find("teach-name")[0], "value"))
		}
	})
	t.Run("empty name", func(t *testing.T) {
		teacher.withT(t).postForm("/teach/classes", url.Values{"name": {"  "}, "lesson": {"docker-images"}}).wantCode(http.StatusBadRequest)
	})
	c := teacher.createClass("Docker 101")
	page := teacher.get("/teach/" + c.ID + "/join").wantCode(http.StatusOK)
	if got := strings.ReplaceAll(page.text("class-code"), " ", ""); got != c.Code {
		t.Errorf("code shown %q, want %q", got, c.Code)
	}
	if got, want := page.text("class-link"), "http://lab.example.org/join?code="+c.Code; got != want {
		t.Errorf("join link %q, want %q", got, want)
	}
	qr := page.find("class-qr")
	if len(qr) != 1 || !strings.Contains(page.Body, `<path d="M`) {
		t.Errorf("no QR code SVG on the join page")
	}
	if len(page.find("class-loopback")) != 0 {
		t.Errorf("a public URL is shown as a loopback address")
	}
	index := teacher.get("/teach").wantCode(http.StatusOK)
	if got := index.text("teach-class-code"); got != c.Code {
		t.Errorf("index code %q, want %q", got, c.Code)
	}
	if got := index.text("teach-class-students"); got != "0" {
		t.Errorf("students %q, want 0", got)
	}
	env.newBrowser().join(c.Code, "Ana").wantCode(http.StatusOK)
	if got := teacher.get("/teach").text("teach-class-students"); got != "1" {
		t.Errorf("students after a join %q, want 1", got)
	}
	// JSON: a fetch gets the class.
	var out classJSONView
	teacher.postJSON("/teach/classes", map[string]string{"name": "By fetch", "lesson": "multi-stage"}).wantCode(http.StatusCreated).json(&out)
	if out.Code == "" || out.Join != "http://lab.example.org/join?code="+out.Code || out.Lesson != "multi-stage" {
		t.Errorf("JSON class %+v", out)
	}
}

func TestJoinPageLoopbackWarning(t *testing.T) {
	env := newTestServer(t) // no public URL: httptest's 127.0.0.1
	teacher := env.teacherBrowser()
	c := teacher.createClass("Local")
	if len(teacher.get("/teach/"+c.ID+"/join").find("class-loopback")) != 1 {
		t.Errorf("a join link at 127.0.0.1 is not flagged as unreachable for the students")
	}
}

// The QR code's path draws exactly the code's dark modules.
func TestQRSVG(t *testing.T) {
	q, err := qrSVG("http://10.0.0.5:8080/join?code=ACE349")
	if err != nil {
		t.Fatal(err)
	}
	grid := make([][]bool, q.Size)
	for i := range grid {
		grid[i] = make([]bool, q.Size)
	}
	re := regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`)
	rest := re.ReplaceAllStringFunc(q.Path, func(m string) string {
		var x, y, w, w2 int
		if _, err := fmt.Sscanf(m, "M%d %dh%dv1h-%dz", &x, &y, &w, &w2); err != nil || w != w2 {
			t.Fatalf("run %q", m)
		}
		for i := x; i < x+w; i++ {
			grid[y][i] = true
		}
		return ""
	})
	if rest != "" {
		t.Fatalf("path holds more than runs: %q", rest)
	}
	code, err := qrcode.New("http://10.0.0.5:8080/join?code=ACE349", qrcode.Medium)
	if err != nil {
		t.Fatal(err)
	}
	want := code.Bitmap()
	if len(want) != q.Size {
		t.Fatalf("size %d, want %d", q.Size, len(want))
	}
	for y := range want {
		for x := range want[y] {
			if grid[y][x] != want[y][x] {
				t.Fatalf("module (%d,%d) drawn %v, want %v", x, y, grid[y][x], want[y][x])
			}
		}
	}
}

func TestJoinRules(t *testing.T) {
	env := newTestServer(t)
	teacher := env.teacherBrowser()
	c := teacher.createClass("Docker 101")
	other := teacher.createClass("Other")
	closed := teacher.createClass("Closed")
	teacher.postJSON("/teach/"+closed.ID+"/close", nil).wantCode(http.StatusOK)
	ana := env.newBrowser()
	spaced := strings.ToLower(c.Code[:3] + "-" + c.Code[3:])
	res := ana.join(spaced, "Ana").wantCode(http.StatusOK)
	if res.URL.Path != "/" {
		t.Fatalf("a join led to %s, want /", res.URL)
	}
	anaWS := ana.workspace()
	if m, err := env.Store.MemberOf(context.Background(), anaWS.Name()); err != nil || m.Class != c.ID || m.Name != "Ana" {
		t.Fatalf("Ana's membership %+v, %v", m, err)
	}
	ana.build("FROM scratch\nLABEL a=1\n", nil, "mine:v1")
	for _, tc := range []struct {
		name       string
		b          *browser
		code, who  string
		status     int
		msg        string
		wantMember string // the name the browser has in c after, "" for none
	}{
		{"unknown code", env.newBrowser(), "QQQQQQ", "Bob", http.StatusNotFound, "no open class has the code QQQQQQ: check it with your teacher", ""},
		{"no code", env.newBrowser(), "", "Bob", http.StatusBadRequest, "type the class's code", ""},
		{"name taken, other case", env.newBrowser(), c.Code, "ANA", http.StatusConflict, "ANA is taken in this class: choose another name", ""},
		{"empty name", env.newBrowser(), c.Code, " ", http.StatusBadRequest, "name is empty: type a name", ""},
		{"name too long", env.newBrowser(), c.Code, strings.Repeat("n", 41), http.StatusBadRequest, "has 41 characters, more than 40", ""},
		{"bidirectional override", env.newBrowser(), c.Code, "a\u202eb", http.StatusBadRequest, "bidirectional", ""},
		{"closed class", env.newBrowser(), closed.Code, "Bob", http.StatusNotFound, "no open class has the code " + closed.Code, ""},
		{"in another class", ana, other.Code, "Ana", http.StatusConflict, "a student of Docker 101 already", "Ana"},
		{"teacher joins own class", teacher, c.Code, "Teach", http.StatusConflict, "is the teacher of Docker 101", ""},
		{"rejoin keeps the name", ana, c.Code, "Someone else", http.StatusOK, "", "Ana"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.b.withT(t)
			res := b.join(tc.code, tc.who).wantCode(tc.status)
			if tc.msg != "" && !strings.Contains(res.text("join-error"), tc.msg) {
				t.Errorf("error %q, want it to say %q", res.text("join-error"), tc.msg)
			}
			if e := res.find("join-error"); len(e) > 0 && (strings.Contains(nodeText(e[0]), "invalid argument") || strings.Contains(nodeText(e[0]), "join class:")) {
				t.Errorf("error %q shows the store's wording", nodeText(e[0]))
			}
			if tc.status != http.StatusOK && attrOf(res.find("join-name")[0], "value") != strings.TrimSpace(tc.who) {
				t.Errorf("the form lost the name typed")
			}
			m, err := env.Store.MemberOf(context.Background(), b.workspace().Name())
			switch {
			case tc.wantMember == "" && err == nil && m.Class == c.ID:
				t.Errorf("browser is a student of the class: %+v", m)
			case tc.wantMember != "" && (err != nil || m.Class != c.ID || m.Name != tc.wantMember):
				t.Errorf("membership %+v, %v; want %s in the class", m, err, tc.wantMember)
			}
		})
	}
	// Rejoining kept the workspace: its image is still there, and the page says so.
	ana.join(c.Code, "Ana").wantCode(http.StatusOK)
	if imgs, err := anaWS.Images(context.Background()); err != nil || len(imgs) == 0 {
		t.Errorf("Ana's images after rejoining: %d, %v", len(imgs), err)
	}
	// A closed class still takes back its own student.
	if code, to := teacher.postFormStay("/teach/"+c.ID+"/close", nil); code != http.StatusSeeOther || to != "/teach/"+c.ID {
		t.Errorf("close: %d to %q, want 303 to the class's dashboard", code, to)
	}
	env.newBrowser().join(c.Code, "Late").wantCode(http.StatusNotFound)
	var out map[string]any
	ana.postJSON("/join", map[string]string{"code": c.Code, "name": "Ana"}).json(&out)
	_ = out
}

func TestJoinPrefill(t *testing.T) {
	env := newTestServer(t)
	res := env.get("/join?code=ace-349").wantCode(http.StatusOK)
	if got := attrOf(res.find("join-code")[0], "value"); got != "ACE349" {
		t.Errorf("prefilled code %q, want ACE349", got)
	}
	for _, id := range []string{"join-name", "join-submit", "join-form"} {
		if len(res.find(id)) != 1 {
			t.Errorf("no %s on /join", id)
		}
	}
}

// Joins per client address are limited (at the bound: allowed; past it: 429 naming the
// limit), wrong codes included: a script cannot walk the codes.
func TestJoinRateLimit(t *testing.T) {
	env := newTestServer(t, func(d *Deps) { d.Limits.NewWorkspacesPerMinute = 3 })
	b := env.newBrowser()
	for i := range 3 {
		b.join("QQQQQQ", "Bob").wantCode(http.StatusNotFound)
		_ = i
	}
	res := b.join("QQQQQQ", "Bob").wantCode(http.StatusTooManyRequests)
	if !strings.Contains(res.Body, "--new-workspaces-per-minute 3") || res.Header.Get("Retry-After") == "" {
		t.Errorf("refusal does not name the limit or when to retry: %s %q", res.Header.Get("Retry-After"), res.text("join-error"))
	}
}

func TestJoinNotice(t *testing.T) {
	env := newTestServer(t)
	c := env.teacherBrowser().createClass("Docker 101")
	b := env.newBrowser()
	req, _ := http.NewRequest(http.MethodPost, b.url("/join"), strings.NewReader(url.Values{"code": {c.Code}, "name": {"Ana"}, "csrf": {b.token()}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res := b.noRedirect(req)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Fatalf("join: %d to %q, want 303 to /", res.StatusCode, res.Header.Get("Location"))
	}
	// The notice is read back once, by this session only.
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	for _, ck := range res.Cookies() {
		r.AddCookie(ck)
	}
	u, _ := url.Parse(env.HTTP.URL)
	for _, ck := range b.client.Jar.Cookies(u) {
		if ck.Name == sessionCookie {
			r = r.WithContext(context.WithValue(r.Context(), keyToken, ck.Value))
		}
	}
	n := env.Server.takeNotice(httptest.NewRecorder(), r)
	if n == nil || n.Text != "You joined Docker 101 as Ana" || !n.OK {
		t.Errorf("notice %+v, want 'You joined Docker 101 as Ana'", n)
	}
	other := r.WithContext(context.WithValue(r.Context(), keyToken, "another session"))
	if n := env.Server.takeNotice(httptest.NewRecorder(), other); n != nil {
		t.Errorf("another session read the notice: %+v", n)
	}
	// The playground shows it, once.
	page := b.get("/").wantCode(http.StatusOK)
	if got := page.text("class-notice"); !strings.Contains(got, "You joined Docker 101 as Ana") {
		t.Errorf("playground notice %q, want 'You joined Docker 101 as Ana'", got)
	}
	if len(b.get("/").find("class-notice")) != 0 {
		t.Errorf("the notice is shown again on the next page")
	}
}

func TestTeacherActions(t *testing.T) {
	env := newTestServer(t)
	teacher := env.teacherBrowser()
	c := teacher.createClass("Docker 101")
	ana, bob := env.newBrowser(), env.newBrowser()
	ana.join(c.Code, "Ana").wantCode(http.StatusOK)
	bob.join(c.Code, "Bob").wantCode(http.StatusOK)
	anaWS, bobWS := ana.workspace(), bob.workspace()
	ctx := context.Background()
	act := func(ws, action string) string { return "/teach/" + c.ID + "/students/" + ws + "/" + action }

	t.Run("rename", func(t *testing.T) {
		var out map[string]any
		teacher.withT(t).postJSON(act(anaWS.Name(), "rename"), map[string]string{"name": "Anna"}).wantCode(http.StatusOK).json(&out)
		if m, _ := env.Store.MemberOf(ctx, anaWS.Name()); m.Name != "Anna" || out["name"] != "Anna" {
			t.Errorf("after rename: %+v, %v", m, out)
		}
		res := teacher.withT(t).postJSON(act(anaWS.Name(), "rename"), map[string]string{"name": "bob"}).wantCode(http.StatusConflict)
		if !strings.Contains(res.Body, "bob is taken in this class") {
			t.Errorf("taken name: %s", res.Body)
		}
	})
	t.Run("quota", func(t *testing.T) {
		for _, tc := range []struct {
			name, quota string
			status      int
			want        int64
		}{
			{"binary unit", "1GiB", http.StatusOK, 1 << 30},
			{"as the dashboard shows it", "3 GiB", http.StatusOK, 3 << 30},
			{"bytes, as the dashboard shows an odd size", "1000000 bytes", http.StatusOK, 1e6},
			{"decimal unit", "2GB", http.StatusOK, 2e9},
			{"not a size", "lots", http.StatusBadRequest, 2e9},
			{"negative", "-1", http.StatusBadRequest, 2e9},
			{"back to the server's", "default", http.StatusOK, 0},
		} {
			t.Run(tc.name, func(t *testing.T) {
				teacher.withT(t).postJSON(act(anaWS.Name(), "quota"), map[string]string{"quota": tc.quota}).wantCode(tc.status)
				if m, _ := env.Store.MemberOf(ctx, anaWS.Name()); m.Quota != tc.want {
					t.Errorf("quota %d, want %d", m.Quota, tc.want)
				}
			})
		}
	})
	t.Run("reset", func(t *testing.T) {
		anaWS.ReplaceContext(ctx, []db.ContextFile{{Path: "Dockerfile", Data: []byte("FROM scratch\n")}})
		ana.build("FROM scratch\nLABEL a=1\n", nil, "mine:v1")
		if code, to := teacher.withT(t).postFormStay(act(anaWS.Name(), "reset"), nil); code != http.StatusSeeOther || to != "/teach/"+c.ID {
			t.Errorf("a form action: %d to %q, want 303 to the class's dashboard", code, to)
		}
		if b, _ := anaWS.Builds(ctx, 10); len(b) != 0 {
			t.Errorf("%d builds after reset", len(b))
		}
		if imgs, _ := anaWS.Images(ctx); len(imgs) != 0 {
			t.Errorf("%d images after reset", len(imgs))
		}
		files, _ := anaWS.ContextFiles(ctx)
		if len(files) < 2 {
			t.Errorf("context after reset: %d files, want the starter example", len(files))
		}
		if m, err := env.Store.MemberOf(ctx, anaWS.Name()); err != nil || m.Class != c.ID {
			t.Errorf("membership after reset: %+v, %v", m, err)
		}
	})
	t.Run("reset cancels the running build", func(t *testing.T) {
		id := ana.withT(t).startBuild("FROM busybox\nRUN echo start\nRUN while :; do :; done\n")
		var out map[string]any
		teacher.withT(t).postJSON(act(anaWS.Name(), "reset"), nil).wantCode(http.StatusOK).json(&out)
		if out["cancelled"] != true || !strings.Contains(out["message"].(string), "running build was cancelled") {
			t.Errorf("reset answer %v, want the running build cancelled", out)
		}
		if b, _ := anaWS.Builds(ctx, 10); len(b) != 0 {
			t.Errorf("builds after reset: %d (the running one was %s)", len(b), id)
		}
		// The workspace builds again at once: nothing of the cancelled build is left running.
		ana.withT(t).postJSON("/api/builds/"+id+"/cancel", nil)
		next := ana.withT(t).startBuild("FROM scratch\nLABEL again=1\n")
		if bj := ana.withT(t).waitBuild(next); bj.State != string(db.BuildSucceeded) {
			t.Errorf("build after reset: %s", bj.State)
		}
	})
	t.Run("student of another class", func(t *testing.T) {
		other := teacher.createClass("Other")
		carl := env.newBrowser()
		carl.join(other.Code, "Carl").wantCode(http.StatusOK)
		carl.build("FROM scratch\nLABEL c=1\n", nil, "carl:v1")
		for _, a := range []string{"reset", "remove", "rename", "quota"} {
			teacher.withT(t).postJSON(act(carl.workspace().Name(), a), map[string]string{}).wantCode(http.StatusNotFound)
		}
		if _, err := env.Store.MemberOf(ctx, carl.workspace().Name()); err != nil {
			t.Errorf("Carl was removed through another class: %v", err)
		}
		if imgs, _ := carl.workspace().Images(ctx); len(imgs) == 0 {
			t.Errorf("Carl has no image left after a reset through another class")
		}
	})
	t.Run("unknown action", func(t *testing.T) {
		teacher.withT(t).postJSON(act(bobWS.Name(), "promote"), nil).wantCode(http.StatusNotFound)
	})
	t.Run("remove", func(t *testing.T) {
		teacher.withT(t).postFormStay(act(bobWS.Name(), "remove"), nil)
		if _, err := env.Store.MemberOf(ctx, bobWS.Name()); !errors.Is(err, db.ErrNotFound) {
			t.Errorf("Bob after remove: %v", err)
		}
	})
	t.Run("close", func(t *testing.T) {
		var out map[string]any
		teacher.withT(t).postJSON("/teach/"+c.ID+"/close", nil).wantCode(http.StatusOK).json(&out)
		if cl, _ := env.Store.Class(ctx, c.ID); cl.Closed.IsZero() {
			t.Errorf("class still open")
		}
		var state string
		for _, row := range teacher.get("/teach").find("teach-class") {
			if attrOf(row, "data-class") == c.ID {
				state = nodeText(within(row, "teach-class-state")[0])
			}
		}
		if !strings.Contains(state, "closed") {
			t.Errorf("index state %q, want closed", state)
		}
	})
	t.Run("no CSRF token", func(t *testing.T) {
		teacher.withT(t).postRawForm(act(anaWS.Name(), "remove"), nil).wantCode(http.StatusForbidden)
		if _, err := env.Store.MemberOf(ctx, anaWS.Name()); err != nil {
			t.Errorf("a post without the CSRF token removed Ana: %v", err)
		}
	})
}

// Classes and their students survive a restart: a new server on the same data
// directory knows the teacher, the class and the students.
func TestClassSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	start := func() *testEnv {
		st, err := db.Open(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		srv := New(Deps{Store: st, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		env := &testEnv{t: t, Store: st, Server: srv, HTTP: httptest.NewServer(srv)}
		env.browser = env.newBrowser()
		return env
	}
	stop := func(env *testEnv) {
		env.HTTP.Close()
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := env.Server.Close(cctx); err != nil {
			t.Error(err)
		}
		if err := env.Store.Close(); err != nil {
			t.Error(err)
		}
	}
	env := start()
	teacher := env.teacherBrowser()
	c := teacher.createClass("Docker 101")
	ana := env.newBrowser()
	ana.join(c.Code, "Ana").wantCode(http.StatusOK)
	teacher.postJSON("/teach/"+c.ID+"/students/"+ana.workspace().Name()+"/quota", map[string]string{"quota": "1GiB"}).wantCode(http.StatusOK)
	stop(env)

	env2 := start()
	defer stop(env2)
	// The same browsers (cookie jars) on the new server.
	moved := func(b *browser) *browser { return &browser{env: env2, t: t, client: b.client, csrf: b.csrf} }
	teacher2, ana2 := moved(teacher), moved(ana)
	page := teacher2.get("/teach").wantCode(http.StatusOK)
	if page.text("teach-class-code") != c.Code || page.text("teach-class-students") != "1" {
		t.Errorf("after restart: class %q with %q students", page.text("teach-class-code"), page.text("teach-class-students"))
	}
	m, err := env2.Store.MemberOf(ctx, ana2.workspace().Name())
	if err != nil || m.Class != c.ID || m.Name != "Ana" || m.Quota != 1<<30 {
		t.Errorf("Ana after restart: %+v, %v", m, err)
	}
	ana2.join(c.Code, "Ana").wantCode(http.StatusOK)
	env2.newBrowser().join(c.Code, "ana").wantCode(http.StatusConflict)
}

// A new student starts from the lesson's starter files; rejoining keeps what the
// student made of them.
func TestJoinStarterFiles(t *testing.T) {
	env := newTestServer(t)
	teacher := env.teacherBrowser()
	c := teacher.createClass("Docker 101")
	lesson, ok := env.Server.lessons.Get(c.Lesson)
	if !ok || lesson.Starter["Dockerfile"] == "" {
		t.Fatalf("lesson %s has no starter Dockerfile", c.Lesson)
	}
	ctx := context.Background()
	dockerfile := func(ws *db.Workspace) string {
		files, err := ws.ContextFiles(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if f.Path == "Dockerfile" {
				return string(f.Data)
			}
		}
		return ""
	}
	ana := env.newBrowser()
	ana.setContext(map[string]string{"Dockerfile": "FROM scratch\n", "mine.txt": "x"})
	ana.join(c.Code, "Ana").wantCode(http.StatusOK)
	ws := ana.workspace()
	if got := dockerfile(ws); got != lesson.Starter["Dockerfile"] {
		t.Errorf("Dockerfile after joining:\n%s\nwant the lesson's starter:\n%s", got, lesson.Starter["Dockerfile"])
	}
	files, _ := ws.ContextFiles(ctx)
	if len(files) != len(lesson.Starter) {
		t.Errorf("%d files after joining, want the lesson's %d", len(files), len(lesson.Starter))
	}
	ana.setContext(map[string]string{"Dockerfile": "FROM scratch\nLABEL edited=1\n"})
	ana.join(c.Code, "Ana").wantCode(http.StatusOK)
	if got := dockerfile(ws); got != "FROM scratch\nLABEL edited=1\n" {
		t.Errorf("rejoining replaced the student's files: %q", got)
	}
	// A reset starts the student from the lesson's starter files again.
	teacher.postJSON("/teach/"+c.ID+"/students/"+ws.Name()+"/reset", nil).wantCode(http.StatusOK)
	if got := dockerfile(ws); got != lesson.Starter["Dockerfile"] {
		t.Errorf("Dockerfile after a reset:\n%s\nwant the lesson's starter", got)
	}
}

// TestNavClassLinks: the nav links the teacher's pages for the teacher, the live view
// for a student of a class, and neither for anyone else.
func TestNavClassLinks(t *testing.T) {
	e := newTestServer(t)
	teacher := e.teacherBrowser()
	c := teacher.createClass("Nav")
	student := e.newBrowser()
	student.get("/")
	student.join(c.Code, "Ana").wantCode(http.StatusOK)
	stranger := e.newBrowser()
	stranger.get("/")
	stranger.postJSON("/api/examples/fastapi", map[string]any{})
	tests := []struct {
		name          string
		b             *browser
		teach, follow bool
	}{
		{name: "the teacher", b: teacher, teach: true},
		{name: "a student", b: student, follow: true},
		{name: "a browser in no class", b: stranger},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := tt.b.get("/").wantCode(http.StatusOK)
			if got := len(res.find("nav-teach")) > 0; got != tt.teach {
				t.Errorf("nav-teach shown: %v, want %v", got, tt.teach)
			}
			if got := len(res.find("nav-follow")) > 0; got != tt.follow {
				t.Errorf("nav-follow shown: %v, want %v", got, tt.follow)
			}
		})
	}
}

// otherLetter is a base64url character other than c.
func otherLetter(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}
