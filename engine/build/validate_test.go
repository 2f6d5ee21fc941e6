package build_test

import (
	"archive/tar"
	"context"
	"slices"
	"testing"

	"layerlab/engine/build"
	"layerlab/engine/build/buildtest"
	"layerlab/engine/image"
	"layerlab/engine/image/validate"
)

// TestBuiltImagesValidate builds a few small Dockerfiles (and rebuilds after edits) and runs
// the shared invariant checker over every image the store then holds: the stand-in
// bases, every intermediate image and every final one. It also checks what the
// classic builder promises of a step's image against its parent's: the parent's
// layers and history rows, then one history row, and one layer exactly when the step
// says it made one, of the diff ID and size the step reports.
func TestBuiltImagesValidate(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		edits []map[string]string // files changed before each rebuild
	}{
		{name: "the lesson, edited and rebuilt",
			files: map[string]string{"Dockerfile": lessonDockerfile, "requirements.txt": "fastapi\n", "app.txt": "v1\n"},
			edits: []map[string]string{{"requirements.txt": "fastapi\nuvicorn\n"}, {"app.txt": "v2\n"}}},
		{name: "metadata, files, deletions and links",
			files: map[string]string{"Dockerfile": "FROM busybox\nENV A=1 B=2\nWORKDIR /app\nCOPY . .\n" +
				"RUN mkdir -p /data && echo hi > /data/x && ln -s /data/x /data/link && rm /etc/group\n" +
				"RUN rm -rf /data && touch /app/new\nLABEL k=v\nUSER nobody\nEXPOSE 80\nCMD [\"sh\"]\n",
				"a.txt": "a\n", "dir/b.txt": "b\n"}},
		{name: "FROM a built image, with ONBUILD triggers",
			files: map[string]string{"Dockerfile": "FROM busybox\nONBUILD RUN echo trigger > /trigger.txt\nONBUILD ENV T=1\nRUN echo base > /base.txt\n"},
			edits: []map[string]string{{"Dockerfile": "FROM demo:v1\nRUN cat /trigger.txt /base.txt > /both.txt\nCMD [\"cat\", \"/both.txt\"]\n"}}},
		{name: "FROM scratch",
			files: map[string]string{"Dockerfile": "FROM scratch\nCOPY a.txt /\nCOPY a.txt /again.txt\nENV X=1\n", "a.txt": "a\n"}},
		{name: "ADD of an archive",
			files: map[string]string{"Dockerfile": "FROM busybox\nADD pkg.tar.gz /opt/\nRUN cat /opt/pkg/readme\n",
				"pkg.tar.gz": targz(t, []tar.Header{{Name: "pkg/", Typeflag: tar.TypeDir, Mode: 0o755},
					{Name: "pkg/readme", Typeflag: tar.TypeReg}, {Name: "pkg/link", Typeflag: tar.TypeSymlink, Linkname: "readme"}},
					map[string][]byte{"pkg/readme": []byte("hello\n")})}},
		{name: "a package install",
			files: map[string]string{"Dockerfile": "FROM alpine:3.20\nRUN apk add --no-cache curl\nRUN apk del curl\n"}},
		{name: "multi-stage",
			files: map[string]string{"Dockerfile": "FROM alpine AS b\nRUN echo built > /out.txt\n" +
				"FROM busybox\nCOPY --from=b /out.txt /\nCOPY --from=b /etc/alpine-release /\n"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.files)
			results := []*build.Result{h.mustBuild(build.Options{})}
			for _, edit := range tc.edits {
				for p, d := range edit {
					h.files[p] = d
				}
				results = append(results, h.mustBuild(build.Options{}))
			}
			checkStore(t, h.st)
			for _, res := range results {
				checkSteps(t, h.st, res)
			}
		})
	}
}

// checkStore validates every image of st and checks each against its parent.
func checkStore(t *testing.T, st *buildtest.Store) {
	t.Helper()
	ctx := context.Background()
	recs, err := st.Images(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) < 2 {
		t.Fatalf("the store holds %d images: nothing was built", len(recs))
	}
	for _, rec := range recs {
		if err := validate.Image(ctx, validate.Record{Image: rec, Blobs: st}); err != nil {
			t.Error(err)
		}
		if rec.Parent == "" {
			continue
		}
		parent, err := st.Image(ctx, rec.Parent)
		if err != nil {
			t.Errorf("image %s: parent: %v", rec.ID, err)
			continue
		}
		checkChild(t, parent, rec)
	}
}

// checkChild checks that child is one classic-builder step on parent.
func checkChild(t *testing.T, parent, child *image.Record) {
	t.Helper()
	pc, cc := config(t, parent), config(t, child)
	pd, cd := parent.DiffIDs(), child.DiffIDs()
	if len(cd) < len(pd) || len(cd) > len(pd)+1 || !slices.Equal(cd[:len(pd)], pd) {
		t.Errorf("image %s: layers %v are not its parent's %v and at most one more", child.ID, cd, pd)
		return
	}
	if len(cc.History) != len(pc.History)+1 {
		t.Errorf("image %s: %d history rows, its parent %d: a step adds one", child.ID, len(cc.History), len(pc.History))
		return
	}
	for i, row := range pc.History {
		if cc.History[i].CreatedBy != row.CreatedBy || cc.History[i].EmptyLayer != row.EmptyLayer {
			t.Errorf("image %s: history row %d is %+v, its parent's %+v", child.ID, i+1, cc.History[i], row)
		}
	}
	last := cc.History[len(cc.History)-1]
	if madeLayer := len(cd) > len(pd); last.EmptyLayer == madeLayer {
		t.Errorf("image %s: its step's history row %q says empty_layer %v, the step made a layer: %v", child.ID, last.CreatedBy, last.EmptyLayer, madeLayer)
	}
	if child.Build != nil && child.Build.EmptyLayer != (len(cd) == len(pd)) {
		t.Errorf("image %s: its build info says empty layer %v, its layers say %v", child.ID, child.Build.EmptyLayer, len(cd) == len(pd))
	}
}

// checkSteps checks that each step's reported layer and size are its image's.
func checkSteps(t *testing.T, st *buildtest.Store, res *build.Result) {
	t.Helper()
	ctx := context.Background()
	for _, s := range res.Steps {
		if s.Image == "" || s.Keyword == "FROM" {
			continue
		}
		rec, err := st.Image(ctx, s.Image)
		if err != nil {
			t.Errorf("step %d (%s): image %s: %v", s.Step, s.Instruction, s.Image, err)
			continue
		}
		if s.EmptyLayer {
			if s.Layer != "" || s.Size != 0 {
				t.Errorf("step %d (%s): an empty layer with layer %q and size %d", s.Step, s.Instruction, s.Layer, s.Size)
			}
			continue
		}
		l := rec.Layers[len(rec.Layers)-1]
		if s.Layer != l.DiffID || s.Size != l.Size {
			t.Errorf("step %d (%s): reports layer %s of %d bytes, its image's last layer is %s of %d", s.Step, s.Instruction, s.Layer, s.Size, l.DiffID, l.Size)
		}
	}
}

func config(t *testing.T, rec *image.Record) *image.Image {
	t.Helper()
	raw, err := rec.RawConfig(context.Background())
	if err != nil {
		t.Fatalf("image %s: %v", rec.ID, err)
	}
	img, err := image.Decode(raw)
	if err != nil {
		t.Fatalf("image %s: %v", rec.ID, err)
	}
	return img
}
