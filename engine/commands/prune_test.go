package commands

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestPruneRecorded: nothing to prune is exactly Docker's text (52).
func TestPruneRecorded(t *testing.T) {
	h := newRmHarness(t)
	h.build("FROM busybox\nRUN echo a > /a\n", []string{"demo:v1"})
	want := readRmRecording(t, "52-image-prune-f-again.txt")
	out, errs, code := h.run("image", "prune", "-f")
	if out != want.stdout || errs != want.stderr || code != want.exit {
		t.Errorf("got %q %q %d, want %q %q %d", out, errs, code, want.stdout, want.stderr, want.exit)
	}
}

// TestPrune checks the daemon's prune rules with exact IDs. Reclaimed space is Docker's
// figure: the content size (history's SIZE) of each layer the prune released, not the
// bytes of the layer tars freed on disk, and nothing for a layer an image that stays
// still has.
func TestPrune(t *testing.T) {
	tests := []struct {
		name  string
		stdin string
		setup func(h *rmHarness) (args []string, stdout, stderr string, exit int)
		check func(t *testing.T, h *rmHarness)
	}{
		{
			name: "dangling image and its untagged parents, layers released",
			setup: func(h *rmHarness) ([]string, string, string, int) {
				old := h.build("FROM busybox\nRUN echo a > /a\nENV X=1\n", []string{"demo:v1"})
				h.build("FROM busybox\nRUN echo b > /b\nENV X=1\n", []string{"demo:v1"})
				e := h.lookup(old.String())
				r := h.lookup(e.Parent.String())
				return []string{"image", "prune", "-f"},
					"Deleted Images:\ndeleted: " + old.String() + "\ndeleted: " + r.ID.String() + "\ndeleted: " + top(r).String() +
						"\n\nTotal reclaimed space: 2B\n", "", 0 // /a holds "a\n"
			},
			check: func(t *testing.T, h *rmHarness) {
				if h.st.Dangling() != 0 || h.st.Len() != 3 { // busybox, demo:v1 and its RUN parent
					t.Errorf("images %d dangling %d, want 3 and 0", h.st.Len(), h.st.Dangling())
				}
			},
		},
		{
			name: "-a untags and deletes every image, busybox too (no containers protect it)",
			setup: func(h *rmHarness) ([]string, string, string, int) {
				id := h.build("FROM busybox\nRUN echo a > /a\n", []string{"demo:v1"})
				r := h.lookup(id.String())
				bb := h.lookup("busybox")
				size := 2 + bb.Layers[0].Size // /a, and busybox's one layer as its history sizes it
				return []string{"image", "prune", "-a", "-f"},
					"Deleted Images:\nuntagged: demo:v1\ndeleted: " + id.String() + "\ndeleted: " + top(r).String() +
						"\nuntagged: busybox:latest\ndeleted: " + bb.ID.String() + "\ndeleted: " + top(bb).String() +
						"\n\nTotal reclaimed space: " + humanSize(float64(size)) + "\n", "", 0
			},
			check: func(t *testing.T, h *rmHarness) {
				if h.st.Len() != 0 {
					t.Errorf("%d images left", h.st.Len())
				}
			},
		},
		{
			name: "two released RUN layers of an 18-byte file each: 36B, as Docker says for the lesson",
			setup: func(h *rmHarness) ([]string, string, string, int) {
				old := h.build("FROM busybox\nRUN echo 12345678901234567 > /a\nRUN echo 12345678901234567 > /b\n", []string{"demo:v1"})
				h.build("FROM busybox\nRUN echo x > /c\n", []string{"demo:v1"})
				b := h.lookup(old.String())
				a := h.lookup(b.Parent.String())
				return []string{"image", "prune", "-f"},
					"Deleted Images:\ndeleted: " + old.String() + "\ndeleted: " + top(b).String() +
						"\ndeleted: " + a.ID.String() + "\ndeleted: " + top(a).String() +
						"\n\nTotal reclaimed space: 36B\n", "", 0
			},
		},
		{
			name: "a layer an image that stays still has counts nothing",
			setup: func(h *rmHarness) ([]string, string, string, int) {
				old := h.build("FROM busybox\nRUN echo 12345678901234567 > /a\nRUN echo 12345678901234567 > /b\n", []string{"demo:v1"})
				h.build("FROM busybox\nRUN echo 12345678901234567 > /a\nRUN echo other > /b\n", []string{"demo:v1"})
				b := h.lookup(old.String())
				return []string{"image", "prune", "-f"},
					"Deleted Images:\ndeleted: " + old.String() + "\ndeleted: " + top(b).String() +
						"\n\nTotal reclaimed space: 18B\n", "", 0
			},
		},
		{
			name: "intermediate images of a tagged build stay",
			setup: func(h *rmHarness) ([]string, string, string, int) {
				h.build("FROM busybox\nRUN echo a > /a\nRUN echo b > /b\n", []string{"demo:v1"})
				return []string{"image", "prune", "-f"}, "Total reclaimed space: 0B\n", "", 0
			},
		},
		{
			name:  "no -f: the prompt, an empty answer is no",
			stdin: "",
			setup: func(h *rmHarness) ([]string, string, string, int) {
				h.build("FROM busybox\nENV X=1\n", nil)
				return []string{"image", "prune"}, "WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] Total reclaimed space: 0B\n", "", 0
			},
			check: func(t *testing.T, h *rmHarness) {
				if h.st.Dangling() != 1 {
					t.Error("the dangling image went without a yes")
				}
			},
		},
		{
			name:  "-a without -f: its own warning; yes is only y",
			stdin: "yes\n",
			setup: func(h *rmHarness) ([]string, string, string, int) {
				return []string{"image", "prune", "-a"}, "WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue? [y/N] Total reclaimed space: 0B\n", "", 0
			},
			check: func(t *testing.T, h *rmHarness) {
				if h.st.Len() != 1 {
					t.Error("busybox went without a yes")
				}
			},
		},
		{
			name:  "Y confirms",
			stdin: "Y\n",
			setup: func(h *rmHarness) ([]string, string, string, int) {
				id := h.build("FROM busybox\nENV X=1\n", nil)
				return []string{"image", "prune"}, "WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] Deleted Images:\ndeleted: " + id.String() + "\n\nTotal reclaimed space: 0B\n", "", 0
			},
		},
		{
			name: "until: images newer than the limit stay",
			setup: func(h *rmHarness) ([]string, string, string, int) {
				h.build("FROM busybox\nENV X=1\n", nil) // created a minute before the commands' clock
				return []string{"image", "prune", "-f", "--filter", "until=5m"}, "Total reclaimed space: 0B\n", "", 0
			},
		},
		{
			name: "until: older ones go",
			setup: func(h *rmHarness) ([]string, string, string, int) {
				id := h.build("FROM busybox\nENV X=1\n", nil)
				return []string{"image", "prune", "-f", "--filter", "until=30s"}, "Deleted Images:\ndeleted: " + id.String() + "\n\nTotal reclaimed space: 0B\n", "", 0
			},
		},
		{
			name: "until as a timestamp",
			setup: func(h *rmHarness) ([]string, string, string, int) {
				h.build("FROM busybox\nENV X=1\n", nil)
				return []string{"image", "prune", "-f", "--filter", "until=" + h.clock.Add(-time.Hour).Format(time.RFC3339)}, "Total reclaimed space: 0B\n", "", 0
			},
		},
		{
			name: "label= and label!=",
			setup: func(h *rmHarness) ([]string, string, string, int) {
				keep := h.build("FROM busybox\nLABEL k=other\n", nil)
				id := h.build("FROM busybox\nLABEL k=v\n", nil)
				h.build("FROM busybox\nLABEL k=v gone=1\n", nil)
				_ = keep
				return []string{"image", "prune", "-f", "--filter", "label=k=v", "--filter", "label!=gone"},
					"Deleted Images:\ndeleted: " + id.String() + "\n\nTotal reclaimed space: 0B\n", "", 0
			},
		},
		{
			name: "unknown filter",
			setup: func(h *rmHarness) ([]string, string, string, int) {
				return []string{"image", "prune", "-f", "--filter", "bogus=1"}, "", "Error response from daemon: Invalid filter 'bogus'\n", 1
			},
		},
		{
			name: "bad until",
			setup: func(h *rmHarness) ([]string, string, string, int) {
				return []string{"image", "prune", "-f", "--filter", "until=abc"}, "", "Error response from daemon: failed to parse value as time or duration: \"abc\"\n", 1
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newRmHarness(t)
			h.build("FROM busybox\n", nil) // pull busybox
			args, wantOut, wantErr, wantCode := tt.setup(h)
			out, errs, code := h.runIn(tt.stdin, args...)
			if out != wantOut || errs != wantErr || code != wantCode {
				t.Errorf("%v:\ngot  stdout %q\n     stderr %q exit %d\nwant stdout %q\n     stderr %q exit %d",
					args, out, errs, code, wantOut, wantErr, wantCode)
			}
			if tt.check != nil {
				tt.check(t, h)
			}
		})
	}
}

var rmTotal = regexp.MustCompile(`Total reclaimed space: \S+`)

// TestPruneRecordedShape rebuilds the situation of recording 51 (three dangling images,
// two of which release a layer) and compares the texts with IDs and the total
// normalised (the recording's files are not these); the total is counted as Docker
// counts it: the two released layers hold a 2-byte /x each.
func TestPruneRecordedShape(t *testing.T) {
	h := newRmHarness(t)
	h.build("FROM busybox\nENV X=1\n", []string{"d:1"})
	h.build("FROM busybox\nENV X=2\n", []string{"d:1"}) // d:1's first image: dangling, no layer of its own
	h.build("FROM busybox\nRUN echo 1 > /x\n", []string{"d:2"})
	h.build("FROM busybox\nENV X=3\n", []string{"d:2"})
	h.build("FROM busybox\nRUN echo 2 > /x\n", []string{"d:3"})
	h.build("FROM busybox\nENV X=4\n", []string{"d:3"})
	want := readRmRecording(t, "51-image-prune-f.txt")
	out, errs, code := h.run("image", "prune", "-f")
	norm := func(s string) string {
		return rmTotal.ReplaceAllString(rmNormalize(s), "Total reclaimed space: <SIZE>")
	}
	if norm(out) != norm(want.stdout) || errs != want.stderr || code != want.exit {
		t.Errorf("got %q %q %d\nwant %q %q %d", out, errs, code, want.stdout, want.stderr, want.exit)
	}
	if !strings.HasSuffix(out, "\nTotal reclaimed space: 4B\n") {
		t.Errorf("got %q, want a total of 4B", out)
	}
}
