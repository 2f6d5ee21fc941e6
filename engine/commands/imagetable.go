package commands

import (
	"context"
	"strings"
	"time"

	digest "github.com/opencontainers/go-digest"
)

// ImageTableOptions are the `image ls` flags ListImageTable takes.
type ImageTableOptions struct {
	All      bool // -a: intermediate images too
	Dangling bool // --filter dangling=true
}

// ImageTable is `docker image ls [-a] [--filter dangling=true]` listed once: the rows
// as `--no-trunc --format '{{json .}}'` gives them, with what a page adds to each, and
// the text the command prints.
type ImageTable struct {
	Rows []ImageTableRow
	// Text is what the command prints on stdout, byte for byte (the default table).
	Text string
}

// ImageTableRow is one row of the table, its fields valued as `image ls --format` gives
// them.
type ImageTableRow struct {
	Repository   string        // "<none>" for an untagged image
	Tag          string        // "<none>" for an untagged image or a repository known only by digest
	ID           digest.Digest // the full image ID
	CreatedSince string        // "25 minutes ago"
	CreatedAt    string        // "2026-01-02 10:04:05 +0000 UTC"
	Size         string        // "1.98MB"
	// Untagged marks the <none>:<none> row of an image no reference names. Such an
	// image is Intermediate when another image has it as parent (listed only with -a),
	// else dangling.
	Untagged     bool
	Intermediate bool
}

// ListImageTable lists the images once and returns both the rows and the text of
// `image ls` with opts, as the command computes them; now is the clock of the relative
// times. The text is written by the command's own writer, so it is the bytes the
// command prints.
func ListImageTable(ctx context.Context, st Store, opts ImageTableOptions, now time.Time) (*ImageTable, error) {
	f := imageFilters{}
	if opts.Dangling {
		f.add("dangling", "true")
	}
	sums, err := listImages(ctx, st, f, opts.All)
	if err != nil {
		return nil, err
	}
	rows := imageRows(sums, true, false, now)
	var text strings.Builder
	if err := writeDefaultImageTable(&text, rows, false); err != nil {
		return nil, err
	}
	t := &ImageTable{Text: text.String(), Rows: make([]ImageTableRow, 0, len(rows))}
	for _, r := range rows {
		row := r.(*imageRow)
		t.Rows = append(t.Rows, ImageTableRow{Repository: row.repo, Tag: row.tag, ID: row.rec.ID,
			CreatedSince: row.CreatedSince(), CreatedAt: row.CreatedAt(), Size: row.Size(),
			Untagged: row.sum.dangling, Intermediate: row.sum.dangling && row.sum.hasChild})
	}
	return t, nil
}
