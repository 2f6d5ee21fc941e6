package commands

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"layerlab/engine/build/buildtest"
	"layerlab/internal/testenv"
)

// TestLiveLoadDockerSave: an image saved by a real Docker 20.10 (scripts/dockerd-up's
// busybox:local) loads into layerlab, and layerlab's history and inspect print what
// Docker prints for it. Skipped unless LAYERLAB_LIVE_DOCKER=1 (with DOCKER_HOST),
// and failed instead in CI (testenv).
func TestLiveLoadDockerSave(t *testing.T) {
	const cli = "/usr/bin/docker"
	testenv.Need(t, os.Getenv("LAYERLAB_LIVE_DOCKER") != "",
		"no live Docker daemon (set LAYERLAB_LIVE_DOCKER=1 with DOCKER_HOST; scripts/dockerd-up starts one)")
	_, err := os.Stat(cli)
	testenv.Need(t, err == nil, "no docker client at "+cli)
	docker := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(cli, args...).Output()
		if err != nil {
			t.Fatalf("docker %v: %v", args, err)
		}
		return string(out)
	}
	// busybox:local (imported: one layer) and an image the daemon's classic builder made
	// on it (history rows without a layer, <missing> rows, a COPY layer).
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM busybox:local\nENV A=1\nCOPY f /app/f\nLABEL k=v\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "f"), []byte("hello\n"), 0o644)
	built := "layerlab-live-load:" + time.Now().Format("150405")
	cmd := exec.Command(cli, "build", "-q", "-t", built, dir)
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("docker build: %v: %s", err, out)
	}
	t.Cleanup(func() { exec.Command(cli, "rmi", built).Run() })
	for _, ref := range []string{"busybox:local", built} {
		t.Run(ref, func(t *testing.T) { liveLoadCompare(t, docker, ref, ref == built) })
	}
}

// liveLoadCompare saves ref from Docker and loads it into layerlab. With reload, Docker
// too gets the image back from the archive (rmi, then load), so both have the image
// without its build's intermediate images, as a load gives it: Parent "" and
// <missing> history rows.
func liveLoadCompare(t *testing.T, docker func(...string) string, ref string, reload bool) {
	tarPath := filepath.Join(t.TempDir(), "image.tar")
	docker("save", "-o", tarPath, ref)
	if reload {
		docker("rmi", ref)
		if out := docker("load", "-i", tarPath); out != "Loaded image: "+ref+"\n" {
			t.Fatalf("docker load printed %q", out)
		}
	}

	st := buildtest.New()
	run := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		env := &Env{Store: st, Stdout: &out, Stderr: &errb, Now: time.Now}
		if code, _ := Run(context.Background(), env, args); code != 0 {
			t.Fatalf("layerlab %v: exit %d: %s", args, code, errb.String())
		}
		return out.String()
	}
	if out := run("load", "-i", tarPath); out != "Loaded image: "+ref+"\n" {
		t.Fatalf("load printed %q", out)
	}

	// history: IDs, CREATED BY, SIZE and COMMENT equal; CREATED is relative to each
	// side's clock, so it is compared only through the --format columns that are not.
	const f = "{{.ID}}|{{.CreatedAt}}|{{.CreatedBy}}|{{.Size}}|{{.Comment}}"
	for _, args := range [][]string{{"history", "--format", f, ref}, {"history", "--no-trunc", "--format", f, ref}, {"history", "-H=false", ref}} {
		if got, want := run(args...), docker(args...); got != want {
			t.Errorf("%v:\nlayerlab %q\ndocker   %q", args, got, want)
		}
	}
	created := regexp.MustCompile(`  +`)
	table := func(s string) [][]string {
		var rows [][]string
		for _, line := range strings.Split(strings.TrimSpace(s), "\n") {
			cols := created.Split(line, -1)
			rows = append(rows, append(cols[:1:1], cols[2:]...)) // drop CREATED
		}
		return rows
	}
	if got, want := run("history", ref), docker("history", ref); !reflect.DeepEqual(table(got), table(want)) {
		t.Errorf("history table:\nlayerlab %q\ndocker   %q", got, want)
	}

	// inspect: the fields that describe the image (GraphDriver and Metadata describe the
	// daemon's storage and when it tagged).
	var ours, theirs []map[string]any
	if err := json.Unmarshal([]byte(run("image", "inspect", ref)), &ours); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(docker("image", "inspect", ref)), &theirs); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"Id", "RepoTags", "RepoDigests", "Parent", "Comment", "Created", "Container", "ContainerConfig",
		"DockerVersion", "Author", "Config", "Architecture", "Variant", "Os", "OsVersion", "Size", "VirtualSize", "RootFS"} {
		if !reflect.DeepEqual(ours[0][k], theirs[0][k]) {
			t.Errorf("inspect %s: layerlab %v, docker %v", k, ours[0][k], theirs[0][k])
		}
	}
}
