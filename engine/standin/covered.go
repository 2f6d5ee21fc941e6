package standin

import (
	"bufio"
	"sort"
	"strings"

	"layerlab/engine/baseimage"
)

// Covered lists, besides the examples' bases (ExampleBases), the stand-ins the table
// must hold: those the lesson names and those the tests of the tree build on most.
// A name that is not (yet) a stand-in is left out of the table, not an error.
var Covered = []string{
	"python:3.9", "python:3.9-slim", "python:3.11", "python:3.12-slim", "python:latest",
	"alpine:3.20", "alpine:latest", "busybox:latest", "debian:bookworm", "debian:bookworm-slim",
	"ubuntu:24.04", "node:20-alpine", "node:22", "golang:1.22", "golang:1.23", "nginx:latest",
	"postgres:latest", "redis:latest", "buildpack-deps:bookworm",
	// The bases of the project's own corpus (testdata/corpus), one or more per ecosystem:
	// what students' Dockerfiles start from most.
	"alpine:3.19", "eclipse-temurin:17-jre", "eclipse-temurin:17-jre-jammy", "fedora:39",
	"golang:1.21", "golang:1.22-alpine", "gradle:8-jdk17", "maven:3.9-eclipse-temurin-17",
	"mcr.microsoft.com/dotnet/aspnet:8.0", "mcr.microsoft.com/dotnet/sdk:8.0", "nginx:1.25-alpine",
	"node:18", "node:18-alpine", "node:20-slim", "php:8.2-fpm-alpine", "postgres:16-alpine",
	"python:3.10", "python:3.10-slim", "python:3.11-slim", "python:3.9-alpine", "ruby:3.2-slim",
	"rust:1.75", "ubuntu:22.04", "composer:2", "ghcr.io/astral-sh/uv:latest",
}

// FromLines returns the base images a Dockerfile's FROM lines name (stage names,
// scratch and flags left out), for the table's coverage.
func FromLines(dockerfile string) []string {
	var out []string
	stages := map[string]bool{"scratch": true}
	sc := bufio.NewScanner(strings.NewReader(dockerfile))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 || !strings.EqualFold(f[0], "FROM") {
			continue
		}
		f = f[1:]
		for len(f) > 0 && strings.HasPrefix(f[0], "--") {
			f = f[1:]
		}
		if len(f) == 0 {
			continue
		}
		if !stages[strings.ToLower(f[0])] {
			out = append(out, f[0])
		}
		if len(f) >= 3 && strings.EqualFold(f[1], "AS") {
			stages[strings.ToLower(f[2])] = true
		}
	}
	return out
}

// Resolve looks each name up and returns the stand-ins, each once, sorted by canonical
// name, and the names that are not stand-ins.
func Resolve(names []string) (found []*baseimage.Image, missing []string) {
	seen := map[string]bool{}
	for _, n := range names {
		img, err := baseimage.Lookup(n)
		if err != nil {
			missing = append(missing, n)
			continue
		}
		if !seen[img.Name] {
			seen[img.Name] = true
			found = append(found, img)
		}
	}
	sort.Slice(found, func(i, j int) bool { return found[i].Name < found[j].Name })
	return found, missing
}
