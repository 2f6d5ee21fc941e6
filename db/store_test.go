package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"layerlab/engine/image"
)

func TestOpenTwiceAppliesMigrationsOnce(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		s, err := Open(ctx, dir)
		if err != nil {
			t.Fatalf("open %d: %v", i+1, err)
		}
		var n, max int
		if err := s.db.QueryRowContext(ctx, `SELECT count(*), max(version) FROM schema_migrations`).Scan(&n, &max); err != nil {
			t.Fatal(err)
		}
		if n != len(ms) || max != len(ms) {
			t.Errorf("open %d: schema_migrations has %d rows up to %d, want %d", i+1, n, max, len(ms))
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestOpenConcurrentlyOnNewDir(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(ctx, dir)
			if err != nil {
				errs <- err
				return
			}
			errs <- s.Close()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied) VALUES (999, 'future', 'x')`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(ctx, dir); !errors.Is(err, ErrSchemaTooNew) {
		t.Fatalf("open: got %v, want ErrSchemaTooNew", err)
	}
}

// Every pooled connection must carry the DSN's settings, not just the first one.
func TestEveryConnectionHasThePragmas(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	var conns []interface{ Close() error }
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < 4; i++ {
		c, err := s.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		var mode string
		var busy, fk, sync, autockpt int
		for q, dst := range map[string]any{
			`PRAGMA journal_mode`: &mode, `PRAGMA busy_timeout`: &busy,
			`PRAGMA foreign_keys`: &fk, `PRAGMA synchronous`: &sync,
			`PRAGMA wal_autocheckpoint`: &autockpt,
		} {
			if err := c.QueryRowContext(ctx, q).Scan(dst); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if mode != "wal" || busy != 10000 || fk != 1 || sync != 1 || autockpt != 0 {
			t.Errorf("connection %d: journal_mode=%s busy_timeout=%d foreign_keys=%d synchronous=%d wal_autocheckpoint=%d, want wal 10000 1 1 0",
				i, mode, busy, fk, sync, autockpt)
		}
	}
}

func TestWorkspaceName(t *testing.T) {
	s := openStore(t)
	tests := []struct {
		name    string
		ws      string
		wantErr error
	}{
		{name: "default", ws: DefaultWorkspace},
		{name: "unicode", ws: "ünïcode space"},
		{name: "empty", ws: "", wantErr: ErrInvalid},
		{name: "control", ws: "a\nb", wantErr: ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := s.Workspace(context.Background(), tt.ws)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got %v, want %v", err, tt.wantErr)
			}
			if err == nil && w.Name() != tt.ws {
				t.Errorf("name %q, want %q", w.Name(), tt.ws)
			}
		})
	}
}

// Two stores on one directory (as two processes would be) write at once: no write may
// fail with "database is locked".
func TestTwoStoresWriteConcurrently(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var stores [2]*Store
	for i := range stores {
		s, err := Open(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores[i] = s
	}
	const perStore, workers = 200, 8
	w0 := workspace(t, stores[0], DefaultWorkspace)
	shared := putLayer(t, w0, "shared layer")
	var wg sync.WaitGroup
	errs := make(chan error, 2*perStore)
	for si, s := range stores {
		w := workspace(t, s, DefaultWorkspace)
		// Records and refs are made here: t.Fatal must not run in the workers.
		recs := make([]*image.Record, perStore)
		refs := make([]image.Ref, perStore)
		for j := range recs {
			recs[j] = newRecord(t, nil, fmt.Sprintf("store %d image %d", si, j), baseTime.Add(time.Duration(j)*time.Second), shared)
			refs[j] = mustRef(t, fmt.Sprintf("s%d/img:%d", si, j))
		}
		for k := 0; k < workers; k++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := k; j < perStore; j += workers {
					if err := w.PutImage(ctx, recs[j]); err != nil {
						errs <- err
						continue
					}
					if err := w.Tag(ctx, refs[j], recs[j].ID); err != nil {
						errs <- err
					}
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	imgs, err := w0.Images(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tags, err := w0.AllTags(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 2*perStore || len(tags) != 2*perStore {
		t.Errorf("%d images and %d tags, want %d of each", len(imgs), len(tags), 2*perStore)
	}
	checkIntegrity(t, stores[1])
}

func checkIntegrity(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	var res string
	if err := s.db.QueryRowContext(ctx, `PRAGMA integrity_check`).Scan(&res); err != nil {
		t.Fatal(err)
	}
	if res != "ok" {
		t.Errorf("integrity_check: %s", res)
	}
	rows, err := s.db.QueryContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if rows.Next() {
		t.Error("foreign_key_check reports violations")
	}
}
