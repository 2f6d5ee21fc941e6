package db

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/build"
)

// BuildState is where a build is: running until FinishBuild.
type BuildState string

// The states of a build.
const (
	BuildRunning   BuildState = "running"
	BuildSucceeded BuildState = "succeeded"
	BuildFailed    BuildState = "failed"
)

// Build is one build of a workspace, as recorded.
type Build struct {
	ID         string
	Workspace  string
	Created    time.Time
	Finished   time.Time // zero while running
	State      BuildState
	Dockerfile string        // the Dockerfile text built
	Tags       []string      // the tags asked for, as given
	Image      digest.Digest // the final image, once succeeded
	Error      string        // why it failed
	Inputs     []byte        // JSON of what the build was given (files, args), "{}" when not recorded
}

const buildCols = `id, workspace, created, finished, state, dockerfile, tags, image_id, error, inputs`

func scanBuild(sc scanner) (*Build, error) {
	var b Build
	var created, finished, state, tags, img, inputs string
	if err := sc.Scan(&b.ID, &b.Workspace, &created, &finished, &state, &b.Dockerfile, &tags, &img, &b.Error, &inputs); err != nil {
		return nil, err
	}
	var err error
	if b.Created, err = parseTime(created); err != nil {
		return nil, err
	}
	if finished != "" {
		if b.Finished, err = parseTime(finished); err != nil {
			return nil, err
		}
	}
	if err := json.Unmarshal([]byte(tags), &b.Tags); err != nil {
		return nil, fmt.Errorf("stored tags: %w", err)
	}
	b.State, b.Image, b.Inputs = BuildState(state), digest.Digest(img), []byte(inputs)
	return &b, nil
}

// CreateBuild records a new running build with a fresh random ID (32 hex digits).
func (w *Workspace) CreateBuild(ctx context.Context, dockerfile string, tags []string) (*Build, error) {
	return w.CreateBuildWithInputs(ctx, dockerfile, tags, nil)
}

// CreateBuildWithInputs is CreateBuild that also records what the build was given
// (inputs: JSON; nil for none), so a later build can be compared with it.
func (w *Workspace) CreateBuildWithInputs(ctx context.Context, dockerfile string, tags []string, inputs []byte) (*Build, error) {
	if inputs == nil {
		inputs = []byte("{}")
	}
	if !json.Valid(inputs) {
		return nil, fmt.Errorf("create build: inputs are not JSON: %w", ErrInvalid)
	}
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, fmt.Errorf("create build: %w", err)
	}
	if tags == nil {
		tags = []string{}
	}
	tj, err := json.Marshal(tags)
	if err != nil {
		return nil, fmt.Errorf("create build: %w", err)
	}
	b := &Build{
		ID:         hex.EncodeToString(raw[:]),
		Workspace:  w.name,
		Created:    w.s.now().UTC(),
		State:      BuildRunning,
		Dockerfile: dockerfile,
		Tags:       append([]string{}, tags...),
		Inputs:     append([]byte{}, inputs...),
	}
	err = w.s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO builds (id, workspace, created, state, dockerfile, tags, inputs)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, b.ID, w.name, formatTime(b.Created), string(b.State), dockerfile, string(tj), string(inputs))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("create build: %w", err)
	}
	return b, nil
}

// FinishBuild ends a running build as succeeded (with its final image) or failed (with
// the error a user sees). ErrNotFound for an unknown build; ErrInvalid for a build
// already finished or a state other than succeeded or failed.
func (w *Workspace) FinishBuild(ctx context.Context, id string, state BuildState, img digest.Digest, errMsg string) error {
	if state != BuildSucceeded && state != BuildFailed {
		return fmt.Errorf("finish build %s: state %q: %w", id, state, ErrInvalid)
	}
	err := w.s.write(ctx, func(tx *sql.Tx) error {
		var cur string
		err := tx.QueryRowContext(ctx, `SELECT state FROM builds WHERE id = ? AND workspace = ?`, id, w.name).Scan(&cur)
		if isNoRows(err) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if BuildState(cur) != BuildRunning {
			return fmt.Errorf("already %s: %w", cur, ErrInvalid)
		}
		_, err = tx.ExecContext(ctx, `UPDATE builds SET state = ?, finished = ?, image_id = ?, error = ?
			WHERE id = ?`, string(state), formatTime(w.s.now()), img.String(), errMsg, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("finish build %s: %w", id, err)
	}
	return nil
}

// Build returns one build of the workspace, or ErrNotFound.
func (w *Workspace) Build(ctx context.Context, id string) (*Build, error) {
	b, err := scanBuild(w.s.db.QueryRowContext(ctx,
		`SELECT `+buildCols+` FROM builds WHERE id = ? AND workspace = ?`, id, w.name))
	if isNoRows(err) {
		return nil, fmt.Errorf("build %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("build %s: %w", id, err)
	}
	return b, nil
}

// Builds returns the workspace's latest builds, newest first, at most limit of them.
func (w *Workspace) Builds(ctx context.Context, limit int) ([]*Build, error) {
	rows, err := w.s.db.QueryContext(ctx, `SELECT `+buildCols+` FROM builds WHERE workspace = ?
		ORDER BY created DESC, id LIMIT ?`, w.name, limit)
	if err != nil {
		return nil, fmt.Errorf("list builds: %w", err)
	}
	defer rows.Close()
	out := []*Build{}
	for rows.Next() {
		b, err := scanBuild(rows)
		if err != nil {
			return nil, fmt.Errorf("list builds: %w", err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list builds: %w", err)
	}
	return out, nil
}

// TrimBuilds deletes the workspace's builds, and their events, older than its newest
// keep builds, except those still running (or queued): a workspace keeps its last
// builds, not all of them. It returns how many it deleted.
func (w *Workspace) TrimBuilds(ctx context.Context, keep int) (int, error) {
	if keep < 1 {
		return 0, fmt.Errorf("trim builds: keep %d: %w", keep, ErrInvalid)
	}
	var n int64
	err := w.s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM builds WHERE workspace = ? AND state IN (?, ?) AND id IN (
			SELECT id FROM builds WHERE workspace = ? ORDER BY created DESC, id LIMIT -1 OFFSET ?)`,
			w.name, string(BuildSucceeded), string(BuildFailed), w.name, keep)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("trim builds: %w", err)
	}
	return int(n), nil
}

// FailInterruptedBuilds ends every build of every workspace that is neither succeeded
// nor failed: at a server's start, those are builds a crash (or a kill) interrupted,
// which no process runs any more. Each gets a build.failed event after its last stored
// one, so a watcher replaying it sees the end, and is marked failed with reason. It
// returns their IDs. Only the one server that runs a store's builds may call it, at its
// start, before it runs any.
func (s *Store) FailInterruptedBuilds(ctx context.Context, reason string) ([]string, error) {
	var ids []string
	err := s.write(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id FROM builds WHERE state NOT IN (?, ?)`,
			string(BuildSucceeded), string(BuildFailed))
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, id := range ids {
			var last int64
			if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(last_seq), 0) FROM build_event_chunks WHERE build = ?`,
				id).Scan(&last); err != nil {
				return err
			}
			ev, err := json.Marshal(build.Event{Seq: last + 1, Build: id, Type: build.EventBuildFailed, Error: reason})
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO build_event_chunks (build, last_seq, first_seq, deflated, data)
				VALUES (?, ?, ?, 0, ?)`, id, last+1, last+1, ev); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE builds SET state = ?, finished = ?, error = ? WHERE id = ?`,
				string(BuildFailed), formatTime(s.now()), reason, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("fail interrupted builds: %w", err)
	}
	return ids, nil
}

// Events are stored in chunks (migration 0010): consecutive events of a build, their
// JSON one per line, in one row of up to ChunkBytes (plus the last event that crossed
// it), compressed when that pays. Replay reads them a page of chunks at a time, so no
// reader ever holds a whole log, however long.
const (
	// ChunkBytes is what a chunk of events holds before a new one starts: the writer
	// of a build's events gathers them up to this size.
	ChunkBytes = 64 << 10
	// pageChunks is how many chunks one query of a replay reads: a page is at most
	// about pageChunks*ChunkBytes of events, plus one event per chunk.
	pageChunks = 4
	// MaxEventBytes bounds one stored event's JSON (AppendEvents refuses a larger one:
	// the writer cuts long fields first).
	MaxEventBytes = 1 << 20
	// maxChunkText bounds a chunk's text once inflated: ChunkBytes plus the event that
	// crossed it.
	maxChunkText = ChunkBytes + MaxEventBytes + 1
	// deflateMin is the smallest chunk worth compressing.
	deflateMin = 1 << 10
)

// AppendEvent stores event seq (from 1) of a build of the workspace: the event's JSON,
// kept byte for byte. Events are stored before they are published, so a client that
// reconnects replays them with EachEvent. ErrNotFound for an unknown build;
// ErrEventExists when seq is already stored.
func (w *Workspace) AppendEvent(ctx context.Context, buildID string, seq int64, data []byte) error {
	return w.AppendEvents(ctx, buildID, seq, [][]byte{data})
}

// AppendEvents stores consecutive events of a build in one transaction, the first with
// sequence number first: as one chunk, or several when they pass ChunkBytes. Each
// event is one JSON value with no raw newline (as json.Marshal writes it), else
// ErrInvalid. ErrEventExists when any of their sequence numbers is already stored.
func (w *Workspace) AppendEvents(ctx context.Context, buildID string, first int64, data [][]byte) error {
	if first < 1 {
		return fmt.Errorf("append events to build %s: sequence numbers start at 1: %w", buildID, ErrInvalid)
	}
	if len(data) == 0 {
		return nil
	}
	for i, d := range data {
		if len(d) == 0 || len(d) > MaxEventBytes || bytes.IndexByte(d, '\n') >= 0 {
			return fmt.Errorf("append events to build %s: event %d is empty, holds a newline or is over %d bytes: %w",
				buildID, first+int64(i), MaxEventBytes, ErrInvalid)
		}
	}
	type chunk struct {
		first, last int64
		deflated    bool
		data        []byte
	}
	// The chunks are made (and compressed) before the write lock is taken.
	var chunks []chunk
	var text []byte
	start := first
	for i, d := range data {
		if len(text) > 0 {
			text = append(text, '\n')
		}
		text = append(text, d...)
		if len(text) >= ChunkBytes || i == len(data)-1 {
			seq := first + int64(i)
			c := chunk{first: start, last: seq, data: text}
			if z, ok := deflateChunk(text); ok {
				c.deflated, c.data = true, z
			}
			chunks = append(chunks, c)
			text, start = nil, seq+1
		}
	}
	last := first + int64(len(data)) - 1
	err := w.s.write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM builds WHERE id = ? AND workspace = ?`,
			buildID, w.name).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return ErrNotFound
		}
		// Chunks never overlap: the one stored chunk that could overlap first..last is
		// the first to end at or after first.
		var f, l int64
		err := tx.QueryRowContext(ctx, `SELECT first_seq, last_seq FROM build_event_chunks
			WHERE build = ? AND last_seq >= ? ORDER BY last_seq LIMIT 1`, buildID, first).Scan(&f, &l)
		if err == nil && f <= last {
			return fmt.Errorf("event %d: %w", max(f, first), ErrEventExists)
		}
		if err != nil && !isNoRows(err) {
			return err
		}
		for _, c := range chunks {
			if _, err := tx.ExecContext(ctx, `INSERT INTO build_event_chunks (build, last_seq, first_seq, deflated, data)
				VALUES (?, ?, ?, ?, ?)`, buildID, c.last, c.first, c.deflated, c.data); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("append events to build %s: %w", buildID, err)
	}
	return nil
}

// EachEvent calls fn with each stored event of a build whose sequence number is above
// after, in order (after 0: all of them), and stops at fn's first error, which it
// returns. It reads a page of chunks at a time and holds no read transaction while fn
// runs, so a slow consumer (a websocket that does not read) keeps neither a whole log
// in memory nor the database's WAL from being checkpointed. data is valid only during
// the call. ErrNotFound for an unknown build.
func (w *Workspace) EachEvent(ctx context.Context, buildID string, after int64, fn func(seq int64, data []byte) error) error {
	var n int
	if err := w.s.db.QueryRowContext(ctx, `SELECT count(*) FROM builds WHERE id = ? AND workspace = ?`,
		buildID, w.name).Scan(&n); err != nil {
		return fmt.Errorf("events of build %s: %w", buildID, err)
	}
	if n == 0 {
		return fmt.Errorf("events of build %s: %w", buildID, ErrNotFound)
	}
	for {
		page, err := w.eventPage(ctx, buildID, after)
		if err != nil {
			return fmt.Errorf("events of build %s: %w", buildID, err)
		}
		if len(page) == 0 {
			return nil
		}
		for _, c := range page {
			seq := c.first
			for line := range bytes.SplitSeq(c.text, []byte{'\n'}) {
				if seq > after {
					if err := fn(seq, line); err != nil {
						return err
					}
					after = seq
				}
				seq++
			}
			if seq != c.last+1 {
				return fmt.Errorf("events of build %s: chunk %d..%d holds %d events", buildID, c.first, c.last, seq-c.first)
			}
		}
	}
}

// storedChunk is one chunk of events as read back, inflated.
type storedChunk struct {
	first, last int64
	text        []byte // the events' JSON, one per line
}

// eventPage reads the next pageChunks chunks holding events after the given one.
func (w *Workspace) eventPage(ctx context.Context, buildID string, after int64) ([]storedChunk, error) {
	rows, err := w.s.db.QueryContext(ctx, `SELECT first_seq, last_seq, deflated, data FROM build_event_chunks
		WHERE build = ? AND last_seq > ? ORDER BY last_seq LIMIT ?`, buildID, after, pageChunks)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var page []storedChunk
	for rows.Next() {
		var c storedChunk
		var deflated bool
		if err := rows.Scan(&c.first, &c.last, &deflated, &c.text); err != nil {
			return nil, err
		}
		if deflated {
			if c.text, err = inflateChunk(c.text); err != nil {
				return nil, fmt.Errorf("chunk %d..%d: %w", c.first, c.last, err)
			}
		}
		page = append(page, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return page, nil
}

// deflaters are reused: a flate writer allocates about 1 MiB of tables.
var deflaters = sync.Pool{New: func() any {
	zw, err := flate.NewWriter(nil, flate.BestSpeed)
	if err != nil {
		panic(err) // only for a bad level
	}
	return zw
}}

// deflateChunk compresses a chunk's text; false when that would not make it smaller.
func deflateChunk(text []byte) ([]byte, bool) {
	if len(text) < deflateMin {
		return nil, false
	}
	var buf bytes.Buffer
	zw := deflaters.Get().(*flate.Writer)
	defer deflaters.Put(zw)
	zw.Reset(&buf)
	if _, err := zw.Write(text); err != nil {
		return nil, false
	}
	if err := zw.Close(); err != nil || buf.Len() >= len(text) {
		return nil, false
	}
	return buf.Bytes(), true
}

// inflateChunk decompresses a chunk, refusing one that inflates past maxChunkText (the
// writer never makes one: a damaged or forged row must not exhaust memory).
func inflateChunk(z []byte) ([]byte, error) {
	zr := flate.NewReader(bytes.NewReader(z))
	defer zr.Close()
	text, err := io.ReadAll(io.LimitReader(zr, maxChunkText+1))
	if err != nil {
		return nil, fmt.Errorf("inflate: %w", err)
	}
	if len(text) > maxChunkText {
		return nil, fmt.Errorf("inflate: more than %d bytes", maxChunkText)
	}
	return text, nil
}
