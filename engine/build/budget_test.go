package build_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"layerlab/engine/build"
)

// plainTar is a tar (no compression) of one file of n bytes of data.
func plainTar(t *testing.T, name string, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Size: int64(len(data)), Mode: 0o644}); err != nil {
		t.Fatal(err)
	}
	tw.Write(data)
	tw.Close()
	return buf.Bytes()
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	gz.Write(b)
	gz.Close()
	return buf.Bytes()
}

func noise(n int) []byte {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// TestAddUnpackBudget: the bytes a build's ADD archives unpack to are one allowance for
// the whole build (four ADDs of the same archive spend it four times), and an archive
// whose data inflates like a bomb is refused, for gzip and bzip2 alike; at the bound
// the build succeeds.
func TestAddUnpackBudget(t *testing.T) {
	one := plainTar(t, "a", noise(100<<10))
	bz, err := os.ReadFile("testdata/zeros-4mib.tar.bz2") // bzip2 -9 of a tar of 4 MiB of zeros: 117 bytes
	if err != nil {
		t.Fatal(err)
	}
	zeros := gzipped(t, plainTar(t, "zeros", make([]byte, 4<<20)))
	noisy := gzipped(t, plainTar(t, "noise", noise(2<<20)))
	four := "FROM busybox\nADD x.tar /a/\nADD x.tar /b/\nADD x.tar /c/\nADD x.tar /d/\n"
	tests := []struct {
		name    string
		files   map[string]string
		budget  build.Budget
		wantErr string // "" when the build must succeed
		line    int
	}{
		{name: "four ADDs at the build's bound", files: map[string]string{"Dockerfile": four, "x.tar": string(one)},
			budget: build.Budget{MaxUnpack: 4 * int64(len(one))}},
		{name: "four ADDs one byte past the build's bound", files: map[string]string{"Dockerfile": four, "x.tar": string(one)},
			budget: build.Budget{MaxUnpack: 4*int64(len(one)) - 1}, line: 5,
			wantErr: "this build's ADD archives unpack to more than 415743 bytes together, layerlab's limit per build (Docker has none)"},
		{name: "an entry larger than what is left fails before it is read", files: map[string]string{"Dockerfile": four, "x.tar": string(one)},
			budget: build.Budget{MaxUnpack: int64(len(one)) + 1000}, line: 3, wantErr: "layerlab's limit per build"},
		{name: "bzip2 bomb", files: map[string]string{"Dockerfile": "FROM busybox\nADD z.tar.bz2 /d/\n", "z.tar.bz2": string(bz)},
			budget: build.Budget{RatioFloor: 1 << 20, MaxRatio: 1000}, line: 2,
			wantErr: "bzip2 data of 117 bytes inflates to more than 1 MiB, over 1000 times its size: layerlab refuses it as a decompression bomb (Docker has no such limit)"},
		{name: "bzip2 at the ratio's floor", files: map[string]string{"Dockerfile": "FROM busybox\nADD z.tar.bz2 /d/\n", "z.tar.bz2": string(bz)},
			budget: build.Budget{RatioFloor: 8 << 20, MaxRatio: 1000}},
		{name: "bzip2 bombs share the build's allowance", files: map[string]string{"Dockerfile": "FROM busybox\nADD z.tar.bz2 /a/\nADD z.tar.bz2 /b/\n", "z.tar.bz2": string(bz)},
			budget: build.Budget{RatioFloor: 8 << 20, MaxUnpack: 6 << 20}, line: 3, wantErr: "more than 6 MiB together, layerlab's limit per build"},
		{name: "gzip bomb", files: map[string]string{"Dockerfile": "FROM busybox\nADD z.tgz /d/\n", "z.tgz": string(zeros)},
			budget: build.Budget{RatioFloor: 1 << 20, MaxRatio: 100}, line: 2, wantErr: "gzip data of"},
		{name: "gzip of incompressible data is no bomb", files: map[string]string{"Dockerfile": "FROM busybox\nADD n.tgz /d/\n", "n.tgz": string(noisy)},
			budget: build.Budget{RatioFloor: 1 << 20, MaxRatio: 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.files)
			_, _, err := h.build(build.Options{Budget: tc.budget})
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("build: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("built; want an error")
			}
			if !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, build.ErrBudget) {
				t.Fatalf("error %q, want ErrBudget and %q", err, tc.wantErr)
			}
			var se *build.StepError
			if !errors.As(err, &se) || se.Line != tc.line {
				t.Errorf("error at %+v, want line %d", se, tc.line)
			}
		})
	}
}

// TestLayerDepth: an image holds at most build.MaxLayerDepth layers, as Docker's layer
// store: at the bound, steps that change no files still succeed (they add no layer);
// one more layer fails the step with Docker's "max depth exceeded" and layerlab's hint.
func TestLayerDepth(t *testing.T) {
	var df strings.Builder
	df.WriteString("FROM busybox\n") // the stand-in's one layer
	for i := 1; i < build.MaxLayerDepth; i++ {
		fmt.Fprintf(&df, "RUN touch /f%d\n", i)
	}
	atBound := df.String() + "RUN true\nENV A=1\n"
	past := atBound + "RUN touch /one-more\n"
	t.Run("at the bound", func(t *testing.T) {
		h := newHarness(t, map[string]string{"Dockerfile": atBound})
		res := h.mustBuild(build.Options{})
		rec, err := h.st.Lookup(context.Background(), res.Image.String())
		if err != nil {
			t.Fatal(err)
		}
		if len(rec.Layers) != build.MaxLayerDepth {
			t.Fatalf("%d layers, want %d", len(rec.Layers), build.MaxLayerDepth)
		}
	})
	t.Run("one layer past it", func(t *testing.T) {
		h := newHarness(t, map[string]string{"Dockerfile": past})
		_, _, err := h.build(build.Options{})
		var se *build.StepError
		if !errors.As(err, &se) || !errors.Is(err, build.ErrMaxDepth) || err.Error() != "max depth exceeded" {
			t.Fatalf("error %v, want Docker's max depth exceeded", err)
		}
		if want := build.MaxLayerDepth + 3; se.Line != want || !strings.Contains(se.Hint, "at most 125 layers") {
			t.Errorf("line %d hint %q, want line %d and the limit", se.Line, se.Hint, want)
		}
	})
}

// TestRunWrittenBudget: what a build's RUN steps leave in their layers is one allowance
// for the build: each RUN may write what is left of it, and a RUN after it is spent
// fails before it runs. At the bound the build succeeds.
func TestRunWrittenBudget(t *testing.T) {
	two := "FROM busybox\nRUN head -c 524288 /dev/zero > /a\nRUN head -c 524288 /dev/zero > /b\n"
	tests := []struct {
		name    string
		df      string
		max     int64
		wantErr string
		line    int
	}{
		{name: "two RUNs at the bound", df: two, max: 1 << 20},
		{name: "two RUNs one byte past it", df: two, max: 1<<20 - 1, line: 3,
			wantErr: "the rest of this build's allowance: its earlier RUN steps wrote 512 KiB into their layers, and layerlab's limit per build is 1048575 bytes (Docker has none)"},
		{name: "a RUN after the allowance is spent does not run", df: two + "RUN echo never\n", max: 1 << 20, line: 4,
			wantErr: "this build's RUN steps wrote 1 MiB into their layers, layerlab's limit per build (Docker has none)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, map[string]string{"Dockerfile": tc.df})
			_, evs, err := h.build(build.Options{Budget: build.Budget{MaxWritten: tc.max}})
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("build: %v", err)
				}
				return
			}
			if err == nil || !errors.Is(err, build.ErrBudget) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want ErrBudget and %q", err, tc.wantErr)
			}
			var se *build.StepError
			if !errors.As(err, &se) || se.Line != tc.line {
				t.Errorf("error at %+v, want line %d", se, tc.line)
			}
			for _, e := range evs {
				if e.Text == "never" {
					t.Error("the RUN past the allowance ran")
				}
			}
		})
	}
}

// TestAddCompressions: ADD extracts what Docker 20.10's ADD extracts (plain, gzip,
// bzip2, xz) and copies a zstd tar as it is (zstd came to ADD later); an xz archive's
// headers are checked before it is inflated: its dictionary, and what its index says it
// inflates to, against the build's allowance and the bomb ratio.
func TestAddCompressions(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	tests := []struct {
		name    string
		file    string
		budget  build.Budget
		want    string // a path the ADD must make
		wantErr string
	}{
		{name: "xz is extracted", file: "hello.tar.xz", want: "/d/x/a.txt"},
		{name: "zstd is copied as it is", file: "hello.tar.zst", want: "/d/hello.tar.zst"},
		// GNU tar wrote 4 MiB of zeros as 4198400 bytes (a 10240-byte record); reading
		// it takes 4195840 (the header, the data, the two end blocks).
		{name: "bzip2 at the bound", file: "zeros-4mib.tar.bz2", budget: build.Budget{MaxUnpack: 4195840}, want: "/d/zeros"},
		{name: "bzip2 one byte past the bound", file: "zeros-4mib.tar.bz2", budget: build.Budget{MaxUnpack: 4195839},
			wantErr: "this build's ADD archives unpack to more than 4195839 bytes together"},
		{name: "xz at the bound", file: "zeros-4mib.tar.xz", budget: build.Budget{MaxUnpack: 4198400}, want: "/d/zeros"},
		{name: "xz one byte past the bound, told by its index", file: "zeros-4mib.tar.xz", budget: build.Budget{MaxUnpack: 4198399},
			wantErr: "its index says it unpacks to 4198400 bytes: build budget exceeded: this build's ADD archives unpack to more than 4198399 bytes together"},
		{name: "xz bomb", file: "zeros-4mib.tar.xz", budget: build.Budget{RatioFloor: 1 << 20, MaxRatio: 1000},
			wantErr: "xz data of 808 bytes inflates to 4198400, over 1000 times its size: layerlab refuses it as a decompression bomb"},
		{name: "xz with a 128 MiB dictionary", file: "dict128m.tar.xz", wantErr: "its LZMA2 dictionary is 128 MiB, past layerlab's limit of 64 MiB"},
		{name: "xz of two streams is refused, not copied", file: "two-streams.tar.xz", wantErr: "layerlab extracts xz archives of one stream"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			df := "FROM busybox\nADD " + tc.file + " /d/\nRUN test -e " + tc.want + "\n"
			h := newHarness(t, map[string]string{"Dockerfile": df, tc.file: read(tc.file)})
			_, _, err := h.build(build.Options{Budget: tc.budget})
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("build: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
		})
	}
}

// TestRunOutputAndTimeBudget: what a build's RUN steps print is one allowance for the
// build (seq 1 100000 prints 588895 bytes), and no step starts once the build has run
// past its time limit.
func TestRunOutputAndTimeBudget(t *testing.T) {
	two := "FROM busybox\nRUN seq 1 100000\nRUN seq 1 100000\n"
	tests := []struct {
		name    string
		df      string
		budget  build.Budget
		wantErr string
		line    int
	}{
		{name: "output at the bound", df: two, budget: build.Budget{MaxOutput: 2 * 588895}},
		{name: "output one byte past it", df: two, budget: build.Budget{MaxOutput: 2*588895 - 1}, line: 3,
			wantErr: "the rest of this build's allowance: its earlier RUN steps printed 588895 bytes, and layerlab's limit per build is 1177789 bytes (Docker has none)"},
		{name: "a RUN after the output allowance is spent does not run", df: two + "RUN echo never\n", budget: build.Budget{MaxOutput: 2 * 588895}, line: 4,
			wantErr: "this build's RUN steps printed 1177790 bytes, layerlab's limit per build (Docker has none)"},
		{name: "no step starts past the time limit", df: "FROM busybox\nENV A=1\nRUN echo never\n", budget: build.Budget{MaxTime: time.Nanosecond}, line: 2,
			wantErr: "past layerlab's limit of 1ns per build (Docker has none)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, map[string]string{"Dockerfile": tc.df})
			_, evs, err := h.build(build.Options{Budget: tc.budget})
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("build: %v", err)
				}
				return
			}
			if err == nil || !errors.Is(err, build.ErrBudget) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want ErrBudget and %q", err, tc.wantErr)
			}
			var se *build.StepError
			if !errors.As(err, &se) || se.Line != tc.line {
				t.Errorf("error at %+v, want line %d", se, tc.line)
			}
			for _, e := range evs {
				if e.Text == "never" {
					t.Error("a step past the budget ran")
				}
			}
		})
	}
}

// TestConfigAndWordBounds: ENV A=$A$A stops at the word bound, with the line; values
// that each fit but add up stop at the config bound before the image is stored.
func TestConfigAndWordBounds(t *testing.T) {
	var doubling strings.Builder
	doubling.WriteString("FROM busybox\nENV A=xxxxxxxxxxxxxxxx\n")
	for range 40 {
		doubling.WriteString("ENV A=$A$A\n")
	}
	var adding strings.Builder
	adding.WriteString("FROM busybox\nENV A=" + strings.Repeat("x", 60<<10) + "\n")
	for i := range 20 {
		fmt.Fprintf(&adding, "ENV B%d=$A\n", i)
	}
	tests := []struct {
		name    string
		df      string
		wantErr string
		line    int
	}{
		{name: "a doubling ENV", df: doubling.String(), line: 14, // A is 32 KiB after line 13
			wantErr: "\"$A$A\" would expand to as much as 65540 bytes, past layerlab's limit of 64 KiB for one argument (Docker has none)"},
		{name: "values adding up", df: adding.String(), line: 7, // each ENV B copies 60 KiB into Env, ContainerConfig.Env and Cmd, and a history row
			wantErr: "past layerlab's limit of 1 MiB per image (Docker has none)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, map[string]string{"Dockerfile": tc.df})
			_, _, err := h.build(build.Options{})
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
			var se *build.StepError
			if !errors.As(err, &se) || se.Line != tc.line {
				t.Errorf("error at line %d, want line %d", se.Line, tc.line)
			}
		})
	}
}
