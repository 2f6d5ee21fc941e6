package e2e

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// imageRow is one row of the images table.
type imageRow struct {
	Ref  string `json:"ref"`
	ID   string `json:"id"`
	Kind string `json:"kind"`
	Repo string `json:"repo"`
	Tag  string `json:"tag"`
}

const imageRowsJS = `[...document.querySelectorAll('[data-testid="image-row"]')].map(tr => ({
	ref: tr.dataset.ref || "", id: tr.dataset.id || "", kind: tr.dataset.kind || "",
	repo: (tr.querySelector('[data-testid="col-repo"] .repo') || {textContent: ""}).textContent.trim(),
	tag: (tr.querySelector('[data-testid="col-tag"]') || {textContent: ""}).textContent.trim(),
}))`

func (b *browser) imageRows() []imageRow {
	b.t.Helper()
	return eval[[]imageRow](b, imageRowsJS)
}

func refs(rows []imageRow) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.Ref)
	}
	return out
}

// waitImages waits for the images table to list (or, with present false, no longer
// list) a reference, and returns the rows.
func (b *browser) waitImages(ref string, present bool) []imageRow {
	b.t.Helper()
	what := fmt.Sprintf("the images table to list %s", ref)
	if !present {
		what = fmt.Sprintf("the images table to drop %s", ref)
	}
	wait[bool](b, what, fmt.Sprintf(`!!document.querySelector('[data-testid="images-page"]') && %s!!document.querySelector('[data-testid="image-row"][data-ref=%s]')`,
		map[bool]string{true: "", false: "!"}[present], jsString(ref)))
	return b.imageRows()
}

// waitFlash waits for the result of an image action naming cmd, and returns its
// output (and error) text.
func (b *browser) waitFlash(cmd string) (ok bool, out string) {
	b.t.Helper()
	res := wait[struct {
		OK  string `json:"ok"`
		Out string `json:"out"`
	}](b, "the result of "+cmd, fmt.Sprintf(`(() => {
		const f = document.querySelector('[data-testid="flash"]');
		if (!f || !f.querySelector('[data-testid="flash-cmd"]').textContent.includes(%s)) return null;
		const t = (id) => (f.querySelector('[data-testid="' + id + '"]') || {textContent: ""}).textContent;
		return {ok: f.dataset.ok, out: t("flash-output") + t("flash-error")};
	})()`, jsString(cmd)))
	return res.OK == "true", res.Out
}

// TestImagesHistoryInspect builds the FastAPI example twice (the second build takes the
// tag, leaving the first image dangling), then uses the image pages: the table,
// history (the COPY app layer lists app/main.py), inspect (tree, raw JSON, --format),
// tag, rm, prune (the confirmation lists what goes), and checks that a second browser
// sees none of it.
func TestImagesHistoryInspect(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t, srv)

	b.openPlayground()
	first := b.buildOnPage() // demo:v1, the page's default tag
	b.openFile("app/main.py")
	b.setEditorText(readExample(t, "fastapi/app/main.py") + "# v2\n")
	b.waitSaved()
	b.buildOnPage()
	firstImage := eval[string](b, fmt.Sprintf(`window.layerlab.api("GET", "/api/builds/%s").then(r => r.image)`, first))

	// The images table.
	b.follow(`[data-testid="nav-images"]`)
	rows := b.waitImages("demo:v1", true)
	var dangling []imageRow
	for _, r := range rows {
		if r.Kind == "dangling" {
			dangling = append(dangling, r)
		}
	}
	if len(dangling) != 1 || dangling[0].ID != firstImage {
		t.Errorf("images: dangling rows %+v, want one: the first build's image %s (its tag moved to the second build)", dangling, firstImage)
	}
	for _, r := range rows {
		if r.Ref == "demo:v1" && (r.Repo != "demo" || r.Tag != "v1") {
			t.Errorf("the demo:v1 row shows REPOSITORY %q TAG %q", r.Repo, r.Tag)
		}
	}
	if s := b.text(`[data-testid="images-cli"]`); !strings.HasPrefix(s, "REPOSITORY") {
		t.Errorf("the images page's CLI text starts %.40q, want docker image ls's REPOSITORY header", s)
	}

	// History: the stack, and the COPY app layer's files.
	b.follow(`[data-testid="image-row"][data-ref="demo:v1"] [data-testid="link-history"]`)
	wait[bool](b, "the history page", `!!document.querySelector('[data-testid="history-stack"]')`)
	if s := b.text(`[data-testid="history-ref"]`); s != "demo:v1" {
		t.Errorf("history of %q, want demo:v1", s)
	}
	hist := eval[[]struct {
		CreatedBy string `json:"by"`
		Empty     bool   `json:"empty"`
	}](b, `[...document.querySelectorAll('[data-testid="layer-row"]')].map(li => ({by: li.querySelector('[data-testid="layer-created-by"]').textContent, empty: li.dataset.empty === "true"}))`)
	steps := dockerfileSteps(t, readExample(t, "fastapi/Dockerfile"))
	if len(hist) < len(steps) {
		t.Fatalf("the history stack has %d rows, want at least the Dockerfile's %d steps", len(hist), len(steps))
	}
	copyRow := -1
	for i, h := range hist {
		if strings.Contains(h.CreatedBy, "COPY") && strings.Contains(h.CreatedBy, "./app") {
			copyRow = i
		}
	}
	if copyRow < 0 || hist[copyRow].Empty {
		t.Fatalf("no layer row for COPY app ./app in the history stack: %+v", hist)
	}
	if last := hist[len(hist)-1]; !strings.Contains(last.CreatedBy, "CMD") || !last.Empty {
		t.Errorf("the last history row is %+v, want the CMD step as a metadata-only row", last)
	}
	sel := fmt.Sprintf(`[data-testid="layer-row"]:nth-child(%d)`, copyRow+1)
	b.click(sel + ` summary`)
	files := wait[[]string](b, "the COPY app layer's files", fmt.Sprintf(`(() => {
		const d = document.querySelector(%s);
		if (!d || !d.open) return null;
		return [...d.querySelectorAll('[data-testid="file-row"][data-kind="added"] [data-testid="file-path"]')].map(c => c.textContent.trim());
	})()`, jsString(sel+` [data-testid="layer-details"]`)))
	if !anyHasSuffix(files, "app/main.py") {
		t.Errorf("the COPY app layer's added files are %q, want app/main.py among them", files)
	}
	b.screenshot("history.png")

	// Inspect: the tree, the raw JSON, and a --format template.
	b.follow(`[data-testid="history-page"] [data-testid="link-inspect"]`)
	wait[bool](b, "the inspect page", `!!document.querySelector('[data-testid="inspect-tree"] details')`)
	raw := b.text(`[data-testid="inspect-raw"]`)
	var inspected []struct {
		ID     string `json:"Id"`
		Config struct {
			Cmd []string `json:"Cmd"`
		} `json:"Config"`
	}
	if err := json.Unmarshal([]byte(raw), &inspected); err != nil || len(inspected) != 1 {
		t.Fatalf("the raw inspect output is not one image as JSON (%v):\n%.500s", err, raw)
	}
	wantCmd := "[" + strings.Join(inspected[0].Config.Cmd, " ") + "]"
	if !strings.Contains(wantCmd, "uvicorn") {
		t.Errorf("inspect: Config.Cmd is %s, want the example's uvicorn command", wantCmd)
	}
	if keys := b.text(`[data-testid="inspect-tree"]`); !strings.Contains(keys, "Config") || !strings.Contains(keys, "RootFS") {
		t.Errorf("the inspect tree lacks Config or RootFS: %.300s", keys)
	}
	b.do("type a --format template",
		chromedp.SetValue(chromedp.CSS(`[data-testid="format-input"]`), "{{.Config.Cmd}}"),
		chromedp.Click(chromedp.CSS(`[data-testid="format-submit"]`)))
	out := wait[string](b, "the --format output", `(() => {
		const o = document.querySelector('[data-testid="format-output"]'), e = document.querySelector('[data-testid="format-error"]');
		if (e && !e.hidden && e.textContent.trim()) return "error: " + e.textContent;
		return o && !o.hidden && o.textContent.trim() ? o.textContent : "";
	})()`)
	if strings.TrimSpace(out) != wantCmd {
		t.Errorf("--format {{.Config.Cmd}} printed %q, want %q", out, wantCmd)
	}
	if s := b.text(`[data-testid="format-cmd"]`); !strings.Contains(s, "docker inspect --format") || !strings.Contains(s, "{{.Config.Cmd}}") {
		t.Errorf("the --format command line is %q", s)
	}
	b.screenshot("inspect.png")

	// Tag demo:v1 as demo:v2: the table lists both.
	b.follow(`[data-testid="nav-images"]`)
	b.waitImages("demo:v1", true)
	// The row's Tag… link fills the form in place; the command line follows the typing.
	b.click(`[data-testid="image-row"][data-ref="demo:v1"] [data-testid="row-tag"]`)
	wait[bool](b, "the row's Tag… link to fill the tag form", `document.querySelector('[data-testid="tag-source"]').value === "demo:v1" && document.activeElement === document.querySelector('[data-testid="tag-target"]')`)
	b.do("type the new name", chromedp.SendKeys(chromedp.CSS(`[data-testid="tag-target"]`), "demo:v2"))
	if s := b.text(`[data-testid="tag-cmd"]`); s != "docker tag demo:v1 demo:v2" {
		t.Errorf("the tag form's command line shows %q, want docker tag demo:v1 demo:v2", s)
	}
	b.click(`[data-testid="tag-submit"]`)
	if ok, out := b.waitFlash("docker tag demo:v1 demo:v2"); !ok {
		t.Errorf("docker tag demo:v1 demo:v2 was refused: %s", out)
	}
	rows = b.waitImages("demo:v2", true)
	ids := map[string]string{}
	for _, r := range rows {
		ids[r.Ref] = r.ID
	}
	if ids["demo:v1"] == "" || ids["demo:v1"] != ids["demo:v2"] {
		t.Errorf("after tagging, demo:v1 is %q and demo:v2 is %q: want the same image", ids["demo:v1"], ids["demo:v2"])
	}
	b.screenshot("images.png")

	// Remove demo:v2: only the tag goes.
	b.do("fill the rm form", chromedp.SetValue(chromedp.CSS(`[data-testid="rm-ref"]`), "demo:v2"))
	b.click(`[data-testid="rm-submit"]`)
	ok, out2 := b.waitFlash("docker image rm demo:v2")
	if !ok || !strings.Contains(out2, "Untagged: demo:v2") {
		t.Errorf("docker image rm demo:v2: ok=%v, output %q, want an Untagged: demo:v2 line", ok, out2)
	}
	if strings.Contains(out2, "Deleted:") {
		t.Errorf("docker image rm demo:v2 deleted an image, but demo:v1 still names it: %q", out2)
	}
	rows = b.waitImages("demo:v2", false)
	if !slices.Contains(refs(rows), "demo:v1") {
		t.Errorf("after rm demo:v2 the table lists %q, want demo:v1 still", refs(rows))
	}

	// Prune: the confirmation says what goes (the dangling first image), then it goes.
	b.click(`[data-testid="prune-open"]`)
	plan := wait[struct {
		Summary string   `json:"summary"`
		Items   []string `json:"items"`
	}](b, "the prune confirmation dialog", `(() => {
		const p = document.querySelector('dialog[open][data-testid="prune-dialog"] [data-testid="prune-plan"]');
		if (!p) return null;
		return {summary: p.querySelector('[data-testid="prune-summary"]').textContent.replace(/\s+/g, " ").trim(),
			items: [...p.querySelectorAll('[data-testid="prune-item"]')].map(li => li.dataset.id)};
	})()`)
	// The dangling image goes, with its parent that only it used (the first build's
	// COPY app step); the tagged image stays.
	if len(plan.Items) == 0 || plan.Items[0] != firstImage || slices.Contains(plan.Items, ids["demo:v1"]) ||
		!strings.Contains(plan.Summary, fmt.Sprintf("removes %d image(s)", len(plan.Items))) {
		t.Errorf("the prune confirmation says %q and lists %q: want the dangling %s first, and not demo:v1's %s", plan.Summary, plan.Items, firstImage, ids["demo:v1"])
	}
	b.viewportScreenshot("prune.png")
	b.click(`[data-testid="prune-confirm"]`)
	ok, out3 := b.waitFlash("docker image prune")
	if !ok || !strings.Contains(out3, "Total reclaimed space") {
		t.Errorf("docker image prune: ok=%v, output %q, want the reclaimed space", ok, out3)
	}
	for _, id := range plan.Items {
		if !strings.Contains(out3, "deleted: "+id) {
			t.Errorf("docker image prune printed %q: it did not delete %s, which the confirmation listed", out3, id)
		}
	}
	rows = b.waitImages("demo:v1", true)
	for _, r := range rows {
		if r.Kind == "dangling" || r.ID == firstImage {
			t.Errorf("after prune the table still lists %+v", r)
		}
	}
	if d := b.dialogMessages(); len(d) > 0 {
		t.Logf("dialogs: %q", d)
	}

	// A second browser has its own, empty workspace.
	o := b.otherBrowser()
	o.open("/images", `[data-testid="images-page"]`)
	if rows := o.imageRows(); len(rows) != 0 {
		t.Errorf("a second browser's /images lists %+v, want nothing of the first browser's", rows)
	}
	if o.text(`[data-testid="images-empty"]`) == "" {
		t.Errorf("a second browser's /images does not say it has no images")
	}
	short := strings.TrimPrefix(ids["demo:v1"], "sha256:")[:12]
	o.open("/images/"+short+"/history", "main")
	if s := o.text(`[data-testid="error-page"]`); !strings.Contains(s, short) && !strings.Contains(strings.ToLower(s), "no such image") {
		t.Errorf("a second browser opening the first one's image history sees %q, want an error page", s)
	}
}

func anyHasSuffix(list []string, suffix string) bool {
	for _, s := range list {
		if strings.HasSuffix(s, suffix) {
			return true
		}
	}
	return false
}
