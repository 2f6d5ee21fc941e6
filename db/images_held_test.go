package db

import (
	"context"
	"errors"
	"testing"
)

// TestPutHeldImage: the image is stored and held in one step, so rm refuses it until
// the build unholds it; storing an image that exists holds it too.
func TestPutHeldImage(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	w := workspace(t, s, "held")
	base := putImage(t, w, newRecord(t, nil, "base", baseTime, putLayer(t, w, "base layer")))
	step := newRecord(t, base, "echo hi", baseTime.Add(1), putLayer(t, w, "step layer"))
	if err := w.PutHeldImage(ctx, "build-1", step); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Image(ctx, step.ID); err != nil {
		t.Fatalf("the held image is not stored: %v", err)
	}
	if err := w.DeleteImage(ctx, step.ID); !errors.Is(err, ErrHeld) {
		t.Fatalf("DeleteImage of a held image: %v, want ErrHeld", err)
	}
	// An image stored already (the base): the put only holds it.
	if err := w.PutHeldImage(ctx, "build-2", base); err != nil {
		t.Fatal(err)
	}
	if err := w.Unhold(ctx, "build-1"); err != nil {
		t.Fatal(err)
	}
	if err := w.DeleteImage(ctx, base.ID); !errors.Is(err, ErrHeld) {
		t.Fatalf("DeleteImage of the base build-2 holds: %v, want ErrHeld", err)
	}
	if err := w.Unhold(ctx, "build-2"); err != nil {
		t.Fatal(err)
	}
	if err := w.DeleteImage(ctx, step.ID); err != nil {
		t.Fatalf("DeleteImage after Unhold: %v", err)
	}
	if err := w.PutHeldImage(ctx, "", step); !errors.Is(err, ErrInvalid) {
		t.Fatalf("PutHeldImage without a holder: %v, want ErrInvalid", err)
	}
}
