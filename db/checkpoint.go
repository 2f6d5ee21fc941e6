package db

import (
	"context"
	"database/sql"
	"fmt"
	"log"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mattn/go-sqlite3"
)

// Checkpoints run off the write path.
//
// With SQLite's automatic checkpoint, the commit that takes the write-ahead log past
// 1000 pages copies the log into the database file and fsyncs both, inside that
// commit, so while the write lock is held: under a class's first builds (thousands of
// small commits a second) about one commit in seventy took 5-30 ms instead of under
// one, and every other writer waited for it. Every connection is opened with
// wal_autocheckpoint=0 instead (driverName's connect hook), and one goroutine per
// store checkpoints every checkpointEvery commits:
//   - a PASSIVE checkpoint first, which copies the log while writers go on appending
//     to it (the bulk of the work, and its fsyncs, off the write path);
//   - then, once the log is over restartFrames pages, a second one with this
//     process's writers held off. It has only the pages appended meanwhile left to
//     copy, and leaves the log fully copied with no write transaction open, so the
//     next writer starts it over from its beginning. Without it a busy store's log is
//     never fully copied at a moment no writer is in a transaction, and so never
//     starts over: it would grow without bound (30 MiB over 3,000 commits in the
//     test).
const (
	driverName      = "sqlite3_layerlab"
	checkpointEvery = 128  // commits between checkpoints
	restartFrames   = 4096 // pages (4 KiB): the log starts over at about 16 MiB
)

func init() {
	sql.Register(driverName, &sqlite3.SQLiteDriver{
		ConnectHook: func(c *sqlite3.SQLiteConn) error {
			// A connection setting, so it is set on each connection as it opens (the
			// DSN has no key for it).
			_, err := c.Exec(`PRAGMA wal_autocheckpoint = 0`, nil)
			return err
		},
	})
}

// checkpointer is the store's checkpoint goroutine and what wakes it.
type checkpointer struct {
	commits atomic.Uint64
	wake    chan struct{} // buffered 1: wakes coalesce
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
	restart int // restartFrames; tests lower it
	// after is called after each checkpoint with its result (tests).
	after func(busy bool, log, backfilled int, held bool)
}

func (s *Store) startCheckpointer() {
	s.ckpt = &checkpointer{wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}), restart: restartFrames}
	go s.checkpointLoop()
}

// committed counts a commit and wakes the checkpointer every checkpointEvery.
func (s *Store) committed() {
	if s.ckpt.commits.Add(1)%checkpointEvery == 0 {
		select {
		case s.ckpt.wake <- struct{}{}:
		default:
		}
	}
}

func (s *Store) checkpointLoop() {
	defer close(s.ckpt.done)
	for {
		select {
		case <-s.ckpt.stop:
			return
		case <-s.ckpt.wake:
		}
		logFrames, _, err := s.checkpoint(false)
		if err == nil && logFrames >= s.ckpt.restart {
			_, _, err = s.checkpoint(true)
		}
		if err != nil {
			// Not fatal: the log only grows until the next checkpoint succeeds, and
			// SQLite checkpoints it when the last connection closes.
			log.Printf("store %s: checkpoint: %v", s.dir, err)
		}
	}
}

// checkpoint runs one PASSIVE checkpoint; with hold, this process's writers wait for
// it (the write lock is taken first), so it copies every page no reader still needs.
// It returns the log's length in pages and how many of them are not copied.
func (s *Store) checkpoint(hold bool) (logFrames, left int, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if hold {
		select {
		case s.wlock <- struct{}{}:
		case <-s.ckpt.stop:
			return 0, 0, nil
		}
		defer func() { <-s.wlock }()
	}
	var busy, backfilled int
	if err := s.db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &logFrames, &backfilled); err != nil {
		return 0, 0, fmt.Errorf("wal_checkpoint: %w", err)
	}
	if s.ckpt.after != nil {
		s.ckpt.after(busy != 0, logFrames, backfilled, hold)
	}
	return logFrames, logFrames - backfilled, nil
}

// stopCheckpointer ends the goroutine; Close then closes the database, and SQLite
// checkpoints the log as its last connection closes.
func (s *Store) stopCheckpointer() {
	s.ckpt.once.Do(func() { close(s.ckpt.stop) })
	<-s.ckpt.done
}
