package db

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/image"
)

func TestLookup(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	w := workspace(t, s, DefaultWorkspace)
	other := workspace(t, s, "other")

	// Enough images that two IDs share a first hex digit (17 suffice).
	var recs []*image.Record
	byFirst := map[byte][]*image.Record{}
	var pair []*image.Record
	for i := 0; pair == nil; i++ {
		r := putImage(t, w, newRecord(t, nil, fmt.Sprintf("image %d", i), baseTime.Add(time.Duration(i)*time.Second)))
		recs = append(recs, r)
		c := r.ID.Encoded()[0]
		byFirst[c] = append(byFirst[c], r)
		if len(byFirst[c]) == 2 {
			pair = byFirst[c]
		}
	}
	demo, v1, lib := recs[0], recs[1], recs[2]
	for _, tag := range []struct {
		ref string
		id  digest.Digest
	}{{"demo", demo.ID}, {"demo:v1", v1.ID}, {"localhost:5000/team/lib:2", lib.ID}} {
		if err := w.Tag(ctx, mustRef(t, tag.ref), tag.id); err != nil {
			t.Fatal(err)
		}
	}
	onlyOther := putImage(t, other, newRecord(t, nil, "only in other", baseTime))
	if err := other.Tag(ctx, mustRef(t, "elsewhere:v1"), onlyOther.ID); err != nil {
		t.Fatal(err)
	}
	// A tag that looks like an ID prefix wins over the prefix, as in Docker.
	hexName := v1.ID.Encoded()[:6]
	if err := w.Tag(ctx, mustRef(t, hexName), demo.ID); err != nil {
		t.Fatal(err)
	}
	unique := lib.ID.Encoded()[:12]
	for _, r := range recs {
		if r != lib && strings.HasPrefix(r.ID.Encoded(), unique) {
			t.Fatal("fixture: 12-digit prefix not unique")
		}
	}

	tests := []struct {
		name    string
		ref     string
		want    digest.Digest
		wantErr error
	}{
		{name: "name means latest", ref: "demo", want: demo.ID},
		{name: "name:latest", ref: "demo:latest", want: demo.ID},
		{name: "tag", ref: "demo:v1", want: v1.ID},
		{name: "fully qualified", ref: "docker.io/library/demo:v1", want: v1.ID},
		{name: "registry and path", ref: "localhost:5000/team/lib:2", want: lib.ID},
		{name: "full id", ref: lib.ID.String(), want: lib.ID},
		{name: "64 hex", ref: lib.ID.Encoded(), want: lib.ID},
		{name: "short id", ref: unique, want: lib.ID},
		{name: "short id with algorithm", ref: "sha256:" + unique, want: lib.ID},
		{name: "tag before prefix", ref: hexName, want: demo.ID},
		{name: "ambiguous prefix", ref: pair[0].ID.Encoded()[:1], wantErr: ErrAmbiguous},
		{name: "unknown tag", ref: "demo:v9", wantErr: ErrNotFound},
		{name: "unknown name", ref: "nope", wantErr: ErrNotFound},
		{name: "unknown full id", ref: digest.FromString("nothing").String(), wantErr: ErrNotFound},
		{name: "another workspace's tag", ref: "elsewhere:v1", wantErr: ErrNotFound},
		{name: "another workspace's id", ref: onlyOther.ID.String(), wantErr: ErrNotFound},
		{name: "not a reference", ref: "UPPER/Case::", wantErr: ErrNotFound},
		{name: "empty", ref: "", wantErr: ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := w.Lookup(ctx, tt.ref)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				if tt.ref != "" && !strings.Contains(err.Error(), tt.ref) {
					t.Errorf("error %q does not name %q", err, tt.ref)
				}
				return
			}
			if got.ID != tt.want {
				t.Errorf("got %s, want %s", got.ID, tt.want)
			}
		})
	}
}

func TestTagMovesAndUntag(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	clk := &clock{t: baseTime}
	s.now = clk.now
	w := workspace(t, s, DefaultWorkspace)
	a := putImage(t, w, newRecord(t, nil, "a", baseTime))
	b := putImage(t, w, newRecord(t, nil, "b", baseTime.Add(time.Second)))
	v1 := mustRef(t, "demo:v1")

	if err := w.Tag(ctx, v1, a.ID); err != nil {
		t.Fatal(err)
	}
	if err := w.Tag(ctx, mustRef(t, "demo"), a.ID); err != nil {
		t.Fatal(err)
	}
	clk.add(time.Hour)
	if err := w.Tag(ctx, v1, b.ID); err != nil {
		t.Fatal(err)
	}
	tagsOf := func(id digest.Digest) []string {
		t.Helper()
		tags, err := w.TagsOf(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return tags
	}
	if got := tagsOf(a.ID); !reflect.DeepEqual(got, []string{"demo:latest"}) {
		t.Errorf("tags of a = %v", got)
	}
	if got := tagsOf(b.ID); !reflect.DeepEqual(got, []string{"demo:v1"}) {
		t.Errorf("tags of b = %v", got)
	}
	all, err := w.AllTags(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []TagRow{
		{Ref: "demo:latest", Repository: "demo", Tag: "latest", ID: a.ID, Created: baseTime},
		{Ref: "demo:v1", Repository: "demo", Tag: "v1", ID: b.ID, Created: baseTime.Add(time.Hour)},
	}
	if !reflect.DeepEqual(all, want) {
		t.Errorf("AllTags =\n%+v\nwant\n%+v", all, want)
	}
	// Tagging an image with a tag it has keeps the tag's time.
	clk.add(time.Hour)
	if err := w.Tag(ctx, v1, b.ID); err != nil {
		t.Fatal(err)
	}
	if all, _ := w.AllTags(ctx); !all[1].Created.Equal(baseTime.Add(time.Hour)) {
		t.Errorf("re-tag changed the time to %s", all[1].Created)
	}

	steps := []struct {
		name    string
		ref     string
		want    digest.Digest
		wantErr error
	}{
		{name: "untag", ref: "demo:v1", want: b.ID},
		{name: "untag again", ref: "demo:v1", wantErr: ErrNotFound},
		{name: "untag latest by name", ref: "demo", want: a.ID},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			got, err := w.Untag(ctx, mustRef(t, st.ref))
			if !errors.Is(err, st.wantErr) || got != st.want {
				t.Fatalf("got %s %v, want %s %v", got, err, st.want, st.wantErr)
			}
		})
	}
	if _, err := w.Image(ctx, b.ID); err != nil {
		t.Errorf("untag removed the image: %v", err)
	}
	if err := w.Tag(ctx, v1, digest.FromString("no such image")); !errors.Is(err, ErrNotFound) {
		t.Errorf("tag a missing image: %v", err)
	}
	if err := w.Tag(ctx, image.Ref{}, a.ID); !errors.Is(err, ErrInvalid) {
		t.Errorf("tag with a zero ref: %v", err)
	}
	checkIntegrity(t, s)
}
