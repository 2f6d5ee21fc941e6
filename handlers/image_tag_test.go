package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"layerlab/engine/image"
)

func TestImagesTag(t *testing.T) {
	env := newTestServer(t)
	res := env.build(demoDockerfile, map[string]string{"main.py": demoMain}, "demo:v1")

	t.Run("form", func(t *testing.T) {
		env := env.withT(t)
		page := env.postForm("/images/tag", url.Values{"source": {"demo:v1"}, "target": {"demo:v2"}, "back": {"all=1"}}).wantCode(http.StatusOK)
		if len(page.Redirected) != 1 || page.Redirected[0] != http.StatusSeeOther || page.URL.RawQuery != "all=1" {
			t.Errorf("redirects %v to %s, want one 303 back to /images?all=1", page.Redirected, page.URL)
		}
		if got := page.text("flash-cmd"); got != "docker tag demo:v1 demo:v2" {
			t.Errorf("flash command = %q", got)
		}
		row := findRow(rowsOf(page), "demo", "v2")
		if row == nil || row[2] != image.ShortID(res.Image) {
			t.Errorf("no demo:v2 row for %s: %q", image.ShortID(res.Image), rowsOf(page))
		}
		// The flash is shown once.
		if again := env.get("/images"); len(again.find("flash")) != 0 {
			t.Error("the result is shown again on the next visit")
		}
	})
	tests := []struct {
		name, source, target string
		code                 int
		msg                  string
	}{
		{"bad target", "demo:v1", "Demo:V2", http.StatusBadRequest,
			`Error parsing reference: "Demo:V2" is not a valid repository/tag: invalid reference format: repository name must be lowercase`},
		{"unknown source", "nope:1", "demo:v3", http.StatusNotFound, "Error response from daemon: No such image: nope:1"},
		{"empty", "", "demo:v3", http.StatusBadRequest, "requires exactly 2 arguments"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := env.withT(t)
			page := env.postForm("/images/tag", url.Values{"source": {tc.source}, "target": {tc.target}}).wantCode(tc.code)
			if got := page.text("flash-error"); !strings.Contains(got, tc.msg) {
				t.Errorf("error = %q, want %q", got, tc.msg)
			}
			// The forms keep what was typed.
			if v := attrOf(page.find("tag-target")[0], "value"); v != tc.target {
				t.Errorf("tag target field = %q, want %q", v, tc.target)
			}
			var js dockerRun
			env.postJSON("/api/images/tag", map[string]string{"source": tc.source, "target": tc.target}).wantCode(tc.code).json(&js)
			if !strings.Contains(js.Error, tc.msg) {
				t.Errorf("JSON error = %q, want %q", js.Error, tc.msg)
			}
		})
	}
}
