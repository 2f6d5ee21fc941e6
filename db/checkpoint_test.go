package db

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestCheckpointOffWritePath: commits never checkpoint (wal_autocheckpoint is 0 on
// every connection); the store's own goroutine copies the log into the database every
// checkpointEvery commits, so the log stays bounded while writers go on.
func TestCheckpointOffWritePath(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	type result struct {
		log, backfilled int
		held            bool
	}
	got := make(chan result, 16)
	s.ckpt.commits.Store(0) // Open's migrations committed too
	s.ckpt.after = func(busy bool, log, backfilled int, held bool) {
		select {
		case got <- result{log, backfilled, held}:
		default:
		}
	}
	write := func(i int) {
		t.Helper()
		err := s.write(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO workspaces (name, created) VALUES (?, ?)`,
				"ckpt-"+time.Now().Format(time.RFC3339Nano)+"-"+string(rune('a'+i%26)), formatTime(s.now()))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < checkpointEvery-1; i++ {
		write(i)
	}
	select {
	case r := <-got:
		t.Fatalf("a checkpoint ran after %d commits (%+v), want one every %d", checkpointEvery-1, r, checkpointEvery)
	case <-time.After(50 * time.Millisecond):
	}
	wal := filepath.Join(s.Dir(), "layerlab.db-wal")
	fi, err := os.Stat(wal)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() == 0 {
		t.Fatalf("the log is empty after %d commits: something checkpointed and reset it", checkpointEvery-1)
	}
	write(checkpointEvery)
	select {
	case r := <-got:
		if r.log == 0 || r.backfilled != r.log {
			t.Errorf("checkpoint copied %d of %d pages, want all (no reader holds any)", r.backfilled, r.log)
		}
		if r.held {
			t.Error("the first checkpoint held the writers off; only one after a log over the budget should")
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no checkpoint within 10 s of the %dth commit", checkpointEvery)
	}
}

// TestCheckpointLogStartsOver: under writes that never pause, the log is still
// started over from its beginning (the second, held checkpoint copies what the
// passive one could not), so it stays bounded instead of growing with every commit.
func TestCheckpointLogStartsOver(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	s.ckpt.restart = 64
	var held atomic.Int32
	s.ckpt.after = func(busy bool, log, backfilled int, h bool) {
		if h {
			held.Add(1)
		}
	}
	wal := filepath.Join(s.Dir(), "layerlab.db-wal")
	var wg sync.WaitGroup
	var maxSize atomic.Int64
	const commits = 1500
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < commits; i++ {
				err := s.write(ctx, func(tx *sql.Tx) error {
					_, err := tx.ExecContext(ctx, `INSERT INTO workspaces (name, created) VALUES (?, ?)`,
						fmt.Sprintf("w%d-%d-%s", g, i, strings.Repeat("x", 100)), formatTime(s.now()))
					return err
				})
				if err != nil {
					t.Error(err)
					return
				}
				if fi, err := os.Stat(wal); err == nil && fi.Size() > maxSize.Load() {
					maxSize.Store(fi.Size())
				}
			}
		}(g)
	}
	wg.Wait()
	if held.Load() == 0 {
		t.Fatal("no held checkpoint ran: the log was never started over")
	}
	// The 3,000 commits write about 9 pages each, 100 MiB of log if it never started
	// over (30 MiB without the held checkpoint: a passive one alone seldom leaves it
	// fully copied between two writers). Started over every checkpointEvery commits,
	// it stays under 12 MiB.
	if max := maxSize.Load(); max > 12<<20 {
		t.Errorf("the log reached %d bytes over %d commits, want it started over (under 12 MiB)", max, 2*commits)
	}
	t.Logf("log at most %d bytes over %d commits; %d held checkpoints", maxSize.Load(), 2*commits, held.Load())
}

// TestCheckpointHeld: checkpoint(true) runs with this process's writers held off and
// frees the write lock after; checkpoint(false) does not take it, so it runs while a
// reader pins the log.
func TestCheckpointHeld(t *testing.T) {
	s := openStore(t)
	ctx := context.Background()
	// A reader pins the log's current end: nothing written after it can be copied.
	rd, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := rd.QueryRowContext(ctx, `SELECT count(*) FROM workspaces`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	held := make(chan bool, 64)
	s.ckpt.after = func(busy bool, log, backfilled int, h bool) { held <- h }
	if _, _, err := s.checkpoint(false); err != nil {
		t.Fatal(err)
	}
	if h := <-held; h {
		t.Fatal("checkpoint(false) held the writers")
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, _, err := s.checkpoint(true); err != nil {
			t.Error(err)
		}
	}()
	<-done
	if h := <-held; !h {
		t.Fatal("checkpoint(true) did not hold the writers")
	}
	rd.Rollback()
	// And the write lock is free again afterwards.
	ctx2, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := s.write(ctx2, func(tx *sql.Tx) error { return nil }); err != nil {
		t.Fatalf("write after a held checkpoint: %v", err)
	}
}
