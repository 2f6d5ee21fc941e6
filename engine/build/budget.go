package build

import (
	"errors"
	"fmt"
	"io"
	"time"

	"layerlab/engine/rootfs"
	"layerlab/engine/sandbox"
)

// Budget bounds what one build may spend beyond what the sandbox bounds per RUN step.
// Docker has none of these limits but the layer depth (its storage driver's); each
// error names the limit and its number, and fails only the step that ran out.
type Budget struct {
	// MaxUnpack is the bytes that all of a build's ADD archives may unpack to,
	// together: four ADDs of a bomb share one allowance, not four.
	MaxUnpack int64
	// An ADD archive whose compressed data inflates more than MaxRatio times its own
	// size, once past RatioFloor bytes, is refused as a decompression bomb.
	MaxRatio   int64
	RatioFloor int64
	// MaxWritten is the bytes that all of a build's RUN steps may leave in their
	// layers, together (file content held in memory; the sandbox's generated stand-in
	// files cost nothing and are not counted). Each RUN may write what is left of it,
	// and at most its own sandbox limit.
	MaxWritten int64
	// MaxOutput is the bytes all of a build's RUN steps may print, together (each
	// RUN may print what is left of it, and at most its own sandbox limit): its log
	// is stored and replayed to every watcher.
	MaxOutput int64
	// MaxTime is how long a build may run; each RUN may take what is left of it, and
	// at most its own sandbox limit, and no step starts past it.
	MaxTime time.Duration
}

// MaxLayerDepth is the most layers an image may have: Docker's layer store refuses to
// commit a layer onto a parent this deep ("max depth exceeded"; recorded with 20.10 and
// overlay2, testdata/conformance/errors/x74-layer-depth). Steps that change no files
// add no layer and still succeed at this depth, as in Docker.
const MaxLayerDepth = 125

// MaxConfigBytes bounds the config of an image a build commits: each step's image
// repeats all of it, so ENV or LABEL values that keep growing would multiply. Real
// images' configs are a few KiB; 500 steps of the largest are 512 MiB at most.
const MaxConfigBytes = 1 << 20

// DefaultBudget is far past what a class's images unpack (a language runtime's
// tarball inflates 3-10 times; zeros compress 1000 times and more) and write (a build's
// RUN steps may together write what one RUN may, the sandbox's 512 MiB, and print 8
// of its 1 MiB; a teaching build takes seconds, not ten minutes).
var DefaultBudget = Budget{MaxUnpack: 512 << 20, MaxRatio: 200, RatioFloor: 16 << 20, MaxWritten: 512 << 20,
	MaxOutput: 8 << 20, MaxTime: 10 * time.Minute}

// withDefaults gives each zero (or negative) field DefaultBudget's value.
func (b Budget) withDefaults() Budget {
	d := DefaultBudget
	if b.MaxUnpack > 0 {
		d.MaxUnpack = b.MaxUnpack
	}
	if b.MaxRatio > 0 {
		d.MaxRatio = b.MaxRatio
	}
	if b.RatioFloor > 0 {
		d.RatioFloor = b.RatioFloor
	}
	if b.MaxWritten > 0 {
		d.MaxWritten = b.MaxWritten
	}
	if b.MaxOutput > 0 {
		d.MaxOutput = b.MaxOutput
	}
	if b.MaxTime > 0 {
		d.MaxTime = b.MaxTime
	}
	return d
}

// ErrBudget is a build that ran out of one of its Budget's limits.
var ErrBudget = errors.New("build budget exceeded")

// unpackBudget is what a build's ADD extractions have spent of MaxUnpack.
type unpackBudget struct {
	lim  Budget
	used int64
}

func (u *unpackBudget) left() int64 { return max(u.lim.MaxUnpack-u.used, 0) }

func (u *unpackBudget) exceeded() error {
	return fmt.Errorf("%w: this build's ADD archives unpack to more than %s together, layerlab's limit per build (Docker has none); ADD smaller archives, or fewer",
		ErrBudget, sizeText(u.lim.MaxUnpack))
}

// guard counts what an archive's decompressed stream yields and stops it when the
// build's unpack allowance runs out or the data inflates like a bomb. in counts the
// compressed bytes read (nil for a plain tar, which cannot be a bomb).
type unpackGuard struct {
	r    io.Reader
	in   *countingReader
	kind string // "gzip", "bzip2", "xz"; "" for a plain tar
	u    *unpackBudget
	out  int64
	err  error // sticky: io.ReadFull drops an error that comes with a full read
}

// Read never hands out a byte past the allowance: it reads at most what is left, and
// when nothing is left, one byte tells the end of the data from a limit.
func (g *unpackGuard) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	left := g.u.left() - g.out
	if left <= 0 {
		var one [1]byte
		n, err := io.ReadFull(g.r, one[:])
		if n == 0 && (err == io.EOF || err == io.ErrUnexpectedEOF) {
			return 0, io.EOF
		}
		if err != nil && n == 0 {
			return 0, err
		}
		g.err = g.u.exceeded()
		return 0, g.err
	}
	if int64(len(p)) > left {
		p = p[:left]
	}
	n, err := g.r.Read(p)
	g.out += int64(n)
	if g.in != nil && g.out > g.u.lim.RatioFloor && g.out > g.u.lim.MaxRatio*g.in.n {
		g.err = fmt.Errorf("%w: %s data of %d bytes inflates to more than %s, over %d times its size: layerlab refuses it as a decompression bomb (Docker has no such limit)",
			ErrBudget, g.kind, g.in.n, sizeText(g.u.lim.RatioFloor), g.u.lim.MaxRatio)
		return 0, g.err
	}
	return n, err
}

// runLimits are the sandbox limits of a RUN: the options', with MaxWrite, MaxOutput and
// Timeout each cut to what is left of the build's MaxWritten, MaxOutput and MaxTime.
// wrap rewords a sandbox limit error that a cut made, so it names the build's limit.
// Nothing left of one of them fails the step before it runs.
func (r *run) runLimits() (lim sandbox.Limits, wrap func(error) error, err error) {
	lim = r.opt.Limits
	b := r.budget
	cut := map[string]string{}
	if left := b.MaxWritten - r.written; left <= 0 {
		return lim, nil, fmt.Errorf("%w: this build's RUN steps wrote %s into their layers, layerlab's limit per build (Docker has none); write less, or delete what a step no longer needs in that same step",
			ErrBudget, sizeText(r.written))
	} else if left < orDefault(lim.MaxWrite, sandbox.DefaultLimits.MaxWrite) {
		lim.MaxWrite = left
		cut["write"] = fmt.Sprintf("its earlier RUN steps wrote %s into their layers, and layerlab's limit per build is %s (Docker has none); write less, or delete what a step no longer needs in that same step",
			sizeText(r.written), sizeText(b.MaxWritten))
	}
	if left := b.MaxOutput - r.output; left <= 0 {
		return lim, nil, fmt.Errorf("%w: this build's RUN steps printed %s, layerlab's limit per build (Docker has none); print less (redirect noisy commands to /dev/null)",
			ErrBudget, sizeText(r.output))
	} else if left < orDefault(lim.MaxOutput, sandbox.DefaultLimits.MaxOutput) {
		lim.MaxOutput = left
		cut["output"] = fmt.Sprintf("its earlier RUN steps printed %s, and layerlab's limit per build is %s (Docker has none); print less (redirect noisy commands to /dev/null)",
			sizeText(r.output), sizeText(b.MaxOutput))
	}
	ran := time.Since(r.start)
	if left := b.MaxTime - ran; left <= 0 {
		return lim, nil, r.timeExceeded(ran)
	} else if left < orDefault(lim.Timeout, sandbox.DefaultLimits.Timeout) {
		lim.Timeout = left
		cut["time"] = fmt.Sprintf("the build had run for %s, and layerlab's limit per build is %s (Docker has none)", ran.Round(time.Millisecond), b.MaxTime)
	}
	wrap = func(err error) error {
		var le *sandbox.LimitError
		if errors.As(err, &le) && cut[le.Limit] != "" {
			return fmt.Errorf("%w: %v, the rest of this build's allowance: %s", ErrBudget, err, cut[le.Limit])
		}
		return err
	}
	return lim, wrap, nil
}

func (r *run) timeExceeded(ran time.Duration) error {
	return fmt.Errorf("%w: this build ran for %s, past layerlab's limit of %s per build (Docker has none)",
		ErrBudget, ran.Round(time.Millisecond), r.budget.MaxTime)
}

func orDefault[T int64 | time.Duration](v, d T) T {
	if v <= 0 {
		return d
	}
	return v
}

// memBytes is the file content of changes that is held in memory.
func memBytes(changes []rootfs.Change) int64 {
	var n int64
	for _, c := range changes {
		if c.Entry == nil || c.Entry.Kind != rootfs.KindFile {
			continue
		}
		if b, ok := c.Entry.Data.(rootfs.Bytes); ok {
			n += int64(len(b))
		}
	}
	return n
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// sizeText is a limit as people state it: "512 MiB" (sandbox.SizeText).
func sizeText(n int64) string { return sandbox.SizeText(n) }
