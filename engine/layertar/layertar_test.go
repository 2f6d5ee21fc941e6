package layertar_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"layerlab/engine/layertar"
	"layerlab/engine/rootfs"
)

var (
	errInvalid = errors.New("invalid")
	errLarge   = errors.New("too large")
	errBomb    = errors.New("bomb")
)

func checker() *layertar.Checker {
	return &layertar.Checker{Limits: layertar.Limits{MaxLayerBytes: 1 << 20, MaxEntries: 10, MaxRatio: 10, RatioFloor: 64 << 10},
		ErrInvalid: errInvalid, ErrTooLarge: errLarge, ErrBomb: errBomb}
}

type file struct {
	name, link string
	typ        byte
	body       string
}

func mkTar(files ...file) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Linkname: f.link, Typeflag: f.typ, Mode: 0o644, Size: int64(len(f.body))}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag != tar.TypeReg {
			h.Size = 0
		}
		tw.WriteHeader(h)
		io.WriteString(tw, f.body)
	}
	tw.Close()
	return buf.Bytes()
}

// Scan sizes a layer as Docker does and words each refusal with the caller's errors.
func TestScan(t *testing.T) {
	c := checker()
	info, err := c.Scan(bytes.NewReader(mkTar(file{name: "a", body: "12345"}, file{name: "l", typ: tar.TypeSymlink, link: "a"})), nil)
	if err != nil || info.Size != 6 {
		t.Fatalf("size %+v %v, want 5 bytes of a + 1 of the link target", info, err)
	}
	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"trailing bytes", append(mkTar(file{name: "a", body: "x"}), 'x'), errInvalid},
		{"absolute name", mkTar(file{name: "/etc/passwd", body: "x"}), rootfs.ErrUnsafePath},
		{"dot-dot", mkTar(file{name: "a/../../x", body: "x"}), rootfs.ErrUnsafePath},
		{"hard link out", mkTar(file{name: "h", typ: tar.TypeLink, link: "../x"}), rootfs.ErrUnsafePath},
		{"too many entries", mkTar(file{name: "0"}, file{name: "1"}, file{name: "2"}, file{name: "3"}, file{name: "4"}, file{name: "5"}, file{name: "6"}, file{name: "7"}, file{name: "8"}, file{name: "9"}, file{name: "10"}), errLarge},
		{"not a tar", []byte("hello, this is not a tar at all, but it is long enough to be read as a header block? no" + string(make([]byte, 512))), errInvalid},
	} {
		if _, err := c.Scan(bytes.NewReader(tc.data), nil); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	// A file named ..x is a name like any other.
	if _, err := layertar.CleanName("..x/y"); err != nil {
		t.Errorf("..x/y: %v", err)
	}
}

// Guard counts what gzip reads, not what it returns: ordinary data passes the floor,
// zeros past it are a bomb.
func TestGuard(t *testing.T) {
	c := checker()
	inflate := func(data []byte) error {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(data)
		zw.Close()
		in := &layertar.Counter{R: &z}
		zr, err := gzip.NewReader(in)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, c.Guard(zr, in, c.MaxLayerBytes))
		return err
	}
	noise := make([]byte, 256<<10)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range noise {
		noise[i] = byte(rng.Uint32())
	}
	if err := inflate(noise); err != nil {
		t.Errorf("256 KiB of noise: %v", err)
	}
	if err := inflate(make([]byte, 256<<10)); !errors.Is(err, errBomb) {
		t.Errorf("256 KiB of zeros: %v, want the bomb error", err)
	}
}

// CheckStack names the layer that fails rootfs.Apply's checks.
func TestCheckStack(t *testing.T) {
	c := checker()
	scan := func(data []byte) *layertar.Info {
		info, err := c.Scan(bytes.NewReader(data), nil)
		if err != nil {
			t.Fatal(err)
		}
		return info
	}
	base := scan(mkTar(file{name: "etc", typ: tar.TypeSymlink, link: "/"}))
	write := scan(mkTar(file{name: "etc/passwd", body: "x"}))
	var passed []int
	err := c.CheckStack([]*layertar.Info{base, write}, func(i int) { passed = append(passed, i) })
	var se *layertar.StackError
	if !errors.As(err, &se) || se.Layer != 2 || len(passed) != 1 {
		t.Errorf("write through a symlink: %v (passed %v), want layer 2 to fail", err, passed)
	}
}

func TestLimitsWithDefaults(t *testing.T) {
	d := layertar.DefaultLimits
	tests := []struct {
		name string
		in   layertar.Limits
		want layertar.Limits
	}{
		{name: "zero takes every default", want: d},
		{name: "a set field stays", in: layertar.Limits{MaxLayers: 3, RatioFloor: 1},
			want: func() layertar.Limits { w := d; w.MaxLayers, w.RatioFloor = 3, 1; return w }()},
		{name: "negative takes the default", in: layertar.Limits{MaxManifestBytes: -1}, want: d},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.in.WithDefaults(); got != tc.want {
				t.Errorf("WithDefaults() = %+v, want %+v", got, tc.want)
			}
		})
	}
}
