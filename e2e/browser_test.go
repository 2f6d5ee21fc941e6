package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// testTimeout is the one deadline of a browser test.
const testTimeout = 90 * time.Second

// browser is a headless Chromium tab on a layerlab server. Its JavaScript dialogs
// (confirm, alert) are accepted and recorded; uncaught page exceptions fail the test.
type browser struct {
	t   *testing.T
	ctx context.Context
	srv *server

	mu         sync.Mutex
	dialogs    []string
	exceptions []string
	closed     bool // the test is ending: the watchers record nothing more

	slips map[string]bool // rendering slips already reported
}

// newBrowser starts Chromium (1400x1000, headless, no sandbox: the tests run as root)
// for one test, with that test's deadline.
func newBrowser(t *testing.T, srv *server) *browser {
	t.Helper()
	exe := chromiumPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.WindowSize(1400, 1000),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() {
		chromedp.Cancel(bctx) // close the browser gracefully before the server stops
		cancelTab()
	})
	if err := chromedp.Do(bctx); err != nil { // starts the browser
		t.Fatalf("start chromium %s: %v", exe, err)
	}
	b := &browser{t: t, ctx: bctx, srv: srv}
	b.watch(bctx)
	return b
}

// otherBrowser is a second, independent browser profile (a new browser context: its
// own cookies, so its own workspace) in the same Chromium.
func (b *browser) otherBrowser() *browser {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatalf("open a second browser context: %v", err)
	}
	o := &browser{t: b.t, ctx: ctx, srv: b.srv}
	o.watch(ctx)
	return o
}

// watch accepts JavaScript dialogs and records the page's uncaught exceptions and
// console errors; when the test ends, an exception fails it.
func (b *browser) watch(ctx context.Context) {
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.dialogs = append(b.dialogs, ev.Message)
			b.mu.Unlock()
			chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if !m.IsException() && m.Type != chromedp.ConsoleError {
				continue
			}
			b.mu.Lock()
			if !b.closed {
				b.exceptions = append(b.exceptions, fmt.Sprintf("%s (%s:%d): %s", m.Type, m.URL, m.Line+1, m.Text))
			}
			b.mu.Unlock()
		}
	}()
	b.t.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		b.closed = true
		for _, e := range b.exceptions {
			if strings.HasPrefix(e, string(chromedp.ConsoleException)) {
				b.t.Errorf("uncaught exception in the page: %s", e)
			} else {
				b.t.Logf("console: %s", e)
			}
		}
	})
}

// dialogMessages returns the messages of the dialogs accepted so far.
func (b *browser) dialogMessages() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.dialogs...)
}

// do runs actions, failing the test with what it was doing.
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.fatalf("%s: %v", what, err)
	}
}

// open navigates to a path of the server and waits for sel.
func (b *browser) open(path, sel string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.srv.URL+path), chromedp.WaitVisible(chromedp.CSS(sel)))
}

// click clicks the first element matching a CSS selector, once it is visible.
func (b *browser) click(sel string) {
	b.t.Helper()
	// Centred first: chromedp scrolls only an element wholly out of view, and clicks
	// the middle of its box, which for one cut by the viewport's edge (a button under
	// the terminal bar) is a point outside the page, and the click goes nowhere.
	b.do("wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
	eval[bool](b, `(document.querySelector(`+strconv.Quote(sel)+`).scrollIntoView({block: "center"}), true)`)
	b.do("click "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// eval evaluates a JavaScript expression (promises awaited) and decodes its value.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.fatalf("evaluate %s: %v", abbrev(expr), err)
	}
	return v
}

// wait polls a JavaScript expression until it is truthy and returns its value. It has
// no deadline of its own beyond the test's, less a few seconds kept for the report. A
// navigation during the wait (a link, a form's post and redirect) starts it again on the
// new page.
func wait[T any](b *browser, what, expr string) T {
	b.t.Helper()
	for {
		timeout := 30 * time.Second
		if dl, ok := b.ctx.Deadline(); ok {
			timeout = time.Until(dl) - 5*time.Second
		}
		if timeout <= 0 {
			b.fatalf("no time left to wait for %s", what)
		}
		v, err := chromedp.Run(b.ctx, chromedp.Poll[T](expr, chromedp.WithPollingTimeout(timeout), chromedp.WithPollingInterval(50*time.Millisecond)))
		if err == nil {
			return v
		}
		if navigated(err) && b.ctx.Err() == nil {
			continue
		}
		b.fatalf("wait for %s (%s): %v", what, abbrev(expr), err)
	}
}

// navigated reports whether err means the page's JavaScript context went away under a
// call (the page navigated).
func navigated(err error) bool {
	s := err.Error()
	for _, m := range []string{"Cannot find context with specified id", "Execution context was destroyed", "Inspected target navigated or closed", "Cannot find default execution context"} {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}

// follow clicks a link (or a button that navigates) and waits for the next page.
func (b *browser) follow(sel string) {
	b.t.Helper()
	b.do("mark the page", chromedp.Evaluate[chromedp.Void](`window.__e2eLeft = true`))
	b.click(sel)
	wait[bool](b, "the page after clicking "+sel, `!window.__e2eLeft && document.readyState === "complete"`)
}

// text is an element's textContent, "" when it is missing.
func (b *browser) text(sel string) string {
	b.t.Helper()
	return eval[string](b, fmt.Sprintf(`(document.querySelector(%s) || {textContent: ""}).textContent`, jsString(sel)))
}

// fatalf fails the test and says what the page was showing.
func (b *browser) fatalf(format string, args ...any) {
	b.t.Helper()
	msg := fmt.Sprintf(format, args...)
	if b.ctx.Err() == nil {
		ctx, cancel := context.WithTimeout(b.ctx, 3*time.Second)
		defer cancel()
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("main") ? document.querySelector("main").innerText : document.body.innerText`))
		if len(body) > 3000 {
			body = body[:3000] + " …"
		}
		msg += fmt.Sprintf("\n--- the page (%s) shows:\n%s", loc, body)
	}
	b.t.Fatal(msg)
}

// screenshot saves a full-page PNG of what the browser shows. The terminal panel is
// docked to the bottom of the window (position: fixed), which in a full-page capture
// lands across the middle of the page; for the capture it is put back in the flow, at
// the end of the page, and docked again after.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	eval[bool](b, `(() => {
		const s = document.createElement("style");
		s.id = "e2e-screenshot";
		s.textContent = "#terminal { position: static !important; }";
		document.head.append(s);
		return new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))));
	})()`)
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.fatalf("screenshot %s: %v", name, err)
	}
	eval[bool](b, `(document.getElementById("e2e-screenshot").remove(), true)`)
	saveScreenshot(b.t, name, png)
}

// viewportScreenshot saves a PNG of the window as the user sees it (for a modal
// dialog, whose backdrop covers the window only).
func (b *browser) viewportScreenshot(name string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.fatalf("screenshot %s: %v", name, err)
	}
	saveScreenshot(b.t, name, png)
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

func abbrev(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 160 {
		return s[:160] + "…"
	}
	return s
}
