package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/build"
	"layerlab/engine/build/buildtest"
	"layerlab/engine/image"
)

// lessonDockerfile is the research's lesson: a tagged image over four legacy steps.
const lessonDockerfile = "FROM busybox\nENV GREETING=hello\nWORKDIR /app\nCOPY hello.txt .\nRUN cat hello.txt > copy.txt && echo built\n"

func tagsOfSummary(sums []ImageSummary) map[string][]string {
	out := map[string][]string{}
	for _, s := range sums {
		out[s.ID] = s.RepoTags
	}
	return out
}

// jsonKeys is the keys of a JSON object, in their order.
func jsonKeys(t *testing.T, raw []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %s", raw)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func TestParseFilters(t *testing.T) {
	tests := []struct {
		name, raw string
		want      Filters
		bad       bool
	}{
		{name: "none", raw: "", want: Filters{}},
		{name: "current form", raw: `{"dangling":{"true":true}}`, want: Filters{"dangling": {"true": true}}},
		{name: "legacy form", raw: `{"reference":["busybox","lesson:*"]}`, want: Filters{"reference": {"busybox": true, "lesson:*": true}}},
		{name: "not JSON", raw: `dangling=true`, bad: true},
		{name: "wrong shape", raw: `{"dangling":true}`, bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseFilters(tt.raw)
			if tt.bad {
				if !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), "invalid JSON: ") {
					t.Fatalf("err %v, want ErrInvalid invalid JSON", err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestListImagesAPI(t *testing.T) {
	h := newRmHarness(t)
	ctx := context.Background()
	first := h.build(lessonDockerfile, []string{"lesson:v1"}, "hello.txt", "hello\n")
	v1 := h.build(lessonDockerfile, []string{"lesson:v1"}, "hello.txt", "hello again\n") // first is now dangling
	labelled := h.build("FROM busybox\nLABEL course=docker\n", []string{"labelled:v1"})
	base := h.lookup("busybox").ID

	tests := []struct {
		name    string
		all     bool
		filters string
		want    map[digest.Digest][]string // the listed images and their RepoTags
		bad     error
	}{
		{name: "plain", want: map[digest.Digest][]string{v1: {"lesson:v1"}, first: {"<none>:<none>"}, labelled: {"labelled:v1"}, base: {"busybox:latest"}}},
		{name: "dangling", filters: `{"dangling":{"true":true}}`, want: map[digest.Digest][]string{first: {"<none>:<none>"}}},
		{name: "dangling as 1", filters: `{"dangling":{"1":true}}`, want: map[digest.Digest][]string{first: {"<none>:<none>"}}},
		{name: "not dangling", filters: `{"dangling":{"false":true}}`, want: map[digest.Digest][]string{v1: {"lesson:v1"}, labelled: {"labelled:v1"}, base: {"busybox:latest"}}},
		{name: "reference", filters: `{"reference":{"lesson":true}}`, want: map[digest.Digest][]string{v1: {"lesson:v1"}}},
		{name: "label", filters: `{"label":{"course=docker":true}}`, want: map[digest.Digest][]string{labelled: {"labelled:v1"}}},
		{name: "unknown filter", filters: `{"colour":{"red":true}}`, bad: ErrInvalid},
		{name: "before a missing image", filters: `{"before":{"nosuch":true}}`, bad: ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseFilters(tt.filters)
			if err != nil {
				t.Fatal(err)
			}
			sums, err := ListImages(ctx, h.st, tt.all, f)
			if tt.bad != nil {
				if !errors.Is(err, tt.bad) {
					t.Fatalf("err %v, want %v", err, tt.bad)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := tagsOfSummary(sums)
			want := map[string][]string{}
			for id, tags := range tt.want {
				want[id.String()] = tags
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("listed %v, want %v", got, want)
			}
			for i := 1; i < len(sums); i++ {
				if sums[i].Created > sums[i-1].Created {
					t.Errorf("not newest first: %d after %d", sums[i].Created, sums[i-1].Created)
				}
			}
		})
	}

	t.Run("all lists the intermediate images", func(t *testing.T) {
		plain, err := ListImages(ctx, h.st, false, Filters{})
		if err != nil {
			t.Fatal(err)
		}
		all, err := ListImages(ctx, h.st, true, Filters{})
		if err != nil {
			t.Fatal(err)
		}
		recs, _ := h.st.Images(ctx)
		if len(all) != len(recs) || len(plain) >= len(all) {
			t.Fatalf("all=1 listed %d of %d images (plain %d)", len(all), len(recs), len(plain))
		}
	})

	t.Run("fields", func(t *testing.T) {
		sums, err := ListImages(ctx, h.st, false, Filters{})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range sums {
			rec := h.lookup(s.ID)
			if s.Containers != -1 || s.SharedSize != -1 || s.Size != rec.Size() || s.VirtualSize != rec.Size() ||
				s.Created != rec.Created.Unix() || s.ParentID != rec.Parent.String() {
				t.Errorf("%s: %+v", s.ID, s)
			}
			switch digest.Digest(s.ID) {
			case labelled:
				if !reflect.DeepEqual(s.Labels, map[string]string{"course": "docker"}) {
					t.Errorf("labels %v", s.Labels)
				}
			case first:
				if !reflect.DeepEqual(s.RepoDigests, []string{"<none>@<none>"}) {
					t.Errorf("dangling RepoDigests %v", s.RepoDigests)
				}
			default:
				if s.Labels != nil || s.RepoDigests != nil {
					t.Errorf("%s: Labels %v, RepoDigests %v; want both null", s.ID, s.Labels, s.RepoDigests)
				}
			}
		}
		raw, _ := json.Marshal(sums[0])
		want := []string{"Containers", "Created", "Id", "Labels", "ParentId", "RepoDigests", "RepoTags", "SharedSize", "Size", "VirtualSize"}
		if got := jsonKeys(t, raw); !reflect.DeepEqual(got, want) {
			t.Errorf("keys %v, want the daemon's %v", got, want)
		}
	})
}

func TestImageHistoryAPI(t *testing.T) {
	h := newRmHarness(t)
	ctx := context.Background()
	v1 := h.build(lessonDockerfile, []string{"lesson:v1", "lesson:q"}, "hello.txt", "hello\n")
	items, err := ImageHistory(ctx, h.st, "lesson:v1")
	if err != nil {
		t.Fatal(err)
	}
	if len(items) < 5 {
		t.Fatalf("%d rows, want the 4 steps and the base", len(items))
	}
	top := items[0]
	if top.ID != v1.String() || top.CreatedBy != "/bin/sh -c cat hello.txt > copy.txt && echo built" ||
		!reflect.DeepEqual(top.Tags, []string{"lesson:q", "lesson:v1"}) || top.Size == 0 {
		t.Errorf("top row %+v", top)
	}
	if env := items[3]; env.CreatedBy != "/bin/sh -c #(nop)  ENV GREETING=hello" || env.Size != 0 || env.Tags != nil {
		t.Errorf("ENV row %+v", env)
	}
	// The base (the busybox stand-in) has two history rows and one image: the lower
	// row has no image of its own, "<missing>", as in Docker.
	base := h.lookup("busybox").ID.String()
	if row := items[len(items)-2]; row.ID != base || !reflect.DeepEqual(row.Tags, []string{"busybox:latest"}) {
		t.Errorf("base row %+v", row)
	}
	if last := items[len(items)-1]; last.ID != "<missing>" || last.Tags != nil {
		t.Errorf("last row %+v", last)
	}
	raw, _ := json.Marshal(top)
	if got, want := jsonKeys(t, raw), []string{"Comment", "Created", "CreatedBy", "Id", "Size", "Tags"}; !reflect.DeepEqual(got, want) {
		t.Errorf("keys %v, want %v", got, want)
	}

	for _, tc := range []struct {
		name, ref, msg string
		class          error
	}{
		{"missing", "nosuch", "No such image: nosuch:latest", ErrNotFound},
		{"malformed", "Lesson", "invalid reference format: repository name must be lowercase", ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ImageHistory(ctx, h.st, tc.ref)
			if !errors.Is(err, tc.class) || err.Error() != tc.msg {
				t.Errorf("err %v, want %q", err, tc.msg)
			}
		})
	}
}

func TestInspectImageAPI(t *testing.T) {
	h := newRmHarness(t)
	ctx := context.Background()
	v1 := h.build(lessonDockerfile, []string{"lesson:v1"}, "hello.txt", "hello\n")
	ins, err := InspectImage(ctx, h.st, v1.Encoded()[:12])
	if err != nil {
		t.Fatal(err)
	}
	if ins.ID != v1.String() || !reflect.DeepEqual(ins.RepoTags, []string{"lesson:v1"}) || ins.Config.WorkingDir != "/app" {
		t.Errorf("inspect %+v", ins)
	}
	for _, tc := range []struct {
		name, ref, msg string
		class          error
	}{
		{"missing", "nosuch:v9", "no such image: nosuch:v9: No such image: nosuch:v9", ErrNotFound},
		{"missing, no tag", "nosuch", "no such image: nosuch: No such image: nosuch:latest", ErrNotFound},
		{"missing, long form", "docker.io/library/nosuch:tag", "no such image: docker.io/library/nosuch:tag: No such image: nosuch:tag", ErrNotFound},
		{"malformed", "Demo", "no such image: Demo: invalid reference format: repository name must be lowercase", ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := InspectImage(ctx, h.st, tc.ref)
			if !errors.Is(err, tc.class) || err.Error() != tc.msg {
				t.Errorf("err %v, want %q", err, tc.msg)
			}
		})
	}
}

func TestRemoveImageAPI(t *testing.T) {
	ctx := context.Background()
	t.Run("untag one of two", func(t *testing.T) {
		h := newRmHarness(t)
		v1 := h.build(lessonDockerfile, []string{"lesson:v1", "lesson:v2"}, "hello.txt", "hello\n")
		got, err := RemoveImage(ctx, h.st, "lesson:v2", false, false)
		if err != nil || !reflect.DeepEqual(got, []DeleteItem{{Untagged: "lesson:v2"}}) || !h.exists(v1) {
			t.Fatalf("got %v, %v", got, err)
		}
		raw, _ := json.Marshal(got)
		if string(raw) != `[{"Untagged":"lesson:v2"}]` {
			t.Errorf("JSON %s", raw)
		}
	})
	t.Run("last tag deletes the image and its untagged parents", func(t *testing.T) {
		h := newRmHarness(t)
		v1 := h.build(lessonDockerfile, []string{"lesson:v1"}, "hello.txt", "hello\n")
		rec := h.lookup(v1.String())
		got, err := RemoveImage(ctx, h.st, "lesson:v1", false, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) < 5 || got[0] != (DeleteItem{Untagged: "lesson:v1"}) || got[1] != (DeleteItem{Deleted: v1.String()}) ||
			got[2] != (DeleteItem{Deleted: top(rec).String()}) {
			t.Errorf("got %v", got)
		}
		if h.exists(v1) || h.exists(rec.Parent) {
			t.Errorf("image or its parent still there")
		}
		if !h.exists(h.lookup("busybox").ID) {
			t.Errorf("the tagged base went too")
		}
	})
	t.Run("noprune keeps the parents", func(t *testing.T) {
		h := newRmHarness(t)
		v1 := h.build(lessonDockerfile, []string{"lesson:v1"}, "hello.txt", "hello\n")
		parent := h.lookup(v1.String()).Parent
		if _, err := RemoveImage(ctx, h.st, "lesson:v1", false, true); err != nil {
			t.Fatal(err)
		}
		if h.exists(v1) || !h.exists(parent) {
			t.Errorf("noprune: image kept %v, parent kept %v", h.exists(v1), h.exists(parent))
		}
	})
	for _, tc := range []struct {
		name  string
		force bool
		ref   func(v1, parent digest.Digest) string
		msg   string
		class error
	}{
		{name: "missing", ref: func(_, _ digest.Digest) string { return "nosuch:tag" }, msg: "No such image: nosuch:tag", class: ErrNotFound},
		{name: "by ID with two tags", ref: func(v1, _ digest.Digest) string { return v1.Encoded()[:12] },
			msg: "conflict: unable to delete <v1> (must be forced) - image is referenced in multiple repositories", class: ErrMultipleRefs},
		{name: "a parent", force: true, ref: func(_, p digest.Digest) string { return p.Encoded()[:12] },
			msg: "conflict: unable to delete <parent> (cannot be forced) - image has dependent child images", class: ErrHasChildren},
		{name: "malformed", ref: func(_, _ digest.Digest) string { return "Lesson" },
			msg: "invalid reference format: repository name must be lowercase", class: ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newRmHarness(t)
			v1 := h.build(lessonDockerfile, []string{"lesson:v1", "lesson:q"}, "hello.txt", "hello\n")
			parent := h.lookup(v1.String()).Parent
			_, err := RemoveImage(ctx, h.st, tc.ref(v1, parent), tc.force, false)
			msg := strings.NewReplacer("<v1>", v1.Encoded()[:12], "<parent>", parent.Encoded()[:12]).Replace(tc.msg)
			if !errors.Is(err, tc.class) || err.Error() != msg {
				t.Errorf("err %v, want %q", err, msg)
			}
		})
	}
	t.Run("forced by ID with two tags", func(t *testing.T) {
		h := newRmHarness(t)
		v1 := h.build(lessonDockerfile, []string{"lesson:v1", "lesson:q"}, "hello.txt", "hello\n")
		got, err := RemoveImage(ctx, h.st, v1.Encoded()[:12], true, false)
		if err != nil || len(got) < 3 || got[0] != (DeleteItem{Untagged: "lesson:q"}) || got[1] != (DeleteItem{Untagged: "lesson:v1"}) ||
			got[2] != (DeleteItem{Deleted: v1.String()}) {
			t.Errorf("got %v, %v", got, err)
		}
	})
}

func TestPruneImagesAPI(t *testing.T) {
	ctx := context.Background()
	h := newRmHarness(t)
	now := func() time.Time { return h.clock.Add(time.Minute) }

	nothing, err := PruneImages(ctx, h.st, Filters{"dangling": {"true": true}}, now())
	if err != nil {
		t.Fatal(err)
	}
	if raw, _ := json.Marshal(nothing); string(raw) != `{"ImagesDeleted":null,"SpaceReclaimed":0}` {
		t.Errorf("nothing to prune: %s", raw)
	}

	first := h.build(lessonDockerfile, []string{"lesson:v1"}, "hello.txt", "hello\n")
	v1 := h.build(lessonDockerfile, []string{"lesson:v1"}, "hello.txt", "hello again\n")
	rep, err := PruneImages(ctx, h.st, Filters{}, now()) // no filter: dangling only
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.ImagesDeleted) == 0 || rep.ImagesDeleted[0] != (DeleteItem{Deleted: first.String()}) || rep.SpaceReclaimed <= 0 {
		t.Errorf("prune: %+v", rep)
	}
	if h.exists(first) || !h.exists(v1) {
		t.Errorf("dangling kept %v, tagged kept %v", h.exists(first), h.exists(v1))
	}

	t.Run("bad filter", func(t *testing.T) {
		for _, f := range []Filters{{"colour": {"red": true}}, {"until": {"yesterday": true}}} {
			if _, err := PruneImages(ctx, h.st, f, now()); !errors.Is(err, ErrInvalid) {
				t.Errorf("%v: err %v, want ErrInvalid", f, err)
			}
		}
	})
	t.Run("dangling false prunes the tagged ones too", func(t *testing.T) {
		rep, err := PruneImages(ctx, h.st, Filters{"dangling": {"false": true}}, now())
		if err != nil {
			t.Fatal(err)
		}
		if h.exists(v1) || len(rep.ImagesDeleted) == 0 || rep.ImagesDeleted[0] != (DeleteItem{Untagged: "lesson:v1"}) {
			t.Errorf("prune -a: %+v", rep)
		}
	})
}

func TestTagImageAPI(t *testing.T) {
	ctx := context.Background()
	h := newRmHarness(t)
	v1 := h.build(lessonDockerfile, []string{"lesson:v1"}, "hello.txt", "hello\n")
	tests := []struct {
		name, source, repo, tag string
		want                    string // the tag that now names v1
		msg                     string
		class                   error
	}{
		{name: "plain", source: "lesson:v1", repo: "lesson", tag: "v2", want: "lesson:v2"},
		{name: "28.x CLI's long name", source: "lesson:v1", repo: "docker.io/library/lesson", tag: "v3", want: "lesson:v3"},
		{name: "user repo, long", source: v1.Encoded()[:12], repo: "docker.io/myuser/lesson", tag: "v1", want: "myuser/lesson:v1"},
		{name: "no tag is latest", source: "lesson:v1", repo: "other", want: "other:latest"},
		{name: "tag in repo", source: "lesson:v1", repo: "third:t", want: "third:t"},
		{name: "missing source", source: "nosuch", repo: "x", tag: "y", msg: "No such image: nosuch:latest", class: ErrNotFound},
		{name: "upper-case repo", source: "lesson:v1", repo: "Lesson", tag: "v2",
			msg: "invalid reference format: repository name must be lowercase", class: ErrBadReference},
		{name: "bad tag", source: "lesson:v1", repo: "lesson", tag: "no/slash", msg: "invalid tag format", class: ErrBadReference},
		{name: "upper-case source", source: "Lesson", repo: "lesson", tag: "v9",
			msg: "invalid reference format: repository name must be lowercase", class: ErrInvalid},
		{name: "digest algorithm as name", source: "lesson:v1", repo: "sha256", tag: "x",
			msg: "refusing to create an ambiguous tag using digest algorithm as name", class: ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := TagImage(ctx, h.st, tt.source, tt.repo, tt.tag)
			if tt.class != nil {
				if !errors.Is(err, tt.class) || err.Error() != tt.msg {
					t.Fatalf("err %v, want %q", err, tt.msg)
				}
				if tt.class != ErrBadReference && errors.Is(err, ErrBadReference) {
					t.Errorf("a malformed source must not be ErrBadReference (the daemon's 500 is for the target)")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := h.lookup(tt.want).ID; got != v1 {
				t.Errorf("%s names %s, want %s", tt.want, got, v1)
			}
		})
	}
}

// vanishingStore lists one image more than it has: one deleted (by a concurrent rmi)
// between the list and the read of its config.
type vanishingStore struct {
	*buildtest.Store
	gone *image.Record
}

func (v *vanishingStore) Images(ctx context.Context) ([]*image.Record, error) {
	recs, err := v.Store.Images(ctx)
	return append([]*image.Record{v.gone}, recs...), err
}

// TestListImagesAPIDeletedMeanwhile: an image deleted while the list is made is left
// out, as the daemon would not list it; the list does not fail.
func TestListImagesAPIDeletedMeanwhile(t *testing.T) {
	h := newRmHarness(t)
	h.build(lessonDockerfile, []string{"lesson:v1"}, "hello.txt", "hello\n")
	gone := &image.Record{ID: digest.FromString("gone"), Created: h.clock.Add(time.Hour)}
	gone.SetConfigLoader(func(context.Context) ([]byte, error) {
		return nil, fmt.Errorf("config of image %s: %w", gone.ID, build.ErrNotFound)
	})
	sums, err := ListImages(context.Background(), &vanishingStore{Store: h.st, gone: gone}, true, Filters{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sums {
		if s.ID == gone.ID.String() {
			t.Errorf("the deleted image is listed")
		}
	}
	if len(sums) == 0 {
		t.Errorf("nothing listed")
	}
}
