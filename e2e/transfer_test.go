package e2e

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// transferLayer is one layer row of the pull/push view as the page shows it.
type transferLayer struct {
	ID    string  `json:"id"`
	State string  `json:"state"`
	Value float64 `json:"value"`
	Max   float64 `json:"max"`
	Class string  `json:"cls"`
}

const transferLayersJS = `[...document.querySelectorAll('[data-testid="transfer-layer"]')].map(li => ({
	id: li.dataset.layer, state: li.dataset.status || "",
	value: li.querySelector("progress").value, max: li.querySelector("progress").max, cls: li.className,
}))`

// watchTransferStates records every state a layer row shows, bars included, as the
// page draws them (a MutationObserver), so the test sees the live steps, not only the end.
const watchTransferStatesJS = `(() => {
	window.__seen = [];
	const view = document.getElementById("transfer-view");
	view.replaceChildren(); // what the last transfer drew
	new MutationObserver(() => {
		for (const li of view.querySelectorAll('[data-testid="transfer-layer"]')) {
			const p = li.querySelector("progress");
			const s = li.dataset.layer + " " + li.dataset.status + " " + p.value + "/" + p.max;
			if (window.__seen[window.__seen.length - 1] !== s) window.__seen.push(s);
		}
	}).observe(view, {subtree: true, childList: true, attributes: true, characterData: true});
	return true;
})()`

// waitTransfer waits for the transfer view to say it ended, and returns its status.
func (b *browser) waitTransfer() (status, output string) {
	b.t.Helper()
	res := wait[struct {
		Status string `json:"status"`
		Output string `json:"output"`
	}](b, "the pull or push to end", `(() => {
		const s = document.querySelector('[data-testid="transfer-status"]');
		if (!s || !/state-(cached|failed)/.test(s.className)) return null;
		const o = document.querySelector('[data-testid="transfer-output"]');
		return {status: s.textContent.trim(), output: o ? o.textContent : ""};
	})()`)
	return res.Status, res.Output
}

// TestPullPushOnImagesPage pushes an image from its row's Push… link and pulls it back
// with the pull form, typed and sent with Enter: each layer's row goes through Docker's
// states with a bar, the docker CLI's lines appear below, the table refreshes; a
// missing image fails with Docker's message.
func TestPullPushOnImagesPage(t *testing.T) {
	srv := startServer(t)
	b := newBrowser(t, srv)
	b.open("/images", `[data-testid="images-page"]`)

	// An image with a 12 MB layer (text that gzip cannot shrink much), so the bars move.
	rng := rand.New(rand.NewPCG(1, 2))
	raw := make([]byte, 700_000)
	for i := 0; i < 12; i++ {
		for j := range raw {
			raw[j] = byte(rng.Uint32())
		}
		path := fmt.Sprintf("data/part%02d.txt", i)
		eval[bool](b, fmt.Sprintf(`window.layerlab.api("PUT", "/api/context/file", {path: %s, content: %s}).then(() => true)`,
			jsString(path), jsString(base64.StdEncoding.EncodeToString(raw))))
	}
	eval[bool](b, `window.layerlab.api("PUT", "/api/context/file", {path: "Dockerfile", content: "FROM alpine:3.20\nCOPY data /data\nCMD [\"ls\", \"/data\"]\n"}).then(() => true)`)
	out := eval[string](b, `window.layerlab.api("POST", "/api/terminal", {cmd: "docker build -t demo:v1 ."}).then(r => r.output)`)
	if !strings.Contains(out, "Successfully tagged demo:v1") {
		t.Fatalf("build:\n%s", out)
	}
	b.open("/images", `[data-testid="image-row"][data-ref="demo:v1"]`)
	ns := b.text(`[data-testid="hub-namespace"]`)

	// Push: the row's Push… fills the form and its docker command.
	b.click(`[data-testid="image-row"][data-ref="demo:v1"] [data-testid="row-push"]`)
	if v := eval[string](b, `document.getElementById("push-ref").value`); v != "demo:v1" {
		t.Fatalf("Push… filled the push form with %q", v)
	}
	if s := b.text(`[data-testid="push-cmd"]`); s != "docker push demo:v1" {
		t.Errorf("push command shows %q", s)
	}
	eval[bool](b, watchTransferStatesJS)
	b.click(`[data-testid="push-submit"]`)
	status, output := b.waitTransfer()
	if !strings.Contains(status, "✔ Pushed: v1: digest: sha256:") {
		t.Fatalf("push ended with %q\n%s", status, output)
	}
	if !strings.HasPrefix(output, "The push refers to repository [docker.io/library/demo]\n") || !strings.Contains(output, ": Pushed\n") {
		t.Errorf("push printed\n%s", output)
	}
	layers := eval[[]transferLayer](b, transferLayersJS)
	if len(layers) != 2 {
		t.Errorf("push shows %d layer rows, want 2 (alpine's and COPY data's): %+v", len(layers), layers)
	}
	for _, l := range layers {
		if (l.State != "Pushed" && l.State != "Layer already exists") || l.Value != l.Max || !strings.Contains(l.Class, "st-") {
			t.Errorf("layer row after the push: %+v", l)
		}
	}
	seen := eval[[]string](b, `window.__seen`)
	if !anyContains(seen, " Pushing ") {
		t.Errorf("never saw a Pushing bar; the rows went:\n%s", strings.Join(seen, "\n"))
	}
	if s := b.text(`[data-testid="transfer-share"]`); s != "docker pull "+ns+"/demo:v1" {
		t.Errorf("after the push the page says %q, want docker pull %s/demo:v1", s, ns)
	}
	b.screenshot("images-push.png")

	// Pull it back after removing it, from the keyboard.
	eval[bool](b, `window.layerlab.api("POST", "/api/terminal", {cmd: "docker rmi demo:v1"}).then(() => (window.layerlab.changed(), true))`)
	b.waitImages("demo:v1", false)
	eval[bool](b, watchTransferStatesJS)
	b.do("type the image to pull", chromedp.Click(chromedp.CSS(`#pull-ref`)), chromedp.SendKeys(chromedp.CSS(`#pull-ref`), "demo:v1"))
	if s := b.text(`[data-testid="pull-cmd"]`); s != "docker pull demo:v1" {
		t.Errorf("pull command shows %q", s)
	}
	b.do("press Enter", chromedp.SendKeys(chromedp.CSS(`#pull-ref`), "\r"))
	status, output = b.waitTransfer()
	if status != "✔ Pulled: Downloaded newer image for demo:v1" {
		t.Fatalf("pull ended with %q\n%s", status, output)
	}
	if !strings.HasPrefix(output, "v1: Pulling from library/demo\n") || !strings.Contains(output, ": Already exists\n") || !strings.Contains(output, ": Pull complete\n") {
		t.Errorf("pull printed\n%s", output)
	}
	layers = eval[[]transferLayer](b, transferLayersJS)
	states := []string{}
	for _, l := range layers {
		states = append(states, l.State)
		if l.Value != l.Max {
			t.Errorf("layer row after the pull: %+v", l)
		}
	}
	if strings.Join(states, ",") != "Already exists,Pull complete" {
		t.Errorf("pull rows end as %v, want alpine's Already exists and the data layer's Pull complete", states)
	}
	seen = eval[[]string](b, `window.__seen`)
	if !anyContains(seen, " Downloading ") {
		t.Errorf("never saw a Downloading bar; the rows went:\n%s", strings.Join(seen, "\n"))
	}
	b.waitImages("demo:v1", true) // the table refreshed by itself
	b.screenshot("images-pull.png")

	// A missing image: Docker's message, shown as a failure (icon and words).
	eval[bool](b, watchTransferStatesJS)
	eval[bool](b, `(document.getElementById("pull-ref").value = "", true)`)
	b.do("type a missing image", chromedp.SendKeys(chromedp.CSS(`#pull-ref`), "nope:v1\r"))
	status, _ = b.waitTransfer()
	if !strings.Contains(status, "✕") || !strings.Contains(status, "manifest for nope:v1 not found") {
		t.Errorf("pull of a missing image ended with %q", status)
	}
}

func anyContains(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
