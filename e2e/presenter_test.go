package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// box is an element's place in the window.
type box struct {
	Name   string  `json:"name"`
	Top    float64 `json:"top"`
	Bottom float64 `json:"bottom"`
	Left   float64 `json:"left"`
	Right  float64 `json:"right"`
}

// outOfView lists the editor and every layer row that is not wholly inside the window
// above the docked terminal's bar (what a class sees without scrolling), nor, for a
// row, inside the layer list's own scrolling box.
const outOfViewJS = `(() => {
	const limit = Math.min(innerHeight, document.getElementById("terminal").getBoundingClientRect().top);
	const list = document.getElementById("layers").getBoundingClientRect();
	const els = [["editor", document.querySelector('[data-testid="editor"]'), {top: 0, bottom: limit}],
		...[...document.querySelectorAll('li[data-testid^="layer-"]')].map(li => ["layer " + li.dataset.step, li, {top: Math.max(0, list.top), bottom: Math.min(limit, list.bottom)}])];
	return els.map(([name, e, room]) => { const r = e.getBoundingClientRect(); return {name, top: r.top, bottom: r.bottom, left: r.left, right: r.right, room}; })
		.filter(b => b.top < b.room.top - 0.5 || b.left < 0 || b.bottom > b.room.bottom + 0.5 || b.right > innerWidth + 0.5 || b.bottom - b.top < 1)
		.map(b => ({name: b.name, top: b.top, bottom: b.bottom, left: b.left, right: b.right}));
})()`

// TestPresenterFitsAndReplays: on a 1280x720 projector in presenter mode (?present=1),
// the editor and all eight layers of the FastAPI example's build are in view together,
// the rebuilt step's reason is said in one sentence, and a replay steps through the
// finished build with Space, back with the left arrow, and ends with Escape, saying
// each step's reason and announcing it.
func TestPresenterFitsAndReplays(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t, srv)
	b.do("a 1280x720 window", chromedp.EmulateViewport(1280, 720))
	b.open("/?present=1", `[data-testid="playground"]`)
	wait[bool](b, "the playground", `document.body.dataset.ready === "1" && window.layerlab.editor.getText().length > 0`)
	if !eval[bool](b, `document.documentElement.classList.contains("present") && document.getElementById("present-toggle").getAttribute("aria-pressed") === "true"`) {
		t.Fatalf("?present=1 did not turn presenter mode on")
	}
	if eval[bool](b, `document.getElementById("build-opts").open`) {
		t.Errorf("the build options are open in presenter mode, want them folded")
	}
	steps := dockerfileSteps(t, readExample(t, "fastapi/Dockerfile"))
	if len(steps) != 8 {
		t.Fatalf("examples/fastapi/Dockerfile has %d steps: this test wants an 8-step build", len(steps))
	}
	b.buildOnPage()
	b.openFile("app/main.py")
	b.do("type into app/main.py", chromedp.Click(chromedp.CSS(".cm-content")),
		chromedp.KeyEvent(kb.End, chromedp.KeyModifiers(chromedp.ModifierCtrl)), chromedp.KeyEvent("# edited in class\n"))
	b.waitSaved()
	id := b.buildOnPage()
	ls := b.layers()
	checkStates(t, "rebuild after the edit", ls, wantStates("base", "cached", "cached", "cached", "cached", "cached", "changed", "downstream"))
	if out := eval[[]box](b, outOfViewJS); len(out) > 0 {
		t.Errorf("at 1280x720 in presenter mode these are not wholly in view: %+v", out)
	}
	if s := b.text(`[data-testid="narration"]`); !strings.HasPrefix(s, "Step 8 ran again:") {
		t.Errorf("the narration says %q after the build, want the last rebuilt step's sentence (Step 8 ran again: ...)", s)
	}
	b.viewportScreenshot("presenter-build.png")

	// The presenter's choice is remembered on the next page, and the toggle turns it off.
	b.open("/images", `[data-testid="present-toggle"]`)
	if !eval[bool](b, `document.documentElement.classList.contains("present")`) {
		t.Errorf("presenter mode was not remembered on /images")
	}
	b.click(`[data-testid="present-toggle"]`)
	if eval[bool](b, `document.documentElement.classList.contains("present") || localStorage.getItem("layerlab.present") !== "0"`) {
		t.Errorf("the toggle did not turn presenter mode off")
	}
	b.open("/?present=1", `[data-testid="playground"]`)
	wait[bool](b, "the last build shown after the reload", fmt.Sprintf(`document.body.dataset.shown === %s && document.querySelectorAll('li[data-testid^="layer-"]').length === 8 && !document.getElementById("replay-btn").disabled`, jsString(id)))

	// Replay: R starts it, Space lands one step at a time.
	b.do("press R", chromedp.KeyEvent("r"))
	wait[bool](b, "the replay bar", `!document.getElementById("replay-bar").hidden && document.querySelectorAll('li[data-testid^="layer-"]').length === 0`)
	for i := 1; i <= 8; i++ {
		key := " "
		if i%2 == 0 {
			key = kb.ArrowRight
		}
		b.do(fmt.Sprintf("step %d of the replay", i), chromedp.KeyEvent(key))
		got := wait[[]string](b, fmt.Sprintf("step %d to land", i), fmt.Sprintf(`(() => {
			const n = document.querySelectorAll('li[data-testid^="layer-"]').length;
			return n === %d ? [document.getElementById("narration").textContent, document.getElementById("replay-live").textContent] : null;
		})()`, i))
		narration, live := got[0], got[1]
		if !strings.HasPrefix(narration, fmt.Sprintf("Step %d ", i)) && !strings.HasPrefix(narration, fmt.Sprintf("Step %d:", i)) {
			t.Errorf("replay step %d: the narration says %q", i, narration)
		}
		if !strings.HasPrefix(live, fmt.Sprintf("Step %d of 8", i)) {
			t.Errorf("replay step %d: the live region announces %q", i, live)
		}
		switch i {
		case 7:
			if !strings.Contains(narration, "copies a file that changed (app/main.py)") {
				t.Errorf("replay step 7 (COPY app ./app, changed): the narration says %q, want the file that changed", narration)
			}
			b.viewportScreenshot("presenter-replay.png")
		case 8:
			if !strings.Contains(narration, "step 7 was rebuilt") {
				t.Errorf("replay step 8 (downstream): the narration says %q, want that step 7 was rebuilt", narration)
			}
		}
	}
	if out := eval[[]box](b, outOfViewJS); len(out) > 0 {
		t.Errorf("during the replay these are not wholly in view: %+v", out)
	}
	b.do("back one step", chromedp.KeyEvent(kb.ArrowLeft))
	wait[bool](b, "the replay to go back to step 7", `document.querySelectorAll('li[data-testid^="layer-"]').length === 7 && document.getElementById("replay-live").textContent.startsWith("Step 7 of 8")`)
	b.do("end the replay", chromedp.KeyEvent(kb.Escape))
	wait[bool](b, "the replay to end and the build to show whole", `document.getElementById("replay-bar").hidden && document.querySelectorAll('li[data-testid^="layer-"]').length === 8`)
	checkStates(t, "after the replay", b.layers(), wantStates("base", "cached", "cached", "cached", "cached", "cached", "changed", "downstream"))
}

// TestPlaygroundCtrlEnterBuildsOnce: Ctrl+Enter in the editor reaches both the editor's
// binding and the page's; it must start exactly one build.
func TestPlaygroundCtrlEnterBuildsOnce(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t, srv)
	b.openPlayground()
	// Count the page's requests to start a build: a second one is refused (409) while the
	// first runs, so the build count alone would not show it.
	eval[bool](b, `(() => {
		window.__buildPosts = 0;
		const f = window.fetch;
		window.fetch = (url, opts) => { if (String(url) === "/api/builds" && opts && opts.method === "POST") window.__buildPosts++; return f(url, opts); };
		return true;
	})()`)
	b.do("Ctrl+Enter in the editor", chromedp.Click(chromedp.CSS(".cm-content")),
		chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	status := wait[string](b, "the build to end", `(() => {
		const q = (id) => document.querySelector('[data-testid="' + id + '"]');
		if (q("build-error")) return "error: " + q("build-error").textContent;
		if (q("build-failed")) return "failed: " + q("build-failed").textContent;
		return q("build-done") ? "done" : "";
	})()`)
	if status != "done" {
		t.Fatalf("Ctrl+Enter: %s", status)
	}
	n := eval[int](b, `window.layerlab.api("GET", "/api/builds").then(r => r.builds.length)`)
	if n != 1 {
		t.Errorf("one Ctrl+Enter started %d builds, want 1", n)
	}
	if p := eval[int](b, `window.__buildPosts`); p != 1 {
		t.Errorf("one Ctrl+Enter sent %d requests to start a build, want 1", p)
	}
	if got := b.editorText(); strings.Count(got, "\n") != strings.Count(readExample(t, "fastapi/Dockerfile"), "\n") {
		t.Errorf("Ctrl+Enter changed the Dockerfile (a newline typed?):\n%s", got)
	}
}

// TestPlaygroundClassroomFixes: a reload shows the last build (steps, states and line
// marks, not "Not built yet."); a first build's new steps say so; a failed step's log is
// open; the file tree's size follows an edit; the editor is labelled with the open
// file's name.
func TestPlaygroundClassroomFixes(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t, srv)
	b.openPlayground()
	if l := eval[string](b, `window.layerlab.editor.view.contentDOM.getAttribute("aria-label")`); l != "Editor: Dockerfile" {
		t.Errorf("the editor is labelled %q, want Editor: Dockerfile", l)
	}
	id := b.buildOnPage()
	if r := b.text(`li[data-testid="layer-3"] [data-testid="reason"]`); r != "first build of this step: nothing in the cache yet" {
		t.Errorf("a first build's step 3 says %q, want that it is the first build of the step", r)
	}

	// A reload shows the build.
	b.openPlayground()
	wait[bool](b, "the last build after a reload", fmt.Sprintf(`document.body.dataset.shown === %s`, jsString(id)))
	checkStates(t, "after a reload", b.layers(), wantStates("base", "new", "new", "new", "new", "new", "new", "new"))
	if s := b.text(`[data-testid="build-status"]`); strings.Contains(s, "Not built yet") {
		t.Errorf("after a reload the status says %q", s)
	}
	wait[bool](b, "the editor's line marks after a reload", `document.querySelectorAll(".cm-line.cm-step-new").length === 7`)

	// The file tree's size and the editor's label follow the open file.
	b.openFile("app/main.py")
	if l := eval[string](b, `window.layerlab.editor.view.contentDOM.getAttribute("aria-label")`); l != "Editor: app/main.py" {
		t.Errorf("with app/main.py open the editor is labelled %q", l)
	}
	size := func() string {
		return strings.TrimSpace(b.text(`[data-testid="file-app/main.py"] [data-testid="file-size"]`))
	}
	before := size()
	b.setEditorText(strings.Repeat("x", 2345))
	if got := size(); got != "2.35kB" {
		t.Errorf("after typing 2345 bytes into app/main.py (%s before) the tree says %q, want 2.35kB", before, got)
	}
	b.waitSaved()

	// A failed step's log is open: it holds the command's own error.
	b.openFile("Dockerfile")
	b.setEditorText("FROM busybox\nRUN echo the real cause is here; exit 3\n")
	b.waitSaved()
	b.do("click Build", chromedp.WaitEnabled(chromedp.CSS(`[data-testid="build"]`)), chromedp.Click(chromedp.CSS(`[data-testid="build"]`)))
	wait[bool](b, "the build to fail", `!!document.querySelector('[data-testid="build-failed"]')`)
	got := wait[[]string](b, "the failed step's log", `(() => {
		const d = document.querySelector('li[data-testid="layer-2"] [data-testid="step-logs"]');
		return d && !d.hidden ? [String(d.open), d.textContent] : null;
	})()`)
	if got[0] != "true" || !strings.Contains(got[1], "the real cause is here") {
		t.Errorf("the failed step's log: open=%s, text %q; want it open with the command's output", got[0], got[1])
	}
}

// TestPlaygroundNarrowPages: at 390x844 (a phone) no page scrolls sideways.
func TestPlaygroundNarrowPages(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t, srv)
	b.openPlayground()
	id := b.buildOnPage()
	image := eval[string](b, fmt.Sprintf(`window.layerlab.api("GET", "/api/builds/%s").then(r => r.image.replace("sha256:", "").slice(0, 12))`, id))
	b.do("a 390x844 window", chromedp.EmulateViewport(390, 844))
	for _, present := range []string{"0", "1"} {
		for _, p := range []string{"/", "/images", "/base-images", "/images/" + image + "/history", "/images/" + image + "/inspect", "/join"} {
			sep := "?"
			if strings.Contains(p, "?") {
				sep = "&"
			}
			b.open(p+sep+"present="+present, "main")
			wait[bool](b, "the page to load", `document.readyState === "complete"`)
			if p == "/" {
				wait[bool](b, "the last build", `!!document.body.dataset.shown`)
			}
			if w := eval[[]int](b, `[document.documentElement.scrollWidth, innerWidth]`); w[0] > 390 {
				wide := eval[[]string](b, `[...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > 391 && getComputedStyle(e).position !== "fixed").slice(0, 6).map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + "." + [...e.classList].join(".") + " " + Math.round(e.getBoundingClientRect().right))`)
				t.Errorf("%s (presenter %s) is %d px wide at 390: %q", p, present, w[0], wide)
			}
		}
	}
}
