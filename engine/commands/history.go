package commands

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"layerlab/engine/image"
)

// `history` (`image history`): one row per history entry of the image's config, newest
// first, as the daemon's ImageHistory builds them and the CLI's history formatter prints
// them (cli/command/image/formatter_history.go).

func init() {
	// docker prints each name's own usage line and lists no aliases, so these are two
	// entries sharing one implementation.
	for _, name := range []string{"history", "image history"} {
		register(&command{name: name, use: name + " [OPTIONS] IMAGE", short: "Show the history of an image",
			minArgs: 1, maxArgs: 1, flags: historyFlags, run: runHistory})
	}
}

func historyFlags(fs *FlagSet) {
	fs.String("format", "", "", "Pretty-print images using a Go template")
	fs.Bool("human", "H", true, "Print sizes and dates in human readable format")
	fs.Bool("no-trunc", "", false, "Don't truncate output")
	fs.Bool("quiet", "q", false, "Only show image IDs")
}

const (
	defaultHistoryTableFormat  = "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
	nonHumanHistoryTableFormat = "table {{.ID}}\t{{.CreatedAt}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"
)

var historyHeader = map[string]string{
	"ID":           "IMAGE",
	"CreatedSince": "CREATED",
	"CreatedAt":    "CREATED AT",
	"CreatedBy":    "CREATED BY",
	"Size":         "SIZE",
	"Comment":      "COMMENT",
}

// historyItem is the daemon's HistoryResponseItem.
type historyItem struct {
	id        string // image ID, or "<missing>" when no image in the store is that step
	created   time.Time
	createdBy string
	size      int64
	comment   string
}

// imageHistory is the daemon's ImageHistory: the config's history rows newest first,
// each non-empty one sized by its layer; then, from the top, each row gets the next
// image of the parent chain, and rows beyond the chain's end stay "<missing>".
func imageHistory(ctx context.Context, st Store, rec *image.Record) ([]historyItem, error) {
	img, err := rec.ConfigFile(ctx)
	if err != nil {
		return nil, fmt.Errorf("read config of %s: %w", rec.ID, err)
	}
	var items []historyItem
	layer := 0
	for _, h := range img.History {
		var size int64
		if !h.EmptyLayer {
			if layer >= len(rec.Layers) {
				return nil, fmt.Errorf("too many non-empty layers in History section")
			}
			size = rec.Layers[layer].Size
			layer++
		}
		items = append([]historyItem{{id: "<missing>", created: h.Created, createdBy: h.CreatedBy,
			size: size, comment: h.Comment}}, items...)
	}
	cur := rec
	for i := range items {
		items[i].id = cur.ID.String()
		if cur.Parent == "" {
			break
		}
		next, err := st.Image(ctx, cur.Parent)
		if err != nil {
			break
		}
		cur = next
	}
	return items, nil
}

// historyRow is one row of `history`: its methods are the fields a --format template can
// use, as the CLI's historyContext.
type historyRow struct {
	h            historyItem
	trunc, human bool
	now          time.Time
}

// ID is the image of this step, 12 hex digits unless --no-trunc, or "<missing>".
func (r *historyRow) ID() string {
	if r.trunc {
		return truncID(r.h.id)
	}
	return r.h.id
}

// CreatedAt is the step's time, RFC 3339, whole seconds.
func (r *historyRow) CreatedAt() string {
	return time.Unix(r.h.created.Unix(), 0).Format(time.RFC3339)
}

// CreatedSince is the step's age ("2 seconds ago"), or CreatedAt with -H=false.
func (r *historyRow) CreatedSince() string {
	if !r.human {
		return r.CreatedAt()
	}
	return since(r.now, r.h.created)
}

// CreatedBy is the step's command, tabs as spaces, cut to 45 runes unless --no-trunc.
func (r *historyRow) CreatedBy() string {
	s := strings.ReplaceAll(r.h.createdBy, "\t", " ")
	if r.trunc {
		return ellipsis(s, 45)
	}
	return s
}

// Size is the step's layer size ("0B" for a step without a layer); bytes with -H=false.
func (r *historyRow) Size() string {
	if r.human {
		return imageSize(r.h.size)
	}
	return strconv.FormatInt(r.h.size, 10)
}

// Comment is the history entry's comment.
func (r *historyRow) Comment() string { return r.h.comment }

// MarshalJSON is `{{json .}}`: every field, keys sorted.
func (r *historyRow) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{
		"Comment": r.Comment(), "CreatedAt": r.CreatedAt(), "CreatedBy": r.CreatedBy(),
		"CreatedSince": r.CreatedSince(), "ID": r.ID(), "Size": r.Size(),
	})
}

func runHistory(ctx context.Context, env *Env, fs *FlagSet, args []string) (int, error) {
	rec, err := lookupImage(ctx, env.Store, args[0])
	if err != nil {
		return daemonError(env, err)
	}
	items, err := imageHistory(ctx, env.Store, rec)
	if err != nil {
		return daemonError(env, err)
	}
	human := flagBool(fs, "human")
	format := flagString(fs, "format")
	if format == "" || format == tableFormatKey {
		switch {
		case flagBool(fs, "quiet"):
			format = defaultQuietFormat
		case !human:
			format = nonHumanHistoryTableFormat
		default:
			format = defaultHistoryTableFormat
		}
	}
	now := env.now()
	rows := make([]any, len(items))
	for i, h := range items {
		rows[i] = &historyRow{h: h, trunc: !flagBool(fs, "no-trunc"), human: human, now: now}
	}
	if err := writeFormatted(env.Stdout, format, historyHeader, rows); err != nil {
		return failed(env, 1, err)
	}
	return 0, nil
}
