package db

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

// A record's config is read under the context of the call that needs it, not of the
// request that listed the record (which the record cache outlives); a read that failed
// is not remembered, and an image deleted meanwhile reads as ErrNotFound.
func TestRecordConfigReadsUnderCallersContext(t *testing.T) {
	s := openStore(t)
	w := workspace(t, s, DefaultWorkspace)
	rec := putImage(t, w, newRecord(t, nil, "base", baseTime, putLayer(t, w, "base layer")))

	list, err := w.ImageList(context.Background())
	if err != nil || len(list) != 1 {
		t.Fatalf("ImageList = %v, %v", list, err)
	}
	got := list[0]
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if img, err := got.ConfigFile(cancelled); !errors.Is(err, context.Canceled) || img != nil {
		t.Fatalf("ConfigFile under a cancelled context = %+v, %v: want context.Canceled", img, err)
	}
	raw, err := got.RawConfig(context.Background())
	if err != nil || !bytes.Equal(raw, rec.Config) {
		t.Fatalf("RawConfig after a cancelled read = %q, %v: want the config", raw, err)
	}

	gone, err := w.ImageList(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.DeleteImage(context.Background(), rec.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := gone[0].ConfigFile(context.Background()); !errors.Is(err, ErrNotFound) {
		t.Errorf("config of a deleted image: %v, want ErrNotFound", err)
	}
}
