package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// compareRow is one row of the comparison with the previous build.
type compareRow struct {
	Step        int    `json:"step"`
	Instruction string `json:"instruction"`
	Before      string `json:"before"` // a step state, or "" for none
	Now         string `json:"now"`
	Changed     bool   `json:"changed"` // the row is marked as a changed state
}

const compareRowsJS = `[...document.querySelectorAll('[data-testid="compare-step"]')].map(tr => {
	const td = tr.querySelectorAll("td");
	const st = (cell) => { const s = cell.querySelector('[data-testid="state"]'); return s ? (s.className.match(/state-(\w+)/) || ["", ""])[1] : ""; };
	return {step: Number(td[0].textContent), instruction: td[1].textContent, before: st(td[2]), now: st(td[3]), changed: tr.classList.contains("changed-row")};
})`

// TestPlaygroundCacheLesson walks the lesson on the playground page: the FastAPI
// example built once (every step new), again (every step cached), after an edit of the
// COPY'd source (that COPY changed, the later steps downstream, the earlier cached, and
// the editor marks the lines so), and after an edit of a middle line (the comparison
// names that step and lists each step's state before and after).
func TestPlaygroundCacheLesson(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t, srv)

	steps := dockerfileSteps(t, readExample(t, "fastapi/Dockerfile"))
	copyApp := slices.Index(steps, "COPY app ./app") + 1
	unbuffered := slices.Index(steps, "ENV PYTHONUNBUFFERED=1") + 1
	if copyApp == 0 || unbuffered == 0 || !strings.HasPrefix(steps[0], "FROM ") {
		t.Fatalf("examples/fastapi/Dockerfile changed: this test needs FROM first, ENV PYTHONUNBUFFERED=1 and COPY app ./app; it has %q", steps)
	}
	// all is every step but FROM (always base) in one state; after is a rebuild whose
	// first uncached step is changed: cached before it, downstream after it.
	all := func(state string) string {
		st := []string{"base"}
		for range steps[1:] {
			st = append(st, state)
		}
		return wantStates(st...)
	}
	after := func(changed int) string {
		st := []string{"base"}
		for i := 2; i <= len(steps); i++ {
			switch {
			case i < changed:
				st = append(st, "cached")
			case i == changed:
				st = append(st, "changed")
			default:
				st = append(st, "downstream")
			}
		}
		return wantStates(st...)
	}

	b.openPlayground()
	b.click(`[data-testid="example-fastapi"]`)
	wait[bool](b, "the FastAPI example to load", `document.querySelector('[data-testid="file-msg"]').textContent.startsWith("Loaded the")`)
	if d := b.dialogMessages(); len(d) != 1 || !strings.Contains(d[0], "Replace the build context") {
		t.Errorf("loading an example asked %q, want one confirm() about replacing the build context", d)
	}
	if got, want := b.editorText(), readExample(t, "fastapi/Dockerfile"); got != want {
		t.Fatalf("the editor shows\n%s\nwant the example's Dockerfile\n%s", got, want)
	}

	// 1. The first build: nothing to reuse.
	b.buildOnPage()
	ls := b.layers()
	checkStates(t, "first build", ls, all("new"))
	for i, l := range ls {
		if i < len(steps) && l.Instruction != steps[i] {
			t.Errorf("first build: step %d shows %q, want %q", l.Step, l.Instruction, steps[i])
		}
	}
	if s := b.text(`[data-testid="compare"]`); !strings.Contains(s, "first build of this tag") {
		t.Errorf("first build: the comparison says %q, want that it is the first build of this tag", s)
	}

	// 2. The same build again: every step from the cache.
	b.buildOnPage()
	checkStates(t, "second build", b.layers(), all("cached"))
	if s := b.text(`[data-testid="compare-summary"]`); !strings.Contains(s, "every step came from the cache") {
		t.Errorf("second build: the comparison summary is %q, want that every step came from the cache", s)
	}

	// 3. Edit the COPY'd source as a student would: open it, go to the end, type.
	b.openFile("app/main.py")
	mainPy := readExample(t, "fastapi/app/main.py")
	if got := b.editorText(); got != mainPy {
		t.Fatalf("the editor shows app/main.py as\n%s\nwant\n%s", got, mainPy)
	}
	const comment = "# changed by the e2e test"
	b.do("type into app/main.py",
		chromedp.Click(chromedp.CSS(".cm-content")),
		chromedp.KeyEvent(kb.End, chromedp.KeyModifiers(chromedp.ModifierCtrl)),
		chromedp.KeyEvent(comment),
	)
	b.waitSaved()
	if got, want := b.contextFile("app/main.py"), mainPy+comment; got != want {
		t.Fatalf("after typing, the server has app/main.py as\n%q\nwant\n%q", got, want)
	}
	b.buildOnPage()
	ls = b.layers()
	checkStates(t, "build after editing app/main.py", ls, after(copyApp))
	// A state is not told by colour alone: each has its own border.
	borders := map[string]string{}
	for _, l := range ls {
		borders[l.State] = l.Border
	}
	var alike []string
	for s1, b1 := range borders {
		for s2, b2 := range borders {
			if s1 < s2 && b1 == b2 {
				alike = append(alike, fmt.Sprintf("%s = %s (%s)", s1, s2, b1))
			}
		}
	}
	if len(alike) > 0 {
		slices.Sort(alike)
		t.Errorf("layer items of different states have the same border, so they look alike: %s", strings.Join(alike, "; "))
	}
	summary := b.text(`[data-testid="compare-summary"]`)
	if want := fmt.Sprintf("step %d (COPY app ./app) changed", copyApp); !strings.Contains(summary, want) {
		t.Errorf("after editing app/main.py the comparison summary is %q, want it to say %q", summary, want)
	}
	if s := b.text(`[data-testid="compare-files"]`); !strings.Contains(s, "app/main.py changed") {
		t.Errorf("the comparison's changed files are %q, want app/main.py changed", s)
	}

	// The editor marks the Dockerfile's lines with the last build's step states.
	b.openFile("Dockerfile")
	marks := wait[map[string][]string](b, "the editor's step marks", `(() => {
		const out = {};
		for (const st of ["base", "cached", "changed", "downstream", "new"]) {
			out[st] = [...document.querySelectorAll(".cm-line.cm-step-" + st)].map(l => l.textContent);
		}
		return out.changed.length ? out : null;
	})()`)
	if want := []string{"COPY app ./app"}; !slices.Equal(marks["changed"], want) {
		t.Errorf("lines marked cm-step-changed: %q, want %q", marks["changed"], want)
	}
	if want := steps[copyApp:]; !slices.Equal(marks["downstream"], want) {
		t.Errorf("lines marked cm-step-downstream: %q, want %q", marks["downstream"], want)
	}
	if want := steps[1 : copyApp-1]; !slices.Equal(marks["cached"], want) {
		t.Errorf("lines marked cm-step-cached: %q, want %q", marks["cached"], want)
	}
	if want := steps[:1]; !slices.Equal(marks["base"], want) {
		t.Errorf("lines marked cm-step-base: %q, want %q", marks["base"], want)
	}

	// 4. Edit a middle line: that step changes, every later one is rebuilt.
	b.replaceInEditor("ENV PYTHONUNBUFFERED=1", "ENV PYTHONUNBUFFERED=0")
	b.waitSaved()
	b.buildOnPage()
	checkStates(t, "build after editing the ENV line", b.layers(), after(unbuffered))
	summary = b.text(`[data-testid="compare-summary"]`)
	if want := fmt.Sprintf("step %d (ENV PYTHONUNBUFFERED=0) changed", unbuffered); !strings.Contains(summary, want) {
		t.Errorf("after editing the ENV line the comparison summary is %q, want it to say %q", summary, want)
	}
	rows := eval[[]compareRow](b, compareRowsJS)
	if len(rows) != len(steps) {
		t.Fatalf("the comparison has %d step rows, want %d: %+v", len(rows), len(steps), rows)
	}
	for _, r := range rows {
		// The previous build was build 3: cached up to COPY app, which changed.
		before := "cached"
		switch {
		case r.Step == 1:
			before = "base"
		case r.Step == copyApp:
			before = "changed"
		case r.Step > copyApp:
			before = "downstream"
		}
		now := "cached"
		switch {
		case r.Step == 1:
			now = "base"
		case r.Step == unbuffered:
			now = "changed"
		case r.Step > unbuffered:
			now = "downstream"
		}
		if r.Before != before || r.Now != now {
			t.Errorf("comparison row for step %d (%s): before %q now %q, want before %q now %q", r.Step, r.Instruction, r.Before, r.Now, before, now)
		}
		if r.Changed != (before != now) {
			t.Errorf("comparison row for step %d: marked changed=%v, want %v", r.Step, r.Changed, before != now)
		}
		if r.Step == unbuffered && !strings.Contains(r.Instruction, "was: ENV PYTHONUNBUFFERED=1") {
			t.Errorf("comparison row for step %d shows %q, want the old text (was: ENV PYTHONUNBUFFERED=1)", r.Step, r.Instruction)
		}
	}
	// The page fits the window it was designed for: nothing sticks out to the right.
	if w := eval[[]int](b, `[document.documentElement.scrollWidth, document.documentElement.clientWidth]`); w[0] > w[1] {
		t.Errorf("the playground is %d px wide in a %d px window: something overflows to the right (the comparison table?)", w[0], w[1])
	}
	b.screenshot("playground.png")
}
