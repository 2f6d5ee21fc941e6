package image

import (
	"context"
	"errors"
	"testing"
	"time"
)

// testConfig is a small image JSON and its decoded history, for the record tests.
func testConfig(t *testing.T) ([]byte, *Image) {
	t.Helper()
	img := &Image{Created: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), OS: "linux", Architecture: "amd64",
		Config: &ContainerConfig{Cmd: []string{"sh"}}, RootFS: RootFS{Type: "layers"},
		History: []History{{CreatedBy: "/bin/sh -c #(nop)  CMD [\"sh\"]", EmptyLayer: true}}}
	raw, _, err := img.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return raw, img
}

type ctxKey struct{}

// A store's loader runs under the caller's context, and a failed load is an error from
// both accessors, never an empty image; it is not remembered, so a later call reads again.
func TestRecordConfigLoader(t *testing.T) {
	raw, want := testConfig(t)
	boom := errors.New("boom: the store is gone")
	tests := []struct {
		name    string
		fail    error // what the loader returns on its first call (nil: the config)
		wantErr error
	}{
		{name: "loads", fail: nil},
		{name: "store fails", fail: boom, wantErr: boom},
		{name: "caller's context cancelled", fail: context.Canceled, wantErr: context.Canceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			r := &Record{ID: "sha256:0123"}
			r.SetConfigLoader(func(ctx context.Context) ([]byte, error) {
				calls++
				if ctx.Value(ctxKey{}) != tc.name {
					t.Errorf("loader got a context without the caller's value")
				}
				if calls == 1 && tc.fail != nil {
					return nil, tc.fail
				}
				return raw, nil
			})
			ctx := context.WithValue(context.Background(), ctxKey{}, tc.name)

			img, err := r.ConfigFile(ctx)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr != nil) != (err != nil) {
				t.Fatalf("ConfigFile: %v, want %v", err, tc.wantErr)
			}
			if err != nil {
				if img != nil {
					t.Errorf("ConfigFile returned an image (%+v) with its error", img)
				}
				if got, err := r.RawConfig(ctx); err != nil || string(got) != string(raw) {
					t.Fatalf("after a failed load, RawConfig = %q, %v: want the config, read again", got, err)
				}
				if img, err = r.ConfigFile(ctx); err != nil {
					t.Fatalf("ConfigFile after a good read: %v", err)
				}
			}
			if img.Config == nil || img.Config.Cmd[0] != "sh" || len(img.History) != len(want.History) {
				t.Errorf("decoded %+v, want %+v", img, want)
			}
			before := calls
			r.RawConfig(ctx)
			r.ConfigFile(ctx)
			if calls != before {
				t.Errorf("a config read once was read again (%d loads, then %d)", before, calls)
			}
		})
	}
}

func TestRecordConfigErrors(t *testing.T) {
	raw, _ := testConfig(t)
	tests := []struct {
		name   string
		record func() *Record
	}{
		{"no config and no loader", func() *Record { return &Record{ID: "sha256:01"} }},
		{"loader returns nothing", func() *Record {
			r := &Record{ID: "sha256:01"}
			r.SetConfigLoader(func(context.Context) ([]byte, error) { return nil, nil })
			return r
		}},
		{"config that does not decode", func() *Record { return &Record{ID: "sha256:01", Config: []byte(`{"rootfs":`)} }},
		{"config of another kind", func() *Record {
			return &Record{ID: "sha256:01", Config: []byte(`{"rootfs":{"type":"snapshots"}}`)}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if img, err := tc.record().ConfigFile(context.Background()); err == nil || img != nil {
				t.Errorf("ConfigFile = %+v, %v: want an error and no image", img, err)
			}
		})
	}
	// Config given by the store: no loader needed, and Image, when given, is used as is.
	r := &Record{ID: "sha256:01", Config: raw}
	if got, err := r.RawConfig(context.Background()); err != nil || string(got) != string(raw) {
		t.Errorf("RawConfig of a record with its config = %q, %v", got, err)
	}
	given := &Image{RootFS: RootFS{Type: "layers"}}
	r = &Record{ID: "sha256:01", Config: raw, Image: given}
	if img, err := r.ConfigFile(context.Background()); err != nil || img != given {
		t.Errorf("ConfigFile = %p, %v: want the record's own Image %p", img, err, given)
	}
}
