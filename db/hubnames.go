package db

// The names a client sends the hub: repository names, tags, digests and upload IDs,
// checked against the distribution spec's grammar before anything is looked up.

import (
	"fmt"
	"regexp"

	digest "github.com/opencontainers/go-digest"
)

var (
	hubRepoPattern = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$`)
	hubTagPattern  = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$`)
	hubUploadID    = regexp.MustCompile(`^[a-f0-9]{32}$`)
)

// ValidHubRepo checks a repository name against the distribution spec's grammar
// (lower-case path components separated by "/", at most 255 characters).
func ValidHubRepo(name string) error {
	if len(name) > 255 || !hubRepoPattern.MatchString(name) {
		return hubErr(HubNameInvalid, nil, map[string]string{"name": name},
			"invalid repository name %q: use lower-case letters, digits and separators (. _ __ -), in path components joined by /", name)
	}
	return nil
}

// ValidHubTag checks a tag against the distribution spec's grammar.
func ValidHubTag(tag string) error {
	if !hubTagPattern.MatchString(tag) {
		return hubErr(HubManifestInvalid, nil, map[string]string{"tag": tag},
			"invalid tag %q: up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'", tag)
	}
	return nil
}

// ParseHubDigest parses a digest a client sent: well formed, and sha256 or sha512 (the
// algorithms the OCI image spec registers). Anything else is DIGEST_INVALID.
func ParseHubDigest(s string) (digest.Digest, error) {
	d, err := digest.Parse(s)
	if err == nil && d.Algorithm() != digest.SHA256 && d.Algorithm() != digest.SHA512 {
		err = fmt.Errorf("algorithm %s is not supported: use sha256 or sha512", d.Algorithm())
	}
	if err != nil {
		return "", hubErr(HubDigestInvalid, nil, map[string]string{"digest": s}, "invalid digest %q: %v", s, err)
	}
	return d, nil
}
