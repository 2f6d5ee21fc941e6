package image

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"
)

func TestParseRef(t *testing.T) {
	tests := []struct {
		name, in, full, familiar, repo, tag string
	}{
		{"short name gets library and latest", "busybox", "docker.io/library/busybox:latest", "busybox:latest", "busybox", "latest"},
		{"tag kept", "python:3.9", "docker.io/library/python:3.9", "python:3.9", "python", "3.9"},
		{"user repository", "me/app:v1", "docker.io/me/app:v1", "me/app:v1", "me/app", "v1"},
		{"registry with port", "localhost:5000/x:1", "localhost:5000/x:1", "localhost:5000/x:1", "localhost:5000/x", "1"},
		{"fully qualified", "docker.io/library/demo:v1", "docker.io/library/demo:v1", "demo:v1", "demo", "v1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseRef(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if r.String() != tc.full || r.Familiar() != tc.familiar || r.Repository() != tc.repo || r.Tag() != tc.tag {
				t.Errorf("got %s %s %s %s", r.String(), r.Familiar(), r.Repository(), r.Tag())
			}
		})
	}
	for _, bad := range []string{"Upper:case", "a b", "", "x:"} {
		if _, err := ParseRef(bad); err == nil || !strings.Contains(err.Error(), "invalid reference format") {
			t.Errorf("ParseRef(%q) = %v, want an invalid reference format error", bad, err)
		}
	}
}

// Docker hashes the image JSON with its top-level keys sorted; the ID must not depend
// on Go's struct field order.
func TestEncodeSortsKeysAndHashes(t *testing.T) {
	img := &Image{Created: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), OS: "linux", Architecture: "amd64",
		Config: &ContainerConfig{Env: []string{"A=1"}}, RootFS: RootFS{Type: "layers"}, DockerVersion: DockerVersion}
	raw, id, err := img.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if id != digest.FromBytes(raw) {
		t.Errorf("ID %s is not the digest of the bytes", id)
	}
	var keys []string
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.Token()
	for dec.More() {
		k, _ := dec.Token()
		keys = append(keys, k.(string))
		var skip json.RawMessage
		dec.Decode(&skip)
	}
	if got := strings.Join(keys, ","); got != "architecture,config,created,docker_version,os,rootfs" {
		t.Errorf("top-level keys %s", got)
	}
	back, err := Decode(raw)
	if err != nil || back.Config.Env[0] != "A=1" {
		t.Errorf("decode: %v %+v", err, back)
	}
	if _, err := Decode([]byte(`{"rootfs":{"type":"nope"}}`)); err == nil {
		t.Error("a config whose rootfs is not layers decoded")
	}
}

// The cache key compares what Docker's image/cache compare.go compares, and nothing else.
func TestCacheKey(t *testing.T) {
	base := ContainerConfig{User: "u", Cmd: []string{"/bin/sh", "-c", "x"}, Env: []string{"A=1"},
		Labels: map[string]string{"a": "1", "b": "2"}, ExposedPorts: map[string]struct{}{"80/tcp": {}},
		Volumes: map[string]struct{}{"/v": {}}, Entrypoint: []string{"e"}}
	k := base.CacheKey()
	differs := map[string]func(c *ContainerConfig){
		"user":       func(c *ContainerConfig) { c.User = "v" },
		"cmd":        func(c *ContainerConfig) { c.Cmd = []string{"/bin/sh", "-c", "y"} },
		"cmd split":  func(c *ContainerConfig) { c.Cmd = []string{"/bin/sh", "-c x"} },
		"env":        func(c *ContainerConfig) { c.Env = []string{"A=2"} },
		"label":      func(c *ContainerConfig) { c.Labels = map[string]string{"a": "1"} },
		"port":       func(c *ContainerConfig) { c.ExposedPorts = nil },
		"volume":     func(c *ContainerConfig) { c.Volumes = map[string]struct{}{"/w": {}} },
		"entrypoint": func(c *ContainerConfig) { c.Entrypoint = nil },
		"tty":        func(c *ContainerConfig) { c.Tty = true },
	}
	for name, edit := range differs {
		c := base.Clone()
		edit(c)
		if c.CacheKey() == k {
			t.Errorf("%s: same cache key, Docker would miss", name)
		}
	}
	same := map[string]func(c *ContainerConfig){
		"hostname":     func(c *ContainerConfig) { c.Hostname = "abc" },
		"image":        func(c *ContainerConfig) { c.Image = "sha256:x" },
		"workdir":      func(c *ContainerConfig) { c.WorkingDir = "/x" },
		"label order":  func(c *ContainerConfig) { c.Labels = map[string]string{"b": "2", "a": "1"} },
		"stop signal":  func(c *ContainerConfig) { c.StopSignal = "SIGKILL" },
		"health check": func(c *ContainerConfig) { c.Healthcheck = &HealthConfig{Test: []string{"NONE"}} },
	}
	for name, edit := range same {
		c := base.Clone()
		edit(c)
		if c.CacheKey() != k {
			t.Errorf("%s: cache key changed, Docker does not compare it", name)
		}
	}
}

func TestIDs(t *testing.T) {
	id := digest.Digest("sha256:1e9d41f73f9a49a8bd3e4d4f5d66a9c0090d1f2f4b108ad902892c2caf27afcb")
	if ShortID(id) != "1e9d41f73f9a" {
		t.Errorf("ShortID %s", ShortID(id))
	}
	for in, want := range map[string]bool{"1e9d": true, "sha256:1e9d": true, "demo": false, "1E9D": false, "": false} {
		if LooksLikeID(in) != want {
			t.Errorf("LooksLikeID(%q) = %v", in, !want)
		}
	}
}

func TestSplitStoredMatchesParseRef(t *testing.T) {
	for _, in := range []string{"busybox", "python:3.9", "me/app:v1", "localhost:5000/x:1", "docker.io/library/demo:v1",
		"library/a/b:c", "registry.example.com/team/app:2", "demo@sha256:1e9d41f73f9a49a8bd3e4d4f5d66a9c0090d1f2f4b108ad902892c2caf27afcb"} {
		r, err := ParseRef(in)
		if err != nil {
			t.Fatal(err)
		}
		f, repo, tag := SplitStored(r.String())
		if f != r.Familiar() || repo != r.Repository() || tag != r.Tag() {
			t.Errorf("%s: SplitStored = %q %q %q, ParseRef = %q %q %q", in, f, repo, tag, r.Familiar(), r.Repository(), r.Tag())
		}
	}
}
