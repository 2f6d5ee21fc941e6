package dockerfile

import "errors"

// Sentinels for errors.Is on the whole-file errors.
var (
	ErrEmpty   = errors.New("file with no instructions")
	ErrNoStage = errors.New("no build stage in current context")
)

// ErrWordTooLarge is an instruction argument that would expand past MaxWordBytes.
var ErrWordTooLarge = errors.New("word too large")
