package db

import (
	"errors"
	"strings"
	"testing"

	digest "github.com/opencontainers/go-digest"
)

func TestParseHubDigest(t *testing.T) {
	sha256 := digest.FromString("x").String()
	sha512 := digest.SHA512.FromString("x").String()
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"sha256", sha256, true},
		{"sha512", sha512, true},
		{"path traversal", "sha256:../../x", false},
		{"wrong length", "sha256:abcd", false},
		{"upper-case hex", strings.ToUpper(sha256[:7]) + sha256[7:], false},
		{"sha384 is not allowed", digest.SHA384.FromString("x").String(), false},
		{"unknown algorithm", "md5:" + strings.Repeat("a", 32), false},
		{"no algorithm", strings.TrimPrefix(sha256, "sha256:"), false},
		{"empty", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseHubDigest(tt.in)
			var he *HubError
			if tt.ok != (err == nil) {
				t.Fatalf("ParseHubDigest(%q) = %v, want ok=%v", tt.in, err, tt.ok)
			}
			if err != nil && (!errors.As(err, &he) || he.Code != HubDigestInvalid || !errors.Is(err, ErrInvalid)) {
				t.Errorf("error %v is not a DIGEST_INVALID HubError", err)
			}
		})
	}
}

func TestValidHubRepo(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"alice/app", true},
		{"a/b/c", true},
		{"a.b/c_d/e__f/g-h/i--j", true},
		{"library", true},
		{"Alice/app", false},
		{"alice//app", false},
		{"alice/app/", false},
		{"/alice", false},
		{"alice/_app", false},
		{"alice/app.", false},
		{"alice/a___b", false},
		{"alice/" + strings.Repeat("a", 250), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := ValidHubRepo(tt.name); (err == nil) != tt.ok {
				t.Errorf("ValidHubRepo(%q) = %v, want ok=%v", tt.name, err, tt.ok)
			}
		})
	}
}
