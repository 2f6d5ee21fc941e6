package handlers

// The history page (GET /images/{ref}/history): `docker history` as a stack of
// layers, each with the files it added, modified and deleted, and the wasted space.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	digest "github.com/opencontainers/go-digest"

	"layerlab/db"
	"layerlab/engine/changes"
	"layerlab/engine/image"
	"layerlab/web"
)

// historyJSON is one row of `history --no-trunc --format '{{json .}}'`.
type historyJSON struct {
	ID           string
	CreatedSince string
	CreatedAt    string
	CreatedBy    string
	Size         string
	Comment      string
}

// maxChangesShown bounds the file rows kept per layer for the page (counts and byte
// totals stay exact).
const maxChangesShown = 1000

// historyPage is `docker history` as a stack of layers, base at the top, each with the
// files it added, modified and deleted, and the image's wasted space.
func (s *Server) historyPage(w http.ResponseWriter, r *http.Request) {
	ws := workspace(r)
	ref, err := refParam(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rec, err := s.lookupImage(r.Context(), ws, ref)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.historyView(r.Context(), ws, ref, rec)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	web.HistoryPage(s.page(r, "History of "+ref, "images"), v).Render(r.Context(), w)
}

func (s *Server) historyView(ctx context.Context, ws *db.Workspace, ref string, rec *image.Record) (web.HistoryView, error) {
	id := rec.ID.String()
	v := web.HistoryView{Ref: ref, ID: id, ShortID: image.ShortID(rec.ID), Size: humanBytes(rec.Size()),
		InspectURL: imageLink(ref, "inspect")}
	if tags, err := ws.TagsOf(ctx, rec.ID); err == nil {
		v.Tags = tags
	}
	cli := s.docker(ctx, ws, "docker history "+shellQuote(ref), "history", "--", id)
	if !cli.ok() {
		return v, fmt.Errorf("history %s: %w", ref, cli.failure())
	}
	v.Cmd, v.CLI = cli.Cmd, cli.Output
	js := s.docker(ctx, ws, "", "history", "--no-trunc", "--format", "{{json .}}", "--", id)
	if !js.ok() {
		return v, fmt.Errorf("history %s: %w", ref, js.failure())
	}
	var items []historyJSON // newest first, as docker prints them
	for _, line := range strings.Split(js.Output, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var h historyJSON
		if err := json.Unmarshal([]byte(line), &h); err != nil {
			return v, fmt.Errorf("history row %q: %w", line, err)
		}
		items = append(items, h)
	}
	img, err := rec.ConfigFile(ctx)
	if err != nil {
		return v, fmt.Errorf("read config of %s: %w", id, err)
	}
	hist := img.History
	if len(items) != len(hist) {
		return v, fmt.Errorf("history %s: %d rows for %d history entries", ref, len(items), len(hist))
	}
	n := len(items)
	layer := 0
	var maxSize int64
	for i := 0; i < n; i++ {
		it, h := items[n-1-i], hist[i]
		row := web.HistoryRow{Step: i + 1, ID: it.ID, CreatedSince: it.CreatedSince, CreatedAt: it.CreatedAt,
			CreatedBy: it.CreatedBy, Comment: it.Comment, SizeText: it.Size, Empty: h.EmptyLayer, Layer: -1}
		if row.ID != "<missing>" {
			row.ID = image.ShortID(digest.Digest(row.ID))
		}
		if !h.EmptyLayer && layer < len(rec.Layers) {
			row.Layer = layer
			row.Size = rec.Layers[layer].Size
			row.DiffID = rec.Layers[layer].DiffID.String()
			layer++
			if row.Size > maxSize {
				maxSize = row.Size
			}
		}
		v.Rows = append(v.Rows, row)
	}
	for i := range v.Rows {
		if v.Rows[i].Layer >= 0 && maxSize > 0 {
			v.Rows[i].BarPct = max(float64(v.Rows[i].Size)*100/float64(maxSize), 0.5)
		}
	}

	open := func(ctx context.Context, d digest.Digest) (io.ReadCloser, error) { return ws.OpenBlob(ctx, d) }
	rep, err := changes.Analyze(ctx, rec.DiffIDs(), open, changes.Options{MaxChangesPerLayer: maxChangesShown})
	if err != nil {
		s.log.Warn("analyze layers", "image", id, "err", err)
		v.AnalysisError = "The layers' files could not be read, so the file lists are missing: " + err.Error()
		return v, nil
	}
	v.Total, v.Final, v.Wasted = humanBytes(rep.Total), humanBytes(rep.Final), humanBytes(rep.Wasted)
	v.WastedBytes = rep.Wasted
	v.Efficiency = fmt.Sprintf("%.1f%%", rep.Efficiency*100)
	if rep.Wasted > 0 && rep.Efficiency > 0.999 {
		v.Efficiency = "99.9%" // not 100.0%: some bytes are wasted
	}
	for i, wf := range rep.WastedFiles {
		if i == 20 {
			break
		}
		v.WastedFiles = append(v.WastedFiles, web.WastedFile{Path: wf.Path, Layers: wf.Layers, Size: humanBytes(wf.Bytes)})
	}
	for i := range v.Rows {
		k := v.Rows[i].Layer
		if k < 0 || k >= len(rep.Layers) {
			continue
		}
		l := rep.Layers[k]
		lv := &web.LayerFiles{Added: l.Added, Modified: l.Modified, Deleted: l.Deleted,
			AddedBytes: humanBytes(l.AddedBytes), ModifiedBytes: humanBytes(l.ModifiedBytes), DeletedBytes: humanBytes(l.DeletedBytes),
			Truncated: l.Truncated, Total: l.Added + l.Modified + l.Deleted}
		for _, c := range l.Changes {
			f := web.FileChange{Path: c.Path, Kind: string(c.Kind), Type: c.Type, Link: c.Link, Mode: c.Mode.String()}
			if c.Type == changes.TypeFile || c.Kind == changes.Deleted {
				f.Size = humanBytes(c.Size)
			}
			lv.Files = append(lv.Files, f)
		}
		v.Rows[i].Files = lv
	}
	return v, nil
}
