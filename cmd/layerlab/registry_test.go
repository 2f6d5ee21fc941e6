package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"layerlab/internal/testenv"
)

// The registry tests run layerlab against a real distribution registry (Debian's
// docker-registry, started on loopback by scripts/docker-registry-up) and compare
// what it prints with what Docker 20.10 printed in the same situations
// (testdata/registry, recorded by testdata/registry/record.sh).

// startRegistry starts a docker-registry for the test and returns its address. It
// skips when docker-registry is not installed, except in CI (CI set), where the
// script installs it.
func startRegistry(t *testing.T, args ...string) string {
	t.Helper()
	ci := testenv.InCI()
	if _, err := exec.LookPath("docker-registry"); err != nil && !ci {
		t.Skip("docker-registry is not installed; scripts/docker-registry-up installs it (as root), and does in CI")
	}
	if len(args) > 0 {
		if _, err := exec.LookPath("htpasswd"); err != nil && !ci {
			t.Skip("htpasswd (apache2-utils) is not installed; scripts/docker-registry-up --htpasswd installs it (as root), and does in CI")
		}
	}
	dir := t.TempDir()
	cmd := exec.Command(filepath.Join("..", "..", "scripts", "docker-registry-up"), args...)
	cmd.Env = append(os.Environ(), "LAYERLAB_REGISTRY_DIR="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("scripts/docker-registry-up: %v\n%s", err, stderr.String())
	}
	t.Cleanup(func() {
		b, err := os.ReadFile(filepath.Join(dir, "pid"))
		if err != nil {
			return
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			return
		}
		syscall.Kill(pid, syscall.SIGTERM)
		for i := 0; i < 100 && syscall.Kill(pid, 0) == nil; i++ {
			time.Sleep(20 * time.Millisecond)
		}
	})
	return strings.TrimSpace(string(out))
}

// runIO runs the CLI in-process with stdin and returns stdout, stderr and the error.
func runIO(t *testing.T, data, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	env := func(k string) string {
		if k == "LAYERLAB_DATA" {
			return data
		}
		return ""
	}
	err := run(context.Background(), args, env, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), err
}

// transcript is what a terminal shows of a command: stdout, then its stderr and the
// error main prints (Docker's recordings are 2>&1).
func transcript(stdout, stderr string, err error) string {
	s := stdout + stderr
	if err != nil && err.Error() != "" {
		s += err.Error() + "\n"
	}
	return s
}

var (
	reLayerLine = regexp.MustCompile(`(?m)^[0-9a-f]{12}: `)
	reDigest    = regexp.MustCompile(`sha256:[0-9a-f]{64}`)
	reSize      = regexp.MustCompile(`size: \d+`)
)

// normalise replaces what differs by nature between two runs: registry addresses,
// layer IDs, digests, manifest sizes; and drops Docker's racy "Verifying Checksum"
// lines (its progress broadcaster drops some status updates).
func normalise(s string, addrs map[string]string) string {
	for addr, name := range addrs {
		s = strings.ReplaceAll(s, addr, name)
	}
	s = reLayerLine.ReplaceAllString(s, "<layer>: ")
	s = reDigest.ReplaceAllString(s, "sha256:<digest>")
	s = reSize.ReplaceAllString(s, "size: <n>")
	var keep []string
	for _, l := range strings.SplitAfter(s, "\n") {
		if l != "<layer>: Verifying Checksum\n" {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "")
}

// checkDocker compares got with the recorded Docker text name, both normalised.
func checkDocker(t *testing.T, name, got string, addrs map[string]string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "registry", name+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	// The recordings name a second repository "two" where these tests use one.
	want := normalise(string(b), map[string]string{"team/two": "team/app"})
	if g := normalise(got, addrs); g != want {
		t.Errorf("%s: layerlab printed\n%s\nDocker printed\n%s\n(normalised)", name, g, want)
	}
}

func TestRegistryPushPull(t *testing.T) {
	a := startRegistry(t)
	addrs := map[string]string{a: "REGISTRY"}
	app := a + "/team/app"
	data1, data2 := t.TempDir(), t.TempDir()
	bctx := writeFiles(t, map[string]string{
		"Dockerfile": "FROM busybox\nCOPY app.txt /app/\nRUN echo hi > /hi.txt\n",
		"app.txt":    "v1\n",
	})
	if out, err := layerlab(t, data1, "build", "-q", "-t", app+":1", bctx); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	step := func(name, data string, wantCode int, args ...string) string {
		t.Helper()
		out, errs, err := runIO(t, data, "", args...)
		if exitCode(err) != wantCode {
			t.Fatalf("%s: layerlab %s: exit %d (%v), want %d\n%s", name, strings.Join(args, " "), exitCode(err), err, wantCode, out)
		}
		got := transcript(out, errs, err)
		checkDocker(t, name, got, addrs)
		return got
	}

	pushed := step("push-new", data1, 0, "push", app+":1")
	step("push-again", data1, 0, "push", app+":1")
	step("pull-new", data2, 0, "pull", app+":1")
	step("pull-uptodate", data2, 0, "pull", app+":1")
	step("pull-missing-tag", data2, 1, "pull", app+":nope")
	step("pull-missing-repo", data2, 1, "pull", a+"/team/nothere:1")
	step("pull-notag", data2, 1, "pull", app)
	step("push-notag", data1, 1, "push", app)
	step("push-no-image", data1, 1, "push", a+"/team/nothere:1")

	// The pulled image is the pushed one: same ID, config, layers, history.
	const histFormat = "{{.ID}}|{{.CreatedAt}}|{{.CreatedBy}}|{{.Size}}|{{.Comment}}"
	hist1, _ := layerlab(t, data1, "history", "--no-trunc", "--format", histFormat, app+":1")
	hist2, _ := layerlab(t, data2, "history", "--no-trunc", "--format", histFormat, app+":1")
	if h1, h2 := historyRows(hist1), historyRows(hist2); h1 != h2 {
		t.Errorf("history differs:\n%s\npulled:\n%s", hist1, hist2)
	}
	insp1, _ := layerlab(t, data1, "inspect", app+":1")
	insp2, _ := layerlab(t, data2, "inspect", app+":1")
	if i1, i2 := inspectWithoutLocal(t, insp1), inspectWithoutLocal(t, insp2); i1 != i2 {
		t.Errorf("inspect differs:\n%s\npulled:\n%s", i1, i2)
	}
	if !strings.Contains(insp2, app+"@sha256:") {
		t.Errorf("the pulled image has no RepoDigests entry:\n%s", insp2)
	}

	// Pushing the pulled image changes nothing: every blob is there, same digest.
	again := step("push-again", data2, 0, "push", app+":1")
	if d1, d2 := reDigest.FindAllString(pushed, -1), reDigest.FindAllString(again, -1); len(d1) != 1 || len(d2) != 1 || d1[0] != d2[0] {
		t.Errorf("pushing the pulled image gave digest %v, the first push %v", d2, d1)
	}

	// A second tag of the same image: its layers are there, and a pull that finds the
	// image under another tag downloads nothing.
	if _, err := layerlab(t, data1, "tag", app+":1", app+":other"); err != nil {
		t.Fatal(err)
	}
	step("push-other-tag", data1, 0, "push", app+":other")
	step("pull-other-tag", data2, 0, "pull", app+":other")
	digest := reDigest.FindString(pushed)
	step("pull-by-digest", data2, 0, "pull", app+"@"+digest)

	// A store that has busybox already: its layer "Already exists".
	data3 := t.TempDir()
	if out, err := layerlab(t, data3, "build", "-q", writeFiles(t, map[string]string{"Dockerfile": "FROM busybox\nENV X=1\n"})); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	step("pull-partial", data3, 0, "pull", app+":1")

	// The pulled image is a base to build on, and its files are there.
	out, err := layerlab(t, data2, "build", writeFiles(t, map[string]string{"Dockerfile": "FROM " + app + ":1\nRUN cat /app/app.txt /hi.txt\n"}))
	if err != nil || !strings.Contains(out, "v1\nhi\n") {
		t.Errorf("build FROM the pulled image: %v\n%s", err, out)
	}

	// -q prints the reference only.
	for _, cmd := range []string{"push", "pull"} {
		if out, err := layerlab(t, data2, cmd, "-q", app+":1"); err != nil || out != app+":1\n" {
			t.Errorf("%s -q printed %q, %v", cmd, out, err)
		}
	}
}

// historyRows is `history` (ID first) without the IDs below the top row: Docker too
// shows <missing> there for a pulled image (it has no intermediate images).
func historyRows(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := 1; i < len(lines); i++ {
		_, rest, _ := strings.Cut(lines[i], "|")
		lines[i] = rest
	}
	return strings.Join(lines, "\n")
}

// inspectWithoutLocal is `inspect` without what is local to a store and differs in
// Docker too between a built and a pulled image: Parent (the intermediate image) and
// Metadata.LastTagTime.
func inspectWithoutLocal(t *testing.T, s string) string {
	t.Helper()
	var v []map[string]any
	if err := json.Unmarshal([]byte(s), &v); err != nil || len(v) != 1 {
		t.Fatalf("inspect output: %v\n%s", err, s)
	}
	delete(v[0], "Parent")
	delete(v[0], "Metadata")
	b, _ := json.MarshalIndent(v[0], "", "  ")
	return string(b)
}

func TestRegistryLogin(t *testing.T) {
	b := startRegistry(t, "--htpasswd", "alice:s3cret")
	addrs := map[string]string{b: "AUTHREGISTRY"}
	sec := b + "/team/sec:1"
	data := t.TempDir()
	if out, err := layerlab(t, data, "build", "-q", writeFiles(t, map[string]string{"Dockerfile": "FROM busybox\nENV X=1\n"})); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	if _, err := layerlab(t, data, "tag", "busybox", sec); err != nil {
		t.Fatal(err)
	}
	step := func(name, data, stdin string, wantCode int, args ...string) (string, string) {
		t.Helper()
		out, errs, err := runIO(t, data, stdin, args...)
		if exitCode(err) != wantCode {
			t.Fatalf("%s: layerlab %s: exit %d (%v), want %d\n%s", name, strings.Join(args, " "), exitCode(err), err, wantCode, out)
		}
		if name != "" {
			checkDocker(t, name, transcript(out, errs, err), addrs)
		}
		return out, errs
	}
	step("push-noauth", data, "", 1, "push", sec)
	step("pull-noauth", t.TempDir(), "", 1, "pull", sec)
	step("login-bad", data, "", 1, "login", "-u", "alice", "-p", "wrong", b)
	if _, err := os.Stat(filepath.Join(data, "credentials.json")); err == nil {
		t.Error("a refused login stored credentials")
	}

	out, errs := step("", data, "s3cret\n", 0, "login", "-u", "alice", "--password-stdin", b)
	if out != "Login Succeeded\n" || !strings.HasPrefix(errs, "WARNING! Your password will be stored unencrypted in ") {
		t.Errorf("login printed %q, %q", out, errs)
	}
	fi, err := os.Stat(filepath.Join(data, "credentials.json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v %v", fi, err)
	}
	step("push-auth", data, "", 0, "push", sec)

	data2 := t.TempDir()
	step("", data2, "", 0, "login", "-u", "alice", "-p", "s3cret", b)
	out, _ = step("", data2, "", 0, "pull", sec)
	if !strings.Contains(out, "Status: Downloaded newer image for "+sec+"\n") {
		t.Errorf("pull after login:\n%s", out)
	}

	// Credentials that stopped working (a changed password).
	bad := `{"auths":{"` + b + `":{"auth":"YWxpY2U6d3Jvbmc="}}}`
	if err := os.WriteFile(filepath.Join(data2, "credentials.json"), []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	step("pull-badauth", data2, "", 1, "pull", b+"/team/sec:2")
	step("push-badauth", data2, "", 1, "push", sec)

	step("logout", data, "", 0, "logout", b)
	step("logout-again", data, "", 0, "logout", b)
	step("pull-noauth", t.TempDir(), "", 1, "pull", sec)
}

// Without a registry address the hub answers, as Docker Hub would; with nothing
// listening at an address: clear messages, nothing stored.
func TestRegistryAddressNeeded(t *testing.T) {
	data := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"pull", "demo:v1"}, "Error response from daemon: manifest for demo:v1 not found: manifest unknown"},
		{[]string{"push", "demo:v1"}, "An image does not exist locally with the tag: demo"},
		{[]string{"pull", "nosuchimage"}, "Error response from daemon: manifest for nosuchimage:latest not found: manifest unknown"},
	} {
		_, err := layerlab(t, data, tc.args...)
		if exitCode(err) != 1 || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%v: %v; want %q", tc.args, err, tc.want)
		}
	}
	out, errs, err := runIO(t, data, "", "pull", "127.0.0.1:1/x:1")
	got := transcript(out, errs, err)
	first, hint, _ := strings.Cut(got, "\n")
	checkDocker(t, "pull-refused", first+"\n", nil)
	if !strings.Contains(hint, "nothing answered at 127.0.0.1:1") {
		t.Errorf("no hint for an unreachable registry:\n%s", got)
	}
	out, errs, err = runIO(t, data, "", "login", "-u", "a", "-p", "b", "127.0.0.1:1")
	got = transcript(out, errs, err)
	checkDocker(t, "login-refused", strings.Join(strings.SplitAfter(got, "\n")[:2], ""), nil)
	if out, _ := layerlab(t, data, "images", "-q"); out != "" {
		t.Errorf("failed pulls left images:\n%s", out)
	}
	for _, tc := range []struct{ args []string }{{[]string{"pull"}}, {[]string{"push", "a", "b"}}, {[]string{"logout"}}} {
		if _, err := layerlab(t, data, tc.args...); exitCode(err) != 1 || !strings.Contains(err.Error(), "requires") {
			t.Errorf("%v: %v", tc.args, err)
		}
	}
}

// With a real Docker at hand (scripts/dockerd-up; LAYERLAB_LIVE_DOCKER=1): an image
// layerlab pushes, `docker pull` takes, and Docker's history and inspect of it are
// layerlab's.
func TestRegistryLiveDocker(t *testing.T) {
	testenv.Need(t, os.Getenv("LAYERLAB_LIVE_DOCKER") == "1" && strings.Contains(os.Getenv("DOCKER_HOST"), "layerlab-dockerd"),
		"set LAYERLAB_LIVE_DOCKER=1 with DOCKER_HOST from scripts/dockerd-up")
	a := startRegistry(t)
	ref := a + "/team/live:1"
	data := t.TempDir()
	bctx := writeFiles(t, map[string]string{
		"Dockerfile": "FROM busybox\nENV A=1\nCOPY app.txt /app/\nRUN echo hi > /hi.txt\nCMD [\"cat\", \"/hi.txt\"]\n",
		"app.txt":    "v1\n",
	})
	if out, err := layerlab(t, data, "build", "-q", "-t", ref, bctx); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	if out, err := layerlab(t, data, "push", ref); err != nil {
		t.Fatalf("push: %v\n%s", err, out)
	}
	docker := func(args ...string) string {
		t.Helper()
		cmd := exec.Command("/usr/bin/docker", args...)
		cmd.Env = append(os.Environ(), "DOCKER_CONFIG="+t.TempDir())
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	out := docker("pull", ref)
	t.Cleanup(func() { exec.Command("/usr/bin/docker", "rmi", ref).Run() })
	if !strings.Contains(out, "Status: Downloaded newer image for "+ref) {
		t.Fatalf("docker pull:\n%s", out)
	}
	format := "{{.CreatedBy}}|{{.Size}}|{{.Comment}}"
	if d, l := docker("history", "--no-trunc", "--format", format, ref), mustRun(t, data, "history", "--no-trunc", "--format", format, ref); d != l {
		t.Errorf("docker history:\n%s\nlayerlab history:\n%s", d, l)
	}
	var dv, lv []map[string]any
	json.Unmarshal([]byte(docker("inspect", ref)), &dv)
	json.Unmarshal([]byte(mustRun(t, data, "inspect", ref)), &lv)
	if len(dv) != 1 || len(lv) != 1 {
		t.Fatalf("inspect: docker %d, layerlab %d", len(dv), len(lv))
	}
	// Local to each store: the graph driver, the parent (an intermediate image of
	// layerlab's build; a pulled image has none), and when a tag was set.
	for _, k := range []string{"GraphDriver", "Parent", "Metadata"} {
		delete(dv[0], k)
		delete(lv[0], k)
	}
	db, _ := json.MarshalIndent(dv[0], "", "  ")
	lb, _ := json.MarshalIndent(lv[0], "", "  ")
	if string(db) != string(lb) {
		t.Errorf("docker inspect:\n%s\nlayerlab inspect:\n%s", db, lb)
	}
}

func mustRun(t *testing.T, data string, args ...string) string {
	t.Helper()
	out, err := layerlab(t, data, args...)
	if err != nil {
		t.Fatalf("layerlab %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// A name without a registry host is the built-in hub, in the same store: push puts
// demo:v1 into the workspace's namespace, and a pull after rmi brings the same image
// back from there.
func TestHubPushPullInProcess(t *testing.T) {
	data := t.TempDir()
	ctxDir := writeFiles(t, map[string]string{"Dockerfile": "FROM busybox\nCOPY a /a\nCMD [\"cat\", \"/a\"]\n", "a": "hub\n"})
	if _, err := layerlab(t, data, "build", "-q", "-t", "demo:v1", ctxDir); err != nil {
		t.Fatal(err)
	}
	id, _ := layerlab(t, data, "image", "inspect", "-f", "{{.Id}}", "demo:v1")
	out, err := layerlab(t, data, "push", "demo:v1")
	if err != nil || !strings.Contains(out, "The push refers to repository [docker.io/library/demo]") ||
		!strings.Contains(out, "[layerlab] in the built-in hub as default/demo:v1") {
		t.Fatalf("push: %v\n%s", err, out)
	}
	if out, err := layerlab(t, data, "push", "demo:v1"); err != nil || !strings.Contains(out, ": Layer already exists") {
		t.Errorf("second push: %v\n%s", err, out)
	}
	if _, err := layerlab(t, data, "rmi", "demo:v1"); err != nil {
		t.Fatal(err)
	}
	out, err = layerlab(t, data, "pull", "demo:v1")
	if err != nil || !strings.Contains(out, "v1: Pulling from library/demo") || !strings.Contains(out, "Status: Downloaded newer image for demo:v1") {
		t.Fatalf("pull: %v\n%s", err, out)
	}
	if again, _ := layerlab(t, data, "image", "inspect", "-f", "{{.Id}}", "demo:v1"); again != id {
		t.Errorf("pulled image ID %q, pushed %q", again, id)
	}
	if _, err := layerlab(t, data, "pull", "nope:v1"); err == nil || !strings.Contains(err.Error(), "manifest for nope:v1 not found: manifest unknown") {
		t.Errorf("pull of a missing image: %v", err)
	}
	// library/ is the official stand-ins, made on first use.
	if out, err := layerlab(t, data, "pull", "alpine:3.20"); err != nil || !strings.Contains(out, "3.20: Pulling from library/alpine") ||
		!strings.Contains(out, "Status: Downloaded newer image for alpine:3.20") {
		t.Errorf("pull alpine:3.20 from library/: %v\n%s", err, out)
	}
	// A build whose FROM image is missing pulls it from the hub, as docker build pulls
	// from its registry (and the stand-ins still serve the official names).
	if _, err := layerlab(t, data, "rmi", "demo:v1"); err != nil {
		t.Fatal(err)
	}
	next := writeFiles(t, map[string]string{"Dockerfile": "FROM demo:v1\nRUN cat /a > /b\n"})
	if out, err := layerlab(t, data, "build", "-t", "next:v1", next); err != nil {
		t.Fatalf("build FROM a hub image: %v\n%s", err, out)
	}
	if again, _ := layerlab(t, data, "image", "inspect", "-f", "{{.Id}}", "demo:v1"); again != id {
		t.Errorf("the build pulled %q, want the pushed image %q", again, id)
	}
}
