package commands

import (
	"testing"
	"time"
)

func TestHumanSize(t *testing.T) {
	tests := []struct {
		n          int64
		size, virt string
	}{
		{0, "0B", "0B"},
		{5, "5B", "5B"},
		{999, "999B", "999B"},
		{1000, "1kB", "1kB"},
		{1982322, "1.98MB", "1.982MB"},
		{999999, "1e+03kB", "1000kB"},
		{5_300_000_000, "5.3GB", "5.3GB"},
	}
	for _, tt := range tests {
		if got := imageSize(tt.n); got != tt.size {
			t.Errorf("imageSize(%d) = %q, want %q", tt.n, got, tt.size)
		}
		if got := humanSize(float64(tt.n)); got != tt.virt {
			t.Errorf("humanSize(%d) = %q, want %q", tt.n, got, tt.virt)
		}
	}
}

func TestHumanDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{500 * time.Millisecond, "Less than a second"},
		{time.Second, "1 second"},
		{59 * time.Second, "59 seconds"},
		{90 * time.Second, "About a minute"},
		{25 * time.Minute, "25 minutes"},
		{89 * time.Minute, "About an hour"},
		{91 * time.Minute, "2 hours"},
		{47 * time.Hour, "47 hours"},
		{72 * time.Hour, "3 days"},
		{15 * 24 * time.Hour, "2 weeks"},
		{70 * 24 * time.Hour, "2 months"},
		{800 * 24 * time.Hour, "2 years"},
	}
	for _, tt := range tests {
		if got := humanDuration(tt.d); got != tt.want {
			t.Errorf("humanDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
	// Ages count from the whole second the image was created in, as the API reports it.
	now := time.Date(2026, 1, 1, 0, 0, 2, 100e6, time.UTC)
	if got := since(now, now.Add(-1500*time.Millisecond)); got != "2 seconds ago" {
		t.Errorf("since = %q", got)
	}
}

func TestEllipsisAndTruncID(t *testing.T) {
	if got := ellipsis("/bin/sh -c #(nop) COPY file:570a658a8fd56e4b131ed0c in .", 45); got != "/bin/sh -c #(nop) COPY file:570a658a8fd56e4b…" {
		t.Errorf("ellipsis = %q", got)
	}
	if got := ellipsis("short", 45); got != "short" {
		t.Errorf("ellipsis = %q", got)
	}
	if got := truncID("<missing>"); got != "<missing>" {
		t.Errorf("truncID = %q", got)
	}
	if got := truncID("sha256:1e9d41f73f9a49a8bd3e"); got != "1e9d41f73f9a" {
		t.Errorf("truncID = %q", got)
	}
}
