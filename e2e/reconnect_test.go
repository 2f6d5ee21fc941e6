package e2e

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// wsRecorder wraps the page's WebSocket before any script runs, recording every socket
// the page opens and every message it receives (seq, type, step) in order.
const wsRecorder = `(() => {
	const Native = window.WebSocket;
	const rec = window.__e2eWS = {urls: [], opened: 0, messages: []};
	window.WebSocket = class extends Native {
		constructor(url, protocols) {
			super(url, protocols);
			// Only the build's stream: every page also keeps a presence socket open.
			if (!String(url).includes("/ws/builds/")) return;
			const socket = rec.urls.length;
			rec.urls.push(String(url));
			this.addEventListener("open", () => { rec.opened++; });
			this.addEventListener("message", (m) => {
				let e = {};
				try { e = JSON.parse(m.data); } catch (_) {}
				rec.messages.push({socket, seq: e.seq || 0, type: e.type || "", step: e.step || 0, text: e.text || ""});
			});
		}
	};
})();`

// wsMessage is one message the page's websocket received.
type wsMessage struct {
	Socket int    `json:"socket"`
	Seq    int64  `json:"seq"`
	Type   string `json:"type"`
	Step   int    `json:"step"`
	Text   string `json:"text"`
}

// TestReconnectMidBuild drops the page's websocket in the middle of a build (as a
// network failure would) and checks that the page reconnects with ?after=<last seq>,
// and that it received every event exactly once: sequence numbers with no gap and no
// repeat, every step shown once, no log line twice.
func TestReconnectMidBuild(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t, srv)
	if _, err := chromedp.Call(b.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: wsRecorder}); err != nil {
		t.Fatal(err)
	}
	b.openPlayground()

	// sleep is simulated in the sandbox (it advances a virtual clock and returns at
	// once), so the steps spend real time in shell loops instead: about 0.2 s each.
	const runSteps, parts = 10, 4
	var df strings.Builder
	df.WriteString("FROM alpine:3.19\n")
	for s := 2; s <= runSteps+1; s++ {
		fmt.Fprintf(&df, "RUN for part in 1 2 3 4; do i=0; while [ $i -lt 2000 ]; do i=$((i+1)); done; echo \"step %d part $part\"; done\n", s)
	}
	dockerfile := df.String()
	b.setEditorText(dockerfile)
	b.waitSaved()
	b.do("set the tag", chromedp.SetValue(chromedp.CSS(`[data-testid="opt-tags"]`), "reconnect:v1"))

	b.do("click Build", chromedp.Click(chromedp.CSS(`[data-testid="build"]`)))
	wait[bool](b, "step 4 to start", `!!document.querySelector('li[data-testid="layer-4"]')`)
	seqAtDrop := eval[string](b, `(() => {
		if (document.querySelector('[data-testid="build-done"]')) return "ended";
		window.layerlab.dropConnection();
		return document.body.dataset.lastSeq;
	})()`)
	if seqAtDrop == "ended" {
		t.Fatal("the build ended before the connection was dropped: make its steps slower")
	}
	wait[bool](b, "the page to reconnect", `window.__e2eWS.opened >= 2`)
	wait[bool](b, "the build to finish after the reconnect", `!!document.querySelector('[data-testid="build-done"]')`)
	id := eval[string](b, `document.body.dataset.buildId`)

	rec := eval[struct {
		URLs     []string    `json:"urls"`
		Messages []wsMessage `json:"messages"`
	}](b, `window.__e2eWS`)
	if len(rec.URLs) != 2 {
		t.Errorf("the page opened %d websockets, want 2 (the first, and one reconnect): %q", len(rec.URLs), rec.URLs)
	}
	// Every event arrived once, in order, across the two connections.
	var last int64
	perSocket := map[int][]int64{}
	for i, m := range rec.Messages {
		if m.Seq != last+1 {
			t.Errorf("message %d (socket %d, %s) has seq %d after %d: want %d (no gap, no repeat)", i, m.Socket, m.Type, m.Seq, last, last+1)
		}
		last = m.Seq
		perSocket[m.Socket] = append(perSocket[m.Socket], m.Seq)
	}
	if n := len(rec.Messages); n == 0 || rec.Messages[n-1].Type != "build.done" {
		t.Errorf("the last message is not build.done: %+v", rec.Messages[max(0, n-3):])
	}
	if len(perSocket[0]) == 0 || len(perSocket[1]) == 0 {
		t.Errorf("messages per socket: first %d, second %d: want some on each", len(perSocket[0]), len(perSocket[1]))
	} else {
		lastFirst := perSocket[0][len(perSocket[0])-1]
		if strconv.FormatInt(lastFirst, 10) != seqAtDrop {
			t.Errorf("the first socket's last seq is %d, the page had seen %s when it dropped", lastFirst, seqAtDrop)
		}
		if len(rec.URLs) >= 2 {
			u, err := url.Parse(rec.URLs[1])
			if err != nil || u.Query().Get("after") != seqAtDrop || u.Path != "/ws/builds/"+id {
				t.Errorf("the page reconnected to %s, want /ws/builds/%s?after=%s", rec.URLs[1], id, seqAtDrop)
			}
		}
	}
	t.Logf("dropped the connection after seq %s; the first socket got %d events, the second %d (build: %s)",
		seqAtDrop, len(perSocket[0]), len(perSocket[1]), b.text(`[data-testid="build-done"]`))
	// The server stored the same events: none was lost on the way.
	stored := eval[[]wsMessage](b, fmt.Sprintf(`window.layerlab.api("GET", "/api/builds/%s/events")`, id))
	if len(stored) != len(rec.Messages) || (len(stored) > 0 && stored[len(stored)-1].Seq != last) {
		t.Errorf("the server stored %d events (last seq %d); the page received %d (last seq %d)", len(stored), stored[len(stored)-1].Seq, len(rec.Messages), last)
	}
	if got := eval[string](b, `document.body.dataset.lastSeq`); got != strconv.FormatInt(last, 10) {
		t.Errorf("body[data-last-seq] = %s, want %d", got, last)
	}

	// The page shows every step once, each log line once.
	ls := b.layers()
	if len(ls) != runSteps+1 {
		t.Errorf("the page lists %d layers, want %d", len(ls), runSteps+1)
	}
	for i, l := range ls {
		if l.Step != i+1 {
			t.Errorf("layer item %d is step %d, want %d (each step once, in order)", i, l.Step, i+1)
		}
		want := "new"
		if i == 0 {
			want = "base"
		}
		if l.State != want {
			t.Errorf("step %d is %s, want %s", l.Step, l.State, want)
		}
		if i == 0 {
			continue
		}
		for p := 1; p <= parts; p++ {
			line := fmt.Sprintf("step %d part %d", l.Step, p)
			if n := strings.Count(l.Log, line+"\n"); n != 1 {
				t.Errorf("step %d's log has %q %d times, want once:\n%s", l.Step, line, n, l.Log)
			}
		}
	}
}
