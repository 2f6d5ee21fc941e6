package main

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// layerlab runs the CLI in-process against a data dir and returns stdout and the error.
func layerlab(t *testing.T, data string, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	env := func(k string) string {
		if k == "LAYERLAB_DATA" {
			return data
		}
		return ""
	}
	err := run(context.Background(), args, env, strings.NewReader(""), &out, &errb)
	return out.String(), err
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, d := range files {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, p), []byte(d), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if err != nil {
		return 1
	}
	return 0
}

func TestBuildOutputLikeDocker(t *testing.T) {
	data := t.TempDir()
	ctx := writeFiles(t, map[string]string{
		"Dockerfile": "FROM busybox\nENV A=1\nCOPY app.txt /app/\nRUN cat /app/app.txt > /copy.txt\n",
		"app.txt":    "v1\n",
	})
	out, err := layerlab(t, data, "build", "-t", "demo:v1", ctx)
	if err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for _, want := range []string{
		"Sending build context to Docker daemon  ",
		"Step 1/4 : FROM busybox\n",
		"Step 2/4 : ENV A=1\n ---> Running in ",
		"Step 3/4 : COPY app.txt /app/\n ---> ",
		"Successfully tagged demo:v1\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !regexp.MustCompile(`(?m)^Successfully built [0-9a-f]{12}$`).MatchString(out) {
		t.Errorf("no 'Successfully built <id>' line:\n%s", out)
	}
	// A second process sees the same store: everything comes from the cache.
	out, err = layerlab(t, data, "build", "-t", "demo:v1", ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out, " ---> Using cache\n"); n != 3 {
		t.Errorf("rebuild used the cache %d times, want 3:\n%s", n, out)
	}
	// Edit the copied file: COPY changed, RUN downstream, with the reason printed.
	os.WriteFile(filepath.Join(ctx, "app.txt"), []byte("v2\n"), 0o644)
	out, _ = layerlab(t, data, "build", "-t", "demo:v1", ctx)
	for _, want := range []string{"[layerlab] changed: COPY sources changed: app.txt", "[layerlab] downstream: step 3 was rebuilt"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestBuildQuietAndJSON(t *testing.T) {
	data := t.TempDir()
	ctx := writeFiles(t, map[string]string{"Dockerfile": "FROM busybox\nRUN echo hi\n"})
	out, err := layerlab(t, data, "build", "-q", ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^sha256:[0-9a-f]{64}\n$`).MatchString(out) {
		t.Errorf("-q printed %q, want only the image ID", out)
	}
	out, err = layerlab(t, data, "build", "--progress=json", "-t", "x:1", ctx)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var last map[string]any
	for i, l := range lines {
		var ev map[string]any
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("line %d is not JSON: %q", i+1, l)
		}
		if int(ev["seq"].(float64)) != i+1 {
			t.Errorf("line %d has seq %v", i+1, ev["seq"])
		}
		last = ev
	}
	if last["type"] != "build.done" || last["tags"].([]any)[0] != "x:1" {
		t.Errorf("last event %v", last)
	}
}

func TestBuildErrors(t *testing.T) {
	tests := []struct {
		name       string
		dockerfile string
		args       []string
		code       int
		msg        string
	}{
		{"RUN exit code is the CLI's exit code", "FROM busybox\nRUN exit 3\n", nil, 3,
			"The command '/bin/sh -c exit 3' returned a non-zero code: 3"},
		{"parse error, Docker's text and a hint", "FROM busybox\nRUNN x\n", nil, 1,
			"Error response from daemon: dockerfile parse error line 2: unknown instruction: RUNN\n[layerlab] line 2: did you mean RUN?"},
		{"unknown flag", "FROM busybox\n", []string{"--nope"}, 125, "unknown flag: --nope"},
		{"unknown target", "FROM busybox AS a\n", []string{"--target", "b"}, 1, "failed to reach build target b in Dockerfile"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := writeFiles(t, map[string]string{"Dockerfile": tc.dockerfile})
			_, err := layerlab(t, t.TempDir(), append(append([]string{"build"}, tc.args...), ctx)...)
			if exitCode(err) != tc.code || err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("got exit %d %q, want exit %d %q", exitCode(err), err, tc.code, tc.msg)
			}
		})
	}
}

func TestSave(t *testing.T) {
	data := t.TempDir()
	ctx := writeFiles(t, map[string]string{"Dockerfile": "FROM busybox\nRUN echo x > /x\n"})
	if _, err := layerlab(t, data, "build", "-t", "demo:v1", ctx); err != nil {
		t.Fatal(err)
	}
	tarPath := filepath.Join(t.TempDir(), "demo.tar")
	if _, err := layerlab(t, data, "save", "-o", tarPath, "demo:v1"); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(tarPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	names := map[string]bool{}
	var manifest []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names[h.Name] = true
		if h.Name == "manifest.json" {
			json.NewDecoder(tr).Decode(&manifest)
		}
	}
	if len(manifest) != 1 || manifest[0].RepoTags[0] != "demo:v1" || len(manifest[0].Layers) != 2 || !names[manifest[0].Config] {
		t.Errorf("manifest %+v, entries %v", manifest, names)
	}
	if _, err := layerlab(t, data, "save", "-o", tarPath, "nope:1"); err == nil || !strings.Contains(err.Error(), "reference does not exist") {
		t.Errorf("save of an unknown image: %v", err)
	}
}

func TestHubToken(t *testing.T) {
	data := t.TempDir()
	out, err := layerlab(t, data, "hub", "token")
	f := strings.Fields(out)
	if err != nil || len(f) != 2 || f[0] != "default" || len(f[1]) < 20 {
		t.Fatalf("hub token: %q %v", out, err)
	}
	again, _ := layerlab(t, data, "hub", "token")
	if again != out {
		t.Errorf("a second call printed %q, want the same %q", again, out)
	}
	rotated, _ := layerlab(t, data, "hub", "token", "--rotate")
	if rotated == out || strings.Fields(rotated)[0] != "default" {
		t.Errorf("--rotate printed %q", rotated)
	}
	if _, err := layerlab(t, data, "hub", "nope"); exitCode(err) != 1 || !strings.Contains(err.Error(), "unknown command") {
		t.Errorf("hub nope: %v", err)
	}
}
