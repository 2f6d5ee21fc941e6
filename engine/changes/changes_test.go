package changes_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/build"
	"layerlab/engine/build/buildtest"
	"layerlab/engine/changes"
	"layerlab/engine/rootfs"
)

// ent is one tar entry of a test layer.
type ent struct {
	name string
	typ  byte
	size int // regular files: that many bytes of content
	link string
	mode int64
}

func file(name string, size int) ent   { return ent{name: name, typ: tar.TypeReg, size: size} }
func dir(name string) ent              { return ent{name: name + "/", typ: tar.TypeDir} }
func symlink(name, to string) ent      { return ent{name: name, typ: tar.TypeSymlink, link: to} }
func hardlink(name, to string) ent     { return ent{name: name, typ: tar.TypeLink, link: to} }
func whiteout(dir, name string) ent    { return file(strings.TrimPrefix(dir+"/.wh."+name, "/"), 0) }
func opaque(dir string) ent            { return file(dir+"/"+rootfs.WhiteoutOpaque, 0) }
func dirMode(name string, m int64) ent { e := dir(name); e.mode = m; return e }

func mkTar(t *testing.T, ents []ent) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range ents {
		mode := e.mode
		if mode == 0 {
			mode = 0o644
			if e.typ == tar.TypeDir {
				mode = 0o755
			}
		}
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Linkname: e.link, Mode: mode, Size: int64(e.size)}
		if e.typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			if _, err := tw.Write(bytes.Repeat([]byte{'x'}, e.size)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// layers turns entry lists into tars, an Opener over them, and their diffIDs in order.
func layers(t *testing.T, ls [][]ent) ([]digest.Digest, changes.Opener) {
	t.Helper()
	blobs := map[digest.Digest][]byte{}
	var ids []digest.Digest
	for _, l := range ls {
		b := mkTar(t, l)
		d := digest.FromBytes(b)
		blobs[d] = b
		ids = append(ids, d)
	}
	return ids, func(_ context.Context, d digest.Digest) (io.ReadCloser, error) {
		b, ok := blobs[d]
		if !ok {
			return nil, fmt.Errorf("no blob %s", d)
		}
		return io.NopCloser(bytes.NewReader(b)), nil
	}
}

// rows prints a layer's changes as "kind type path size[ ->link]".
func rows(l changes.Layer) string {
	var out []string
	for _, c := range l.Changes {
		s := fmt.Sprintf("%s %s %s %d", c.Kind, c.Type, c.Path, c.Size)
		if c.Link != "" {
			s += " ->" + c.Link
		}
		out = append(out, s)
	}
	return strings.Join(out, "; ")
}

// counts prints a layer's counts as "A/M/D bytes A/M/D".
func counts(l changes.Layer) string {
	return fmt.Sprintf("%d/%d/%d %d/%d/%d", l.Added, l.Modified, l.Deleted, l.AddedBytes, l.ModifiedBytes, l.DeletedBytes)
}

// totals prints a report's totals as "total final wasted".
func totals(r *changes.Report) string { return fmt.Sprintf("%d %d %d", r.Total, r.Final, r.Wasted) }

func TestAnalyze(t *testing.T) {
	tests := []struct {
		name    string
		layers  [][]ent
		opt     changes.Options
		cancel  bool
		rows    []string // per layer: "" is not checked, "none" is no rows
		counts  []string // per layer, when set
		totals  string
		waste   []changes.Waste // when set
		check   func(t *testing.T, r *changes.Report)
		wantErr error
		wantMsg []string
	}{
		{
			name:   "one layer adds files",
			layers: [][]ent{{dir("app"), file("app/a", 3), file("app/b", 5), symlink("app/l", "a")}},
			rows:   []string{"added dir /app 0; added file /app/a 3; added file /app/b 5; added symlink /app/l 0 ->a"},
			counts: []string{"4/0/0 8/0/0"},
			totals: "8 8 0",
			check: func(t *testing.T, r *changes.Report) {
				if r.Layers[0].Size != 8 || r.Efficiency != 1 || len(r.WastedFiles) != 0 {
					t.Errorf("size %d efficiency %v wasted files %v", r.Layers[0].Size, r.Efficiency, r.WastedFiles)
				}
			},
		},
		{
			name: "second layer modifies one and adds one",
			layers: [][]ent{
				{dir("app"), file("app/a", 3)},
				{dir("app"), file("app/a", 7), file("app/c", 2)},
			},
			rows:   []string{"added dir /app 0; added file /app/a 3", "modified file /app/a 7; added file /app/c 2"},
			counts: []string{"2/0/0 3/0/0", "1/1/0 2/7/0"},
			totals: "12 9 3",
			waste:  []changes.Waste{{Path: "/app/a", Layers: 2, Bytes: 3}},
		},
		{
			name:   "whiteout deletes a file",
			layers: [][]ent{{file("a", 10), file("b", 1)}, {whiteout("", "a")}},
			rows:   []string{"added file /a 10; added file /b 1", "deleted file /a 10"},
			counts: []string{"2/0/0 11/0/0", "0/0/1 0/0/10"},
			totals: "11 1 10",
			waste:  []changes.Waste{{Path: "/a", Layers: 1, Bytes: 10}},
		},
		{
			name: "whiteout deletes a directory with files",
			layers: [][]ent{
				{dir("d"), file("d/x", 4), dir("d/sub"), file("d/sub/y", 6), hardlink("d/h", "d/x"), file("keep", 1)},
				{whiteout("", "d")},
			},
			rows:   []string{"", "deleted dir /d 10"},
			counts: []string{"6/0/0 11/0/0", "0/0/1 0/0/10"},
			totals: "11 1 10",
			waste:  []changes.Waste{{Path: "/d/sub/y", Layers: 1, Bytes: 6}, {Path: "/d/x", Layers: 1, Bytes: 4}},
		},
		{
			name: "opaque dir hides the lower children",
			layers: [][]ent{
				{dir("d"), file("d/old", 3), dir("d/sub"), file("d/sub/f", 4), file("e", 1)},
				{dir("d"), opaque("d"), file("d/new", 2)},
			},
			rows:   []string{"", "added file /d/new 2; deleted file /d/old 3; deleted dir /d/sub 4"},
			counts: []string{"", "1/0/2 2/0/7"},
			totals: "10 3 7",
		},
		{
			name: "opaque marker after the layer's own file keeps it",
			layers: [][]ent{
				{dir("d"), file("d/old", 3)},
				{dir("d"), file("d/new", 2), opaque("d")},
			},
			rows:   []string{"", "added file /d/new 2; deleted file /d/old 3"},
			totals: "5 2 3",
		},
		{
			name: "opaque root",
			layers: [][]ent{
				{file("a", 1), file("b", 2)},
				{file("b", 5), file(rootfs.WhiteoutOpaque, 0)},
			},
			rows:   []string{"", "deleted file /a 1; modified file /b 5"},
			totals: "8 5 3",
		},
		{
			name:   "file overwritten twice",
			layers: [][]ent{{file("f", 100)}, {file("f", 200)}, {file("f", 50)}},
			rows:   []string{"added file /f 100", "modified file /f 200", "modified file /f 50"},
			totals: "350 50 300",
			waste:  []changes.Waste{{Path: "/f", Layers: 3, Bytes: 300}},
			check: func(t *testing.T, r *changes.Report) {
				if want := 50.0 / 350; r.Efficiency != want {
					t.Errorf("efficiency %v, want %v", r.Efficiency, want)
				}
			},
		},
		{
			name:   "whiteout then the same path again in one layer is modified",
			layers: [][]ent{{file("f", 3)}, {whiteout("", "f"), file("f", 4)}},
			rows:   []string{"added file /f 3", "modified file /f 4"},
			counts: []string{"1/0/0 3/0/0", "0/1/0 0/4/0"},
			totals: "7 4 3",
		},
		{
			name:   "directory rewritten with the same mode is no change, a new mode is",
			layers: [][]ent{{dir("a"), dir("b")}, {dir("a"), dirMode("b", 0o700)}},
			rows:   []string{"added dir /a 0; added dir /b 0", "modified dir /b 0"},
			totals: "0 0 0",
		},
		{
			name:   "parents without entries appear silently",
			layers: [][]ent{{file("x/y/z", 1)}, {dir("x")}},
			rows:   []string{"added file /x/y/z 1", "added dir /x 0"},
			totals: "1 1 0",
		},
		{
			name: "hard link keeps a deleted file's content",
			layers: [][]ent{
				{file("f", 8), hardlink("h", "f")},
				{whiteout("", "f")},
				{whiteout("", "h")},
			},
			rows:   []string{"added file /f 8; added hardlink /h 0 ->/f", "deleted file /f 8", "deleted hardlink /h 0 ->/f"},
			totals: "8 0 8",
			check: func(t *testing.T, r *changes.Report) {
				if r.Layers[1].DeletedBytes != 8 {
					t.Errorf("deleted bytes %d", r.Layers[1].DeletedBytes)
				}
			},
		},
		{
			name:   "whiteout of a missing path",
			layers: [][]ent{{file("a", 1)}, {whiteout("", "nothing"), whiteout("nodir", "x")}},
			rows:   []string{"added file /a 1", "none"},
			totals: "1 1 0",
		},
		{
			name:   "whiteout under a file hides nothing",
			layers: [][]ent{{file("f", 1)}, {whiteout("f", "x")}},
			rows:   []string{"added file /f 1", "none"},
			totals: "1 1 0",
		},
		{
			name:   "empty layer list",
			layers: nil,
			totals: "0 0 0",
			check: func(t *testing.T, r *changes.Report) {
				if len(r.Layers) != 0 || r.Efficiency != 1 || r.WastedFiles != nil {
					t.Errorf("%+v", r)
				}
			},
		},
		{
			name: "truncated rows keep exact counts",
			opt:  changes.Options{MaxChangesPerLayer: 2},
			layers: [][]ent{
				{file("e", 5), file("d", 4), file("c", 3), file("b", 2), file("a", 1)},
				{whiteout("", "a"), whiteout("", "b"), whiteout("", "c")},
			},
			rows:   []string{"added file /d 4; added file /e 5", "deleted file /a 1; deleted file /b 2"},
			counts: []string{"5/0/0 15/0/0", "0/0/3 0/0/6"},
			totals: "15 9 6",
			check: func(t *testing.T, r *changes.Report) {
				if !r.Layers[0].Truncated || !r.Layers[1].Truncated {
					t.Errorf("not truncated")
				}
			},
		},
		{
			name:    "layer over MaxEntries",
			opt:     changes.Options{MaxEntries: 2},
			layers:  [][]ent{{file("a", 1)}, {file("a", 1), file("b", 1), file("c", 1)}},
			wantErr: rootfs.ErrTooLarge,
			wantMsg: []string{"layer 2 (sha256:", `entry "c"`, "more than 2 entries"},
		},
		{
			name:    "unsafe path with ..",
			layers:  [][]ent{{file("a/../../evil", 1)}},
			wantErr: rootfs.ErrUnsafePath,
			wantMsg: []string{"layer 1 (sha256:", `entry "a/../../evil"`},
		},
		{
			name:    "unsafe absolute path",
			layers:  [][]ent{{file("/etc/passwd", 1)}},
			wantErr: rootfs.ErrUnsafePath,
			wantMsg: []string{`entry "/etc/passwd"`, "absolute"},
		},
		{
			name:    "write through a symlink",
			layers:  [][]ent{{symlink("l", "/etc")}, {file("l/passwd", 1)}},
			wantErr: rootfs.ErrUnsafePath,
			wantMsg: []string{"layer 2", `entry "l/passwd"`, "symlink /l"},
		},
		{
			name:    "hard link to nothing",
			layers:  [][]ent{{hardlink("h", "missing")}},
			wantErr: rootfs.ErrBadLink,
			wantMsg: []string{`entry "h"`},
		},
		{
			name:    "hard link under a file",
			layers:  [][]ent{{file("f", 1)}, {hardlink("h", "f/x")}},
			wantErr: rootfs.ErrBadLink,
			wantMsg: []string{"layer 2", `entry "h"`},
		},
		{
			name:    "cancelled ctx",
			layers:  [][]ent{{file("a", 1)}},
			cancel:  true,
			wantErr: context.Canceled,
			wantMsg: []string{"layer 1"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ids, open := layers(t, tc.layers)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.cancel {
				cancel()
			}
			r, err := changes.Analyze(ctx, ids, open, tc.opt)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				for _, m := range tc.wantMsg {
					if !strings.Contains(err.Error(), m) {
						t.Errorf("error %q does not say %q", err, m)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Layers) != len(ids) {
				t.Fatalf("%d layers, want %d", len(r.Layers), len(ids))
			}
			for i, l := range r.Layers {
				if l.DiffID != ids[i] {
					t.Errorf("layer %d: diffID %s, want %s", i+1, l.DiffID, ids[i])
				}
				if i < len(tc.rows) && tc.rows[i] != "" && rows(l) != strings.TrimPrefix(tc.rows[i], "none") {
					t.Errorf("layer %d rows:\n got %s\nwant %s", i+1, rows(l), tc.rows[i])
				}
				if i < len(tc.counts) && tc.counts[i] != "" && counts(l) != tc.counts[i] {
					t.Errorf("layer %d counts %s, want %s", i+1, counts(l), tc.counts[i])
				}
			}
			if got := totals(r); got != tc.totals {
				t.Errorf("total final wasted = %s, want %s", got, tc.totals)
			}
			if r.Total != r.Final+r.Wasted {
				t.Errorf("total %d != final %d + wasted %d", r.Total, r.Final, r.Wasted)
			}
			if tc.waste != nil && fmt.Sprint(r.WastedFiles) != fmt.Sprint(tc.waste) {
				t.Errorf("wasted files %v, want %v", r.WastedFiles, tc.waste)
			}
			if tc.check != nil {
				tc.check(t, r)
			}
		})
	}
}

// TestAnalyzeBuiltImage analyzes an image the real engine built: a file copied in,
// copied over, then removed by RUN. The report's Final must match the files the engine
// itself sees when it applies the layers.
func TestAnalyzeBuiltImage(t *testing.T) {
	ctx := context.Background()
	st := buildtest.New()
	b := build.New(st, build.StandIns{})
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b.Now = func() time.Time { clock = clock.Add(time.Second); return clock }
	files := []build.File{
		{Path: "Dockerfile", Data: []byte("FROM busybox\nCOPY big.txt /app/big.txt\nCOPY big2.txt /app/big.txt\nCOPY keep.txt /app/\nRUN rm /app/big.txt\n")},
		{Path: "big.txt", Data: bytes.Repeat([]byte("a"), 1000)},
		{Path: "big2.txt", Data: bytes.Repeat([]byte("b"), 2000)},
		{Path: "keep.txt", Data: []byte("keep\n")},
	}
	bc, err := build.NewContext(files, "")
	if err != nil {
		t.Fatal(err)
	}
	res, err := b.Build(ctx, bc, build.Options{Tags: []string{"waste:v1"}})
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	rec, err := st.Image(ctx, res.Image)
	if err != nil {
		t.Fatal(err)
	}
	var ids []digest.Digest
	for _, l := range rec.Layers {
		ids = append(ids, l.DiffID)
	}
	if len(ids) < 5 {
		t.Fatalf("%d layers, want the base's and 4 more", len(ids))
	}
	r, err := changes.Analyze(ctx, ids, changes.Opener(st.OpenBlob), changes.Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := len(r.Layers)
	tests := []struct {
		name  string
		layer int
		rows  string
	}{
		{"COPY adds", n - 4, "added dir /app 0; added file /app/big.txt 1000"},
		{"COPY over modifies", n - 3, "modified file /app/big.txt 2000"},
		{"COPY adds another", n - 2, "added file /app/keep.txt 5"},
		{"RUN rm deletes", n - 1, "deleted file /app/big.txt 2000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := rows(r.Layers[tc.layer]); got != tc.rows {
				t.Errorf("rows %s, want %s", got, tc.rows)
			}
		})
	}
	if len(r.WastedFiles) == 0 || r.WastedFiles[0] != (changes.Waste{Path: "/app/big.txt", Layers: 2, Bytes: 3000}) {
		t.Errorf("wasted files %v", r.WastedFiles)
	}
	if r.Total != r.Final+r.Wasted || r.Wasted < 3000 {
		t.Errorf("total %d final %d wasted %d", r.Total, r.Final, r.Wasted)
	}
	// The engine's own view of the final filesystem.
	f := rootfs.New()
	for _, d := range ids {
		rc, err := st.OpenBlob(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		err = rootfs.Apply(f, rc, rootfs.ApplyOptions{Whiteouts: true})
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	var final int64
	if err := f.Walk(func(_ string, e *rootfs.Entry) error {
		if e.Kind == rootfs.KindFile {
			final += e.Size()
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if final != r.Final {
		t.Errorf("Final = %d, the engine sees %d bytes of files", r.Final, final)
	}
}
