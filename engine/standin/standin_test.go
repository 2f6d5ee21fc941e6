package standin_test

import (
	"errors"
	"io"
	"sort"
	"strings"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/baseimage"
	"layerlab/engine/rootfs"
	"layerlab/engine/standin"
	"layerlab/examples"
)

const regenerate = "go generate ./engine/standin"

// coveredNames is what the generator covers: standin.Covered and the examples' bases.
func coveredNames(t *testing.T) []string {
	t.Helper()
	names := append([]string(nil), standin.Covered...)
	n := 0
	for _, e := range examples.All {
		files, _ := examples.Files(e.Dir)
		for _, f := range files {
			if f.Path == "Dockerfile" {
				from := standin.FromLines(string(f.Data))
				n += len(from)
				names = append(names, from...)
			}
		}
	}
	if n < len(examples.All) {
		t.Fatalf("found %d FROM lines in %d examples: is the scan broken?", n, len(examples.All))
	}
	return names
}

type layerRef struct {
	img *baseimage.Image
	i   int
}

// TestTableCoversExamples: every layer of every covered stand-in is in the table, and
// the table holds nothing else (an entry for content that changed is stale).
func TestTableCoversExamples(t *testing.T) {
	imgs, _ := standin.Resolve(coveredNames(t))
	// The examples' bases must all be stand-ins: a build of an example pulls them.
	for _, e := range examples.All {
		files, _ := examples.Files(e.Dir)
		for _, f := range files {
			if f.Path != "Dockerfile" {
				continue
			}
			if _, missing := standin.Resolve(standin.FromLines(string(f.Data))); len(missing) > 0 {
				t.Errorf("example %s: %v are not stand-ins", e.Dir, missing)
			}
		}
	}
	want := map[digest.Digest]string{}
	for _, img := range imgs {
		for i := range img.Layers {
			changes, err := standin.Changes(img, i)
			if err != nil {
				t.Fatal(err)
			}
			fp, err := standin.Fingerprint(changes)
			if err != nil {
				t.Fatal(err)
			}
			want[fp] = img.Name
			if _, _, ok := standin.Known(fp); !ok {
				t.Errorf("%s layer %d (fingerprint %s) is not in the table: run `%s`", img.Name, i, fp, regenerate)
			}
		}
	}
	if got := standin.TableLen(); got != len(want) {
		t.Errorf("the table has %d entries, the covered stand-ins %d layers: stale entries; run `%s`", got, len(want), regenerate)
	}
}

// TestTableSample recomputes, from the bytes, the entries of a bounded sample of layers
// (every covered layer under 16 MiB, at most 12 of them, plus python:3.9's smallest
// ones), so the table cannot silently give a wrong digest.
func TestTableSample(t *testing.T) {
	imgs, _ := standin.Resolve(coveredNames(t))
	var refs []layerRef
	for _, img := range imgs {
		for i := range img.Layers {
			refs = append(refs, layerRef{img, i})
		}
	}
	type sized struct {
		layerRef
		fp   digest.Digest
		size int64
	}
	var sample []sized
	for _, r := range refs {
		changes, _ := standin.Changes(r.img, r.i)
		fp, err := standin.Fingerprint(changes)
		if err != nil {
			t.Fatal(err)
		}
		_, n, ok := standin.Known(fp)
		if ok && n < 16<<20 {
			sample = append(sample, sized{r, fp, n})
		}
	}
	sort.Slice(sample, func(i, j int) bool { return sample[i].size > sample[j].size })
	if len(sample) > 12 {
		sample = sample[:12]
	}
	if len(sample) < 4 {
		t.Fatalf("sampled %d entries, want at least 4", len(sample))
	}
	for _, s := range sample {
		changes, _ := standin.Changes(s.img, s.i)
		d, n, err := standin.Measure(changes)
		if err != nil {
			t.Fatal(err)
		}
		wd, wn, _ := standin.Known(s.fp)
		if d != wd || n != wn {
			t.Errorf("%s layer %d: the table says %s (%d bytes), the bytes are %s (%d bytes): run `%s`", s.img.Name, s.i, wd, wn, d, n, regenerate)
		}
	}
}

func TestFingerprint(t *testing.T) {
	mt := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	base := func() *rootfs.FS {
		f := rootfs.New()
		must(t, f.MkdirAll("/usr/lib", 0o755, 0, 0, mt))
		must(t, f.WriteFile("/usr/lib/big", rootfs.Generated{Seed: 3, N: 1 << 30}, 0o644, 0, 0, mt))
		must(t, f.WriteFile("/etc-os", rootfs.Bytes("debian\n"), 0o644, 0, 0, mt))
		return f
	}
	fp := func(f *rootfs.FS) digest.Digest {
		d, err := standin.Fingerprint(rootfs.Diff(rootfs.New(), f))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	ref := fp(base())
	tests := []struct {
		name   string
		change func(f *rootfs.FS)
		same   bool
	}{
		{name: "same content, new snapshot", change: func(f *rootfs.FS) {}, same: true},
		{name: "sub-second mtime is not written", change: func(f *rootfs.FS) {
			must(t, f.WriteFile("/etc-os", rootfs.Bytes("debian\n"), 0o644, 0, 0, mt.Add(time.Millisecond)))
		}, same: true},
		{name: "generated seed", change: func(f *rootfs.FS) {
			must(t, f.WriteFile("/usr/lib/big", rootfs.Generated{Seed: 4, N: 1 << 30}, 0o644, 0, 0, mt))
		}},
		{name: "generated size", change: func(f *rootfs.FS) {
			must(t, f.WriteFile("/usr/lib/big", rootfs.Generated{Seed: 3, N: 1<<30 + 1}, 0o644, 0, 0, mt))
		}},
		{name: "small content", change: func(f *rootfs.FS) {
			must(t, f.WriteFile("/etc-os", rootfs.Bytes("debiaN\n"), 0o644, 0, 0, mt))
		}},
		{name: "mode", change: func(f *rootfs.FS) {
			e, _ := f.Lookup("/etc-os")
			c := e.Clone()
			c.Mode = 0o600
			must(t, f.Put("etc-os", c))
		}},
		{name: "owner", change: func(f *rootfs.FS) {
			e, _ := f.Lookup("/etc-os")
			c := e.Clone()
			c.GID = 1
			must(t, f.Put("etc-os", c))
		}},
		{name: "mtime", change: func(f *rootfs.FS) {
			must(t, f.WriteFile("/etc-os", rootfs.Bytes("debian\n"), 0o644, 0, 0, mt.Add(time.Second)))
		}},
		{name: "a name", change: func(f *rootfs.FS) { must(t, f.Rename("/etc-os", "/etc-os2")) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := base()
			tt.change(f)
			if got := fp(f); (got == ref) != tt.same {
				t.Errorf("fingerprint %s, unchanged one %s: same = %v, want %v", got, ref, got == ref, tt.same)
			}
		})
	}
}

// TestOpenVerifies: Open's stream is the layer's tar when the recipe still makes the
// recorded bytes, and ends in an error naming the layer and both digests when not.
func TestOpenVerifies(t *testing.T) {
	img, err := baseimage.Lookup("alpine:3.20")
	if err != nil {
		t.Fatal(err)
	}
	last := len(img.Layers) - 1
	changes, _ := standin.Changes(img, last)
	fp, _ := standin.Fingerprint(changes)
	d, n, err := standin.Measure(changes)
	if err != nil {
		t.Fatal(err)
	}
	r := standin.Recipe{StandIn: img.Name, Layer: last, Fingerprint: fp}
	if back, err := standin.ParseRecipe(r.Encode()); err != nil || back != r {
		t.Fatalf("ParseRecipe(Encode()) = %+v, %v; want %+v", back, err, r)
	}
	tests := []struct {
		name    string
		want    digest.Digest
		size    int64
		wantErr string
	}{
		{name: "recorded bytes", want: d, size: n},
		{name: "recorded digest differs", want: digest.FromString("other"), size: n, wantErr: digest.FromString("other").String()},
		{name: "recorded size smaller", want: d, size: n - 512, wantErr: "more than the recorded"},
		{name: "recorded size larger", want: d, size: n + 512, wantErr: d.String()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc, err := standin.Open(r, tt.want, tt.size)
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			got := digest.Canonical.Digester()
			_, err = io.Copy(got.Hash(), rc)
			if tt.wantErr == "" {
				if err != nil || got.Digest() != d {
					t.Fatalf("read %s, %v; want %s", got.Digest(), err, d)
				}
				return
			}
			if !errors.Is(err, standin.ErrMismatch) || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), img.Name) {
				t.Fatalf("error %v; want ErrMismatch naming %s and %q", err, img.Name, tt.wantErr)
			}
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
