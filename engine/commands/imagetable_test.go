package commands

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"
)

// TestListImageTableIsImageLs: ListImageTable's text is what `image ls [-a] [--filter
// dangling=true]` prints, byte for byte, and its rows are what `--no-trunc --format
// '{{json .}}'` prints, in order, each untagged row told intermediate or dangling.
func TestListImageTableIsImageLs(t *testing.T) {
	s := oracleScene(t)
	s.now = oracleTime.Add(1900 * time.Millisecond)
	// A repository known only by digest: a row with tag <none>.
	bk, err := s.st.Lookup(context.Background(), "demo:bk")
	if err != nil {
		t.Fatal(err)
	}
	s.tag("bydigest@"+digest.FromString("manifest").String(), bk.ID.String())

	kinds := map[string]int{}
	for _, opts := range []ImageTableOptions{{}, {All: true}, {Dangling: true}, {All: true, Dangling: true}} {
		args := []string{"image", "ls"}
		if opts.All {
			args = append(args, "-a")
		}
		if opts.Dangling {
			args = append(args, "--filter", "dangling=true")
		}
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			got, err := ListImageTable(context.Background(), s.st, opts, s.now)
			if err != nil {
				t.Fatal(err)
			}
			out, errs, code := s.run(args...)
			if code != 0 || errs != "" {
				t.Fatalf("exit %d: %s", code, errs)
			}
			if got.Text != out {
				t.Errorf("text:\n%s\nthe command prints:\n%s", got.Text, out)
			}
			js, errs, code := s.run(append(args, "--no-trunc", "--format", "{{json .}}")...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errs)
			}
			lines := strings.Split(strings.TrimSuffix(js, "\n"), "\n")
			if len(got.Rows) != len(lines) {
				t.Fatalf("%d rows, the command prints %d:\n%s", len(got.Rows), len(lines), js)
			}
			for i, line := range lines {
				var want struct{ Repository, Tag, ID, CreatedSince, CreatedAt, Size string }
				if err := json.Unmarshal([]byte(line), &want); err != nil {
					t.Fatal(err)
				}
				r := got.Rows[i]
				have := []string{r.Repository, r.Tag, r.ID.String(), r.CreatedSince, r.CreatedAt, r.Size}
				if w := []string{want.Repository, want.Tag, want.ID, want.CreatedSince, want.CreatedAt, want.Size}; strings.Join(have, "|") != strings.Join(w, "|") {
					t.Errorf("row %d = %q, the command prints %q", i, have, w)
				}
				if r.Untagged != (want.Repository == "<none>") {
					t.Errorf("row %d (%s:%s): Untagged %v", i, r.Repository, r.Tag, r.Untagged)
				}
				kids, err := s.st.Children(context.Background(), r.ID, 1)
				if err != nil {
					t.Fatal(err)
				}
				if r.Intermediate != (r.Untagged && len(kids) > 0) {
					t.Errorf("row %d (%s): Intermediate %v with %d children", i, r.ID, r.Intermediate, len(kids))
				}
				switch {
				case r.Intermediate:
					kinds["intermediate"]++
				case r.Untagged:
					kinds["dangling"]++
				case r.Tag == "<none>":
					kinds["digest only"]++
				}
			}
		})
	}
	for _, k := range []string{"intermediate", "dangling", "digest only"} {
		if kinds[k] == 0 {
			t.Errorf("no %s row was checked", k)
		}
	}
}
