// Package testenv says what a test needs from the machine it runs on (a Docker daemon,
// a client, a base image, a browser, an installed tool). Where the CI environment
// variable is set (.ci/run sets CI=true), a missing requirement fails the test with the
// reason, so CI cannot go green by skipping what it is meant to check; elsewhere the
// test skips, so a developer without Docker or Chromium can still run the rest.
//
// Skips that are optional everywhere (-short, an address this machine lacks) do not
// use it.
package testenv

import (
	"os"
	"testing"
)

// InCI reports whether the tests run in CI: CI is set to anything but "", "0" or
// "false" (the values a developer might export to say "not CI").
func InCI() bool {
	switch os.Getenv("CI") {
	case "", "0", "false":
		return false
	}
	return true
}

// Need stops t unless ok: with t.Fatal and the reason in CI, with t.Skip elsewhere.
func Need(t testing.TB, ok bool, reason string) {
	t.Helper()
	if ok {
		return
	}
	if InCI() {
		t.Fatal("CI needs this test to run: " + reason)
	} else {
		t.Skip(reason)
	}
}
