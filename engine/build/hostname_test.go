package build_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/build"
	"layerlab/engine/build/buildtest"
	"layerlab/engine/image"
)

// recordedStep is one row of testdata/hostname/*/recorded.txt: what Docker 20.10's
// classic builder wrote into one step's image config.
type recordedStep struct {
	hostname, container string
	cmd                 []string
}

func readRecorded(t *testing.T, path string) []recordedStep {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []recordedStep
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		parts := strings.SplitN(l, "|", 3)
		if len(parts) != 3 {
			t.Fatalf("%s: bad row %q", path, l)
		}
		row := recordedStep{hostname: parts[0], container: parts[1]}
		if err := json.Unmarshal([]byte(parts[2]), &row.cmd); err != nil {
			t.Fatalf("%s: row %q: %v", path, l, err)
		}
		out = append(out, row)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// contextOf reads a testdata folder as a build context. Modes are the recording's
// (0644 files, 0755 folders), not the checkout's, which follow its umask: COPY's file
// sums in container_config.Cmd take the mode in.
func contextOf(t *testing.T, dir, dockerfile string) *build.Context {
	t.Helper()
	var files []build.File
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if rel == "recorded.txt" || rel == "config.json" {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		f := build.File{Path: filepath.ToSlash(rel), Mode: 0o644, Dir: d.IsDir(), ModTime: fi.ModTime()}
		if d.IsDir() {
			f.Mode = 0o755
		}
		if !d.IsDir() {
			if f.Data, err = os.ReadFile(p); err != nil {
				return err
			}
		}
		if strings.HasPrefix(rel, "Dockerfile") {
			// The recordings' base is busybox:local; here it is the busybox stand-in.
			f.Data = []byte(strings.ReplaceAll(string(f.Data), "busybox:local", "busybox"))
		}
		files = append(files, f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := build.NewContext(files, dockerfile)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// builtChain is the images the build made above its base, oldest first, with the
// keys of their config JSON as stored (so an absent "container" shows).
type builtImage struct {
	keys map[string]json.RawMessage
	cc   image.ContainerConfig
}

func builtChain(t *testing.T, st *buildtest.Store, top digest.Digest) []builtImage {
	t.Helper()
	var out []builtImage
	for id := top; id != ""; {
		rec, err := st.Image(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Build == nil || rec.Build.Keyword == "FROM" {
			break // the base, pulled
		}
		raw, err := rec.RawConfig(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var b builtImage
		if err := json.Unmarshal(raw, &b.keys); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b.keys["container_config"], &b.cc); err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
		id = rec.Parent
	}
	slices.Reverse(out)
	return out
}

var (
	maskID      = regexp.MustCompile(`sha256:[0-9a-f]{64}`)
	maskHost    = regexp.MustCompile(`"Hostname":"[0-9a-f]{12}"`)
	maskCID     = regexp.MustCompile(`"[0-9a-f]{64}"`)
	maskCreated = regexp.MustCompile(`"created":"[^"]*"`)
)

func maskConfig(b []byte) string {
	s := maskID.ReplaceAllString(string(b), "sha256:<ID>")
	s = maskHost.ReplaceAllString(s, `"Hostname":"<HOST>"`)
	s = maskCID.ReplaceAllString(s, `"<CONTAINER>"`)
	return maskCreated.ReplaceAllString(s, `"created":"<TIME>"`)
}

// checkConfigBytes compares the built image's config JSON with Docker's (config.json,
// the config file of `docker save`), byte for byte with IDs, times and the container's
// Hostname masked: the given top-level keys, and the history rows the Dockerfile added
// (Docker's base, busybox:local, has one row; the busybox stand-in has others). The
// image ID is the digest of these bytes, so order and omitted fields count.
func checkConfigBytes(t *testing.T, st *buildtest.Store, id digest.Digest, dockerPath string, keys []string) {
	t.Helper()
	want, err := os.ReadFile(dockerPath)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := st.Image(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	got, err := rec.RawConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var g, w map[string]json.RawMessage
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if maskConfig(g[k]) != maskConfig(w[k]) {
			t.Errorf("%q:\n got %s\nwant %s (Docker's)", k, maskConfig(g[k]), maskConfig(w[k]))
		}
	}
	var gh, wh []json.RawMessage
	if err := json.Unmarshal(g["history"], &gh); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(w["history"], &wh); err != nil {
		t.Fatal(err)
	}
	wh = wh[1:] // busybox:local's own row
	if len(gh) < len(wh) {
		t.Fatalf("%d history rows, Docker added %d", len(gh), len(wh))
	}
	gh = gh[len(gh)-len(wh):]
	for i := range wh {
		if maskConfig(gh[i]) != maskConfig(wh[i]) {
			t.Errorf("history row %d:\n got %s\nwant %s (Docker's)", i+1, maskConfig(gh[i]), maskConfig(wh[i]))
		}
	}
}

// TestContainerHostnameAsDocker: Docker 20.10's classic builder leaves a container's ID
// in a step's image ("container") and its first 12 characters in container_config.Hostname
// only for steps it commits from the container it created with that very config: the
// metadata steps, WORKDIR and ARG. RUN has a container but commits the cache probe's
// config (Hostname ""); COPY and ADD have no container at all (no "container", Hostname
// ""). The image ID is the digest of these bytes. Recorded with a 20.10.24 daemon, each
// step's image inspected (testdata/hostname/*/recorded.txt) and the last one's config
// saved (config.json); ONBUILD triggers follow the same rule as the instruction they
// run. The same recordings show MAINTAINER's author in every later history row of its
// stage ("author" before "created_by") and no author taken from the base image.
func TestContainerHostnameAsDocker(t *testing.T) {
	tests := []struct {
		name string
		dir  string
		// parentTag, when set: Dockerfile.parent is built first and tagged so.
		parentTag string
		// recorded: the folder has recorded.txt, every step's image inspected.
		recorded bool
		// configKeys: the top-level keys of config.json compared (history always).
		configKeys []string
	}{
		{name: "every instruction", dir: "testdata/hostname/all", recorded: true,
			configKeys: []string{"author", "config", "container", "container_config"}},
		{name: "onbuild triggers", dir: "testdata/hostname/onbuild", parentTag: "h14c", recorded: true},
		// The base's config differs here (busybox:local has no Cmd, the stand-in has sh).
		{name: "maintainer not inherited", dir: "testdata/hostname/maintainer", parentTag: "h14p",
			configKeys: []string{"author", "container"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := buildtest.New()
			b := build.New(st, build.StandIns{})
			clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			b.Now = func() time.Time { clock = clock.Add(time.Second); return clock }
			if tt.parentTag != "" {
				c := contextOf(t, tt.dir, "Dockerfile.parent")
				if _, err := b.Build(context.Background(), c, build.Options{Tags: []string{tt.parentTag}}); err != nil {
					t.Fatalf("build parent: %v", err)
				}
			}
			c := contextOf(t, tt.dir, "")
			res, err := b.Build(context.Background(), c, build.Options{Tags: []string{"h14"}})
			if err != nil {
				t.Fatalf("build: %v", err)
			}
			if tt.configKeys != nil {
				checkConfigBytes(t, st, res.Image, filepath.Join(tt.dir, "config.json"), tt.configKeys)
			}
			if !tt.recorded {
				return
			}
			want := readRecorded(t, filepath.Join(tt.dir, "recorded.txt"))
			got := builtChain(t, st, res.Image)
			if len(got) != len(want) {
				t.Fatalf("%d images above the base, Docker made %d", len(got), len(want))
			}
			for i, w := range want {
				g := got[i]
				step := strings.Join(w.cmd, " ")
				// The same step on both sides: its command, file sums included.
				if !slices.Equal(g.cc.Cmd, w.cmd) {
					t.Fatalf("image %d: container_config.Cmd %q, Docker's %q", i+1, g.cc.Cmd, w.cmd)
				}
				var container string
				if raw, ok := g.keys["container"]; ok {
					if err := json.Unmarshal(raw, &container); err != nil {
						t.Fatal(err)
					}
					if container == "" {
						t.Errorf("%s: \"container\" is there but empty; Docker leaves it out (omitempty)", step)
					}
				}
				if (container == "") != (w.container == "") {
					t.Errorf("%s: container %q, Docker's %q (want it set: %v)", step, container, w.container, w.container != "")
				}
				wantHost := ""
				if w.hostname != "" {
					if !strings.HasPrefix(w.container, w.hostname) || len(w.hostname) != 12 {
						t.Fatalf("%s: recorded Hostname %q is not its container %q's prefix", step, w.hostname, w.container)
					}
					if len(container) >= 12 {
						wantHost = container[:12]
					} else {
						wantHost = "<container's first 12 characters>"
					}
				}
				if g.cc.Hostname != wantHost {
					t.Errorf("%s: container_config.Hostname %q, want %q (Docker's was %q)", step, g.cc.Hostname, wantHost, w.hostname)
				}
			}
		})
	}
}
