package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// classroomTimeout is the one deadline of the classroom test: a teacher and three
// students, each building, in one Chromium.
const classroomTimeout = 4 * time.Minute

var teacherLinkRe = regexp.MustCompile(`(https?://\S+/teach/login\?key=\S+)`)

// teacherLink is the server's teacher link, as `layerlab teacher link` prints it on
// the same data directory (the teacher's step in the README).
func teacherLink(t *testing.T, srv *server) string {
	t.Helper()
	out, err := exec.Command(binPath, "--data-dir", srv.DataDir, "teacher", "link", "--public-url", srv.URL).CombinedOutput()
	if err != nil {
		t.Fatalf("layerlab teacher link: %v\n%s", err, out)
	}
	m := teacherLinkRe.FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("layerlab teacher link printed no link:\n%s", out)
	}
	return m[1]
}

// newClassBrowser is newBrowser with the classroom test's deadline, its window at a
// projector's 1280x720.
func newClassBrowser(t *testing.T, srv *server) *browser {
	t.Helper()
	exe := chromiumPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), classroomTimeout)
	t.Cleanup(cancel)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.WindowSize(1280, 720),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() {
		chromedp.Cancel(bctx)
		cancelTab()
	})
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start chromium %s: %v", exe, err)
	}
	b := &browser{t: t, ctx: bctx, srv: srv}
	b.watch(bctx)
	b.do("a 1280x720 window", chromedp.EmulateViewport(1280, 720))
	return b
}

// person is another browser context of the same Chromium (its own cookies: its own
// workspace) at 1280x720.
func (b *browser) person() *browser {
	b.t.Helper()
	o := b.otherBrowser()
	o.do("a 1280x720 window", chromedp.EmulateViewport(1280, 720))
	return o
}

// newTab is another tab of the same browser context (the same cookies: the same
// person, the same workspace).
func (b *browser) newTab() *browser {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	b.t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatalf("open a tab: %v", err)
	}
	o := &browser{t: b.t, ctx: ctx, srv: b.srv}
	o.watch(ctx)
	o.do("a 1280x720 window", chromedp.EmulateViewport(1280, 720))
	return o
}

// fill sets an input's value as typing would (the input event fires).
func (b *browser) fill(sel, value string) {
	b.t.Helper()
	b.do("fill "+sel, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.SetValue(chromedp.CSS(sel), value))
}

// join opens /join, types the code and the name and submits; it returns the error the
// page shows, "" when the join led to the playground.
func (b *browser) join(code, name string) string {
	b.t.Helper()
	b.open("/join", `[data-testid="join-form"]`)
	b.fill(`[data-testid="join-code"]`, code)
	b.fill(`[data-testid="join-name"]`, name)
	b.do("mark the page", chromedp.Evaluate[chromedp.Void](`window.__e2eLeft = true`))
	b.click(`[data-testid="join-submit"]`)
	return wait[string](b, "the join's answer", `(() => {
		if (window.__e2eLeft || document.readyState !== "complete") return "";
		const e = document.querySelector('[data-testid="join-error"]');
		if (e) return "error: " + e.textContent.trim();
		if (document.querySelector('[data-testid="playground"]')) return "joined";
		return "";
	})()`)
}

// dashboardWatchJS records, every 50 ms, when the dashboard first shows each build in
// each state (window.__e2eSeen["<build> <state>"] = Date.now()): the time a card first
// showed a build finished, measured in the page, not when the test got round to look.
const dashboardWatchJS = `(() => {
	if (window.__e2eSeen) return true;
	window.__e2eSeen = {};
	const look = () => {
		for (const b of document.querySelectorAll('[data-testid="student-card"] [data-testid="card-build"][data-build]')) {
			const k = b.dataset.build + " " + b.dataset.state;
			if (!(k in window.__e2eSeen)) window.__e2eSeen[k] = Date.now();
		}
	};
	look();
	setInterval(look, 50);
	return true;
})()`

// buildTimed clicks Build on a playground and waits (polling the DOM at 50 ms) for the
// page to show the build done; it returns the build's ID and Date.now() at the poll
// that saw it, in milliseconds.
func (b *browser) buildTimed() (string, int64) {
	b.t.Helper()
	before := eval[string](b, `document.body.dataset.buildId || ""`)
	b.do("click Build", chromedp.WaitEnabled(chromedp.CSS(`[data-testid="build"]`)), chromedp.Click(chromedp.CSS(`[data-testid="build"]`)))
	got := wait[[]any](b, "the build to end", fmt.Sprintf(`(() => {
		const q = (id) => document.querySelector('[data-testid="' + id + '"]');
		if (q("build-error")) return ["error: " + q("build-error").textContent, 0];
		if ((document.body.dataset.buildId || "") === %s) return null;
		if (q("build-failed")) return ["failed: " + q("build-failed").textContent, 0];
		if (q("build-done")) return ["done", Date.now()];
		return null;
	})()`, jsString(before)))
	if got[0] != "done" {
		b.fatalf("build: %v", got[0])
	}
	return eval[string](b, `document.body.dataset.buildId`), int64(got[1].(float64))
}

// cardWorkspace is the workspace of the dashboard's card of the student named name.
func (b *browser) cardWorkspace(name string) string {
	b.t.Helper()
	return wait[string](b, "the card of "+name, fmt.Sprintf(`(() => {
		const c = [...document.querySelectorAll('[data-testid="student-card"]')].find(c => c.dataset.name === %s);
		return c ? c.dataset.workspace : "";
	})()`, jsString(name)))
}

// waitTask waits for the lesson panel to show the task in the state (done, current).
func (b *browser) waitTask(task, state string) {
	b.t.Helper()
	wait[bool](b, "the lesson panel's task "+task+" "+state, fmt.Sprintf(`!!document.querySelector('[data-testid="lesson-task-' + %s + '"][data-state="' + %s + '"]')`, jsString(task), jsString(state)))
}

// coveredJS lists the playground's controls a student needs beside the lesson panel
// (the Build button, the tags field, the build's status and each layer of the last
// build) that something else is drawn over, at their centre or 4 px inside their
// right edge, each scrolled into view first. The lesson panel's own items are not
// checked.
const coveredJS = `(() => {
	const out = [];
	const els = [...document.querySelectorAll('[data-testid="build"], [data-testid="opt-tags"], [data-testid="build-status"], li[data-testid^="layer-"]')];
	for (const e of els) {
		e.scrollIntoView({block: "center", inline: "nearest"});
		const r = e.getBoundingClientRect();
		if (r.width < 1 || r.height < 1) continue;
		for (const [x, y] of [[r.left + r.width / 2, r.top + r.height / 2], [r.right - 4, r.top + r.height / 2]]) {
			const top = document.elementFromPoint(x, y);
			if (top && top !== e && !e.contains(top)) {
				out.push((e.dataset.testid || e.id) + " under " + top.tagName.toLowerCase() + (top.id ? "#" + top.id : "") + (top.className && typeof top.className === "string" ? "." + top.className.split(" ").join(".") : ""));
				break;
			}
		}
	}
	window.scrollTo(0, 0);
	return out;
})()`

func trimCode(s string) string { return strings.Join(strings.Fields(s), "") }
