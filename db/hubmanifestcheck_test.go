package db

import (
	"errors"
	"strings"
	"testing"

	digest "github.com/opencontainers/go-digest"
)

func TestParseHubManifest(t *testing.T) {
	d := digest.FromString("blob").String()
	desc := `{"mediaType":"application/octet-stream","digest":"` + d + `","size":4}`
	tests := []struct {
		name, contentType, body string
		wantType                string
		wantRefs                int
		wantErr                 string
	}{
		{"OCI image", MediaTypeOCIManifest, `{"schemaVersion":2,"config":` + desc + `,"layers":[` + desc + `]}`, MediaTypeOCIManifest, 2, ""},
		{"mediaType from the body", "", `{"schemaVersion":2,"mediaType":"` + MediaTypeDockerManifest + `","config":` + desc + `,"layers":[]}`, MediaTypeDockerManifest, 1, ""},
		{"OCI index", MediaTypeOCIIndex, `{"schemaVersion":2,"manifests":[` + desc + `]}`, MediaTypeOCIIndex, 1, ""},
		{"empty index", MediaTypeDockerList, `{"schemaVersion":2,"manifests":[]}`, MediaTypeDockerList, 0, ""},
		{"index that is also an image", MediaTypeOCIIndex, `{"schemaVersion":2,"manifests":[],"config":` + desc + `}`, "", 0, "both an index"},
		{"image that is also an index", MediaTypeOCIManifest, `{"schemaVersion":2,"manifests":[],"layers":[]}`, "", 0, "both an index"},
		{"image without config", MediaTypeOCIManifest, `{"schemaVersion":2,"layers":[]}`, "", 0, "must have a config"},
		{"index without manifests", MediaTypeOCIIndex, `{"schemaVersion":2}`, "", 0, "must have a manifests"},
		{"content type mismatch", MediaTypeOCIIndex, `{"schemaVersion":2,"mediaType":"` + MediaTypeOCIManifest + `","config":` + desc + `}`, "", 0, "does not match"},
		{"schema 1", "application/vnd.docker.distribution.manifest.v1+prettyjws", `{"schemaVersion":1,"fsLayers":[]}`, "", 0, "schema 1"},
		{"schema version 3", MediaTypeOCIManifest, `{"schemaVersion":3,"config":` + desc + `}`, "", 0, "schemaVersion"},
		{"unknown media type", "application/json", `{"schemaVersion":2,"config":` + desc + `}`, "", 0, "not a manifest type"},
		{"no media type at all", "", `{"schemaVersion":2,"config":` + desc + `}`, "", 0, "no mediaType"},
		{"bad descriptor digest", MediaTypeOCIManifest, `{"schemaVersion":2,"config":{"mediaType":"x","digest":"sha256:../../x","size":1}}`, "", 0, "digest"},
		{"descriptor without size", MediaTypeOCIManifest, `{"schemaVersion":2,"config":{"mediaType":"x","digest":"` + d + `"}}`, "", 0, "size"},
		{"descriptor data that is not the blob", MediaTypeOCIManifest, `{"schemaVersion":2,"config":{"mediaType":"x","digest":"` + d + `","size":4,"data":"bm9wZQ=="}}`, "", 0, "embedded data"},
		{"descriptor data that is the blob", MediaTypeOCIManifest, `{"schemaVersion":2,"config":{"mediaType":"x","digest":"` + d + `","size":4,"data":"YmxvYg=="}}`, MediaTypeOCIManifest, 1, ""},
		{"not JSON", MediaTypeOCIManifest, `{"schemaVersion":2,`, "", 0, "not valid JSON"},
		{"trailing garbage", MediaTypeOCIManifest, `{"schemaVersion":2,"config":` + desc + `} x`, "", 0, "not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := parseHubManifest(tt.contentType, []byte(tt.body))
			if tt.wantErr != "" {
				var he *HubError
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, &he) || he.Code != HubManifestInvalid {
					t.Fatalf("err = %v, want MANIFEST_INVALID containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.mediaType != tt.wantType || len(p.refs) != tt.wantRefs {
				t.Errorf("got %s with %d refs, want %s with %d", p.mediaType, len(p.refs), tt.wantType, tt.wantRefs)
			}
		})
	}
}
