package handlers

import (
	"context"
	"encoding/xml"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"layerlab/internal/testenv"
)

// conformanceModule is the OCI distribution-spec conformance suite; its version is
// pinned in hub/conformance/go.mod (and go.sum).
const conformanceModule = "github.com/opencontainers/distribution-spec/conformance"

// TestConformanceSuite runs the OCI distribution-spec conformance suite against the
// hub, twice: with the spec 1.1 defaults, and with every API the suite knows ("dev":
// upload cancel, tag parameters, required digest headers). Every default data kind is
// on (sha512, referrers, subjects, nested indexes, empty blobs, ...). It fails on any
// failure or error, and on a skip the configuration did not ask for.
//
// It builds the suite from the Go module proxy, so it runs only when asked:
// LAYERLAB_HUB_CONFORMANCE=1 (scripts/test sets it) or in CI (CI set).
// scripts/hub-conformance runs the same suite against a real `layerlab serve`.
func TestConformanceSuite(t *testing.T) {
	if os.Getenv("LAYERLAB_HUB_CONFORMANCE") != "1" && !testenv.InCI() {
		t.Skip("the OCI conformance suite runs with LAYERLAB_HUB_CONFORMANCE=1 (scripts/test sets it): it is built from the Go module proxy")
	}
	bin := buildConformance(t)
	env := newTestServer(t)
	ns, token := regCredentials(t, env.Store, "conformance")
	host := strings.TrimPrefix(env.HTTP.URL, "http://")
	for _, run := range []struct{ name, version, repo string }{
		{"spec 1.1 defaults", "1.1", "v11"},
		{"every API (dev)", "dev", "dev"},
	} {
		t.Run(run.name, func(t *testing.T) {
			results := t.TempDir()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin)
			cmd.Dir = results
			vars := map[string]string{
				"OCI_REGISTRY":    host,
				"OCI_TLS":         "disabled",
				"OCI_REPO1":       ns + "/" + run.repo + "/repo1",
				"OCI_REPO2":       ns + "/" + run.repo + "/repo2",
				"OCI_USERNAME":    ns,
				"OCI_PASSWORD":    token,
				"OCI_VERSION":     run.version,
				"OCI_RESULTS_DIR": results,
				"OCI_LOG":         "warn",
			}
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "OCI_") {
					cmd.Env = append(cmd.Env, kv)
				}
			}
			var shown []string
			for k, v := range vars {
				cmd.Env = append(cmd.Env, k+"="+v)
				if k != "OCI_PASSWORD" {
					shown = append(shown, k+"="+v)
				}
			}
			slices.Sort(shown)
			out, runErr := cmd.CombinedOutput()
			t.Logf("ran: %s %s", strings.Join(shown, " "), bin)
			c, err := readJUnit(filepath.Join(results, "junit.xml"))
			if err != nil {
				t.Fatalf("conformance suite: %v (exit: %v)\n%s", err, runErr, tail(out, 60))
			}
			t.Logf("OCI conformance (%s): %s; junit.xml: %d passed, %d failed, %d skipped of %d test cases",
				run.version, summary(out), c.passed, c.failed, c.skipped, c.total)
			if c.failed > 0 || runErr != nil {
				t.Errorf("%d tests failed (exit: %v):\n  %s\n%s", c.failed, runErr, strings.Join(c.failures, "\n  "), tail(out, 60))
			}
			if len(c.unaskedSkips) > 0 {
				t.Errorf("skipped although the configuration enables them:\n  %s", strings.Join(c.unaskedSkips, "\n  "))
			}
			if c.passed == 0 {
				t.Errorf("no test passed:\n%s", tail(out, 60))
			}
		})
	}
}

// buildConformance builds the pinned suite into a temp dir.
func buildConformance(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "hub", "conformance"))
	if err != nil {
		t.Fatal(err)
	}
	// go test puts its own toolchain's bin first on the test's PATH.
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("no go command on PATH to build the conformance suite: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "oci-conformance")
	cmd := exec.Command(goBin, "build", "-o", bin, conformanceModule)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod -buildvcs=false", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build the conformance suite (in %s: go build -o BIN %s): %v\n%s", dir, conformanceModule, err, out)
	}
	return bin
}

type junitCounts struct {
	total, passed, failed, skipped int
	failures, unaskedSkips         []string
}

// readJUnit counts the suite's junit.xml report: each testcase's status is passed,
// skipped (the configuration disabled the API or data kind, or the suite skipped it),
// failure or error.
func readJUnit(path string) (junitCounts, error) {
	var c junitCounts
	b, err := os.ReadFile(path)
	if err != nil {
		return c, err
	}
	var doc struct {
		Suites []struct {
			Cases []struct {
				Name      string `xml:"name,attr"`
				Status    string `xml:"status,attr"`
				SystemOut string `xml:"system-out"`
				SystemErr string `xml:"system-err"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		return c, fmt.Errorf("read %s: %w", path, err)
	}
	for _, s := range doc.Suites {
		for _, tc := range s.Cases {
			c.total++
			switch tc.Status {
			case "passed":
				c.passed++
			case "skipped":
				c.skipped++
				if !strings.Contains(tc.SystemErr, "disabled in the configuration") {
					c.unaskedSkips = append(c.unaskedSkips, tc.Name+": "+firstLine(tc.SystemErr))
				}
			default:
				c.failed++
				c.failures = append(c.failures, tc.Name+": "+firstLine(tc.SystemOut))
			}
		}
	}
	return c, nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}

// tail is the last n lines of out.
func tail(out []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// summary is the suite's own count, as it prints it ("Pass....: 860"): "860 passed,
// 0 failed, 0 errors, 0 skipped, 2 disabled".
func summary(out []byte) string {
	count := func(label string) string {
		m := regexp.MustCompile(`(?m)^\s*` + label + `\.*:\s*(\d+)`).FindSubmatch(out)
		if m == nil {
			return "?"
		}
		return string(m[1])
	}
	return fmt.Sprintf("%s passed, %s failed, %s errors, %s skipped, %s disabled",
		count("Pass"), count("FAIL"), count("Error"), count("Skip"), count("Disabled"))
}
