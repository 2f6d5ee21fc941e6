package handlers

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"layerlab/engine/image"
)

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
