package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

func TestInspectPage(t *testing.T) {
	env := newTestServer(t)
	res := env.build(demoDockerfile, map[string]string{"main.py": demoMain}, "demo:v1")
	page := env.get("/images/demo:v1/inspect").wantCode(http.StatusOK)
	if got := page.text("inspect-cmd"); got != "docker inspect demo:v1" {
		t.Errorf("inspect-cmd = %q", got)
	}
	out, _, _ := cli(t, env.workspace(), "inspect", "demo:v1")
	if got := rawText(page.find("inspect-raw")[0]); got != out {
		t.Errorf("raw JSON differs from docker inspect:\n%s", got)
	}
	tree := page.text("inspect-tree")
	for _, want := range []string{`Id: "` + res.Image.String() + `"`, `Cmd: [2 items] 0: "python" 1: "main.py"`,
		`RepoTags: [1 item] 0: "demo:v1"`, `Labels: {1 key} x: "<script>alert(1)</script>"`} {
		if !strings.Contains(tree, want) {
			t.Errorf("tree lacks %q:\n%s", want, tree)
		}
	}
	// The first levels and Config are open; the rest is closed, one summary away.
	open := map[string]bool{}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "details" {
			open[attrOf(n, "data-key")] = hasAttr(n, "open")
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(page.find("inspect-tree")[0])
	if !open["Config"] || open["ContainerConfig"] || open["Labels"] {
		t.Errorf("open details: %v", open)
	}
}

func TestInspectFormat(t *testing.T) {
	env := newTestServer(t)
	env.build(demoDockerfile, map[string]string{"main.py": demoMain}, "demo:v1")

	page := env.get("/images/demo:v1/inspect?format=" + url.QueryEscape("{{.Config.Cmd}}")).wantCode(http.StatusOK)
	if got := page.text("format-output"); got != "[python main.py]" {
		t.Errorf("format output = %q", got)
	}
	if got := page.text("format-cmd"); got != "docker inspect --format '{{.Config.Cmd}}' demo:v1" {
		t.Errorf("format command = %q", got)
	}

	tests := []struct {
		name, ref, format string
		code              int
		msg               string
	}{
		{"cmd", "demo:v1", "{{.Config.Cmd}}", http.StatusOK, ""},
		{"json labels", "demo:v1", "{{json .Config.Labels}}", http.StatusOK, ""},
		{"bad template", "demo:v1", "{{.Config.Cmd", http.StatusBadRequest, "Template parsing error: template: :1: unclosed action"},
		{"missing field", "demo:v1", "{{.Nope}}", http.StatusBadRequest, `Template parsing error: template: :1:2: executing "" at <.Nope>: map has no entry for key "Nope"`},
		{"unknown image", "nope:1", "{{.Id}}", http.StatusNotFound, "No such image: nope:1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := env.withT(t)
			var got struct {
				Cmd, Output, Error string
				ExitCode           int `json:"exit_code"`
			}
			env.postJSON("/api/inspect/format", map[string]string{"ref": tc.ref, "format": tc.format}).wantCode(tc.code).json(&got)
			if !strings.Contains(got.Error, tc.msg) {
				t.Errorf("error %q, want %q", got.Error, tc.msg)
			}
			if tc.code == http.StatusNotFound {
				return
			}
			// Exactly what the command line prints.
			out, errOut, code := cli(t, env.workspace(), "inspect", "--format", tc.format, tc.ref)
			if got.Output != out || got.Error != strings.TrimSpace(errOut) || got.ExitCode != code {
				t.Errorf("got %q / %q / %d, the command line prints %q / %q / %d", got.Output, got.Error, got.ExitCode, out, errOut, code)
			}
			if want := "docker inspect --format '" + tc.format + "' demo:v1"; got.Cmd != want {
				t.Errorf("cmd = %q, want %q", got.Cmd, want)
			}
		})
	}
	var labels struct{ Output string }
	env.postJSON("/api/inspect/format", map[string]string{"ref": "demo:v1", "format": "{{json .Config.Labels}}"}).json(&labels)
	if labels.Output != `{"x":"<script>alert(1)</script>"}`+"\n" {
		t.Errorf("labels = %q", labels.Output)
	}
	// A template error on the page: shown, with Docker's text.
	bad := env.get("/images/demo:v1/inspect?format=" + url.QueryEscape("{{.Config.Cmd")).wantCode(http.StatusBadRequest)
	if got := bad.text("format-error"); !strings.HasPrefix(got, "Template parsing error:") {
		t.Errorf("format error = %q", got)
	}
}
