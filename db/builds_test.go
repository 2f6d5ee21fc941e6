package db

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"
)

func TestBuildEvents(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	w := workspace(t, s, DefaultWorkspace)
	other := workspace(t, s, "other")
	b, err := w.CreateBuild(ctx, "FROM scratch\n", []string{"demo:v1"})
	if err != nil {
		t.Fatal(err)
	}
	var events [][]byte
	for seq := int64(1); seq <= 5; seq++ {
		ev := []byte(fmt.Sprintf(`{"seq":%d,"build":%q}`, seq, b.ID))
		events = append(events, ev)
		if err := w.AppendEvent(ctx, b.ID, seq, ev); err != nil {
			t.Fatal(err)
		}
	}
	appends := []struct {
		name    string
		w       *Workspace
		build   string
		seq     int64
		wantErr error
	}{
		{name: "seq already stored", w: w, build: b.ID, seq: 3, wantErr: ErrEventExists},
		{name: "seq 0", w: w, build: b.ID, seq: 0, wantErr: ErrInvalid},
		{name: "unknown build", w: w, build: "nope", seq: 1, wantErr: ErrNotFound},
		{name: "another workspace's build", w: other, build: b.ID, seq: 6, wantErr: ErrNotFound},
	}
	for _, tt := range appends {
		t.Run("append/"+tt.name, func(t *testing.T) {
			if err := tt.w.AppendEvent(ctx, tt.build, tt.seq, []byte(`{}`)); !errors.Is(err, tt.wantErr) {
				t.Errorf("got %v, want %v", err, tt.wantErr)
			}
		})
	}
	replays := []struct {
		name    string
		w       *Workspace
		build   string
		after   int64
		want    [][]byte
		wantErr error
	}{
		{name: "all", w: w, build: b.ID, after: 0, want: events},
		{name: "after 3", w: w, build: b.ID, after: 3, want: events[3:]},
		{name: "after the last", w: w, build: b.ID, after: 5, want: [][]byte{}},
		{name: "unknown build", w: w, build: "nope", wantErr: ErrNotFound},
		{name: "another workspace's build", w: other, build: b.ID, wantErr: ErrNotFound},
	}
	for _, tt := range replays {
		t.Run("replay/"+tt.name, func(t *testing.T) {
			got, err := replay(ctx, tt.w, tt.build, tt.after)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got %v, want %v", err, tt.wantErr)
			}
			if err == nil && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestBuildLifecycle(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	clk := &clock{t: baseTime}
	s.now = clk.now
	w := workspace(t, s, DefaultWorkspace)
	first, err := w.CreateBuild(ctx, "FROM scratch\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	clk.add(time.Second)
	second, err := w.CreateBuild(ctx, "FROM busybox\nRUN false\n", []string{"x:1", "x:2"})
	if err != nil {
		t.Fatal(err)
	}
	img := digest.FromString("final config")
	if err := w.FinishBuild(ctx, first.ID, BuildSucceeded, img, ""); err != nil {
		t.Fatal(err)
	}
	if err := w.FinishBuild(ctx, second.ID, BuildFailed, "", "step 2/2: RUN false: exit code 1"); err != nil {
		t.Fatal(err)
	}
	finishes := []struct {
		name    string
		id      string
		state   BuildState
		wantErr error
	}{
		{name: "already finished", id: first.ID, state: BuildFailed, wantErr: ErrInvalid},
		{name: "not a final state", id: first.ID, state: BuildRunning, wantErr: ErrInvalid},
		{name: "unknown", id: "nope", state: BuildFailed, wantErr: ErrNotFound},
	}
	for _, tt := range finishes {
		t.Run(tt.name, func(t *testing.T) {
			if err := w.FinishBuild(ctx, tt.id, tt.state, "", ""); !errors.Is(err, tt.wantErr) {
				t.Errorf("got %v, want %v", err, tt.wantErr)
			}
		})
	}
	got, err := w.Build(ctx, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != BuildSucceeded || got.Image != img || got.Finished.IsZero() || got.Dockerfile != "FROM scratch\n" || len(got.Tags) != 0 {
		t.Errorf("first build = %+v", got)
	}
	list, err := w.Builds(ctx, 10)
	if err != nil || len(list) != 2 {
		t.Fatalf("Builds = %v, %v", list, err)
	}
	if f := list[0]; f.ID != second.ID || f.State != BuildFailed || f.Error == "" || !reflect.DeepEqual(f.Tags, []string{"x:1", "x:2"}) {
		t.Errorf("newest build = %+v", f)
	}
	checkIntegrity(t, s)
}

// replay replays a build's stored events after a sequence number, checking that each
// comes with the sequence number its JSON holds.
func replay(ctx context.Context, w *Workspace, id string, after int64) ([][]byte, error) {
	out := [][]byte{}
	err := w.EachEvent(ctx, id, after, func(seq int64, data []byte) error {
		var e struct{ Seq int64 }
		if err := json.Unmarshal(data, &e); err != nil {
			return err
		}
		if e.Seq != seq {
			return fmt.Errorf("event %s given as seq %d", data, seq)
		}
		out = append(out, bytes.Clone(data))
		return nil
	})
	return out, err
}

func chunkRows(t *testing.T, s *Store, id string) int {
	t.Helper()
	var n int
	if err := s.db.QueryRow(`SELECT count(*) FROM build_event_chunks WHERE build = ?`, id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// logEvent is a step.log event as the runner stores it.
func logEvent(id string, seq int64, text string) []byte {
	return []byte(fmt.Sprintf(`{"seq":%d,"build":%q,"type":"step.log","step":2,"text":%q}`, seq, id, text))
}

// TestEventChunks: 256 KiB of `yes` output (131,072 one-letter lines) is stored in a
// few compressed chunks, not a row per line, and replays event for event, from
// anywhere.
func TestEventChunks(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	w := workspace(t, s, DefaultWorkspace)
	b, err := w.CreateBuild(ctx, "FROM scratch\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	const lines = 1 << 17
	var all [][]byte
	seq := int64(1)
	for len(all) < lines {
		// Batches of varied size, as the runner's writer hands them over.
		var batch [][]byte
		for range min(1+len(all)%997, lines-len(all)) {
			batch = append(batch, logEvent(b.ID, seq+int64(len(batch)), "y"))
		}
		if err := w.AppendEvents(ctx, b.ID, seq, batch); err != nil {
			t.Fatal(err)
		}
		all = append(all, batch...)
		seq += int64(len(batch))
	}
	rows := chunkRows(t, s, b.ID)
	var stored int64
	if err := s.db.QueryRow(`SELECT sum(length(data)) FROM build_event_chunks WHERE build = ?`, b.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	raw := 0
	for _, e := range all {
		raw += len(e) + 1
	}
	t.Logf("%d events (%d bytes of JSON) in %d rows of %d bytes", lines, raw, rows, stored)
	if want := raw/ChunkBytes + 1 + 2*len(all)/997; rows > want {
		t.Errorf("%d events stored in %d rows, want at most %d (chunks of %d bytes)", lines, rows, want, ChunkBytes)
	}
	if stored > int64(raw/10) {
		t.Errorf("%d bytes of events stored in %d bytes: the chunks are not compressed", raw, stored)
	}
	for _, after := range []int64{0, 4095, 70000, lines - 1, lines} {
		got, err := replay(ctx, w, b.ID, after)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(all[after:]) || (len(got) > 0 && !bytes.Equal(got[0], all[after]) || len(got) > 0 && !bytes.Equal(got[len(got)-1], all[lines-1])) {
			t.Errorf("after %d: got %d events, want %d", after, len(got), len(all[after:]))
		}
	}
	checkIntegrity(t, s)
}

func TestAppendEventsRefuses(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	w := workspace(t, s, DefaultWorkspace)
	b, err := w.CreateBuild(ctx, "FROM scratch\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	var ten [][]byte
	for seq := int64(1); seq <= 10; seq++ {
		ten = append(ten, logEvent(b.ID, seq, "x"))
	}
	if err := w.AppendEvents(ctx, b.ID, 1, ten); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		first   int64
		data    [][]byte
		wantErr error
	}{
		{name: "inside a stored chunk", first: 5, data: ten[:1], wantErr: ErrEventExists},
		{name: "overlapping the chunk's end", first: 10, data: ten[:2], wantErr: ErrEventExists},
		{name: "overlapping its start", first: 0, data: ten[:2], wantErr: ErrInvalid},
		{name: "a newline in an event", first: 11, data: [][]byte{[]byte("{\n}")}, wantErr: ErrInvalid},
		{name: "an empty event", first: 11, data: [][]byte{{}}, wantErr: ErrInvalid},
		{name: "an event over the bound", first: 11, data: [][]byte{bytes.Repeat([]byte("a"), MaxEventBytes+1)}, wantErr: ErrInvalid},
		{name: "at the bound", first: 11, data: [][]byte{bytes.Repeat([]byte("a"), MaxEventBytes)}},
		{name: "after the last", first: 12, data: ten[:3]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := w.AppendEvents(ctx, b.ID, tt.first, tt.data); !errors.Is(err, tt.wantErr) {
				t.Errorf("got %v, want %v", err, tt.wantErr)
			}
		})
	}
	n := 0
	if err := w.EachEvent(ctx, b.ID, 0, func(int64, []byte) error { n++; return nil }); err != nil || n != 14 {
		t.Errorf("stored %d events (%v), want 14", n, err)
	}
	stop := errors.New("stop")
	n = 0
	if err := w.EachEvent(ctx, b.ID, 0, func(int64, []byte) error { n++; return stop }); !errors.Is(err, stop) || n != 1 {
		t.Errorf("EachEvent after its callback's error: %d calls, %v", n, err)
	}
}

func TestTrimBuilds(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	clk := &clock{t: baseTime}
	s.now = clk.now
	w := workspace(t, s, DefaultWorkspace)
	other := workspace(t, s, "other")
	var ids []string
	for i := range 6 {
		clk.add(time.Second)
		b, err := w.CreateBuild(ctx, "FROM scratch\n", nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.AppendEvent(ctx, b.ID, 1, logEvent(b.ID, 1, "x")); err != nil {
			t.Fatal(err)
		}
		if i != 1 { // the second oldest is still running
			if err := w.FinishBuild(ctx, b.ID, BuildFailed, "", "x"); err != nil {
				t.Fatal(err)
			}
		}
		ids = append(ids, b.ID)
	}
	ob, err := other.CreateBuild(ctx, "FROM scratch\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := other.FinishBuild(ctx, ob.ID, BuildFailed, "", "x"); err != nil {
		t.Fatal(err)
	}
	n, err := w.TrimBuilds(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	list, err := w.Builds(ctx, 100)
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, b := range list {
		kept = append(kept, b.ID)
	}
	// The newest 3, and the running one however old.
	if want := []string{ids[5], ids[4], ids[3], ids[1]}; n != 2 || !reflect.DeepEqual(kept, want) {
		t.Errorf("trimmed %d, kept %v; want 2 trimmed, kept %v", n, kept, want)
	}
	if rows := chunkRows(t, s, ids[0]); rows != 0 {
		t.Errorf("a trimmed build keeps %d rows of events", rows)
	}
	if _, err := other.Build(ctx, ob.ID); err != nil {
		t.Errorf("another workspace's build: %v", err)
	}
	if n, err := w.TrimBuilds(ctx, 3); err != nil || n != 0 {
		t.Errorf("trimming again: %d, %v; want 0", n, err)
	}
	if _, err := w.TrimBuilds(ctx, 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("keep 0: %v, want ErrInvalid", err)
	}
	checkIntegrity(t, s)
}

// TestFailInterruptedBuilds: a build left running in a store file (the server was
// killed) is failed with the reason when the store is opened again, with a
// build.failed event after its last one, so a replay ends.
func TestFailInterruptedBuilds(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	w := workspace(t, s, DefaultWorkspace)
	running, err := w.CreateBuild(ctx, "FROM scratch\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AppendEvents(ctx, running.ID, 1, [][]byte{logEvent(running.ID, 1, "a"), logEvent(running.ID, 2, "b")}); err != nil {
		t.Fatal(err)
	}
	silent, err := w.CreateBuild(ctx, "FROM scratch\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	done, err := w.CreateBuild(ctx, "FROM scratch\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.FinishBuild(ctx, done.ID, BuildSucceeded, digest.FromString("x"), ""); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openStoreIn(t, dir)
	w = workspace(t, s, DefaultWorkspace)
	const reason = "the server stopped while this build ran"
	ids, err := s.FailInterruptedBuilds(ctx, reason)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(ids)
	want := []string{running.ID, silent.ID}
	slices.Sort(want)
	if !reflect.DeepEqual(ids, want) {
		t.Errorf("failed %v, want %v", ids, want)
	}
	tests := []struct {
		name     string
		id       string
		state    BuildState
		lastSeq  int64
		lastType string
	}{
		{name: "running with events", id: running.ID, state: BuildFailed, lastSeq: 3, lastType: "build.failed"},
		{name: "running without events", id: silent.ID, state: BuildFailed, lastSeq: 1, lastType: "build.failed"},
		{name: "finished", id: done.ID, state: BuildSucceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := w.Build(ctx, tt.id)
			if err != nil {
				t.Fatal(err)
			}
			if b.State != tt.state || (tt.state == BuildFailed && (b.Error != reason || b.Finished.IsZero())) {
				t.Errorf("build is %s (%q, finished %v)", b.State, b.Error, b.Finished)
			}
			evs, err := replay(ctx, w, tt.id, 0)
			if err != nil {
				t.Fatal(err)
			}
			var last struct {
				Seq   int64
				Type  string
				Error string
			}
			if len(evs) > 0 {
				json.Unmarshal(evs[len(evs)-1], &last)
			}
			if last.Seq != tt.lastSeq || last.Type != tt.lastType || (tt.lastType != "" && last.Error != reason) {
				t.Errorf("last event %+v, want seq %d %s", last, tt.lastSeq, tt.lastType)
			}
		})
	}
	if ids, err := s.FailInterruptedBuilds(ctx, reason); err != nil || len(ids) != 0 {
		t.Errorf("a second time: %v, %v; want none", ids, err)
	}
	checkIntegrity(t, s)
}

// openStoreIn opens the store in dir and closes it after the test.
func openStoreIn(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestMigrateEventsToChunks: a store whose events were stored a row each (before
// migration 0010) keeps them: each becomes a one-event chunk, replayed as before, and
// new events append after them.
func TestMigrateEventsToChunks(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	old, err := sql.Open("sqlite3", dsn(filepath.Join(dir, "layerlab.db")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied TEXT NOT NULL) STRICT`); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.version >= 10 {
			break
		}
		if _, err := old.Exec(m.sql); err != nil {
			t.Fatalf("%s: %v", m.name, err)
		}
		if _, err := old.Exec(`INSERT INTO schema_migrations VALUES (?, ?, '')`, m.version, m.name); err != nil {
			t.Fatal(err)
		}
	}
	const id = "0123456789abcdef0123456789abcdef"
	var want [][]byte
	for _, q := range []string{
		`INSERT INTO workspaces (name, created) VALUES ('default', '')`,
		`INSERT INTO builds (id, workspace, created, state, dockerfile, tags) VALUES ('` + id + `', 'default', '', 'succeeded', '', '[]')`,
	} {
		if _, err := old.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	for seq := int64(1); seq <= 3; seq++ {
		ev := logEvent(id, seq, fmt.Sprint("line ", seq))
		want = append(want, ev)
		if _, err := old.Exec(`INSERT INTO build_events (build_id, seq, data) VALUES (?, ?, ?)`, id, seq, ev); err != nil {
			t.Fatal(err)
		}
	}
	old.Close()

	s := openStoreIn(t, dir)
	w := workspace(t, s, DefaultWorkspace)
	if got, err := replay(ctx, w, id, 1); err != nil || !reflect.DeepEqual(got, want[1:]) {
		t.Errorf("after the migration, replay after 1: %q, %v; want %q", got, err, want[1:])
	}
	if err := w.AppendEvent(ctx, id, 3, want[0]); !errors.Is(err, ErrEventExists) {
		t.Errorf("appending a migrated seq: %v, want ErrEventExists", err)
	}
	if err := w.AppendEvent(ctx, id, 4, logEvent(id, 4, "new")); err != nil {
		t.Fatal(err)
	}
	if rows := chunkRows(t, s, id); rows != 4 {
		t.Errorf("%d rows, want 4 (three migrated events, one new)", rows)
	}
	var n int
	if err := s.db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'build_events'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("build_events is still there (%d, %v)", n, err)
	}
	checkIntegrity(t, s)
}
