package store

// Store keeps notes.
type Store struct{}
