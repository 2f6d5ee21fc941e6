package handlers

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"layerlab/db"
	"layerlab/engine/commands"
	"layerlab/engine/image"
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

func TestImagesPageShowsImageLs(t *testing.T) {
	env := newTestServer(t, withClock(fixedNow))
	res := env.build(demoDockerfile, map[string]string{"main.py": demoMain}, "demo:v1")

	page := env.get("/images").wantCode(http.StatusOK)
	if got := page.text("images-cmd"); got != "docker image ls" {
		t.Errorf("images-cmd = %q, want docker image ls", got)
	}
	var heads []string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "th" {
			heads = append(heads, nodeText(n))
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(page.find("images-table")[0])
	if strings.Join(heads[:5], "|") != "REPOSITORY|TAG|IMAGE ID|CREATED|SIZE" {
		t.Errorf("table header = %q, want Docker's columns", heads)
	}
	// The rows are image ls's rows, cell for cell.
	out, _, _ := cli(t, env.workspace(), "image", "ls")
	if got := rawText(page.find("images-cli")[0]); got != out {
		t.Errorf("page's CLI output:\n%s\nwant (commands.Run):\n%s", got, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")[1:]
	rows := rowsOf(page)
	if len(rows) != len(lines) {
		t.Fatalf("%d rows, image ls prints %d:\n%s", len(rows), len(lines), out)
	}
	for i, l := range lines {
		cols := regexp.MustCompile(`\s{2,}`).Split(strings.TrimSpace(l), -1)
		if strings.Join(cols, "|") != strings.Join(rows[i], "|") {
			t.Errorf("row %d = %q, image ls prints %q", i, rows[i], cols)
		}
	}
	demo := findRow(rows, "demo", "v1")
	if demo == nil || demo[2] != image.ShortID(res.Image) || demo[3] != "About an hour ago" {
		t.Errorf("demo:v1 row = %q, want ID %s created About an hour ago", demo, image.ShortID(res.Image))
	}
	// Each row links to its history and inspect pages.
	row := page.find("image-row")[0]
	if h := attrOf(within(row, "link-history")[0], "href"); h != "/images/demo:v1/history" {
		t.Errorf("history link = %q", h)
	}
	if h := attrOf(within(row, "link-inspect")[0], "href"); h != "/images/demo:v1/inspect" {
		t.Errorf("inspect link = %q", h)
	}
}

func TestImagesPageEmpty(t *testing.T) {
	env := newTestServer(t)
	page := env.get("/images").wantCode(http.StatusOK)
	if got := page.text("images-empty"); !strings.Contains(got, "No images yet") || !strings.Contains(got, "docker build -t my_image:latest .") {
		t.Errorf("empty state = %q", got)
	}
}

func TestImagesToggles(t *testing.T) {
	env := newTestServer(t)
	env.build(demoDockerfile, map[string]string{"main.py": demoMain}, "demo:v1")

	plain := rowsOf(env.get("/images").wantCode(http.StatusOK))
	all := env.get("/images?all=1").wantCode(http.StatusOK)
	if got := all.text("images-cmd"); got != "docker image ls -a" {
		t.Errorf("-a command = %q", got)
	}
	if n := len(rowsOf(all)); n <= len(plain) {
		t.Errorf("-a shows %d rows, without %d: intermediate images missing", n, len(plain))
	}
	kinds := all.texts("row-kind")
	if len(kinds) == 0 || !strings.Contains(kinds[0], "intermediate") {
		t.Errorf("-a rows are not labelled intermediate: %q", kinds)
	}
	if !hasAttr(all.find("toggle-all")[0], "checked") {
		t.Error("the -a checkbox is not checked on ?all=1")
	}

	dangling := env.get("/images?dangling=1").wantCode(http.StatusOK)
	if got := dangling.text("images-cmd"); got != "docker image ls --filter dangling=true" {
		t.Errorf("dangling command = %q", got)
	}
	if len(dangling.find("image-row")) != 0 || !strings.Contains(dangling.text("images-empty"), "No dangling images") {
		t.Errorf("dangling rows before a rebuild: %q", rowsOf(dangling))
	}
	old := env.build(demoDockerfile, map[string]string{"main.py": demoMain}, "demo:v1") // cached: same image
	env.build(demoDockerfile, map[string]string{"main.py": "print('v2')\n"}, "demo:v1")
	rows := rowsOf(env.get("/images?dangling=1").wantCode(http.StatusOK))
	if len(rows) != 1 || rows[0][0] != "<none>" || rows[0][2] != image.ShortID(old.Image) {
		t.Errorf("dangling rows = %q, want the old demo:v1 (%s)", rows, image.ShortID(old.Image))
	}
	if kinds := env.get("/images?dangling=1").texts("row-kind"); len(kinds) != 1 || !strings.Contains(kinds[0], "dangling") {
		t.Errorf("dangling row label = %q", kinds)
	}
}

func TestImagesTag(t *testing.T) {
	env := newTestServer(t)
	res := env.build(demoDockerfile, map[string]string{"main.py": demoMain}, "demo:v1")

	t.Run("form", func(t *testing.T) {
		env := env.withT(t)
		page := env.postForm("/images/tag", url.Values{"source": {"demo:v1"}, "target": {"demo:v2"}, "back": {"all=1"}}).wantCode(http.StatusOK)
		if len(page.Redirected) != 1 || page.Redirected[0] != http.StatusSeeOther || page.URL.RawQuery != "all=1" {
			t.Errorf("redirects %v to %s, want one 303 back to /images?all=1", page.Redirected, page.URL)
		}
		if got := page.text("flash-cmd"); got != "docker tag demo:v1 demo:v2" {
			t.Errorf("flash command = %q", got)
		}
		row := findRow(rowsOf(page), "demo", "v2")
		if row == nil || row[2] != image.ShortID(res.Image) {
			t.Errorf("no demo:v2 row for %s: %q", image.ShortID(res.Image), rowsOf(page))
		}
		// The flash is shown once.
		if again := env.get("/images"); len(again.find("flash")) != 0 {
			t.Error("the result is shown again on the next visit")
		}
	})
	tests := []struct {
		name, source, target string
		code                 int
		msg                  string
	}{
		{"bad target", "demo:v1", "Demo:V2", http.StatusBadRequest,
			`Error parsing reference: "Demo:V2" is not a valid repository/tag: invalid reference format: repository name must be lowercase`},
		{"unknown source", "nope:1", "demo:v3", http.StatusNotFound, "Error response from daemon: No such image: nope:1"},
		{"empty", "", "demo:v3", http.StatusBadRequest, "requires exactly 2 arguments"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := env.withT(t)
			page := env.postForm("/images/tag", url.Values{"source": {tc.source}, "target": {tc.target}}).wantCode(tc.code)
			if got := page.text("flash-error"); !strings.Contains(got, tc.msg) {
				t.Errorf("error = %q, want %q", got, tc.msg)
			}
			// The forms keep what was typed.
			if v := attrOf(page.find("tag-target")[0], "value"); v != tc.target {
				t.Errorf("tag target field = %q, want %q", v, tc.target)
			}
			var js dockerRun
			env.postJSON("/api/images/tag", map[string]string{"source": tc.source, "target": tc.target}).wantCode(tc.code).json(&js)
			if !strings.Contains(js.Error, tc.msg) {
				t.Errorf("JSON error = %q, want %q", js.Error, tc.msg)
			}
		})
	}
}

func TestImagesRemove(t *testing.T) {
	env := newTestServer(t)
	res := env.build(demoDockerfile, map[string]string{"main.py": demoMain}, "demo:v1", "demo:v2")
	short := image.ShortID(res.Image)
	base, err := env.workspace().Lookup(context.Background(), "busybox")
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		ref   string
		force bool
		code  int
		cmd   string
		msg   string
	}{
		{"two tags without -f", short, false, http.StatusConflict, "docker image rm " + short,
			"Error response from daemon: conflict: unable to delete " + short + " (must be forced) - image is referenced in multiple repositories"},
		{"a parent, even with -f", base.ID.String(), true, http.StatusConflict, "docker image rm -f " + base.ID.String(),
			"conflict: unable to delete " + image.ShortID(base.ID) + " (cannot be forced) - image has dependent child images"},
		{"unknown", "nope", false, http.StatusNotFound, "docker image rm nope", "Error: No such image: nope"},
		{"bad reference", "Nope", false, http.StatusBadRequest, "docker image rm Nope", "invalid reference format: repository name must be lowercase"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := env.withT(t)
			form := url.Values{"ref": {tc.ref}}
			if tc.force {
				form.Set("force", "1")
			}
			page := env.postForm("/images/rm", form).wantCode(tc.code)
			if got := page.text("flash-cmd"); got != tc.cmd {
				t.Errorf("command = %q, want %q", got, tc.cmd)
			}
			if got := page.text("flash-error"); !strings.Contains(got, tc.msg) {
				t.Errorf("error = %q, want %q", got, tc.msg)
			}
		})
	}
	if _, err := env.workspace().Lookup(context.Background(), "demo:v1"); err != nil {
		t.Fatalf("a refused rm removed demo:v1: %v", err)
	}

	page := env.postForm("/images/rm", url.Values{"ref": {short}, "force": {"1"}}).wantCode(http.StatusOK)
	if got := page.text("flash-cmd"); got != "docker image rm -f "+short {
		t.Errorf("command = %q", got)
	}
	out := page.text("flash-output")
	for _, want := range []string{"Untagged: demo:v1", "Untagged: demo:v2", "Deleted: " + res.Image.String()} {
		if !strings.Contains(out, want) {
			t.Errorf("rm -f output lacks %q:\n%s", want, out)
		}
	}
	if findRow(rowsOf(page), "demo", "v1") != nil {
		t.Error("demo:v1 still listed after rm -f")
	}

	// JSON, as a script would call it.
	var js dockerRun
	env.postJSON("/api/images/rm", map[string]any{"ref": "busybox"}).wantCode(http.StatusOK).json(&js)
	if js.Cmd != "docker image rm busybox" || !strings.Contains(js.Output, "Untagged: busybox:latest") {
		t.Errorf("JSON rm = %+v", js)
	}
}

// imagesOf is the set of image IDs in ws.
func imagesOf(t *testing.T, ws *db.Workspace) map[string]bool {
	t.Helper()
	recs, err := ws.Images(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, r := range recs {
		out[r.ID.String()] = true
	}
	return out
}

func TestImagesPrunePreviewMatchesPrune(t *testing.T) {
	for _, all := range []bool{false, true} {
		name := "dangling"
		q := ""
		if all {
			name, q = "all", "?all=1"
		}
		t.Run(name, func(t *testing.T) {
			env := newTestServer(t)
			old := env.build(demoDockerfile, map[string]string{"main.py": demoMain}, "demo:v1")
			env.build(demoDockerfile, map[string]string{"main.py": "print('v2')\n"}, "demo:v1")
			env.build("FROM busybox\nLABEL keep=1\n", nil, "other:1")
			ws := env.workspace()
			before := imagesOf(t, ws)

			var plan struct {
				Cmd    string
				Images []struct{ ID, Why string }
				Bytes  int64
				Space  string
			}
			env.get("/api/images/prune" + q).wantCode(http.StatusOK).json(&plan)
			want := map[string]bool{}
			for _, it := range plan.Images {
				want[it.ID] = true
			}
			if !all {
				if !want[old.Image.String()] || plan.Cmd != "docker image prune -f" {
					t.Errorf("preview %+v does not list the dangling %s", plan, old.Image)
				}
				// The old COPY layer (12 bytes of main.py in a tar) and the RUN layers go.
				if plan.Bytes <= 0 || plan.Space == "0B" {
					t.Errorf("preview frees %d bytes (%s), want the old layers", plan.Bytes, plan.Space)
				}
			} else if len(want) != len(before) {
				t.Errorf("prune -a preview lists %d images of %d", len(want), len(before))
			}

			// Without JavaScript: the confirmation page says the same.
			conf := env.get("/images/prune" + q).wantCode(http.StatusOK)
			if got := conf.text("prune-space"); got != plan.Space {
				t.Errorf("confirmation page frees %q, JSON %q", got, plan.Space)
			}
			if n := len(conf.find("prune-item")); n != len(plan.Images) {
				t.Errorf("confirmation page lists %d images, JSON %d", n, len(plan.Images))
			}
			if got := conf.text("prune-dialog-cmd"); got != plan.Cmd {
				t.Errorf("confirmation command %q, want %q", got, plan.Cmd)
			}

			form := url.Values{}
			if all {
				form.Set("all", "1")
			}
			page := env.postForm("/images/prune", form).wantCode(http.StatusOK)
			if got := page.text("flash-cmd"); got != plan.Cmd {
				t.Errorf("ran %q, previewed %q", got, plan.Cmd)
			}
			out := page.text("flash-output")
			if !strings.Contains(out, "Deleted Images:") || !strings.Contains(out, "Total reclaimed space:") {
				t.Errorf("prune output:\n%s", out)
			}
			after := imagesOf(t, ws)
			for id := range before {
				if gone := !after[id]; gone != want[id] {
					t.Errorf("image %s: removed=%v, preview said %v", id, gone, want[id])
				}
			}
		})
	}
}

func TestImagesPruneNothing(t *testing.T) {
	env := newTestServer(t)
	env.build("FROM busybox\nLABEL a=1\n", nil, "demo:v1")
	conf := env.get("/images/prune").wantCode(http.StatusOK)
	if got := conf.text("prune-summary"); !strings.Contains(got, "Nothing to remove") {
		t.Errorf("summary = %q", got)
	}
	if !hasAttr(conf.find("prune-confirm")[0], "disabled") {
		t.Error("the confirm button is enabled with nothing to remove")
	}
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

func TestImagesSelectPrefillsTheForms(t *testing.T) {
	env := newTestServer(t)
	env.build("FROM busybox\nLABEL a=1\n", nil, "demo:v1")
	page := env.get("/images?select=demo:v1").wantCode(http.StatusOK)
	if v := attrOf(page.find("rm-ref")[0], "value"); v != "demo:v1" {
		t.Errorf("rm field = %q", v)
	}
	if got := page.text("rm-cmd"); got != "docker image rm demo:v1" {
		t.Errorf("rm command = %q", got)
	}
	if got := page.text("tag-cmd"); got != "docker tag demo:v1 TARGET_IMAGE[:TAG]" {
		t.Errorf("tag command = %q", got)
	}
	if got := page.text("prune-cmd"); got != "docker image prune -f" {
		t.Errorf("prune command = %q", got)
	}
}

// ---- history ----

// layerRow is one row of the history stack as a user reads it.
type layerRow struct {
	empty     bool
	size      string
	createdBy string
	files     map[string]string // path -> "kind size"
}

func historyRows(r *testResponse) []layerRow {
	var out []layerRow
	for _, n := range r.find("layer-row") {
		row := layerRow{empty: attrOf(n, "data-empty") == "true", size: nodeText(within(n, "layer-size")[0]),
			createdBy: nodeText(within(n, "layer-created-by")[0]), files: map[string]string{}}
		for _, f := range within(n, "file-row") {
			row.files[nodeText(within(f, "file-path")[0])] = attrOf(f, "data-kind") + " " + nodeText(within(f, "file-size")[0])
		}
		out = append(out, row)
	}
	return out
}

func TestHistoryPage(t *testing.T) {
	env := newTestServer(t, withClock(fixedNow))
	res := env.build(demoDockerfile, map[string]string{"main.py": demoMain}, "demo:v1")
	page := env.get("/images/demo:v1/history").wantCode(http.StatusOK)

	if got := page.text("history-cmd"); got != "docker history demo:v1" {
		t.Errorf("history-cmd = %q", got)
	}
	out, _, _ := cli(t, env.workspace(), "history", "demo:v1")
	if got := rawText(page.find("history-cli")[0]); got != out {
		t.Errorf("page's CLI output:\n%s\nwant:\n%s", got, out)
	}
	rows := historyRows(page)
	lines := strings.Split(strings.TrimSpace(out), "\n")[1:]
	if len(rows) != len(lines) {
		t.Fatalf("%d rows, docker history prints %d", len(rows), len(lines))
	}
	// Dockerfile order: the base image's ADD first, our CMD last.
	if !strings.Contains(rows[0].createdBy, "ADD file:") || !strings.HasSuffix(rows[len(rows)-1].createdBy, `CMD ["python" "main.py"]`) {
		t.Errorf("first row %q, last row %q: want the base first", rows[0].createdBy, rows[len(rows)-1].createdBy)
	}
	byStep := map[string]layerRow{}
	for i, r := range rows {
		step := strings.TrimPrefix(strings.TrimPrefix(r.createdBy, "/bin/sh -c "), "#(nop) ")
		byStep[strings.Fields(step)[0]] = r
		// The sizes are docker history's, bottom-up.
		cols := regexp.MustCompile(`\s{2,}`).Split(strings.TrimSpace(lines[len(lines)-1-i]), -1)
		if !r.empty && r.size != cols[3] {
			t.Errorf("row %d size %q, docker history says %q", i, r.size, cols[3])
		}
	}
	if r := byStep["CMD"]; !r.empty || r.size != "◇ 0 B · metadata only" {
		t.Errorf("CMD row: empty=%v size %q, want a metadata-only row", r.empty, r.size)
	}
	copyRow := byStep["COPY"]
	if copyRow.empty || copyRow.files["/app/main.py"] != "added 12B" {
		t.Errorf("COPY row files = %v, want /app/main.py added 12B", copyRow.files)
	}
	if got := byStep["rm"].files["/app/big.txt"]; got != "deleted 6B" {
		t.Errorf("RUN rm row: /app/big.txt %q, want deleted 6B (a whiteout)", got)
	}
	if got := page.text("wasted-total"); !strings.HasPrefix(got, "6B wasted") {
		t.Errorf("wasted = %q, want 6B (big.txt, written then deleted)", got)
	}
	if got := nodeText(page.find("wasted-row")[0]); got != "/app/big.txt 1 6B" {
		t.Errorf("top wasted file = %q", got)
	}
	// The bars: the base layer is the largest, full width.
	if bar := page.find("layer-row")[0]; !strings.Contains(renderAttrs(bar), "width:100.00%") {
		t.Error("the largest layer's bar is not full width")
	}
	if got := page.text("history-ref"); got != "demo:v1" || !strings.Contains(page.Body, image.ShortID(res.Image)) {
		t.Errorf("page names %q, want demo:v1 (%s)", got, image.ShortID(res.Image))
	}
}

// renderAttrs is every attribute of n and its descendants, for substring checks.
func renderAttrs(n *html.Node) string {
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for _, a := range n.Attr {
			b.WriteString(a.Key + "=" + a.Val + " ")
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

func TestHistoryRefForms(t *testing.T) {
	env := newTestServer(t)
	res := env.build("FROM busybox\nLABEL a=1\n", nil, "bench/app:v1")
	for _, path := range []string{
		"/images/" + image.ShortID(res.Image) + "/history",
		"/images/" + res.Image.String() + "/history",
		"/images/bench%2Fapp:v1/history",
		"/images/history?ref=bench%2Fapp%3Av1",
		"/images/bench%2Fapp:v1/inspect",
		"/images/inspect?ref=bench/app:v1",
	} {
		page := env.get(path).wantCode(http.StatusOK)
		if !strings.Contains(page.Body, image.ShortID(res.Image)) {
			t.Errorf("%s does not show %s", path, image.ShortID(res.Image))
		}
	}
	// The images page links a reference with a slash as one path segment.
	row := env.get("/images").find("image-row")[0]
	if h := attrOf(within(row, "link-history")[0], "href"); h != "/images/bench%2Fapp:v1/history" {
		t.Errorf("history link = %q", h)
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

// ---- inspect ----

func TestInspectPage(t *testing.T) {
	env := newTestServer(t)
	res := env.build(demoDockerfile, map[string]string{"main.py": demoMain}, "demo:v1")
	page := env.get("/images/demo:v1/inspect").wantCode(http.StatusOK)
	if got := page.text("inspect-cmd"); got != "docker inspect demo:v1" {
		t.Errorf("inspect-cmd = %q", got)
	}
	out, _, _ := cli(t, env.workspace(), "inspect", "demo:v1")
	if got := rawText(page.find("inspect-raw")[0]); got != out {
		t.Errorf("raw JSON differs from docker inspect:\n%s", got)
	}
	tree := page.text("inspect-tree")
	for _, want := range []string{`Id: "` + res.Image.String() + `"`, `Cmd: [2 items] 0: "python" 1: "main.py"`,
		`RepoTags: [1 item] 0: "demo:v1"`, `Labels: {1 key} x: "<script>alert(1)</script>"`} {
		if !strings.Contains(tree, want) {
			t.Errorf("tree lacks %q:\n%s", want, tree)
		}
	}
	// The first levels and Config are open; the rest is closed, one summary away.
	open := map[string]bool{}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "details" {
			open[attrOf(n, "data-key")] = hasAttr(n, "open")
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(page.find("inspect-tree")[0])
	if !open["Config"] || open["ContainerConfig"] || open["Labels"] {
		t.Errorf("open details: %v", open)
	}
}

func TestInspectFormat(t *testing.T) {
	env := newTestServer(t)
	env.build(demoDockerfile, map[string]string{"main.py": demoMain}, "demo:v1")

	page := env.get("/images/demo:v1/inspect?format=" + url.QueryEscape("{{.Config.Cmd}}")).wantCode(http.StatusOK)
	if got := page.text("format-output"); got != "[python main.py]" {
		t.Errorf("format output = %q", got)
	}
	if got := page.text("format-cmd"); got != "docker inspect --format '{{.Config.Cmd}}' demo:v1" {
		t.Errorf("format command = %q", got)
	}

	tests := []struct {
		name, ref, format string
		code              int
		msg               string
	}{
		{"cmd", "demo:v1", "{{.Config.Cmd}}", http.StatusOK, ""},
		{"json labels", "demo:v1", "{{json .Config.Labels}}", http.StatusOK, ""},
		{"bad template", "demo:v1", "{{.Config.Cmd", http.StatusBadRequest, "Template parsing error: template: :1: unclosed action"},
		{"missing field", "demo:v1", "{{.Nope}}", http.StatusBadRequest, `Template parsing error: template: :1:2: executing "" at <.Nope>: map has no entry for key "Nope"`},
		{"unknown image", "nope:1", "{{.Id}}", http.StatusNotFound, "No such image: nope:1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := env.withT(t)
			var got struct {
				Cmd, Output, Error string
				ExitCode           int `json:"exit_code"`
			}
			env.postJSON("/api/inspect/format", map[string]string{"ref": tc.ref, "format": tc.format}).wantCode(tc.code).json(&got)
			if !strings.Contains(got.Error, tc.msg) {
				t.Errorf("error %q, want %q", got.Error, tc.msg)
			}
			if tc.code == http.StatusNotFound {
				return
			}
			// Exactly what the command line prints.
			out, errOut, code := cli(t, env.workspace(), "inspect", "--format", tc.format, tc.ref)
			if got.Output != out || got.Error != strings.TrimSpace(errOut) || got.ExitCode != code {
				t.Errorf("got %q / %q / %d, the command line prints %q / %q / %d", got.Output, got.Error, got.ExitCode, out, errOut, code)
			}
			if want := "docker inspect --format '" + tc.format + "' demo:v1"; got.Cmd != want {
				t.Errorf("cmd = %q, want %q", got.Cmd, want)
			}
		})
	}
	var labels struct{ Output string }
	env.postJSON("/api/inspect/format", map[string]string{"ref": "demo:v1", "format": "{{json .Config.Labels}}"}).json(&labels)
	if labels.Output != `{"x":"<script>alert(1)</script>"}`+"\n" {
		t.Errorf("labels = %q", labels.Output)
	}
	// A template error on the page: shown, with Docker's text.
	bad := env.get("/images/demo:v1/inspect?format=" + url.QueryEscape("{{.Config.Cmd")).wantCode(http.StatusBadRequest)
	if got := bad.text("format-error"); !strings.HasPrefix(got, "Template parsing error:") {
		t.Errorf("format error = %q", got)
	}
}

// ---- escaping ----

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
