package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// liveObserverJS records, from before the build starts, every state each step of the
// page's layer list takes (a MutationObserver sees each change, however short), so the
// test sees the steps light up as they run, not only the end.
const liveObserverJS = `(() => {
	window.__e2eStates = {};
	const seen = (li) => {
		if (!li || !li.dataset || !li.dataset.step || !li.dataset.state) return;
		const s = (window.__e2eStates[li.dataset.step] = window.__e2eStates[li.dataset.step] || []);
		if (s[s.length - 1] !== li.dataset.state) s.push(li.dataset.state);
	};
	new MutationObserver((ms) => {
		for (const m of ms) {
			if (m.type === "attributes") seen(m.target);
			for (const n of m.addedNodes || []) seen(n);
		}
	}).observe(document.getElementById("layers"), {subtree: true, childList: true, attributes: true, attributeFilter: ["data-state"]});
	return true;
})()`

// TestEngineAPIBuildShowsLive: the real docker CLI (/usr/bin/docker, 20.10) builds
// through the workspace's Engine API (DOCKER_HOST=tcp://127.0.0.1:PORT/ws/<token>),
// and the playground page of the same workspace, which started nothing, follows the
// build live: it says where the build came from, each step shows running and then
// its state, and the page shows the built image the CLI printed.
func TestEngineAPIBuildShowsLive(t *testing.T) {
	const docker = "/usr/bin/docker"
	if _, err := os.Stat(docker); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("the docker CLI: %v", err)
		}
		t.Skipf("no docker CLI at %s: %v", docker, err)
	}
	srv := startServer(t)
	b := newBrowser(t, srv)
	b.openPlayground()
	// The panel's action stores the workspace and makes its token; its export line is
	// the DOCKER_HOST a terminal uses.
	export := eval[string](b, `window.layerlab.api("POST", "/api/engine-token").then(d => d.export)`)
	host, ok := strings.CutPrefix(export, "export DOCKER_HOST=")
	if !ok || !strings.Contains(host, "/ws/") {
		b.fatalf("the panel's export line is %q", export)
	}
	wait[bool](b, "the workspace feed to open", `document.body.dataset.feed === "1"`)
	eval[bool](b, liveObserverJS)

	dir := t.TempDir()
	df := "FROM busybox\n" +
		"RUN i=0; while [ $i -lt 3000 ]; do i=$((i+1)); done; echo counted to $i\n" +
		"COPY note.txt /note.txt\n" +
		"RUN cat /note.txt\n"
	for name, data := range map[string]string{"Dockerfile": df, "note.txt": "built from a terminal\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.CommandContext(b.ctx, docker, "build", "-t", "live:v1", ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DOCKER_HOST="+host, "DOCKER_BUILDKIT=0", "DOCKER_CONFIG="+t.TempDir())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start docker build: %v", err)
	}
	t.Logf("ran %s build -t live:v1 . with DOCKER_HOST=%s", docker, host)

	origin := wait[string](b, "the page to announce the build from a terminal",
		`(document.querySelector('[data-testid="build-origin"][data-via="engine"]') || {}).textContent`)
	for _, want := range []string{"docker build from a terminal", "docker build -t live:v1 ."} {
		if !strings.Contains(origin, want) {
			t.Errorf("the page says %q, want it to say %q", origin, want)
		}
	}
	status := wait[string](b, "the page to show the build's end", `(() => {
		const q = (id) => document.querySelector('[data-testid="' + id + '"]');
		if (q("build-failed")) return "failed: " + q("build-failed").textContent;
		if (q("build-done")) return q("build-done").textContent;
		return "";
	})()`)
	if err := cmd.Wait(); err != nil {
		b.fatalf("docker build: %v\n%s", err, out.String())
	}
	t.Logf("docker build printed:\n%s", out.String())
	m := regexp.MustCompile(`(?m)^Successfully built ([0-9a-f]{12})$`).FindStringSubmatch(out.String())
	if m == nil || !strings.Contains(out.String(), "Successfully tagged live:v1\n") {
		t.Fatalf("docker build printed no 'Successfully built' and 'Successfully tagged live:v1':\n%s", out.String())
	}
	if !strings.Contains(status, m[1]) || !strings.Contains(status, "live:v1") {
		t.Errorf("the page shows %q, want the image %s tagged live:v1", status, m[1])
	}

	// Every step was seen running, then in its final state, in the page that started nothing.
	seen := eval[map[string][]string](b, `window.__e2eStates`)
	final := states(b.layers())
	if want := wantStates("base", "new", "new", "new"); final != want {
		t.Errorf("the layer stack ends %s, want %s", final, want)
	}
	for step := 2; step <= 4; step++ {
		got := seen[fmt.Sprint(step)]
		if len(got) < 2 || got[0] != "running" || got[len(got)-1] != "new" {
			t.Errorf("step %d went through %v on the page, want running then new", step, got)
		}
	}
	if !strings.Contains(b.text(`li[data-testid="layer-2"] [data-testid="step-log"]`), "counted to 3000") {
		t.Errorf("step 2's log on the page: %q", b.text(`li[data-testid="layer-2"] [data-testid="step-log"]`))
	}
	// The CLI's Dockerfile is not the editor's: no line of the editor is marked with its steps.
	if n := eval[int](b, `document.querySelectorAll("#editor .cm-step").length`); n != 0 {
		t.Errorf("the editor marks %d lines of its own Dockerfile with the CLI's build's steps", n)
	}
	b.screenshot("engineapi-live.png")

	// Reloaded, the page shows the same build from the store, still saying where it
	// came from, and still marks none of the editor's lines with it.
	b.openPlayground()
	wait[bool](b, "the reloaded page to show the build", `document.body.dataset.shown === document.body.dataset.buildId && !!document.querySelector('[data-testid="build-done"]') && document.querySelectorAll('li[data-testid^="layer-"]').length === 4 && !!document.querySelector('[data-testid="build-origin"][data-via="engine"]')`)
	if n := eval[int](b, `document.querySelectorAll("#editor .cm-step").length`); n != 0 {
		t.Errorf("after a reload the editor marks %d lines of its own Dockerfile with the CLI's build's steps", n)
	}
}
