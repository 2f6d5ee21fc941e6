package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestWatcherLimitShown: when the server's limit of watchers of a build refuses the
// page's websocket, the page says which limit (the refusal's text, fetched over HTTP,
// since a refused handshake hides it from WebSocket), and when a slot is free again it
// reconnects and shows the build to its end.
func TestWatcherLimitShown(t *testing.T) {
	srv := startServer(t, "--watchers-per-build", "1")
	b := newBrowser(t, srv)
	b.openPlayground()
	b.setEditorText("FROM busybox\nRUN while :; do :; done\n")
	b.waitSaved()
	b.do("click Build", chromedp.Click(chromedp.CSS(`[data-testid="build"]`)))
	id := wait[string](b, "the build to start", `document.body.dataset.wsConnected === "1" ? document.body.dataset.buildId : ""`)

	// Another watcher takes the one slot as the page's socket drops.
	eval[bool](b, fmt.Sprintf(`(() => {
		window.layerlab.dropConnection();
		setTimeout(() => { window.__hold = new WebSocket((location.protocol === "https:" ? "wss:" : "ws:") + "//" + location.host + "/ws/builds/" + %s); }, 50);
		return true;
	})()`, jsString(id)))
	msg := wait[string](b, "the page to show the refusal", `(() => {
		const e = document.querySelector('[data-testid="watch-refused"]');
		return e ? e.textContent : "";
	})()`)
	if !strings.Contains(msg, "too many watchers of this build") || !strings.Contains(msg, "limit is 1") {
		t.Fatalf("refusal shown: %q; want the watcher limit named with its number", msg)
	}

	eval[bool](b, `(window.__hold.close(), true)`)
	end := wait[string](b, "the page to reconnect and show the build's end", `(() => {
		const f = document.querySelector('[data-testid="build-failed"]');
		return f ? f.textContent : "";
	})()`)
	if !strings.Contains(end, "time limit") && !strings.Contains(end, "10s") && !strings.Contains(end, "10 s") {
		t.Errorf("build's end shown: %q; want the sandbox's time limit", end)
	}
}
