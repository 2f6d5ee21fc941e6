package baseimage

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// The tags of older real Dockerfiles: GOPATH-era golang, .NET Core under its core/
// names, maven's jdk-N tags and the JDK vendors' repositories.
func TestLookupLegacyTags(t *testing.T) {
	tests := []struct {
		name    string
		ref     string
		want    string   // canonical name of the image served
		env     []string // entries the config's Env must hold
		noEnv   []string // variables it must not set
		workdir string
	}{
		{name: "golang 1.13 GOPATH image", ref: "golang:1.13", want: "golang:1.13",
			env:   []string{"GOPATH=/go", "GOLANG_VERSION=1.13.15", "PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
			noEnv: []string{"GOTOOLCHAIN"}, workdir: "/go"},
		{name: "golang 1.11", ref: "golang:1.11", want: "golang:1.11", env: []string{"GOPATH=/go", "GOLANG_VERSION=1.11.13"}, workdir: "/go"},
		{name: "golang 1.12 alpine", ref: "golang:1.12-alpine", want: "golang:1.12-alpine", env: []string{"GOPATH=/go", "GOLANG_VERSION=1.12.17"}, workdir: "/go"},
		{name: "golang 1.14 stretch", ref: "golang:1.14-stretch", want: "golang:1.14-stretch", env: []string{"GOPATH=/go"}, workdir: "/go"},
		{name: "golang 1.14 buster is the default", ref: "golang:1.14-buster", want: "golang:1.14", workdir: "/go"},
		{name: "golang exact release on the alpine of its day", ref: "golang:1.13.8-alpine3.11", want: "golang:1.13.8-alpine", env: []string{"GOLANG_VERSION=1.13.8"}, workdir: "/go"},
		{name: "golang 1.21 sets GOTOOLCHAIN", ref: "golang:1.21", want: "golang:1.21", env: []string{"GOTOOLCHAIN=local"}},
		{name: "dotnet core sdk", ref: "mcr.microsoft.com/dotnet/core/sdk:3.1", want: "mcr.microsoft.com/dotnet/sdk:3.1",
			env: []string{"DOTNET_SDK_VERSION=3.1.426", "ASPNETCORE_URLS=http://+:80"}, noEnv: []string{"APP_UID", "ASPNETCORE_HTTP_PORTS"}},
		{name: "dotnet core sdk on full buster", ref: "mcr.microsoft.com/dotnet/core/sdk:3.1-buster", want: "mcr.microsoft.com/dotnet/sdk:3.1-buster"},
		{name: "dotnet core aspnet buster-slim is the default", ref: "mcr.microsoft.com/dotnet/core/aspnet:3.1-buster-slim", want: "mcr.microsoft.com/dotnet/aspnet:3.1",
			env: []string{"ASPNET_VERSION=3.1.32", "ASPNETCORE_URLS=http://+:80"}},
		{name: "dotnet core runtime 2.1", ref: "mcr.microsoft.com/dotnet/core/runtime:2.1", want: "mcr.microsoft.com/dotnet/runtime:2.1", env: []string{"DOTNET_VERSION=2.1.30"}},
		{name: "dotnet core runtime-deps 2.2 alpine", ref: "mcr.microsoft.com/dotnet/core/runtime-deps:2.2-alpine", want: "mcr.microsoft.com/dotnet/runtime-deps:2.2-alpine"},
		{name: "dotnet core sdk 3.0 bionic", ref: "mcr.microsoft.com/dotnet/core/sdk:3.0-bionic", want: "mcr.microsoft.com/dotnet/sdk:3.0-bionic", env: []string{"DOTNET_SDK_VERSION=3.0.103"}},
		{name: "dotnet core aspnet 3.1 focal", ref: "mcr.microsoft.com/dotnet/core/aspnet:3.1-focal", want: "mcr.microsoft.com/dotnet/aspnet:3.1-focal"},
		{name: "dotnet 8 keeps its app user config", ref: "mcr.microsoft.com/dotnet/aspnet:8.0", want: "mcr.microsoft.com/dotnet/aspnet:8.0",
			env: []string{"APP_UID=1654", "ASPNETCORE_HTTP_PORTS=8080"}, noEnv: []string{"ASPNETCORE_URLS"}},
		{name: "maven jdk-8 is openjdk-8", ref: "maven:3.6.3-jdk-8", want: "maven:3.6-openjdk-8", env: []string{"JAVA_HOME=/usr/local/openjdk-8", "MAVEN_HOME=/usr/share/maven"}},
		{name: "maven 3-jdk-11 is the newest line that had it", ref: "maven:3-jdk-11", want: "maven:3.8-openjdk-11", env: []string{"JAVA_HOME=/usr/local/openjdk-11"}},
		{name: "maven jdk slim", ref: "maven:3.6-jdk-8-slim", want: "maven:3.6-openjdk-8-slim"},
		{name: "maven openjdk exact", ref: "maven:3.8.1-openjdk-17", want: "maven:3.8.1-openjdk-17"},
		{name: "maven openjdk slim", ref: "maven:3.8-openjdk-11-slim", want: "maven:3.8-openjdk-11-slim"},
		{name: "maven corretto", ref: "maven:3.9-amazoncorretto-17", want: "maven:3.9-amazoncorretto-17", env: []string{"JAVA_HOME=/usr/lib/jvm/java-17-amazon-corretto"}},
		{name: "openjdk 8 jre alpine", ref: "openjdk:8-jre-alpine", want: "openjdk:8-jre-alpine", env: []string{"JAVA_HOME=/usr/local/openjdk-8"}},
		{name: "openjdk 11 jre slim", ref: "openjdk:11-jre-slim", want: "openjdk:11-jre-slim"},
		{name: "openjdk 8 jdk alpine", ref: "openjdk:8-jdk-alpine", want: "openjdk:8-alpine"},
		{name: "openjdk 17 jdk slim", ref: "openjdk:17-jdk-slim", want: "openjdk:17-slim"},
		{name: "adoptopenjdk jre hotspot", ref: "adoptopenjdk:11-jre-hotspot", want: "adoptopenjdk:11-jre-hotspot", env: []string{"JAVA_HOME=/opt/java/openjdk"}},
		{name: "amazoncorretto on amazon linux 2", ref: "amazoncorretto:17", want: "amazoncorretto:17", env: []string{"LANG=C.UTF-8", "JAVA_HOME=/usr/lib/jvm/java-17-amazon-corretto"}},
		{name: "amazoncorretto al2 is the default", ref: "amazoncorretto:17-al2", want: "amazoncorretto:17"},
		{name: "amazoncorretto 8", ref: "amazoncorretto:8", want: "amazoncorretto:8", env: []string{"JAVA_HOME=/usr/lib/jvm/java-1.8.0-amazon-corretto"}},
		{name: "amazoncorretto alpine", ref: "amazoncorretto:11-alpine", want: "amazoncorretto:11-alpine", env: []string{"JAVA_HOME=/usr/lib/jvm/default-jvm"}},
		{name: "amazoncorretto al2023", ref: "amazoncorretto:21-al2023", want: "amazoncorretto:21-al2023"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := Lookup(tt.ref)
			if err != nil {
				t.Fatal(err)
			}
			if img.Name != tt.want {
				t.Errorf("Lookup(%q) = %s, want %s", tt.ref, img.Name, tt.want)
			}
			for _, e := range tt.env {
				if !slices.Contains(img.Config.Env, e) {
					t.Errorf("Env %q lacks %q", img.Config.Env, e)
				}
			}
			for _, k := range tt.noEnv {
				for _, e := range img.Config.Env {
					if strings.HasPrefix(e, k+"=") {
						t.Errorf("Env sets %s", e)
					}
				}
			}
			if tt.workdir != "" && img.Config.WorkingDir != tt.workdir {
				t.Errorf("WorkingDir = %q, want %q", img.Config.WorkingDir, tt.workdir)
			}
		})
	}
}

// A core/ name is the new name's image itself (one image, two repositories), as
// Microsoft published it.
func TestDotnetCoreNamesAreTheSameImages(t *testing.T) {
	tests := []struct{ name, core, current string }{
		{"sdk", "mcr.microsoft.com/dotnet/core/sdk:3.1-buster", "mcr.microsoft.com/dotnet/sdk:3.1-buster"},
		{"aspnet", "mcr.microsoft.com/dotnet/core/aspnet:3.1", "mcr.microsoft.com/dotnet/aspnet:3.1-buster-slim"},
		{"runtime", "mcr.microsoft.com/dotnet/core/runtime:2.1-alpine", "mcr.microsoft.com/dotnet/runtime:2.1-alpine"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Lookup(tt.core)
			if err != nil {
				t.Fatal(err)
			}
			b, err := Lookup(tt.current)
			if err != nil {
				t.Fatal(err)
			}
			if a != b {
				t.Errorf("%s is %s, %s is %s: want the same image", tt.core, a.Name, tt.current, b.Name)
			}
		})
	}
}

// Tags the real repositories never had still fail as Docker's pull does.
func TestLookupLegacyTagsUnknown(t *testing.T) {
	tests := []struct{ name, ref string }{
		{"golang line with a distro of later years", "golang:1.11-bookworm"},
		{"golang line with an alpine of later years", "golang:1.13-alpine3.19"},
		{"golang release newer than its line", "golang:1.13.16"},
		{"maven jdk tags ended with 3.8", "maven:3.9-jdk-11"},
		{"maven jdk alpine ended before 3.8", "maven:3.8-jdk-8-alpine"},
		{".NET 5 was never under core", "mcr.microsoft.com/dotnet/core/sdk:5.0"},
		{".NET 8 SDK has no full-Debian tag", "mcr.microsoft.com/dotnet/sdk:8.0-bookworm"},
		{"core had no chiseled images", "mcr.microsoft.com/dotnet/core/runtime-deps:3.1-focal-chiseled"},
		{"adoptopenjdk ended in 2021", "adoptopenjdk:11-jre-hotspot-jammy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Lookup(tt.ref)
			if !errors.Is(err, ErrManifestUnknown) {
				t.Fatalf("Lookup(%q) = %v, want manifest unknown", tt.ref, err)
			}
			name, tag, _ := strings.Cut(tt.ref[strings.LastIndex(tt.ref, "/")+1:], ":")
			want := "manifest for " + tt.ref[:strings.LastIndex(tt.ref, "/")+1] + name + ":" + tag + " not found: manifest unknown: manifest unknown"
			if !strings.HasPrefix(err.Error(), want) {
				t.Errorf("error %q, want it to start with %q", err, want)
			}
		})
	}
}
