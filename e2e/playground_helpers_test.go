package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// layer is one step of the page's layer list (li[data-testid^=layer-]).
type layer struct {
	Step        int      `json:"step"`
	State       string   `json:"state"`
	Instruction string   `json:"instruction"`
	Log         string   `json:"log"`
	Stray       []string `json:"stray"`    // text nodes directly in the item (a rendering slip)
	Overflow    []string `json:"overflow"` // text drawn past the item's right edge
	Overlap     []string `json:"overlap"`  // parts of the item's heading drawn over each other
	Border      string   `json:"border"`   // the item's border: style, width, colour
}

const layersJS = `[...document.querySelectorAll('li[data-testid^="layer-"]')].map(li => {
	const box = li.getBoundingClientRect(), cs = getComputedStyle(li);
	return {
		step: Number(li.dataset.step),
		state: li.dataset.state || "",
		instruction: (li.querySelector('[data-testid="instruction"]') || {textContent: ""}).textContent,
		log: (li.querySelector('[data-testid="step-log"]') || {textContent: ""}).textContent,
		stray: [...li.childNodes].filter(n => n.nodeType === Node.TEXT_NODE && n.textContent.trim() !== "").map(n => n.textContent),
		overflow: (() => {
			const out = [], w = document.createTreeWalker(li, NodeFilter.SHOW_TEXT);
			// Text in a closed <details> or a scrolling box (a step's log) may run on.
			const contained = (el) => { for (; el && el !== li; el = el.parentElement) { if ((el.tagName === "DETAILS" && !el.open) || /auto|scroll|hidden/.test(getComputedStyle(el).overflowX)) return true; } return false; };
			for (let n; (n = w.nextNode());) {
				if (contained(n.parentElement)) continue;
				const r = document.createRange();
				r.selectNodeContents(n);
				const rect = r.getBoundingClientRect();
				if (rect.width > 0 && rect.right > box.right + 1) out.push(JSON.stringify(n.textContent.slice(0, 30)) + " +" + Math.round(rect.right - box.right) + "px");
			}
			return out;
		})(),
		overlap: (() => {
			// The drawn extent of each part, text that overflows its box included.
			const extent = (e) => { const r = document.createRange(); r.selectNodeContents(e); return r.getBoundingClientRect(); };
			const out = [], parts = [...li.querySelectorAll(".layer-head > *")].filter(e => extent(e).width > 0);
			for (let i = 0; i < parts.length; i++) for (let j = i + 1; j < parts.length; j++) {
				const a = extent(parts[i]), b = extent(parts[j]);
				const w = Math.min(a.right, b.right) - Math.max(a.left, b.left), h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
				if (w > 1 && h > 1) out.push(JSON.stringify(parts[i].textContent.trim()) + " over " + JSON.stringify(parts[j].textContent.trim()));
			}
			return out;
		})(),
		border: cs.borderLeftStyle + " " + cs.borderLeftWidth + " " + cs.borderLeftColor,
	};
})`

// layers reads the layer list and checks how it is drawn: no stray text in an item
// (such as "null"), no "undefined" log line, nothing sticking out of an item's box, no
// part of its heading over another.
// Each kind of slip fails the test once.
func (b *browser) layers() []layer {
	b.t.Helper()
	ls := eval[[]layer](b, layersJS)
	var stray, undef, over, overlap []string
	for _, l := range ls {
		if len(l.Stray) > 0 {
			stray = append(stray, fmt.Sprintf("step %d: %q", l.Step, l.Stray))
		}
		if slices.Contains(strings.Split(l.Log, "\n"), "undefined") {
			undef = append(undef, fmt.Sprintf("step %d", l.Step))
		}
		if len(l.Overlap) > 0 {
			overlap = append(overlap, fmt.Sprintf("step %d: %s", l.Step, strings.Join(l.Overlap, ", ")))
		}
		if len(l.Overflow) > 0 {
			over = append(over, fmt.Sprintf("step %d: %s", l.Step, strings.Join(l.Overflow, ", ")))
		}
	}
	b.slip("stray", "layer items have stray text beside their elements: %s", stray)
	b.slip("undefined", "step logs have a line reading \"undefined\" (an event without text?): %s", undef)
	b.slip("overflow", "layer items have content drawn past their right edge: %s", over)
	b.slip("overlap", "layer items have parts of their heading drawn over each other: %s", overlap)
	return ls
}

// slip fails the test once per kind of rendering slip.
func (b *browser) slip(kind, format string, items []string) {
	b.t.Helper()
	if len(items) == 0 || b.slips[kind] {
		return
	}
	if b.slips == nil {
		b.slips = map[string]bool{}
	}
	b.slips[kind] = true
	b.t.Errorf(format, strings.Join(items, "; "))
}

// states is the layer list's states in step order, as "1:base 2:new …".
func states(ls []layer) string {
	var out []string
	for _, l := range ls {
		out = append(out, fmt.Sprintf("%d:%s", l.Step, l.State))
	}
	return strings.Join(out, " ")
}

// wantStates builds the expected states string from a state per step (1-based).
func wantStates(st ...string) string {
	var out []string
	for i, s := range st {
		out = append(out, fmt.Sprintf("%d:%s", i+1, s))
	}
	return strings.Join(out, " ")
}

// openPlayground loads / and waits until the editor shows the Dockerfile.
func (b *browser) openPlayground() {
	b.t.Helper()
	b.open("/", `[data-testid="playground"]`)
	wait[bool](b, "the playground to load the build context",
		`document.body.dataset.ready === "1" && !!window.layerlab.editor && window.layerlab.editor.getText().length > 0 && document.getElementById("editor-file").textContent === "Dockerfile"`)
}

// openFile clicks a file of the build context and waits for the editor to show it.
func (b *browser) openFile(path string) {
	b.t.Helper()
	b.click(fmt.Sprintf(`button[data-testid=%s]`, jsString("file-"+path)))
	wait[bool](b, "the editor to show "+path, fmt.Sprintf(`document.getElementById("editor-file").textContent === %s`, jsString(path)))
}

// editorText is the editor's document.
func (b *browser) editorText() string {
	b.t.Helper()
	return eval[string](b, `window.layerlab.editor.getText()`)
}

// replaceInEditor replaces the first occurrence of old in the open file, through the
// editor's view, as a keystroke would (the page saves it, debounced).
func (b *browser) replaceInEditor(old, new string) {
	b.t.Helper()
	ok := eval[bool](b, fmt.Sprintf(`(() => {
		const v = window.layerlab.editor.view, doc = v.state.doc.toString(), i = doc.indexOf(%s);
		if (i < 0) return false;
		v.dispatch({changes: {from: i, to: i + %d, insert: %s}});
		return true;
	})()`, jsString(old), len([]rune(old)), jsString(new)))
	if !ok {
		b.fatalf("the editor has no %q to replace", old)
	}
}

// setEditorText replaces the whole document of the open file through the editor.
func (b *browser) setEditorText(text string) {
	b.t.Helper()
	eval[bool](b, fmt.Sprintf(`(() => {
		const v = window.layerlab.editor.view;
		v.dispatch({changes: {from: 0, to: v.state.doc.length, insert: %s}});
		return true;
	})()`, jsString(text)))
}

// waitSaved waits for the debounced save of the open file.
func (b *browser) waitSaved() {
	b.t.Helper()
	wait[bool](b, `the save state to say "saved"`, `document.querySelector('[data-testid="save-state"]').textContent === "saved"`)
}

// contextFile reads a file of the build context back from the server.
func (b *browser) contextFile(path string) string {
	b.t.Helper()
	return eval[string](b, fmt.Sprintf(`window.layerlab.api("GET", "/api/context").then(d => (d.files.find(f => f.path === %s) || {content: "(missing)"}).content)`, jsString(path)))
}

// buildOnPage clicks Build and waits for the build's end (and its comparison); it fails
// the test unless the build succeeded. It returns the build's ID.
func (b *browser) buildOnPage() string {
	b.t.Helper()
	before := eval[string](b, `document.body.dataset.buildId || ""`)
	b.do("click Build", chromedp.WaitEnabled(chromedp.CSS(`[data-testid="build"]`)), chromedp.Click(chromedp.CSS(`[data-testid="build"]`)))
	status := wait[string](b, "the build to end", fmt.Sprintf(`(() => {
		const q = (id) => document.querySelector('[data-testid="' + id + '"]');
		if (q("build-error")) return "error: " + q("build-error").textContent;
		if ((document.body.dataset.buildId || "") === %s) return "";
		if (q("build-failed")) return "failed: " + q("build-failed").textContent;
		if (q("build-done") && !document.getElementById("compare").hidden) return "done";
		return "";
	})()`, jsString(before)))
	if status != "done" {
		b.fatalf("build: %s", status)
	}
	return eval[string](b, `document.body.dataset.buildId`)
}

func checkStates(t *testing.T, what string, got []layer, want string) {
	t.Helper()
	if g := states(got); g != want {
		t.Errorf("%s: layer states\n got %s\nwant %s", what, g, want)
	}
}
