package handlers

// The images page (GET /images) and its JSON (GET /api/images): `docker image ls` as
// rows and as the command's text, with the page's toggles (-a, dangling).

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"layerlab/db"
	"layerlab/engine/commands"
	"layerlab/engine/image"
	"layerlab/web"
)

// imagesArgs is the `image ls` command line for the page's toggles.
func imagesArgs(all, dangling bool) []string {
	args := []string{"image", "ls"}
	if all {
		args = append(args, "-a")
	}
	if dangling {
		args = append(args, "--filter", "dangling=true")
	}
	return args
}

// listImageRows is the `image ls` table as rows, exactly as the command computes it,
// each with what the page adds: whether an untagged row is intermediate or dangling.
// The returned run holds the command line and the text it prints. The images are
// listed once, for both.
func (s *Server) listImageRows(ctx context.Context, ws *db.Workspace, all, dangling bool) ([]web.ImageRow, *dockerRun, error) {
	args := imagesArgs(all, dangling)
	table := &dockerRun{Cmd: "docker " + strings.Join(args, " ")}
	t, err := commands.ListImageTable(ctx, ws, commands.ImageTableOptions{All: all, Dangling: dangling}, s.now())
	if err != nil {
		return nil, table, fmt.Errorf("image ls: Error response from daemon: %w", err)
	}
	out := &limitedBuffer{max: maxCmdOutput}
	io.WriteString(out, t.Text)
	table.Output = out.String()
	var rows []web.ImageRow
	for _, j := range t.Rows {
		id := j.ID.String()
		row := web.ImageRow{Repository: j.Repository, Tag: j.Tag, ID: id, ShortID: image.ShortID(j.ID),
			CreatedSince: j.CreatedSince, CreatedAt: j.CreatedAt, Size: j.Size}
		switch {
		case j.Untagged:
			row.Ref = row.ShortID
			if j.Intermediate {
				row.Kind = "intermediate"
			} else {
				row.Kind = "dangling"
			}
		case j.Tag == "<none>":
			row.Ref = row.ShortID // a repository known only by digest
		default:
			row.Ref = j.Repository + ":" + j.Tag
		}
		row.HistoryURL = imageLink(row.Ref, "history")
		row.InspectURL = imageLink(row.Ref, "inspect")
		rows = append(rows, row)
	}
	return rows, table, nil
}

// imagesView gathers the images page: the table for the toggles, the forms prefilled.
func (s *Server) imagesView(r *http.Request) (web.ImagesView, error) {
	ws := workspace(r)
	v := web.ImagesView{All: queryFlag(r, "all"), Dangling: queryFlag(r, "dangling")}
	if sel := r.URL.Query().Get("select"); len(sel) <= maxRefLen {
		v.Selected = sel
	}
	if ref := r.URL.Query().Get("pull"); len(ref) <= maxRefLen {
		v.PullRef = ref // the base images page's "pull this tag" links
	}
	rows, table, err := s.listImageRows(r.Context(), ws, v.All, v.Dangling)
	if err != nil {
		return v, err
	}
	v.Rows, v.Cmd, v.CLI = rows, table.Cmd, table.Output
	// A workspace not stored yet has no token, and a GET makes none (session.go).
	ns, token := db.HubNamespace(ws.Name()), "none yet: your workspace starts at your first build, pull or file change; reload this page then"
	if sessionStored(r) {
		var err error
		if ns, token, err = ws.HubToken(r.Context(), false); err != nil {
			return v, err
		}
	}
	v.Hub = web.HubInfo{Host: r.Host, Namespace: ns, Token: token}
	for _, row := range rows {
		if row.Kind == "" && row.Tag != "<none>" {
			v.Sources = append(v.Sources, row.Ref)
		}
	}
	return v, nil
}

// imagesPage is `docker image ls` as a page, with tag, rm and prune.
func (s *Server) imagesPage(w http.ResponseWriter, r *http.Request) {
	v, err := s.imagesView(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v.Flash = s.takeFlash(w, r)
	s.renderImages(w, r, http.StatusOK, v)
}

func (s *Server) renderImages(w http.ResponseWriter, r *http.Request, code int, v web.ImagesView) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	web.ImagesPage(s.page(r, "Images", "images"), v).Render(r.Context(), w)
}

// imagesJSON is the page's table as JSON (the rows image ls prints, for scripts).
func (s *Server) imagesJSON(w http.ResponseWriter, r *http.Request) {
	rows, table, err := s.listImageRows(r.Context(), workspace(r), queryFlag(r, "all"), queryFlag(r, "dangling"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if rows == nil {
		rows = []web.ImageRow{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"cmd": table.Cmd, "output": table.Output, "images": rows})
}
