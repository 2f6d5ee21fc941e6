package main

import (
	"strings"
	"testing"
)

// TestPullStandInOfAnotherRegistry: a name on a public registry other than Docker Hub
// that the stand-ins serve (mcr.microsoft.com, gcr.io/distroless) is pulled from the
// stand-ins, as a build FROM it would be, not from the network the playground lacks;
// the second pull finds it up to date; the image lists under its full name.
func TestPullStandInOfAnotherRegistry(t *testing.T) {
	data := t.TempDir()
	out, err := layerlab(t, data, "pull", "gcr.io/distroless/static-debian12:nonroot")
	if err != nil {
		t.Fatalf("pull: %v\n%s", err, out)
	}
	for _, want := range []string{
		"nonroot: Pulling from distroless/static-debian12\n",
		"[layerlab] gcr.io is not reachable from the playground (no network): this is its built-in stand-in\n",
		": Pull complete\n",
		"Status: Downloaded newer image for gcr.io/distroless/static-debian12:nonroot\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("pull output lacks %q:\n%s", want, out)
		}
	}
	if !strings.HasSuffix(out, "\ngcr.io/distroless/static-debian12:nonroot\n") {
		t.Errorf("pull output does not end with the name:\n%s", out)
	}
	again, err := layerlab(t, data, "pull", "-q", "gcr.io/distroless/static-debian12:nonroot")
	if err != nil || again != "gcr.io/distroless/static-debian12:nonroot\n" {
		t.Errorf("pull -q again = %q, %v", again, err)
	}
	ls, err := layerlab(t, data, "images", "--format", "{{.Repository}}:{{.Tag}}")
	if err != nil || !strings.Contains(ls, "gcr.io/distroless/static-debian12:nonroot") {
		t.Errorf("images = %q, %v", ls, err)
	}
}
