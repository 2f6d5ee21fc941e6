package handlers

import (
	"context"
	"strings"
	"testing"

	digest "github.com/opencontainers/go-digest"

	"layerlab/db"
	"layerlab/engine/build"
	"layerlab/engine/image"
	"layerlab/engine/image/validate"
	"layerlab/remote"
)

// TestRegistryImagesValidate: images in the hub, read back through /v2/ manifests and
// blobs by a registry client (go-containerregistry's, as `layerlab pull` uses it), pass
// the shared invariant checker: one pushed over HTTP by a registry client, one pushed
// in process (as the images page pushes), and a library stand-in the hub makes on
// first pull.
func TestRegistryImagesValidate(t *testing.T) {
	ctx := context.Background()
	e := newRegEnv(t)
	host := strings.TrimPrefix(e.HTTP.URL, "http://")
	ws, err := e.Store.Workspace(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	buildTagged := func(t *testing.T, dockerfile, tag string) digest.Digest {
		t.Helper()
		bctx, err := build.NewContext([]build.File{{Path: "Dockerfile", Data: []byte(dockerfile)}, {Path: "app.txt", Data: []byte("v1\n")}}, "")
		if err != nil {
			t.Fatal(err)
		}
		res, err := build.New(ws, build.StandIns{}).Build(ctx, bctx, build.Options{Tags: []string{tag}})
		if err != nil {
			t.Fatal(err)
		}
		return res.Image
	}
	ref := func(t *testing.T, s string) image.Ref {
		t.Helper()
		r, err := image.ParseRef(s)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	pusher, err := remote.NewHTTP(host, remote.Credential{Username: e.ns, Password: e.token})
	if err != nil {
		t.Fatal(err)
	}
	reader, err := remote.NewHTTP(host, remote.Credential{})
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name      string
		push      func(t *testing.T) (repo, tag string, manifest, id digest.Digest)
		wantLayer int
	}{
		{name: "pushed over HTTP", wantLayer: 3, push: func(t *testing.T) (string, string, digest.Digest, digest.Digest) {
			r := ref(t, host+"/"+e.ns+"/app:1")
			id := buildTagged(t, "FROM busybox\nCOPY app.txt /app/\nRUN echo hi > /hi.txt && ln -s /hi.txt /hi\nENV A=1\n", r.Familiar())
			res, err := remote.Push(ctx, ws, pusher, r, remote.PushOptions{})
			if err != nil {
				t.Fatal(err)
			}
			return e.ns + "/app", "1", res.Digest, id
		}},
		{name: "pushed in process", wantLayer: 2, push: func(t *testing.T) (string, string, digest.Digest, digest.Digest) {
			id := buildTagged(t, "FROM alpine:3.20\nRUN apk add --no-cache curl\nUSER nobody\n", "web:v1")
			hub := &remote.Hub{Store: e.Store, Namespace: db.HubNamespace(ws.Name())}
			res, err := remote.Push(ctx, ws, hub, ref(t, "web:v1"), remote.PushOptions{})
			if err != nil {
				t.Fatal(err)
			}
			return e.ns + "/web", "v1", res.Digest, id
		}},
		{name: "a library stand-in", wantLayer: 1, push: func(t *testing.T) (string, string, digest.Digest, digest.Digest) {
			return "library/busybox", "latest", "", ""
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			repo, tag, want, id := tc.push(t)
			m, err := reader.Manifest(ctx, repo, tag)
			if err != nil {
				t.Fatal(err)
			}
			if want != "" && m.Digest() != want {
				t.Errorf("GET /v2/%s/manifests/%s is %s, the push said %s", repo, tag, m.Digest(), want)
			}
			src := validate.Registry{Repo: repo, Reference: tag, MediaType: m.MediaType, Raw: m.Raw, Digest: m.Digest(), ImageID: id, Blobs: reader}
			if err := validate.Image(ctx, src); err != nil {
				t.Error(err)
			}
			// By digest too, as a pull by digest reads it.
			byDigest, err := reader.Manifest(ctx, repo, m.Digest().String())
			if err != nil {
				t.Fatal(err)
			}
			src.Reference, src.MediaType, src.Raw = m.Digest().String(), byDigest.MediaType, byDigest.Raw
			if err := validate.Image(ctx, src); err != nil {
				t.Error(err)
			}
			layers, err := src.Layers(ctx)
			if err != nil || len(layers) != tc.wantLayer {
				t.Errorf("%d layers (%v), want %d", len(layers), err, tc.wantLayer)
			}
		})
	}
}
