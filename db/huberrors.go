package db

// The hub's refusals: the distribution spec's error codes, HubError, which carries one
// with a message and detail, and the sentinels it wraps (errors.Is works on every
// HubError).

import (
	"errors"
	"fmt"
	"strings"
)

// The distribution spec's error codes, as HubError.Code carries them.
const (
	HubBlobUnknown         = "BLOB_UNKNOWN"
	HubBlobUploadInvalid   = "BLOB_UPLOAD_INVALID"
	HubBlobUploadUnknown   = "BLOB_UPLOAD_UNKNOWN"
	HubDigestInvalid       = "DIGEST_INVALID"
	HubManifestBlobUnknown = "MANIFEST_BLOB_UNKNOWN"
	HubManifestInvalid     = "MANIFEST_INVALID"
	HubManifestUnknown     = "MANIFEST_UNKNOWN"
	HubNameInvalid         = "NAME_INVALID"
	HubNameUnknown         = "NAME_UNKNOWN"
	HubSizeInvalid         = "SIZE_INVALID"
	HubUnsupported         = "UNSUPPORTED"
)

var (
	// ErrHubRange: an upload chunk does not start where the upload ends (HTTP 416).
	ErrHubRange = errors.New("upload chunk out of order")
	// ErrHubTooLarge: a manifest or blob over the hub's limits (HTTP 413).
	ErrHubTooLarge = errors.New("too large for the hub")
)

// HubError is a refused registry operation: Code is the distribution spec's error code,
// Message says what was wrong, Detail (optional) is JSON-able detail. It wraps Err when
// set (ErrHubRange, ErrHubTooLarge), else ErrNotFound for the *_UNKNOWN codes that say
// a thing is missing and ErrInvalid for the others.
type HubError struct {
	Code    string
	Message string
	Detail  any
	Err     error
}

func (e *HubError) Error() string { return e.Message }

// Unwrap returns the sentinel the error stands for.
func (e *HubError) Unwrap() error {
	switch {
	case e.Err != nil:
		return e.Err
	case strings.HasSuffix(e.Code, "_UNKNOWN") && e.Code != HubManifestBlobUnknown:
		return ErrNotFound
	}
	return ErrInvalid
}

// The unknown-manifest and unknown-blob messages are the Distribution registry's (and
// Docker Hub's) own, "manifest unknown" and "blob unknown to registry": docker prints the
// message after the code ("manifest for x:y not found: manifest unknown: manifest
// unknown"), so any other text would show where Docker's does not; what was missing is in
// the detail.
func hubErr(code string, sentinel error, detail any, format string, args ...any) *HubError {
	return &HubError{Code: code, Message: fmt.Sprintf(format, args...), Detail: detail, Err: sentinel}
}
