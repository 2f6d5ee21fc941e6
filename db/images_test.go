package db

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/image"
)

func TestPutImageRoundTrip(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	w := workspace(t, s, DefaultWorkspace)
	base := putImage(t, w, newRecord(t, nil, "base", baseTime, putLayer(t, w, "base layer")))
	l := putLayer(t, w, "step layer")
	l.Digest, l.CompressedSize = digest.FromString("gzip of it"), 42
	rec := newRecord(t, base, "echo hi > /f", baseTime.Add(time.Second), l)
	rec.Build.Sources = map[string]string{"app.py": "sha256:abc"}
	putImage(t, w, rec)

	got, err := w.Image(ctx, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if raw, err := got.RawConfig(ctx); err != nil || !bytes.Equal(raw, rec.Config) {
		t.Errorf("config bytes changed (%v):\n got %s\nwant %s", err, raw, rec.Config)
	}
	if got.ID != rec.ID || got.Parent != base.ID || got.CacheKey != rec.CacheKey || !got.Created.Equal(rec.Created) {
		t.Errorf("got %s parent %s key %s created %s", got.ID, got.Parent, got.CacheKey, got.Created)
	}
	if !reflect.DeepEqual(got.Layers, rec.Layers) {
		t.Errorf("layers %+v, want %+v", got.Layers, rec.Layers)
	}
	if !reflect.DeepEqual(got.Build, rec.Build) {
		t.Errorf("build info %+v, want %+v", got.Build, rec.Build)
	}
	if img, err := got.ConfigFile(ctx); err != nil || len(img.History) != 2 || img.History[1].CreatedBy != "echo hi > /f" {
		t.Errorf("decoded image %+v (%v)", img, err)
	}
	// Storing it again is not an error and changes nothing.
	if err := w.PutImage(ctx, rec); err != nil {
		t.Errorf("second put: %v", err)
	}
	imgs, err := w.Images(ctx)
	if err != nil || len(imgs) != 2 || imgs[0].ID != rec.ID || imgs[1].ID != base.ID {
		t.Errorf("Images (newest first) = %v, %v", ids(imgs), err)
	}
	checkIntegrity(t, s)
}

func TestPutImageRejects(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	w := workspace(t, s, DefaultWorkspace)
	good := newRecord(t, nil, "x", baseTime)
	tests := []struct {
		name    string
		edit    func(r *image.Record)
		wantErr error
	}{
		{name: "id is not the config digest", edit: func(r *image.Record) { r.ID = digest.FromString("other") }, wantErr: ErrDigestMismatch},
		{name: "config edited", edit: func(r *image.Record) { r.Config = append([]byte(nil), append(r.Config, ' ')...) }, wantErr: ErrDigestMismatch},
		{name: "layers do not match rootfs", edit: func(r *image.Record) { r.Layers = []image.Layer{{DiffID: digest.FromString("l")}} }, wantErr: ErrInvalid},
		{name: "bad parent", edit: func(r *image.Record) { r.Parent = "sha256:zz" }, wantErr: ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &image.Record{ID: good.ID, Config: good.Config, Image: good.Image, Parent: good.Parent,
				Layers: good.Layers, Created: good.Created, CacheKey: good.CacheKey, Build: good.Build}
			tt.edit(r)
			if err := w.PutImage(ctx, r); !errors.Is(err, tt.wantErr) {
				t.Fatalf("got %v, want %v", err, tt.wantErr)
			}
		})
	}
	if err := w.PutImage(ctx, nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("nil record: %v", err)
	}
}

func TestWorkspacesAreIndependent(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	a, b := workspace(t, s, "a"), workspace(t, s, "b")
	rec := newRecord(t, nil, "same", baseTime, putLayer(t, a, "l"))
	putImage(t, a, rec)
	if _, err := b.Image(ctx, rec.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("b sees a's image: %v", err)
	}
	putImage(t, b, rec)
	if err := a.DeleteImage(ctx, rec.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Image(ctx, rec.ID); err != nil {
		t.Errorf("deleting in a removed it from b: %v", err)
	}
	if _, err := b.Cached(ctx, "", rec.CacheKey); err != nil {
		t.Errorf("b's cache: %v", err)
	}
	if _, err := a.Cached(ctx, "", rec.CacheKey); !errors.Is(err, ErrNotFound) {
		t.Errorf("a's cache after delete: %v", err)
	}
}

func TestCached(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	w := workspace(t, s, DefaultWorkspace)
	other := workspace(t, s, "other")
	parent := putImage(t, w, newRecord(t, nil, "base", baseTime))
	putImage(t, other, parent)
	// Two children of parent from the same step (same cache key, different times, so
	// different IDs), a child from another step, and a newer match in another workspace.
	older := putImage(t, w, newRecord(t, parent, "make", baseTime.Add(time.Minute)))
	newer := putImage(t, w, newRecord(t, parent, "make", baseTime.Add(2*time.Minute)))
	putImage(t, w, newRecord(t, parent, "make install", baseTime.Add(3*time.Minute)))
	putImage(t, other, newRecord(t, parent, "make", baseTime.Add(4*time.Minute)))
	root := putImage(t, w, newRecord(t, nil, "scratch step", baseTime))
	if older.CacheKey != newer.CacheKey || older.ID == newer.ID {
		t.Fatal("fixture: want same key, different IDs")
	}
	tests := []struct {
		name    string
		parent  digest.Digest
		key     string
		want    digest.Digest
		wantErr error
	}{
		{name: "newest matching child", parent: parent.ID, key: older.CacheKey, want: newer.ID},
		{name: "from scratch", parent: "", key: root.CacheKey, want: root.ID},
		{name: "other key", parent: parent.ID, key: "sha256:nope", wantErr: ErrNotFound},
		{name: "other parent", parent: newer.ID, key: older.CacheKey, wantErr: ErrNotFound},
		{name: "empty key never hits", parent: parent.ID, key: "", wantErr: ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := w.Cached(ctx, tt.parent, tt.key)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got %v, want %v", err, tt.wantErr)
			}
			if err == nil && got.ID != tt.want {
				t.Errorf("got %s, want %s", got.ID, tt.want)
			}
		})
	}
	kids, err := w.Children(ctx, parent.ID, 0)
	if err != nil || len(kids) != 3 || kids[0].Created.Before(kids[1].Created) || kids[1].Created.Before(kids[2].Created) {
		t.Errorf("Children = %v, %v; want 3 newest first", ids(kids), err)
	}
}

func TestDeleteImage(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	w := workspace(t, s, DefaultWorkspace)
	parent := putImage(t, w, newRecord(t, nil, "base", baseTime))
	child := putImage(t, w, newRecord(t, parent, "step", baseTime.Add(time.Second)))
	for _, r := range []string{"demo:v1", "demo:v2"} {
		if err := w.Tag(ctx, mustRef(t, r), child.ID); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name    string
		id      digest.Digest
		wantErr error
	}{
		{name: "parent of a child", id: parent.ID, wantErr: ErrHasChildren},
		{name: "a tagged child: untag first", id: child.ID, wantErr: ErrHasTags},
		{name: "untagged child", id: child.ID},
		{name: "child again", id: child.ID, wantErr: ErrNotFound},
		{name: "parent, now childless", id: parent.ID},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.name == "untagged child" {
				for _, r := range []string{"demo:v1", "demo:v2"} {
					if _, err := w.Untag(ctx, mustRef(t, r)); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := w.DeleteImage(ctx, st.id); !errors.Is(err, st.wantErr) {
				t.Fatalf("got %v, want %v", err, st.wantErr)
			}
		})
	}
	if tags, err := w.AllTags(ctx); err != nil || len(tags) != 0 {
		t.Errorf("tags left: %v, %v", tags, err)
	}
	checkIntegrity(t, s)
}

func ids(recs []*image.Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, image.ShortID(r.ID))
	}
	return out
}

// BenchmarkCached is the cache probe of a cached rebuild, over a workspace of 2000
// images: 200 bases with 9 children each, all from a handful of steps.
func BenchmarkCached(b *testing.B) {
	ctx := context.Background()
	s := openStore(b)
	w := workspace(b, s, DefaultWorkspace)
	layer := putLayer(b, w, "a layer")
	var probes []*image.Record
	for i := 0; i < 200; i++ {
		base := putImage(b, w, newRecord(b, nil, fmt.Sprintf("base %d", i), baseTime.Add(time.Duration(i)*time.Second), layer))
		for j := 0; j < 9; j++ {
			c := putImage(b, w, newRecord(b, base, fmt.Sprintf("step %d", j), baseTime.Add(time.Duration(i*10+j)*time.Second), layer))
			probes = append(probes, c)
		}
	}
	b.Run("hit", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			p := probes[i%len(probes)]
			if _, err := w.Cached(ctx, p.Parent, p.CacheKey); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("miss", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			p := probes[i%len(probes)]
			if _, err := w.Cached(ctx, p.Parent, "sha256:miss"); !errors.Is(err, ErrNotFound) {
				b.Fatal(err)
			}
		}
	})
}

// The cache probe is on the hot path of every rebuild: it must stay an index search.
func TestCachedUsesIndex(t *testing.T) {
	s := openStore(t)
	rows, err := s.db.QueryContext(context.Background(), `EXPLAIN QUERY PLAN SELECT `+imageCols+` FROM images
		WHERE workspace = ? AND parent = ? AND cache_key = ? ORDER BY created DESC LIMIT 1`, "w", "p", "k")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	want := "SEARCH images USING INDEX images_cache (workspace=? AND parent=? AND cache_key=?)"
	if len(plan) != 1 || plan[0] != want {
		t.Errorf("plan %q, want [%q] (no temp b-tree for the ORDER BY)", plan, want)
	}
}
