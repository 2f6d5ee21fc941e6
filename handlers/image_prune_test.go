package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"layerlab/db"
)

// imagesOf is the set of image IDs in ws.
func imagesOf(t *testing.T, ws *db.Workspace) map[string]bool {
	t.Helper()
	recs, err := ws.Images(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, r := range recs {
		out[r.ID.String()] = true
	}
	return out
}

func TestImagesPrunePreviewMatchesPrune(t *testing.T) {
	for _, all := range []bool{false, true} {
		name := "dangling"
		q := ""
		if all {
			name, q = "all", "?all=1"
		}
		t.Run(name, func(t *testing.T) {
			env := newTestServer(t)
			old := env.build(demoDockerfile, map[string]string{"main.py": demoMain}, "demo:v1")
			env.build(demoDockerfile, map[string]string{"main.py": "print('v2')\n"}, "demo:v1")
			env.build("FROM busybox\nLABEL keep=1\n", nil, "other:1")
			ws := env.workspace()
			before := imagesOf(t, ws)

			var plan struct {
				Cmd    string
				Images []struct{ ID, Why string }
				Bytes  int64
				Space  string
			}
			env.get("/api/images/prune" + q).wantCode(http.StatusOK).json(&plan)
			want := map[string]bool{}
			for _, it := range plan.Images {
				want[it.ID] = true
			}
			if !all {
				if !want[old.Image.String()] || plan.Cmd != "docker image prune -f" {
					t.Errorf("preview %+v does not list the dangling %s", plan, old.Image)
				}
				// The old COPY layer (12 bytes of main.py in a tar) and the RUN layers go.
				if plan.Bytes <= 0 || plan.Space == "0B" {
					t.Errorf("preview frees %d bytes (%s), want the old layers", plan.Bytes, plan.Space)
				}
			} else if len(want) != len(before) {
				t.Errorf("prune -a preview lists %d images of %d", len(want), len(before))
			}

			// Without JavaScript: the confirmation page says the same.
			conf := env.get("/images/prune" + q).wantCode(http.StatusOK)
			if got := conf.text("prune-space"); got != plan.Space {
				t.Errorf("confirmation page frees %q, JSON %q", got, plan.Space)
			}
			if n := len(conf.find("prune-item")); n != len(plan.Images) {
				t.Errorf("confirmation page lists %d images, JSON %d", n, len(plan.Images))
			}
			if got := conf.text("prune-dialog-cmd"); got != plan.Cmd {
				t.Errorf("confirmation command %q, want %q", got, plan.Cmd)
			}

			form := url.Values{}
			if all {
				form.Set("all", "1")
			}
			page := env.postForm("/images/prune", form).wantCode(http.StatusOK)
			if got := page.text("flash-cmd"); got != plan.Cmd {
				t.Errorf("ran %q, previewed %q", got, plan.Cmd)
			}
			out := page.text("flash-output")
			if !strings.Contains(out, "Deleted Images:") || !strings.Contains(out, "Total reclaimed space:") {
				t.Errorf("prune output:\n%s", out)
			}
			after := imagesOf(t, ws)
			for id := range before {
				if gone := !after[id]; gone != want[id] {
					t.Errorf("image %s: removed=%v, preview said %v", id, gone, want[id])
				}
			}
		})
	}
}

func TestImagesPruneNothing(t *testing.T) {
	env := newTestServer(t)
	env.build("FROM busybox\nLABEL a=1\n", nil, "demo:v1")
	conf := env.get("/images/prune").wantCode(http.StatusOK)
	if got := conf.text("prune-summary"); !strings.Contains(got, "Nothing to remove") {
		t.Errorf("summary = %q", got)
	}
	if !hasAttr(conf.find("prune-confirm")[0], "disabled") {
		t.Error("the confirm button is enabled with nothing to remove")
	}
}
