package db

import (
	"errors"

	"layerlab/engine/build"
)

// ErrNotFound is build.ErrNotFound, re-exported so callers of db need not import the
// engine to test for it: a missing image, tag, blob, build or workspace.
var ErrNotFound = build.ErrNotFound

var (
	// ErrHasChildren is returned by DeleteImage for an image that is the parent of
	// another image in the workspace (Docker: "image has dependent child images").
	ErrHasChildren = errors.New("image has dependent child images")
	// ErrDigestMismatch is returned when content does not hash to the digest it was
	// stored under (a blob, or an image whose ID is not the digest of its config).
	ErrDigestMismatch = errors.New("digest mismatch")
	// ErrAmbiguous is returned by Lookup for a short ID that is a prefix of more than
	// one image ID. Docker itself reports this case as "No such image"; it is kept
	// apart here so a user can be told to type more of the ID.
	ErrAmbiguous = errors.New("ambiguous image ID prefix")
	// ErrInvalid is returned for an argument the store cannot accept: a malformed
	// digest, an empty workspace name, a reference without a tag or digest.
	ErrInvalid = errors.New("invalid argument")
	// ErrEventExists is returned by AppendEvent for a sequence number already stored
	// for that build.
	ErrEventExists = errors.New("build event sequence number already stored")
	// ErrSchemaTooNew is returned by Open when the database was migrated by a newer
	// layerlab than this one.
	ErrSchemaTooNew = errors.New("database schema is newer than this program")
	// ErrHasTags: DeleteImage refuses an image that still has tags (untag first).
	ErrHasTags = errors.New("image is tagged")
	// ErrHeld: DeleteImage refuses an image a running build stands on.
	ErrHeld = build.ErrHeld
)
