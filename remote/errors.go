package remote

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors; the wrapping error names the registry, repository or blob and is
// worded as Docker 20.10 words it (see DaemonError).
var (
	// ErrManifestUnknown: the registry has no manifest for that tag or digest.
	ErrManifestUnknown = errors.New("manifest unknown")
	// ErrBlobUnknown: the registry has no such blob in that repository.
	ErrBlobUnknown = errors.New("blob unknown")
	// ErrUnauthorized: the registry wants credentials, or refused the ones given.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrDenied: the credentials do not allow this.
	ErrDenied = errors.New("denied")
	// ErrUnreachable: nothing answered at the registry's address.
	ErrUnreachable = errors.New("registry unreachable")
	// ErrNoHub: the reference names no registry host, so it would mean the built-in hub,
	// which pull and push cannot reach yet.
	ErrNoHub = errors.New("no registry address")
	// ErrInvalid: what the registry sent is not an image layerlab can store: a bad
	// manifest or config, a blob that does not hash to its digest, a layer that is not
	// a safe tar, or one that does not match its diff_id.
	ErrInvalid = errors.New("invalid image from registry")
	// ErrTooLarge: a manifest, config or layer is past its limit (see Limits).
	ErrTooLarge = errors.New("too large")
	// ErrBomb: a compressed layer expands past the limits.
	ErrBomb = errors.New("decompression bomb")
	// ErrUnsupported: an image layerlab cannot handle (schema 1, zstd, foreign layers).
	ErrUnsupported = errors.New("unsupported")
)

// DaemonError is an error that Docker's daemon answers a request with before any
// progress is streamed; the docker CLI prints it as "Error response from daemon: "
// followed by the message. Errors met once progress lines have been printed are
// printed bare, as Docker prints a JSON error message in the stream.
type DaemonError struct{ Err error }

func (e *DaemonError) Error() string { return "Error response from daemon: " + e.Err.Error() }
func (e *DaemonError) Unwrap() error { return e.Err }

// RegistryError is an error a registry answered with (the distribution spec's error
// codes), worded as Docker words errcode errors: "manifest unknown: manifest unknown".
type RegistryError struct {
	Status  int    // HTTP status
	Code    string // MANIFEST_UNKNOWN, UNAUTHORIZED, ... ("" when the body had none)
	Message string
	kind    error // one of the sentinels, or nil
}

func (e *RegistryError) Error() string {
	if e.Code == "" {
		if e.Message != "" {
			return e.Message
		}
		return fmt.Sprintf("received unexpected HTTP status: %d", e.Status)
	}
	// Docker: strings.ToLower(strings.Replace(code, "_", " ", -1)) + ": " + message.
	code := strings.ToLower(strings.ReplaceAll(e.Code, "_", " "))
	if e.Message == "" {
		return code
	}
	return code + ": " + e.Message
}

func (e *RegistryError) Unwrap() error { return e.kind }

// kindError is a message worded as Docker words it that wraps one of the sentinels.
type kindError struct {
	msg  string
	kind error
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.kind }
