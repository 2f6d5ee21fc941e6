package handlers

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"layerlab/engine/image"
)

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
