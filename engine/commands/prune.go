package commands

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"
)

// `image prune`: the CLI's confirmation and report (docker/cli cli/command/image/prune.go)
// over the daemon's ImagesPrune (moby daemon/images/image_prune.go), which deletes each
// candidate with ImageDelete as `rmi` does, not forced, parents pruned.

const (
	pruneDanglingWarning = "WARNING! This will remove all dangling images.\nAre you sure you want to continue?"
	pruneAllWarning      = "WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue?"
)

// pruneAcceptedFilters are the filter keys the daemon takes for image prune.
var pruneAcceptedFilters = map[string]bool{"dangling": true, "label": true, "label!": true, "until": true}

func init() {
	register(&command{
		name: "image prune", use: "image prune [OPTIONS]", short: "Remove unused images",
		minArgs: 0, maxArgs: 0,
		flags: func(fs *FlagSet) {
			fs.Bool("all", "a", false, "Remove all unused images, not just dangling ones")
			fs.List("filter", "", "filter", "Provide filter values (e.g. 'until=<timestamp>')")
			fs.Bool("force", "f", false, "Do not prompt for confirmation")
		},
		run: runPrune,
	})
}

func runPrune(ctx context.Context, env *Env, fs *FlagSet, _ []string) (int, error) {
	all, force := flagBool(fs, "all"), flagBool(fs, "force")
	filters, bad, err := parseImageFilters(flagList(fs, "filter"))
	if err != nil {
		return flagValueError(env, fs, "filter", bad, err)
	}
	filters.add("dangling", strconv.FormatBool(!all))
	warning := pruneDanglingWarning
	if all {
		warning = pruneAllWarning
	}
	// Docker asks whether or not stdin is a terminal, and an empty read means no; a
	// declined prune still reports 0B.
	if !force && !confirm(env.Stdin, env.Stdout, warning) {
		fmt.Fprintln(env.Stdout, "Total reclaimed space: 0B")
		return 0, nil
	}
	recs, reclaimed, err := pruneImages(ctx, env, filters)
	if err != nil {
		return daemonError(env, err)
	}
	if len(recs) > 0 {
		var b strings.Builder
		b.WriteString("Deleted Images:\n")
		for _, r := range recs {
			if r.untagged != "" {
				fmt.Fprintf(&b, "untagged: %s\n", r.untagged)
			} else {
				fmt.Fprintf(&b, "deleted: %s\n", r.deleted)
			}
		}
		fmt.Fprintln(env.Stdout, b.String())
	}
	fmt.Fprintln(env.Stdout, "Total reclaimed space:", humanSize(float64(reclaimed)))
	return 0, nil
}

// confirm is the CLI's PromptForConfirmation: only "y" or "Y" on the first line is yes.
func confirm(in io.Reader, out io.Writer, message string) bool {
	fmt.Fprint(out, message+" [y/N] ")
	if in == nil {
		return false
	}
	line, _, _ := bufio.NewReader(in).ReadLine()
	return strings.ToLower(string(line)) == "y"
}

// pruneImages is the daemon's ImagesPrune. It returns what was untagged and deleted
// and the space reclaimed as Docker reports it (spaceReclaimed).
//
// The layers the deletions released are freed on disk at once (the store's Release,
// then its GC of blobs that killed builds or loads left behind), but the figure is not
// those bytes: Docker 20.10 adds up the content size of each released layer, and so
// does layerlab (a layer tar's headers and padding, and a blob another workspace
// still uses, make no difference to it).
func pruneImages(ctx context.Context, env *Env, filters imageFilters) ([]deleteRecord, int64, error) {
	started := time.Now()
	rules, err := parsePruneFilters(filters, env.now())
	if err != nil {
		return nil, 0, err
	}
	idx, err := loadImageIndex(ctx, env.Store)
	if err != nil {
		return nil, 0, err
	}
	out, failed, err := rules.prune(ctx, idx, nil)
	if err != nil {
		return nil, 0, err
	}
	if len(out) > 0 {
		if _, err := env.Store.Release(ctx, idx.released(), started); err != nil {
			failed = append(failed, fmt.Sprintf("collect unused layers: %v", err))
		}
	}
	// Blobs that a killed build or load left referenced by nothing go too, once they
	// are old enough that no running command can still be about to use them.
	if _, err := env.Store.GC(ctx); err != nil {
		failed = append(failed, fmt.Sprintf("collect unused blobs: %v", err))
	}
	reclaimed := idx.spaceReclaimed(out)
	if len(failed) > 0 {
		// The daemon only logs these; layerlab's user is its own administrator.
		return out, reclaimed, fmt.Errorf("%s", strings.Join(failed, "; "))
	}
	return out, reclaimed, nil
}

// spaceReclaimed is the daemon's SpaceReclaimed (moby daemon/images/image_prune.go):
// for each deleted record that is the chain ID of a layer the store held when the
// index was loaded, that layer's DiffSize, which is the content size `docker history`
// shows for its step (two RUN layers of an 18-byte file each: 36B). Image IDs among
// the records add nothing.
func (x *imageIndex) spaceReclaimed(recs []deleteRecord) int64 {
	sizes := map[digest.Digest]int64{}
	for _, rec := range x.loaded {
		for i, c := range chainIDs(rec) {
			sizes[c] = rec.Layers[i].Size
		}
	}
	var n int64
	for _, r := range recs {
		if r.deleted != "" {
			n += sizes[digest.Digest(r.deleted)]
		}
	}
	return n
}

// pruneRules are image prune's filters as the daemon reads them.
type pruneRules struct {
	filters      imageFilters
	danglingOnly bool      // dangling=true (the default): only untagged heads
	until        time.Time // zero: no until filter
}

// parsePruneFilters checks image prune's filters and reads them; now is the clock of
// an until= duration.
func parsePruneFilters(filters imageFilters, now time.Time) (pruneRules, error) {
	var keys []string
	for k := range filters {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !pruneAcceptedFilters[k] {
			return pruneRules{}, invalidf("Invalid filter '%s'", k)
		}
	}
	p := pruneRules{filters: filters, danglingOnly: true}
	if len(filters["dangling"]) > 0 {
		if filters["dangling"]["false"] || filters["dangling"]["0"] {
			p.danglingOnly = false
		} else if !filters["dangling"]["true"] && !filters["dangling"]["1"] {
			return pruneRules{}, invalidf("Invalid filter 'dangling=%s'", strings.Join(filters.values("dangling"), ","))
		}
	}
	if u := filters.values("until"); len(u) > 1 {
		return pruneRules{}, invalidf("more than one until filter specified")
	} else if len(u) == 1 {
		t, err := parseUntil(u[0], now)
		if err != nil {
			return pruneRules{}, withClass(ErrInvalid, err)
		}
		p.until = t
	}
	return p, nil
}

// candidates are the images prune considers, chosen before anything is deleted, as
// Docker does. Docker walks them in map order; layerlab takes them newest first, so the
// report is stable.
func (p pruneRules) candidates(ctx context.Context, idx *imageIndex) ([]digest.Digest, error) {
	var out []digest.Digest
	for _, id := range idx.order {
		rec := idx.images[id]
		if p.danglingOnly && idx.children[id] > 0 {
			continue // not a head
		}
		if len(idx.refs[id]) == 0 && idx.children[id] > 0 {
			continue // an intermediate image: it goes with its last child
		}
		if !p.until.IsZero() || len(p.filters["label"]) > 0 || len(p.filters["label!"]) > 0 {
			img, err := rec.ConfigFile(ctx)
			if err != nil {
				return nil, fmt.Errorf("read config of %s: %w", id, err)
			}
			if !p.until.IsZero() && img.Created.After(p.until) {
				continue
			}
			if img.Config != nil && !matchPruneLabels(p.filters, img.Config.Labels) {
				continue
			}
		}
		out = append(out, id)
	}
	return out, nil
}

// prune untags and deletes the candidates over idx as the daemon does (each with
// ImageDelete, not forced, untagged parents pruned), and returns the records and the
// failures of single deletions, which do not stop it; err is a failure to choose the
// candidates, before anything was deleted. Before each candidate it calls visit, when
// set, with the candidate's ID.
func (p pruneRules) prune(ctx context.Context, idx *imageIndex, visit func(digest.Digest)) (_ []deleteRecord, failed []string, err error) {
	var out []deleteRecord
	candidates, err := p.candidates(ctx, idx)
	if err != nil {
		return nil, nil, err
	}
	for _, id := range candidates {
		if _, ok := idx.images[id]; !ok {
			continue // deleted already, as the parent of an earlier candidate
		}
		var names []string
		if refs := idx.refs[id]; len(refs) > 0 {
			shouldDelete := !p.danglingOnly
			if !shouldDelete {
				hasTag := false
				for _, r := range refs {
					if _, ok := r.(reference.NamedTagged); ok {
						hasTag = true
						break
					}
				}
				shouldDelete = !hasTag // only digest references: untagged
			}
			if !shouldDelete {
				continue
			}
			for _, r := range refs {
				names = append(names, r.String())
			}
		} else {
			names = []string{id.Encoded()}
		}
		if visit != nil {
			visit(id)
		}
		for _, name := range names {
			recs, err := idx.imageDelete(ctx, name, false, true)
			out = append(out, recs...)
			if err != nil {
				if _, ok := err.(*deleteConflict); ok {
					continue // Docker skips conflicts silently
				}
				if _, ok := err.(*missingImageError); ok {
					continue
				}
				failed = append(failed, fmt.Sprintf("prune image %s: %v", name, err))
			}
		}
	}
	return out, failed, nil
}

// matchPruneLabels is the daemon's matchLabels: every label= filter holds and, when
// there are label! filters, not all of them hold.
func matchPruneLabels(f imageFilters, labels map[string]string) bool {
	if !matchKVList(f["label"], labels) {
		return false
	}
	if len(f["label!"]) > 0 && matchKVList(f["label!"], labels) {
		return false
	}
	return true
}

// matchKVList is filters.Args.MatchKVList: every "key" or "key=value" holds.
func matchKVList(want map[string]bool, labels map[string]string) bool {
	if len(want) == 0 {
		return true
	}
	if len(labels) == 0 {
		return false
	}
	for kv := range want {
		k, v, hasV := strings.Cut(kv, "=")
		got, ok := labels[k]
		if !ok || (hasV && got != v) {
			return false
		}
	}
	return true
}

// parseUntil is the daemon's until filter: a Go duration before now, an RFC 3339 time
// or date (local to now's zone when it has none), or Unix seconds[.nanoseconds]
// (docker's api/types/time GetTimestamp and ParseTimestamps).
func parseUntil(value string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(value); value != "0" && err == nil {
		return time.Unix(now.Add(-d).Unix(), 0), nil
	}
	parseInLocation := !(strings.ContainsAny(value, "zZ+") || strings.Count(value, "-") == 3)
	var format string
	switch {
	case strings.Contains(value, "."):
		format = time.RFC3339Nano
		if parseInLocation {
			format = "2006-01-02T15:04:05.999999999"
		}
	case strings.Contains(value, "T"):
		colons := strings.Count(value, ":")
		if !parseInLocation && !strings.ContainsAny(value, "zZ") && colons > 0 {
			colons--
		}
		switch {
		case parseInLocation && colons == 0:
			format = "2006-01-02T15"
		case parseInLocation && colons == 1:
			format = "2006-01-02T15:04"
		case parseInLocation:
			format = "2006-01-02T15:04:05"
		case colons == 0:
			format = "2006-01-02T15Z07:00"
		case colons == 1:
			format = "2006-01-02T15:04Z07:00"
		default:
			format = time.RFC3339
		}
	case parseInLocation:
		format = "2006-01-02"
	default:
		format = "2006-01-02Z07:00"
	}
	var t time.Time
	var err error
	if parseInLocation {
		t, err = time.ParseInLocation(format, value, time.FixedZone(now.Zone()))
	} else {
		t, err = time.Parse(format, value)
	}
	if err == nil {
		return t, nil
	}
	if strings.Contains(value, "-") {
		return time.Time{}, err
	}
	sec, nsec, perr := parseUnixTimestamp(value)
	if perr != nil {
		return time.Time{}, fmt.Errorf("failed to parse value as time or duration: %q", value)
	}
	return time.Unix(sec, nsec), nil
}

// parseUnixTimestamp reads "seconds[.fraction]".
func parseUnixTimestamp(value string) (int64, int64, error) {
	s, frac, hasFrac := strings.Cut(value, ".")
	sec, err := strconv.ParseInt(s, 10, 64)
	if err != nil || !hasFrac {
		return sec, 0, err
	}
	n, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return sec, n, err
	}
	n = int64(float64(n) * math.Pow(10, float64(9-len(frac))))
	return sec, n, nil
}
