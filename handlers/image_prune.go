package handlers

// `docker image prune [-a]`: the preview of what it would remove (JSON for the
// dialog, a page without JavaScript: GET /api/images/prune, /images/prune) and the
// prune itself (POST).

import (
	"context"
	"net/http"
	"sort"
	"strings"
	"time"

	"layerlab/db"
	"layerlab/engine/commands"
	"layerlab/engine/image"
	"layerlab/web"
)

// pruneImages is `docker image prune [-a] -f`: the page asked first (the preview).
func (s *Server) pruneImages(w http.ResponseWriter, r *http.Request) {
	in, err := readAction(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	args := []string{"image", "prune"}
	if in.All {
		args = append(args, "-a")
	}
	args = append(args, "-f")
	s.answerAction(w, r, in, s.docker(r.Context(), workspace(r), "docker "+strings.Join(args, " "), args...))
}

// prunePreview is what `docker image prune [-a]` would remove, as JSON, for the
// confirmation dialog.
func (s *Server) prunePreview(w http.ResponseWriter, r *http.Request) {
	p, err := planPrune(r.Context(), workspace(r), queryFlag(r, "all"), s.now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// prunePage is the confirmation as a page, for a browser without JavaScript.
func (s *Server) prunePage(w http.ResponseWriter, r *http.Request) {
	p, err := planPrune(r.Context(), workspace(r), queryFlag(r, "all"), s.now())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	web.PrunePage(s.page(r, "Prune images", "images"), *p).Render(r.Context(), w)
}

// planPrune is what `docker image prune [-a]` would remove, and the space it would
// free, for the confirmation: the command's own dry run (engine/commands.PlanPrune),
// so the preview and the prune make one choice and report one figure (Docker's: the
// released layers' content sizes).
func planPrune(ctx context.Context, ws *db.Workspace, all bool, now time.Time) (*web.PrunePlan, error) {
	dry, err := commands.PlanPrune(ctx, ws, all, now)
	if err != nil {
		return nil, err
	}
	plan := &web.PrunePlan{All: true, Cmd: "docker image prune -a -f", Bytes: dry.Bytes,
		Images: []web.PruneItem{}, Untagged: append([]string{}, dry.Untagged...)}
	if !all {
		plan.All, plan.Cmd = false, "docker image prune -f"
	}
	for _, it := range dry.Images {
		rec := it.Record
		item := web.PruneItem{ID: rec.ID.String(), ShortID: image.ShortID(rec.ID), Refs: it.Refs,
			Size: humanBytes(rec.Size()), Created: rec.Created}
		switch {
		case it.ParentOf != "":
			item.Why = "untagged parent of " + image.ShortID(it.ParentOf)
		case len(it.Refs) > 0:
			item.Why = "tagged: untagged, then deleted"
		default:
			item.Why = "dangling"
		}
		plan.Images = append(plan.Images, item)
	}
	sort.Strings(plan.Untagged)
	plan.Space = humanBytes(plan.Bytes)
	return plan, nil
}
