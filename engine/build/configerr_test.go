package build_test

import (
	"context"
	"errors"
	"testing"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/build"
	"layerlab/engine/build/buildtest"
	"layerlab/engine/image"
)

// unreadableConfigs is a store whose records (from Lookup, or from Cached when cached
// is set) come without their config and with a loader that fails, as a store that
// defers configs gives them when its database fails.
type unreadableConfigs struct {
	*buildtest.Store
	err    error
	cached bool // break Cached's records; else Lookup's
}

func (s unreadableConfigs) Lookup(ctx context.Context, ref string) (*image.Record, error) {
	rec, err := s.Store.Lookup(ctx, ref)
	if err != nil || s.cached {
		return rec, err
	}
	return s.broken(rec), nil
}

func (s unreadableConfigs) Cached(ctx context.Context, parent digest.Digest, key string) (*image.Record, error) {
	rec, err := s.Store.Cached(ctx, parent, key)
	if err != nil || !s.cached {
		return rec, err
	}
	return s.broken(rec), nil
}

func (s unreadableConfigs) broken(rec *image.Record) *image.Record {
	out := &image.Record{ID: rec.ID, Parent: rec.Parent, Layers: rec.Layers, Created: rec.Created,
		CacheKey: rec.CacheKey, Build: rec.Build}
	out.SetConfigLoader(func(context.Context) ([]byte, error) { return nil, s.err })
	return out
}

// A build whose base, or whose cached parent, has a config that cannot be read fails
// with the store's error at that step; it does not go on from an empty config.
func TestBuildFailsOnUnreadableConfig(t *testing.T) {
	boom := errors.New("boom: database is locked")
	tests := []struct {
		name       string
		cached     bool
		dockerfile string
		step       int // the step that must fail
	}{
		{"base image", false, "FROM busybox\nLABEL a=1\n", 1},
		{"cached parent of a rebuilt step", true, "FROM busybox\nLABEL a=1\nLABEL b=3\n", 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, map[string]string{"Dockerfile": "FROM busybox\nLABEL a=1\nLABEL b=2\n"})
			if _, _, err := h.build(build.Options{}); err != nil {
				t.Fatalf("first build: %v", err)
			}
			before, err := h.st.Lookup(context.Background(), "demo:v1")
			if err != nil {
				t.Fatal(err)
			}
			b := build.New(unreadableConfigs{Store: h.st, err: boom, cached: tc.cached}, build.StandIns{})
			h.files["Dockerfile"] = tc.dockerfile
			res, err := b.Build(context.Background(), h.context(), build.Options{Tags: []string{"demo:v1"}})
			if !errors.Is(err, boom) {
				t.Fatalf("build = %+v, %v: want the store's error", res, err)
			}
			var se *build.StepError
			if !errors.As(err, &se) {
				t.Errorf("error %v is no StepError", err)
			} else if se.Step != tc.step {
				t.Errorf("error %v at step %d, want step %d", err, se.Step, tc.step)
			}
			after, err := h.st.Lookup(context.Background(), "demo:v1")
			if err != nil || after.ID != before.ID {
				t.Errorf("demo:v1 moved to %v (%v): the failed build tagged an image", after, err)
			}
		})
	}
}
