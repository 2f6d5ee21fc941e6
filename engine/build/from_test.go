package build_test

import (
	"strings"
	"testing"

	"layerlab/engine/build"
)

// TestFromPinnedDigestResolvesByTag: a base pinned by tag and digest names the real
// image's digest, which no stand-in has: the build resolves it by its tag and says so;
// a digest without a tag stays an error that says to name the tag.
func TestFromPinnedDigestResolvesByTag(t *testing.T) {
	const dgst = "sha256:26730869004e2b9c4b9ad09cab8625e81d2500000000000000000000000000ab"
	h := newHarness(t, map[string]string{"Dockerfile": "FROM alpine:3.20@" + dgst + "\nRUN true\n"})
	_, evs, err := h.build(build.Options{})
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	var note string
	for _, e := range evs {
		if e.Type == build.EventStepLog && strings.Contains(e.Text, dgst) {
			note = e.Text
		}
	}
	if !strings.HasPrefix(note, "[layerlab] "+dgst+" is the digest of the real alpine:3.20") {
		t.Errorf("step log = %q, want the line that says the digest is the real image's", note)
	}

	h.files["Dockerfile"] = "FROM alpine@" + dgst + "\n"
	if _, _, err := h.build(build.Options{}); err == nil {
		t.Errorf("FROM by digest alone built; want an error")
	}
}

// TestFromPlatform: the classic builder parses --platform after expanding the meta
// ARGs: a declared ARG with a value works, BuildKit's automatic BUILDPLATFORM is empty
// and fails with containerd's parse error (testdata/conformance errors x70-x73 record
// the texts), and the failure adds a [layerlab] line that says why.
func TestFromPlatform(t *testing.T) {
	tests := []struct {
		name, dockerfile, err string
	}{
		{"declared", "ARG BUILDPLATFORM=linux/amd64\nFROM --platform=$BUILDPLATFORM busybox\nRUN true\n", ""},
		{"arm64 accepted", "FROM --platform=linux/arm64 busybox\n", ""},
		{"one known word", "FROM --platform=x86_64 busybox\n", ""},
		{"automatic arg is empty", "FROM --platform=$BUILDPLATFORM busybox\n", `failed to parse platform : "" is an invalid component of ""`},
		{"unknown word", "FROM --platform=foo busybox\n", `failed to parse platform foo: "foo": unknown operating system or architecture: invalid argument`},
		{"four parts", "FROM --platform=linux/amd64/v8/x busybox\n", `cannot parse platform specifier`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, map[string]string{"Dockerfile": tc.dockerfile})
			_, evs, err := h.build(build.Options{})
			if tc.err == "" {
				if err != nil {
					t.Fatalf("build: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err = %v, want %q", err, tc.err)
			}
			if strings.Contains(tc.dockerfile, "PLATFORM") {
				found := false
				for _, e := range evs {
					found = found || strings.HasPrefix(e.Text, "[layerlab] BuildKit defines BUILDPLATFORM")
				}
				if !found {
					t.Errorf("no [layerlab] line explaining the empty BUILDPLATFORM")
				}
			}
		})
	}
}
