package baseimage

import (
	"strings"
	"testing"
)

// TestServiceWrapper checks that the Debian and Ubuntu images ship /usr/sbin/service,
// as every real one does, and that images of other families do not.
func TestServiceWrapper(t *testing.T) {
	tests := []struct {
		name, image string
		want        bool
	}{
		{name: "bookworm", image: "debian:bookworm", want: true},
		{name: "bullseye slim", image: "debian:bullseye-slim", want: true},
		{name: "buster", image: "debian:buster", want: true},
		{name: "bionic", image: "ubuntu:18.04", want: true},
		{name: "noble", image: "ubuntu:24.04", want: true},
		{name: "python on bookworm slim", image: "python:3.11-slim", want: true},
		{name: "alpine has none", image: "alpine:3.20", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := Lookup(tt.image)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, l := range img.Layers {
				if e, _, err := l.Stat("/usr/sbin/service"); err == nil {
					found = e.Mode&0o111 != 0
				}
			}
			if found != tt.want {
				t.Errorf("/usr/sbin/service executable: %v, want %v", found, tt.want)
			}
		})
	}
	if !strings.HasPrefix(serviceScript, "#!/bin/sh\n") {
		t.Errorf("service is not a shell script")
	}
}
