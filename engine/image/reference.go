package image

import (
	"errors"
	"fmt"
	"strings"

	"github.com/distribution/reference"
)

// Ref is a parsed, normalised image reference.
type Ref struct {
	named reference.Named
}

// ParseRef parses a reference the way the docker CLI does: "busybox" means
// docker.io/library/busybox:latest; a digest reference keeps its digest.
func ParseRef(s string) (Ref, error) {
	n, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return Ref{}, refError(err)
	}
	if _, ok := n.(reference.Digested); !ok {
		n = reference.TagNameOnly(n)
	}
	return Ref{named: n}, nil
}

// String is the fully qualified form (docker.io/library/busybox:latest).
func (r Ref) String() string { return r.named.String() }

// Familiar is the short form Docker prints (busybox:latest, localhost:5000/x:v1).
func (r Ref) Familiar() string { return reference.FamiliarString(r.named) }

// Repository is the familiar repository name (busybox, me/app).
func (r Ref) Repository() string { return reference.FamiliarName(r.named) }

// Domain is the registry host (docker.io for the default).
func (r Ref) Domain() string { return reference.Domain(r.named) }

// Path is the repository path within its registry (library/busybox).
func (r Ref) Path() string { return reference.Path(r.named) }

// Tag is the tag, "" for a digest reference.
func (r Ref) Tag() string {
	if t, ok := r.named.(reference.Tagged); ok {
		return t.Tag()
	}
	return ""
}

// Digest is the digest of a digest reference, else "".
func (r Ref) Digest() string {
	if d, ok := r.named.(reference.Digested); ok {
		return d.Digest().String()
	}
	return ""
}

// IsZero reports whether r was never set.
func (r Ref) IsZero() bool { return r.named == nil }

// LooksLikeID reports whether s could be an image ID or a prefix of one
// (hex, optionally with "sha256:"), as Docker tries before names.
func LooksLikeID(s string) bool {
	h := strings.TrimPrefix(s, "sha256:")
	if len(h) == 0 || len(h) > 64 {
		return false
	}
	for _, c := range h {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// ErrInvalidReference is wrapped by every ParseRef error.
var ErrInvalidReference = reference.ErrReferenceInvalidFormat

// refError words a parse error as the reference package bundled with Docker 20.10 did
// ("invalid reference format: repository name must be lowercase"); the current package
// adds the name, which Docker's messages do not show.
func refError(err error) error {
	switch {
	case errors.Is(err, reference.ErrNameContainsUppercase), strings.Contains(err.Error(), "must be lowercase"):
		return fmt.Errorf("%w: repository name must be lowercase", reference.ErrReferenceInvalidFormat)
	case errors.Is(err, reference.ErrReferenceInvalidFormat):
		return reference.ErrReferenceInvalidFormat
	case errors.Is(err, reference.ErrNameTooLong):
		return fmt.Errorf("%w: repository name must not be more than 255 characters", reference.ErrReferenceInvalidFormat)
	}
	return err
}

// SplitStored turns a reference stored in normalised form (ParseRef(x).String(), so
// already validated) into its familiar form, familiar repository and tag, without the
// regular expressions ParseRef runs: listing thousands of tags needs it cheap. A digest
// reference has an empty tag.
func SplitStored(normalised string) (familiar, repository, tag string) {
	name, dgst, hasDigest := strings.Cut(normalised, "@")
	if !hasDigest {
		if i := strings.LastIndexByte(name, ':'); i > strings.LastIndexByte(name, '/') {
			name, tag = name[:i], name[i+1:]
		}
	}
	repository = name
	if rest, ok := strings.CutPrefix(name, "docker.io/"); ok {
		repository = rest
		if r, ok := strings.CutPrefix(rest, "library/"); ok && !strings.Contains(r, "/") {
			repository = r
		}
	}
	switch {
	case hasDigest:
		familiar = repository + "@" + dgst
	case tag != "":
		familiar = repository + ":" + tag
	default:
		familiar = repository
	}
	return familiar, repository, tag
}
