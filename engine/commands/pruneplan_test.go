package commands

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/build/buildtest"
	"layerlab/engine/image"
)

// sizedStore is the in-memory store with db.Workspace's BlobSize.
type sizedStore struct{ *buildtest.Store }

func (s sizedStore) BlobSize(ctx context.Context, d digest.Digest) (int64, error) {
	rc, err := s.OpenBlob(ctx, d)
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	return io.Copy(io.Discard, rc)
}

// tagID points ref (a tag or a digest reference) at id.
func (h *rmHarness) tagID(ref string, id digest.Digest) {
	h.t.Helper()
	r, err := image.ParseRef(ref)
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.st.Tag(context.Background(), r, id); err != nil {
		h.t.Fatal(err)
	}
}

// storeState is every image and tag of a store, as text, to see that nothing changed.
func storeState(t *testing.T, st Store) string {
	t.Helper()
	recs, err := st.Images(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tags, err := st.AllTags(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, r := range recs {
		fmt.Fprintln(&b, r.ID, r.Parent)
	}
	for _, tg := range tags {
		fmt.Fprintln(&b, tg.Ref, tg.ID)
	}
	return b.String()
}

// TestPlanPruneIsPrune: the dry run names exactly what the prune then untags and
// deletes, in the report's order, and the bytes it frees, and changes nothing itself.
func TestPlanPruneIsPrune(t *testing.T) {
	digestRef := func(repo string) string { return repo + "@" + digest.FromString(repo).String() }
	tests := []struct {
		name    string
		all     bool
		filters []string
		setup   func(h *rmHarness)
		images  int // the images the plan must list
	}{
		{
			name: "nothing to prune",
			setup: func(h *rmHarness) {
				h.build("FROM busybox\nRUN echo a > /a\n", []string{"demo:v1"})
			},
		},
		{
			name: "dangling images and their untagged parents",
			setup: func(h *rmHarness) {
				h.build("FROM busybox\nCOPY a .\nRUN echo a > /a\nENV X=1\n", []string{"demo:v1"}, "a", "1")
				h.build("FROM busybox\nCOPY a .\nRUN echo a > /a\nENV X=1\n", []string{"demo:v1"}, "a", "2")
				h.build("FROM busybox\nENV Y=1\n", nil)
				h.build("FROM busybox\nRUN echo b > /b\nRUN echo c > /c\n", []string{"kept:1"})
			},
			images: 4, // the old demo:v1 (ENV) with its RUN and COPY parents; the untagged ENV Y
		},
		{
			name: "-a: every image, tagged parents after their children",
			all:  true,
			setup: func(h *rmHarness) {
				h.build("FROM busybox\nCOPY a .\nENV X=1\n", []string{"demo:v1"}, "a", "1")
				h.build("FROM busybox\nCOPY a .\nENV X=1\n", []string{"demo:v1"}, "a", "2")
				h.build("FROM busybox\nLABEL role=parent\n", []string{"parent:1", "parent:alias"})
				h.build("FROM parent:1\nLABEL role=child\n", []string{"child:1"})
			},
			images: 7, // busybox, old and new demo:v1 with their COPY parents, parent, child
		},
		{
			name: "references by digest only are untagged, then the image goes",
			setup: func(h *rmHarness) {
				id := h.build("FROM busybox\nENV D=1\n", nil)
				h.tagID(digestRef("bydigest"), id)
				both := h.build("FROM busybox\nENV D=2\n", []string{"both:1"})
				h.tagID(digestRef("both"), both)
			},
			images: 1,
		},
		{
			name:    "label filter",
			filters: []string{"label=k=v", "label!=gone"},
			setup: func(h *rmHarness) {
				h.build("FROM busybox\nLABEL k=other\n", nil)
				h.build("FROM busybox\nLABEL k=v\n", nil)
				h.build("FROM busybox\nLABEL k=v gone=1\n", nil)
			},
			images: 1,
		},
		{
			name:    "until filter, -a",
			all:     true,
			filters: []string{"until=150s"},
			setup: func(h *rmHarness) {
				h.build("FROM busybox\nENV OLD=1\n", []string{"old:1"})
				h.clock = h.clock.Add(10 * time.Minute)
				h.build("FROM busybox\nENV NEW=1\n", []string{"new:1"})
			},
			images: 1, // old:1; busybox is untagged but stays, new:1's parent
		},
	}
	parents := 0
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			h := newRmHarness(t)
			h.build("FROM busybox\n", nil) // pull busybox
			tt.setup(h)
			st := sizedStore{h.st}
			now := h.clock.Add(time.Minute)
			loaded := map[digest.Digest]*image.Record{}
			recs, _ := st.Images(ctx)
			for _, r := range recs {
				loaded[r.ID] = r
			}

			state := storeState(t, st)
			plan, err := PlanPrune(ctx, st, tt.all, now, tt.filters...)
			if err != nil {
				t.Fatal(err)
			}
			if got := storeState(t, st); got != state {
				t.Fatalf("the dry run changed the store:\n%s\nwas\n%s", got, state)
			}
			if len(plan.Images) != tt.images {
				t.Errorf("the plan deletes %d images, want %d", len(plan.Images), tt.images)
			}
			for i, it := range plan.Images {
				if it.ParentOf != "" {
					parents++
				}
				if it.ParentOf != "" && (i == 0 || plan.Images[i-1].Record.ID != it.ParentOf || loaded[it.ParentOf].Parent != it.Record.ID) {
					t.Errorf("image %d (%s) goes as parent of %s, which is not the image deleted before it", i, it.Record.ID, it.ParentOf)
				}
			}

			f, _, err := parseImageFilters(tt.filters)
			if err != nil {
				t.Fatal(err)
			}
			f.add("dangling", strconv.FormatBool(!tt.all))
			env := &Env{Store: st, Now: func() time.Time { return now }}
			out, reclaimed, err := pruneImages(ctx, env, f)
			if err != nil {
				t.Fatal(err)
			}
			var untagged, deleted []string
			for _, r := range out {
				switch {
				case r.untagged != "":
					untagged = append(untagged, r.untagged)
				case loaded[digest.Digest(r.deleted)] != nil:
					deleted = append(deleted, r.deleted)
				}
			}
			var planned []string
			for _, it := range plan.Images {
				planned = append(planned, it.Record.ID.String())
			}
			if strings.Join(planned, "\n") != strings.Join(deleted, "\n") {
				t.Errorf("the plan deletes\n%s\nthe prune deleted\n%s", strings.Join(planned, "\n"), strings.Join(deleted, "\n"))
			}
			if strings.Join(plan.Untagged, "\n") != strings.Join(untagged, "\n") {
				t.Errorf("the plan untags %q, the prune untagged %q", plan.Untagged, untagged)
			}
			if plan.Bytes != reclaimed {
				t.Errorf("the plan frees %d bytes, the prune reclaimed %d", plan.Bytes, reclaimed)
			}
			for _, it := range plan.Images {
				if h.exists(it.Record.ID) {
					t.Errorf("%s is still there", it.Record.ID)
				}
			}
		})
	}
	if parents == 0 {
		t.Error("no plan had an image going as an untagged parent")
	}
}
