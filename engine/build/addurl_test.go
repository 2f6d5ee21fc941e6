package build_test

import (
	"strings"
	"testing"

	"layerlab/engine/build"
)

// TestAddURL: the playground has no network, so ADD of a URL writes the sandbox's
// placeholder for it, as the classic builder would write the download: named by the
// URL's last path element in a directory destination, or as the destination file,
// mode 0600; the step log says it is a placeholder; the same URL hits the cache on a
// rebuild, and another URL misses it.
func TestAddURL(t *testing.T) {
	h := newHarness(t, map[string]string{"Dockerfile": `FROM busybox
ADD https://example.com/releases/v2.1.0/wait-for?raw=1 /usr/local/bin/
ADD https://example.com/install.sh /tmp/installer.sh
RUN test "$(stat -c %a /usr/local/bin/wait-for)" = 600 && test "$(stat -c %a /tmp/installer.sh)" = 600 && grep -q 'placeholder for https://example.com/install.sh' /tmp/installer.sh
`})
	res, evs, err := h.build(build.Options{})
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	var notes []string
	for _, e := range evs {
		if e.Type == build.EventStepLog && strings.HasPrefix(e.Text, "[layerlab] the playground has no network") {
			notes = append(notes, e.Text)
		}
	}
	if len(notes) != 2 || !strings.HasSuffix(notes[1], "https://example.com/install.sh") {
		t.Errorf("step log notes = %q, want one per URL", notes)
	}
	again := h.mustBuild(build.Options{})
	if got := strings.Join(states(again), " "); got != "ADD=cached ADD=cached RUN=cached" {
		t.Errorf("rebuild: %s, want every step cached", got)
	}
	if again.Image != res.Image {
		t.Errorf("rebuild gave another image")
	}
	h.files["Dockerfile"] = strings.Replace(h.files["Dockerfile"], "install.sh /tmp", "install-v2.sh /tmp", 1)
	h.files["Dockerfile"] = strings.Replace(h.files["Dockerfile"], "grep -q 'placeholder for https://example.com/install.sh'", "true", 1)
	changed := h.mustBuild(build.Options{})
	if got := strings.Join(states(changed), " "); !strings.HasPrefix(got, "ADD=cached ADD=changed") {
		t.Errorf("another URL: %s, want the first ADD cached and the second changed", got)
	}
}

// TestAddURLNeedsAFileName: a URL without a path cannot name a file in a directory.
func TestAddURLNeedsAFileName(t *testing.T) {
	h := newHarness(t, map[string]string{"Dockerfile": "FROM busybox\nADD https://example.com/ /opt/\n"})
	_, _, err := h.build(build.Options{})
	if err == nil || !strings.Contains(err.Error(), "cannot determine filename from url: https://example.com/") {
		t.Fatalf("err = %v, want Docker's cannot determine filename from url", err)
	}
}
