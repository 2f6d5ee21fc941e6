package remote

import (
	"fmt"
	"strings"

	"layerlab/engine/image"
)

// Name is an image reference as a user typed it.
type Name struct {
	Ref image.Ref // normalised: docker.io/library/demo:latest, 127.0.0.1:5000/team/app:1
	// HasHost: the user wrote a registry address (127.0.0.1:5000/..., localhost/...,
	// docker.io/...). A name without one ("demo:v1") means the built-in hub.
	HasHost bool
	// DefaultTag: neither a tag nor a digest was given, so ":latest" was added
	// (the docker CLI then prints "Using default tag: latest").
	DefaultTag bool
}

// ParseName parses what a user typed as an image name, as the docker CLI does.
func ParseName(s string) (Name, error) {
	ref, err := image.ParseRef(s)
	if err != nil {
		return Name{}, err
	}
	n := Name{Ref: ref}
	// distribution/reference's rule for a domain: the part before the first "/" when
	// it has a "." or a ":", is "localhost", or has upper-case letters.
	if i := strings.IndexByte(s, '/'); i > 0 {
		first := s[:i]
		n.HasHost = strings.ContainsAny(first, ".:") || first == "localhost" || strings.ToLower(first) != first
	}
	name := s
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	n.DefaultTag = !strings.Contains(name, ":") && !strings.Contains(s, "@")
	return n, nil
}

// Open returns the registry n names: for a name with a registry address, that
// registry over HTTP, with the credentials `login` stored for it (creds may be nil);
// for a name without one, hub — the built-in hub. With hub nil such a
// name is an error wrapping ErrNoHub that says what to type instead.
func Open(n Name, creds *Credentials, hub Registry) (Registry, error) {
	if !n.HasHost {
		if hub != nil {
			return hub, nil
		}
		return nil, &kindError{kind: ErrNoHub, msg: fmt.Sprintf("%s names no registry address and no hub is at hand here: "+
			"give one in the name, e.g. 127.0.0.1:5000/team/app:1", n.Ref.Familiar())}
	}
	var cred Credential
	if creds != nil {
		c, ok, err := creds.Get(n.Ref.Domain())
		if err != nil {
			return nil, err
		}
		if ok {
			cred = c
		}
	}
	return NewHTTP(n.Ref.Domain(), cred)
}
