package baseimage

import "errors"

// ErrUnknown is wrapped by every Lookup error: the reference names no built-in base image.
var ErrUnknown = errors.New("unknown base image")

// The two ways a reference is unknown, each wrapped with ErrUnknown: the repository
// is not one the playground has (Docker: "pull access denied"), or the repository is
// and the tag is not one it publishes (Docker: "manifest unknown").
var (
	ErrPullDenied      = errors.New("repository not served")
	ErrManifestUnknown = errors.New("tag not served")
)

// errManifestUnknown is the internal result of a tag that does not parse or resolve;
// Lookup turns it into Docker's message.
var errManifestUnknown = errors.New("manifest unknown")
