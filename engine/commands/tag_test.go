package commands

import (
	"strings"
	"testing"

	"layerlab/engine/image"
)

// TestTag: docker tag's texts, recorded with /usr/bin/docker 20.10 against a daemon.
func TestTag(t *testing.T) {
	hex := strings.Repeat("a", 64)
	tests := []struct {
		name   string
		args   func(h *rmHarness) []string
		stderr string
		exit   int
		tagged string // a ref that must then name busybox's image
	}{
		{name: "tag", args: func(*rmHarness) []string { return []string{"tag", "busybox", "me/app:v1"} }, tagged: "me/app:v1"},
		{name: "image tag by ID prefix, default tag", args: func(h *rmHarness) []string {
			return []string{"image", "tag", image.ShortID(h.lookup("busybox").ID), "other"}
		}, tagged: "other:latest"},
		{name: "by full ID", args: func(h *rmHarness) []string {
			return []string{"tag", h.lookup("busybox").ID.Encoded(), "full:v1"}
		}, tagged: "full:v1"},
		{name: "unknown source", args: func(*rmHarness) []string { return []string{"tag", "nope", "x"} },
			stderr: "Error response from daemon: No such image: nope:latest\n", exit: 1},
		{name: "unknown short ID", args: func(*rmHarness) []string { return []string{"tag", "0123456789ab", "x"} },
			stderr: "Error response from daemon: No such image: 0123456789ab:latest\n", exit: 1},
		{name: "unknown full ID", args: func(*rmHarness) []string { return []string{"tag", hex, "x"} },
			stderr: "Error response from daemon: No such image: sha256:" + hex + "\n", exit: 1},
		{name: "upper-case target", args: func(*rmHarness) []string { return []string{"tag", "busybox", "Bad:Tag"} },
			stderr: "Error parsing reference: \"Bad:Tag\" is not a valid repository/tag: invalid reference format: repository name must be lowercase\n", exit: 1},
		{name: "upper-case source is checked first", args: func(*rmHarness) []string { return []string{"tag", "Bad", "Worse"} },
			stderr: "Error parsing reference: \"Bad\" is not a valid repository/tag: invalid reference format: repository name must be lowercase\n", exit: 1},
		{name: "digest target", args: func(*rmHarness) []string { return []string{"tag", "busybox", "x@sha256:" + hex} },
			stderr: "refusing to create a tag with a digest reference\n", exit: 1},
		{name: "sha256 as a name", args: func(*rmHarness) []string { return []string{"tag", "busybox", "sha256:abc"} },
			stderr: "Error response from daemon: refusing to create an ambiguous tag using digest algorithm as name\n", exit: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newRmHarness(t)
			h.build("FROM busybox\n", nil)
			args := tt.args(h)
			out, errs, code := h.run(args...)
			if out != "" || errs != tt.stderr || code != tt.exit {
				t.Fatalf("%v: got stdout %q stderr %q exit %d, want stderr %q exit %d", args, out, errs, code, tt.stderr, tt.exit)
			}
			if tt.tagged != "" && h.lookup(tt.tagged).ID != h.lookup("busybox").ID {
				t.Errorf("%s does not name busybox's image", tt.tagged)
			}
		})
	}
}

// TestTagMoves: tagging with a name another image has moves the name; the old image
// keeps its other tags or becomes dangling.
func TestTagMoves(t *testing.T) {
	h := newRmHarness(t)
	old := h.build("FROM busybox\nENV X=1\n", []string{"demo:v1"})
	if _, errs, code := h.run("tag", "busybox", "demo:v1"); code != 0 {
		t.Fatalf("tag: %s", errs)
	}
	if got := h.st.Tags(old); len(got) != 0 {
		t.Errorf("old image still has %v", got)
	}
	if h.st.Dangling() != 1 {
		t.Errorf("dangling = %d, want 1", h.st.Dangling())
	}
}
