package e2e

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"layerlab/internal/testenv"
)

// dockerCLI runs the real docker client (20.10, /usr/bin/docker) against the private
// daemon of scripts/dockerd-up; the test skips unless LAYERLAB_LIVE_DOCKER=1 (fails
// in CI: testenv).
func dockerCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("/usr/bin/docker", args...)
	cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+dockerConfig)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

var dockerConfig string

func needDocker(t *testing.T) {
	t.Helper()
	testenv.Need(t, os.Getenv("LAYERLAB_LIVE_DOCKER") == "1",
		"set LAYERLAB_LIVE_DOCKER=1 with a daemon from scripts/dockerd-up (scripts/test does)")
	testenv.Need(t, strings.Contains(os.Getenv("DOCKER_HOST"), "layerlab-dockerd"),
		"DOCKER_HOST is not scripts/dockerd-up's private daemon; not touching another daemon's images")
	_, err := os.Stat("/usr/bin/docker")
	testenv.Need(t, err == nil, "no docker client at /usr/bin/docker")
	dockerConfig = t.TempDir() // docker login writes here, not into ~/.docker
}

func layerlabCLI(t *testing.T, dataDir string, args ...string) string {
	t.Helper()
	out, err := exec.Command(binPath, append([]string{"--data-dir", dataDir}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("layerlab %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// layerlab pushes an image it built (FROM scratch, a static binary, ENV, WORKDIR, CMD)
// to its hub; a real Docker daemon pulls it from the running server and runs it: the
// binary prints what it prints, with the ENV and WORKDIR in effect, and docker's
// inspect and history agree with layerlab's. Then real Docker logs in with the
// workspace's token and pushes an image, and layerlab pulls it back: same ID, same
// history.
func TestDockerPushPullRunThroughHub(t *testing.T) {
	needDocker(t)
	srv := startServer(t)
	host := strings.TrimPrefix(srv.URL, "http://")

	// The image: a static Go binary that prints its environment and directory.
	ctxDir := t.TempDir()
	src := `package main

import (
	"fmt"
	"os"
)

func main() {
	wd, _ := os.Getwd()
	fmt.Printf("hello from layerlab: GREETING=%s cwd=%s\n", os.Getenv("GREETING"), wd)
}
`
	if err := os.WriteFile(filepath.Join(ctxDir, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	gobuild := exec.Command("go", "build", "-o", filepath.Join(ctxDir, "hello"), filepath.Join(ctxDir, "main.go"))
	gobuild.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if out, err := gobuild.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	os.Remove(filepath.Join(ctxDir, "main.go"))
	df := "FROM scratch\nCOPY hello /hello\nENV GREETING=hub\nWORKDIR /work\nCMD [\"/hello\"]\n"
	if err := os.WriteFile(filepath.Join(ctxDir, "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	layerlabCLI(t, srv.DataDir, "build", "-t", "demo:v1", ctxDir)
	f := strings.Fields(layerlabCLI(t, srv.DataDir, "hub", "token"))
	ns, token := f[0], f[1]
	// layerlab pushes to its own hub (a name without a host), in the same store the
	// running server answers /v2/ from.
	if out := layerlabCLI(t, srv.DataDir, "push", "demo:v1"); !strings.Contains(out, "v1: digest: sha256:") {
		t.Fatalf("layerlab push printed:\n%s", out)
	}

	remote := host + "/" + ns + "/demo:v1"
	t.Cleanup(func() { dockerCLI(t, "rmi", "-f", remote) })
	dockerCLI(t, "rmi", "-f", remote)
	if out, err := dockerCLI(t, "pull", remote); err != nil { // anonymous: pulls are open
		t.Fatalf("docker pull %s: %v\n%s\nserver log:\n%s", remote, err, out, srv.stderr.String())
	}
	out, err := dockerCLI(t, "run", "--rm", "--network", "none", remote)
	if err != nil || strings.TrimSpace(out) != "hello from layerlab: GREETING=hub cwd=/work" {
		t.Fatalf("docker run: %v\n%q", err, out)
	}
	raw, err := dockerCLI(t, "image", "inspect", "--format", "{{json .Config}}", remote)
	if err != nil {
		t.Fatalf("docker inspect: %v\n%s", err, raw)
	}
	var cfg struct {
		Env        []string
		Cmd        []string
		WorkingDir string
	}
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		t.Fatalf("inspect output %q: %v", raw, err)
	}
	if cfg.WorkingDir != "/work" || strings.Join(cfg.Cmd, " ") != "/hello" || !strings.Contains(strings.Join(cfg.Env, " "), "GREETING=hub") {
		t.Errorf("pulled config = %+v", cfg)
	}

	// docker history of the pulled image lists the steps layerlab's history lists.
	dh, err := dockerCLI(t, "history", "--no-trunc", "--format", "{{.CreatedBy}}", remote)
	if err != nil {
		t.Fatalf("docker history: %v\n%s", err, dh)
	}
	lh := layerlabCLI(t, srv.DataDir, "history", "--no-trunc", "--format", "{{.CreatedBy}}", "demo:v1")
	if dh != lh {
		t.Errorf("docker history:\n%s\nlayerlab history:\n%s", dh, lh)
	}

	// Real Docker logs in and pushes to the hub; layerlab pulls that image back over
	// HTTP and sees the same image: same ID, same history.
	pushed := host + "/" + ns + "/busybox:hub"
	t.Cleanup(func() { dockerCLI(t, "rmi", "-f", pushed) })
	for _, s := range [][]string{{"login", "-u", ns, "-p", token, host}, {"tag", "busybox:local", pushed}, {"push", pushed}} {
		if out, err := dockerCLI(t, s...); err != nil {
			t.Fatalf("docker %s: %v\n%s", strings.Join(s, " "), err, out)
		}
	}
	other := t.TempDir()
	if out := layerlabCLI(t, other, "pull", pushed); !strings.Contains(out, "Status: Downloaded newer image for "+pushed) {
		t.Fatalf("layerlab pull printed:\n%s", out)
	}
	did, _ := dockerCLI(t, "image", "inspect", "--format", "{{.Id}}", pushed)
	lid := layerlabCLI(t, other, "image", "inspect", "--format", "{{.Id}}", pushed)
	if strings.TrimSpace(did) != strings.TrimSpace(lid) || strings.TrimSpace(lid) == "" {
		t.Errorf("image ID: docker %q, layerlab %q", did, lid)
	}
	dh, _ = dockerCLI(t, "history", "--no-trunc", "--format", "{{.CreatedBy}} {{.Size}}", pushed)
	lh = layerlabCLI(t, other, "history", "--no-trunc", "--format", "{{.CreatedBy}} {{.Size}}", pushed)
	if dh != lh {
		t.Errorf("history of the pushed image: docker\n%s\nlayerlab\n%s", dh, lh)
	}

	// A wrong token fails docker login.
	if out, err := dockerCLI(t, "login", "-u", ns, "-p", "wrong-token", host); err == nil {
		t.Errorf("docker login with a wrong token succeeded:\n%s", out)
	}
}
