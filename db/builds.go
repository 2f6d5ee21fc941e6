package db

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	digest "github.com/opencontainers/go-digest"
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

// AppendEvent stores event seq (from 1) of a build of the workspace: the event's JSON,
// kept byte for byte. Events are stored before they are published, so a client that
// reconnects replays them with Events. ErrNotFound for an unknown build; ErrEventExists
// when seq is already stored.
func (w *Workspace) AppendEvent(ctx context.Context, buildID string, seq int64, data []byte) error {
	return w.AppendEvents(ctx, buildID, seq, [][]byte{data})
}

// Events returns the stored events of a build with a sequence number above after, in
// order (after 0: all of them). ErrNotFound for an unknown build.
func (w *Workspace) Events(ctx context.Context, buildID string, after int64) ([][]byte, error) {
	var n int
	if err := w.s.db.QueryRowContext(ctx, `SELECT count(*) FROM builds WHERE id = ? AND workspace = ?`,
		buildID, w.name).Scan(&n); err != nil {
		return nil, fmt.Errorf("events of build %s: %w", buildID, err)
	}
	if n == 0 {
		return nil, fmt.Errorf("events of build %s: %w", buildID, ErrNotFound)
	}
	rows, err := w.s.db.QueryContext(ctx, `SELECT data FROM build_events WHERE build_id = ? AND seq > ?
		ORDER BY seq`, buildID, after)
	if err != nil {
		return nil, fmt.Errorf("events of build %s: %w", buildID, err)
	}
	defer rows.Close()
	out := [][]byte{}
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, fmt.Errorf("events of build %s: %w", buildID, err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("events of build %s: %w", buildID, err)
	}
	return out, nil
}

// AppendEvents stores consecutive events of a build in one transaction, the first with
// sequence number first. It is AppendEvent for a batch: one commit instead of many.
func (w *Workspace) AppendEvents(ctx context.Context, buildID string, first int64, data [][]byte) error {
	if first < 1 {
		return fmt.Errorf("append events to build %s: sequence numbers start at 1: %w", buildID, ErrInvalid)
	}
	err := w.s.write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM builds WHERE id = ? AND workspace = ?`,
			buildID, w.name).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return ErrNotFound
		}
		for i, d := range data {
			res, err := tx.ExecContext(ctx, `INSERT INTO build_events (build_id, seq, data) VALUES (?, ?, ?)
				ON CONFLICT (build_id, seq) DO NOTHING`, buildID, first+int64(i), d)
			if err != nil {
				return err
			}
			if k, err := res.RowsAffected(); err != nil {
				return err
			} else if k == 0 {
				return fmt.Errorf("event %d: %w", first+int64(i), ErrEventExists)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("append events to build %s: %w", buildID, err)
	}
	return nil
}
