package db

import (
	"context"
	"testing"
)

func TestHubToken(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	a := workspace(t, s, DefaultWorkspace)
	b := workspace(t, s, "web-0123456789abcdef")
	nsA, tokA, err := a.HubToken(ctx, false)
	if err != nil || nsA != "default" || tokA == "" {
		t.Fatalf("HubToken = %q %q %v", nsA, tokA, err)
	}
	if ns, tok, _ := a.HubToken(ctx, false); ns != nsA || tok != tokA {
		t.Errorf("a second call changed the token: %q %q", ns, tok)
	}
	nsB, tokB, _ := b.HubToken(ctx, false)
	if nsB != "web-0123456789abcdef" || tokB == tokA {
		t.Errorf("workspace b: %q %q", nsB, tokB)
	}
	tests := []struct {
		ns, tok string
		want    bool
	}{
		{nsA, tokA, true},
		{nsB, tokB, true},
		{nsA, tokB, false}, // another workspace's token
		{nsA, "", false},
		{"nobody", tokA, false},
	}
	for _, tc := range tests {
		if got, err := s.CheckHubToken(ctx, tc.ns, tc.tok); got != tc.want || err != nil {
			t.Errorf("CheckHubToken(%q, %q) = %v, %v; want %v", tc.ns, tc.tok, got, err, tc.want)
		}
	}
	_, rotated, _ := a.HubToken(ctx, true)
	if ok, _ := s.CheckHubToken(ctx, nsA, tokA); ok || rotated == tokA {
		t.Error("the old token still works after rotating")
	}
	if ok, _ := s.CheckHubToken(ctx, nsA, rotated); !ok {
		t.Error("the rotated token does not work")
	}
}

func TestHubNamespace(t *testing.T) {
	for in, want := range map[string]string{
		"default":   "default",
		"web-abc":   "web-abc",
		"Class 1":   "class-1",
		"library":   "ws-",
		"--":        "ws-",
		"a..b":      "ws-",
		"Über_Team": "ber_team",
	} {
		got := HubNamespace(in)
		if (want == "ws-" && (len(got) != 19 || got[:3] != "ws-")) || (want != "ws-" && got != want) {
			t.Errorf("HubNamespace(%q) = %q, want %q", in, got, want)
		}
		if !namespacePattern.MatchString(got) {
			t.Errorf("HubNamespace(%q) = %q is not a valid path component", in, got)
		}
	}
}
