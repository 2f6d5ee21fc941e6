package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"layerlab/engine/image"
)

func TestImagesRemove(t *testing.T) {
	env := newTestServer(t)
	res := env.build(demoDockerfile, map[string]string{"main.py": demoMain}, "demo:v1", "demo:v2")
	short := image.ShortID(res.Image)
	base, err := env.workspace().Lookup(context.Background(), "busybox")
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		ref   string
		force bool
		code  int
		cmd   string
		msg   string
		hint  string // the start of the hint the page gives, chosen by the error's class
	}{
		{"two tags without -f", short, false, http.StatusConflict, "docker image rm " + short,
			"Error response from daemon: conflict: unable to delete " + short + " (must be forced) - image is referenced in multiple repositories",
			"The image has more than one tag."},
		{"a parent, even with -f", base.ID.String(), true, http.StatusConflict, "docker image rm -f " + base.ID.String(),
			"conflict: unable to delete " + image.ShortID(base.ID) + " (cannot be forced) - image has dependent child images",
			"Other images were built on this one"},
		{"unknown", "nope", false, http.StatusNotFound, "docker image rm nope", "Error: No such image: nope",
			"Check the name in the table"},
		{"bad reference", "Nope", false, http.StatusBadRequest, "docker image rm Nope", "invalid reference format: repository name must be lowercase",
			"A name is lowercase letters"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := env.withT(t)
			form := url.Values{"ref": {tc.ref}}
			if tc.force {
				form.Set("force", "1")
			}
			page := env.postForm("/images/rm", form).wantCode(tc.code)
			if got := page.text("flash-cmd"); got != tc.cmd {
				t.Errorf("command = %q, want %q", got, tc.cmd)
			}
			if got := page.text("flash-error"); !strings.Contains(got, tc.msg) {
				t.Errorf("error = %q, want %q", got, tc.msg)
			}
			if got := page.text("flash-hint"); !strings.HasPrefix(got, "What to do: "+tc.hint) {
				t.Errorf("hint = %q, want it to start %q", got, tc.hint)
			}
		})
	}
	if _, err := env.workspace().Lookup(context.Background(), "demo:v1"); err != nil {
		t.Fatalf("a refused rm removed demo:v1: %v", err)
	}

	page := env.postForm("/images/rm", url.Values{"ref": {short}, "force": {"1"}}).wantCode(http.StatusOK)
	if got := page.text("flash-cmd"); got != "docker image rm -f "+short {
		t.Errorf("command = %q", got)
	}
	out := page.text("flash-output")
	for _, want := range []string{"Untagged: demo:v1", "Untagged: demo:v2", "Deleted: " + res.Image.String()} {
		if !strings.Contains(out, want) {
			t.Errorf("rm -f output lacks %q:\n%s", want, out)
		}
	}
	if findRow(rowsOf(page), "demo", "v1") != nil {
		t.Error("demo:v1 still listed after rm -f")
	}

	// JSON, as a script would call it.
	var js dockerRun
	env.postJSON("/api/images/rm", map[string]any{"ref": "busybox"}).wantCode(http.StatusOK).json(&js)
	if js.Cmd != "docker image rm busybox" || !strings.Contains(js.Output, "Untagged: busybox:latest") {
		t.Errorf("JSON rm = %+v", js)
	}
}
