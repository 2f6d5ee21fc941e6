package db

// Checking a pushed manifest before it is stored: its JSON parsed as exactly one kind
// (image manifest or index) with well-formed descriptors, and every blob and child
// manifest it names resolved in its repository with the size it says.

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	digest "github.com/opencontainers/go-digest"
)

// hubDescJSON is a descriptor as a manifest carries it.
type hubDescJSON struct {
	MediaType    string   `json:"mediaType"`
	Digest       string   `json:"digest"`
	Size         *int64   `json:"size"`
	URLs         []string `json:"urls"`
	Data         []byte   `json:"data"`
	ArtifactType string   `json:"artifactType"`
}

// hubManifestJSON is the union of an image manifest and an index, to tell which one a
// document is (and refuse one that is both).
type hubManifestJSON struct {
	SchemaVersion *int              `json:"schemaVersion"`
	MediaType     string            `json:"mediaType"`
	ArtifactType  string            `json:"artifactType"`
	Config        *hubDescJSON      `json:"config"`
	Layers        []hubDescJSON     `json:"layers"`
	Manifests     []hubDescJSON     `json:"manifests"`
	Subject       *hubDescJSON      `json:"subject"`
	Annotations   map[string]string `json:"annotations"`
	FSLayers      json.RawMessage   `json:"fsLayers"` // Docker schema 1
}

// hubRef is something a manifest needs in its repository.
type hubRef struct {
	digest   digest.Digest
	size     int64
	kind     string // "blob" or "manifest"
	optional bool   // a non-distributable layer, which need not be pushed
	where    string // for messages: "config", "layer 2", "manifest 1"
}

// parsedManifest is what HubPutManifest learns from a manifest's bytes.
type parsedManifest struct {
	mediaType    string
	artifactType string
	subject      digest.Digest
	annotations  map[string]string
	refs         []hubRef
}

func isNondistributable(mediaType string) bool {
	return strings.HasPrefix(mediaType, "application/vnd.oci.image.layer.nondistributable.") ||
		mediaType == "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
}

func manifestInvalid(format string, args ...any) error {
	return hubErr(HubManifestInvalid, nil, nil, format, args...)
}

// parseHubManifest checks a manifest's bytes: JSON, schema version 2, a media type it
// knows that matches contentType (when both are given), exactly one kind, and
// well-formed descriptors.
func parseHubManifest(contentType string, body []byte) (parsedManifest, error) {
	var m hubManifestJSON
	if err := json.Unmarshal(body, &m); err != nil {
		return parsedManifest{}, manifestInvalid("the manifest is not valid JSON: %v", err)
	}
	ct, _, _ := strings.Cut(contentType, ";")
	ct = strings.ToLower(strings.TrimSpace(ct))
	mt := m.MediaType
	switch {
	case mt != "" && ct != "" && mt != ct:
		return parsedManifest{}, manifestInvalid("Content-Type %s does not match the manifest's mediaType %s", ct, mt)
	case mt == "":
		mt = ct
	}
	if m.FSLayers != nil || strings.HasPrefix(mt, "application/vnd.docker.distribution.manifest.v1") {
		return parsedManifest{}, manifestInvalid("Docker schema 1 manifests are not supported: push with a current client (schema 2 or OCI)")
	}
	if m.SchemaVersion == nil || *m.SchemaVersion != 2 {
		return parsedManifest{}, manifestInvalid("schemaVersion must be 2")
	}
	isIndex := mt == MediaTypeOCIIndex || mt == MediaTypeDockerList
	isImage := mt == MediaTypeOCIManifest || mt == MediaTypeDockerManifest
	if !isIndex && !isImage {
		if mt == "" {
			return parsedManifest{}, manifestInvalid("the manifest has no mediaType and the request no Content-Type")
		}
		return parsedManifest{}, manifestInvalid("media type %q is not a manifest type the hub stores (OCI or Docker schema 2 image manifests and indexes)", mt)
	}
	if m.Manifests != nil && (m.Config != nil || m.Layers != nil) {
		return parsedManifest{}, manifestInvalid("the document is both an index (manifests) and an image manifest (config, layers): it must be one of them")
	}
	p := parsedManifest{mediaType: mt, artifactType: m.ArtifactType}
	var descs []hubDescJSON
	if isIndex {
		if m.Manifests == nil {
			return parsedManifest{}, manifestInvalid("an index (%s) must have a manifests list", mt)
		}
		for i, d := range m.Manifests {
			descs = append(descs, d)
			p.refs = append(p.refs, hubRef{kind: "manifest", where: fmt.Sprintf("manifest %d", i+1)})
		}
	} else {
		if m.Config == nil {
			return parsedManifest{}, manifestInvalid("an image manifest (%s) must have a config", mt)
		}
		descs = append(descs, *m.Config)
		p.refs = append(p.refs, hubRef{kind: "blob", where: "config"})
		for i, d := range m.Layers {
			descs = append(descs, d)
			p.refs = append(p.refs, hubRef{kind: "blob", where: fmt.Sprintf("layer %d", i+1),
				optional: isNondistributable(d.MediaType) && len(d.URLs) > 0})
		}
		if p.artifactType == "" {
			p.artifactType = m.Config.MediaType
		}
	}
	for i, d := range descs {
		dg, size, err := checkDescriptor(d, p.refs[i].where)
		if err != nil {
			return parsedManifest{}, err
		}
		p.refs[i].digest, p.refs[i].size = dg, size
	}
	if m.Subject != nil {
		dg, _, err := checkDescriptor(*m.Subject, "subject")
		if err != nil {
			return parsedManifest{}, err
		}
		p.subject = dg
		p.annotations = m.Annotations
	}
	return p, nil
}

// checkDescriptor checks one descriptor: a media type, an allowed digest, a size, and
// embedded data (when present) that is those bytes.
func checkDescriptor(d hubDescJSON, where string) (digest.Digest, int64, error) {
	if d.MediaType == "" {
		return "", 0, manifestInvalid("the %s descriptor has no mediaType", where)
	}
	dg, err := ParseHubDigest(d.Digest)
	if err != nil {
		return "", 0, manifestInvalid("the %s descriptor's digest: %v", where, err)
	}
	if d.Size == nil || *d.Size < 0 {
		return "", 0, manifestInvalid("the %s descriptor needs a size of 0 or more bytes", where)
	}
	if d.Data != nil && (int64(len(d.Data)) != *d.Size || dg.Algorithm().FromBytes(d.Data) != dg) {
		return "", 0, manifestInvalid("the %s descriptor's embedded data is not the %d bytes of %s", where, *d.Size, dg)
	}
	return dg, *d.Size, nil
}

// resolveRefs checks that every blob and child manifest the manifest names is in repo,
// with the size the manifest says, and fills in where the bytes are filed (store digest,
// "" for a missing optional layer).
func resolveRefs(ctx context.Context, q querier, repo string, refs []hubRef) ([]digest.Digest, error) {
	stores := make([]digest.Digest, len(refs))
	for i, r := range refs {
		table := "hub_blobs"
		if r.kind == "manifest" {
			table = "hub_manifests"
		}
		var store string
		var size int64
		err := q.QueryRowContext(ctx, `SELECT store_digest, size FROM `+table+` WHERE repo = ? AND digest = ?`, repo, r.digest.String()).Scan(&store, &size)
		if isNoRows(err) {
			if r.optional {
				continue
			}
			what := "blob"
			if r.kind == "manifest" {
				what = "manifest"
			}
			return nil, hubErr(HubManifestBlobUnknown, nil, map[string]string{"digest": r.digest.String()},
				"the %s names %s %s, which is not in repository %s: push it first", r.where, what, r.digest, repo)
		}
		if err != nil {
			return nil, err
		}
		if size != r.size {
			return nil, manifestInvalid("the %s descriptor says %s is %d bytes, but it is %d", r.where, r.digest, r.size, size)
		}
		stores[i] = digest.Digest(store)
	}
	return stores, nil
}
