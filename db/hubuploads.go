package db

// Hub upload sessions (chunked blob uploads): start, append a chunk, finish against a
// digest, cancel, and purge the abandoned ones. Requests to one session are serialised
// by a per-session lock; the bytes wait in hub/uploads/<id>.

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/bufpipe"
	"layerlab/engine/build"
)

// HubUpload is a blob upload session.
type HubUpload struct {
	ID      string
	Repo    string
	Size    int64 // bytes received and acknowledged so far
	Started time.Time
	Updated time.Time
}

// HubChunk is a piece of an upload's body: the bytes of R, which the client says start
// at offset Start (-1: wherever the upload ends now) and number Length (-1: unknown).
type HubChunk struct {
	Start, Length int64
	R             io.Reader
}

func (s *Store) hubUploadDir() string { return filepath.Join(s.dir, "hub", "uploads") }

// hubLocks serialises the requests to one upload session (PATCHes, the closing PUT,
// a cancel, the purge) within this process; only the server writes uploads.
var hubLocks = struct {
	sync.Mutex
	m map[string]*hubLock
}{m: map[string]*hubLock{}}

type hubLock struct {
	mu   sync.Mutex
	refs int
}

func (s *Store) lockUpload(id string) (unlock func()) {
	key := s.dir + "\x00" + id
	hubLocks.Lock()
	l := hubLocks.m[key]
	if l == nil {
		l = &hubLock{}
		hubLocks.m[key] = l
	}
	l.refs++
	hubLocks.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		hubLocks.Lock()
		if l.refs--; l.refs == 0 {
			delete(hubLocks.m, key)
		}
		hubLocks.Unlock()
	}
}

// uploadBusy reports whether a request holds or waits for upload id's lock.
func (s *Store) uploadBusy(id string) bool {
	hubLocks.Lock()
	defer hubLocks.Unlock()
	return hubLocks.m[s.dir+"\x00"+id] != nil
}

// hubPurges remembers when each store (by directory) last purged abandoned uploads.
var hubPurges = struct {
	sync.Mutex
	last map[string]time.Time
}{last: map[string]time.Time{}}

// HubStartUpload opens an upload session in repo. Starting one also purges, at most
// once a minute, the sessions untouched for HubUploadTTL.
func (s *Store) HubStartUpload(ctx context.Context, repo string) (HubUpload, error) {
	now := s.now()
	hubPurges.Lock()
	due := now.Sub(hubPurges.last[s.dir]) > time.Minute
	if due {
		hubPurges.last[s.dir] = now
	}
	hubPurges.Unlock()
	if due {
		if _, err := s.HubPurgeUploads(ctx, now.Add(-HubUploadTTL)); err != nil {
			return HubUpload{}, err
		}
	}
	if err := s.checkUploadSessions(ctx, repo); err != nil {
		return HubUpload{}, err
	}
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return HubUpload{}, fmt.Errorf("start upload: %w", err)
	}
	u := HubUpload{ID: hex.EncodeToString(raw[:]), Repo: repo, Started: now.UTC(), Updated: now.UTC()}
	if err := os.MkdirAll(s.hubUploadDir(), 0o755); err != nil {
		return HubUpload{}, fmt.Errorf("start upload: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(s.hubUploadDir(), u.ID), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return HubUpload{}, fmt.Errorf("start upload: %w", err)
	}
	f.Close()
	err = s.write(ctx, func(tx *sql.Tx) error {
		ts := formatTime(now)
		if err := ensureHubRepo(ctx, tx, repo, ts); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO hub_uploads (id, repo, size, started, updated) VALUES (?, ?, 0, ?, ?)`, u.ID, repo, ts, ts)
		return err
	})
	if err != nil {
		os.Remove(filepath.Join(s.hubUploadDir(), u.ID))
		return HubUpload{}, fmt.Errorf("start upload in %s: %w", repo, err)
	}
	return u, nil
}

// HubUpload returns upload session id of repo, or a BLOB_UPLOAD_UNKNOWN HubError.
func (s *Store) HubUpload(ctx context.Context, repo, id string) (HubUpload, error) {
	return s.hubUpload(ctx, repo, id)
}

func (s *Store) hubUpload(ctx context.Context, repo, id string) (HubUpload, error) {
	unknown := hubErr(HubBlobUploadUnknown, nil, map[string]string{"upload": id}, "upload %s is not in progress in repository %s (finished, cancelled or purged): start a new one", id, repo)
	if !hubUploadID.MatchString(id) {
		return HubUpload{}, unknown
	}
	u := HubUpload{ID: id}
	var started, updated string
	err := s.db.QueryRowContext(ctx, `SELECT repo, size, started, updated FROM hub_uploads WHERE id = ?`, id).Scan(&u.Repo, &u.Size, &started, &updated)
	if isNoRows(err) || (err == nil && u.Repo != repo) {
		return HubUpload{}, unknown
	}
	if err != nil {
		return HubUpload{}, fmt.Errorf("upload %s: %w", id, err)
	}
	if u.Started, err = parseTime(started); err != nil {
		return HubUpload{}, err
	}
	if u.Updated, err = parseTime(updated); err != nil {
		return HubUpload{}, err
	}
	return u, nil
}

// HubAppendUpload appends a chunk to upload id of repo. A chunk that does not start
// where the upload ends is refused with ErrHubRange (HTTP 416) and the upload is kept
// as it was; so is a chunk whose length is not the one announced (SIZE_INVALID).
func (s *Store) HubAppendUpload(ctx context.Context, repo, id string, c HubChunk) (HubUpload, error) {
	unlock := s.lockUpload(id)
	defer unlock()
	u, err := s.hubUpload(ctx, repo, id)
	if err != nil {
		return HubUpload{}, err
	}
	return s.appendUpload(ctx, u, c)
}

func (s *Store) appendUpload(ctx context.Context, u HubUpload, c HubChunk) (HubUpload, error) {
	if c.Start >= 0 && c.Start != u.Size {
		return u, hubErr(HubBlobUploadInvalid, ErrHubRange, map[string]int64{"start": c.Start, "received": u.Size},
			"chunk starts at byte %d but the upload has %d bytes: send the chunk that starts at %d", c.Start, u.Size, u.Size)
	}
	path := filepath.Join(s.hubUploadDir(), u.ID)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		s.dropUpload(ctx, u)
		return u, hubErr(HubBlobUploadUnknown, nil, nil, "the data of upload %s is gone: start a new upload", u.ID)
	}
	if err != nil {
		return u, fmt.Errorf("upload %s: %w", u.ID, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return u, fmt.Errorf("upload %s: %w", u.ID, err)
	}
	if fi.Size() < u.Size { // lost in a crash: the session cannot go on
		f.Close()
		s.dropUpload(ctx, u)
		return u, hubErr(HubBlobUploadInvalid, nil, nil, "upload %s lost data the server had acknowledged: start a new upload", u.ID)
	}
	// Bytes past u.Size are from a chunk that failed (or a crash): not acknowledged.
	rollback := func() { f.Truncate(u.Size) }
	if fi.Size() > u.Size {
		if err := f.Truncate(u.Size); err != nil {
			return u, fmt.Errorf("upload %s: %w", u.ID, err)
		}
	}
	if _, err := f.Seek(u.Size, io.SeekStart); err != nil {
		return u, fmt.Errorf("upload %s: %w", u.ID, err)
	}
	wr, err := s.hubWriteRoom(ctx, u.Repo, u.Size, c.Length)
	if err != nil {
		return u, err
	}
	n, err := io.Copy(f, io.LimitReader(bufpipe.ContextReader(ctx, c.R), wr.room+1))
	if err != nil {
		rollback()
		return u, fmt.Errorf("upload %s: receive: %w", u.ID, err)
	}
	if n > wr.room {
		rollback()
		return u, wr.refuse()
	}
	if c.Length >= 0 && n != c.Length {
		rollback()
		return u, hubErr(HubSizeInvalid, nil, map[string]int64{"announced": c.Length, "received": n},
			"the chunk was announced as %d bytes but %d arrived: nothing of it was kept", c.Length, n)
	}
	now := s.now()
	err = s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE hub_uploads SET size = ?, updated = ? WHERE id = ? AND size = ?`,
			u.Size+n, formatTime(now), u.ID, u.Size)
		if err != nil {
			return err
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return hubErr(HubBlobUploadUnknown, nil, nil, "upload %s was cancelled or purged meanwhile", u.ID)
		}
		return nil
	})
	if err != nil {
		rollback()
		return u, err
	}
	u.Size += n
	u.Updated = now.UTC()
	return u, nil
}

// HubFinishUpload closes upload id of repo with its last chunk (c, optional): the
// whole content must hash to d. On a match the blob is stored and linked into repo and
// the session ends; on a mismatch the session and its bytes are discarded and nothing
// is stored (DIGEST_INVALID).
func (s *Store) HubFinishUpload(ctx context.Context, repo, id string, d digest.Digest, c *HubChunk) (HubBlob, error) {
	unlock := s.lockUpload(id)
	defer unlock()
	u, err := s.hubUpload(ctx, repo, id)
	if err != nil {
		return HubBlob{}, err
	}
	if c != nil {
		if u, err = s.appendUpload(ctx, u, *c); err != nil {
			return HubBlob{}, err
		}
	}
	path := filepath.Join(s.hubUploadDir(), u.ID)
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		s.dropUpload(ctx, u)
		return HubBlob{}, hubErr(HubBlobUploadUnknown, nil, nil, "the data of upload %s is gone: start a new upload", u.ID)
	}
	if err != nil {
		return HubBlob{}, fmt.Errorf("finish upload %s: %w", u.ID, err)
	}
	defer f.Close()
	if err := f.Truncate(u.Size); err != nil { // drop bytes never acknowledged
		return HubBlob{}, fmt.Errorf("finish upload %s: %w", u.ID, err)
	}
	b, err := s.commitHubBlob(ctx, repo, d, f, path, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM hub_uploads WHERE id = ?`, u.ID)
		return err
	})
	var he *HubError
	if errors.As(err, &he) && he.Code == HubDigestInvalid {
		f.Close()
		s.dropUpload(ctx, u)
		return HubBlob{}, err
	}
	if err != nil {
		return HubBlob{}, err
	}
	os.Remove(path) // the blob store has its own link to the bytes
	return b, nil
}

// HubCancelUpload ends upload id of repo and discards its bytes.
func (s *Store) HubCancelUpload(ctx context.Context, repo, id string) error {
	unlock := s.lockUpload(id)
	defer unlock()
	u, err := s.hubUpload(ctx, repo, id)
	if err != nil {
		return err
	}
	return s.dropUpload(ctx, u)
}

// dropUpload deletes an upload's row and file (and its repository, if that leaves it
// empty).
func (s *Store) dropUpload(ctx context.Context, u HubUpload) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM hub_uploads WHERE id = ?`, u.ID); err != nil {
			return err
		}
		return dropHubRepoIfEmpty(ctx, tx, u.Repo)
	})
	os.Remove(filepath.Join(s.hubUploadDir(), u.ID))
	if err != nil {
		return fmt.Errorf("drop upload %s: %w", u.ID, err)
	}
	return nil
}

// HubPurgeUploads discards the upload sessions last touched before cutoff (abandoned
// by their clients), and files under hub/uploads that belong to no session and are as
// old. A session a request is using right now is left alone. It returns how many
// sessions it discarded.
func (s *Store) HubPurgeUploads(ctx context.Context, cutoff time.Time) (int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, repo FROM hub_uploads WHERE updated < ?`, formatTime(cutoff))
	if err != nil {
		return 0, fmt.Errorf("purge uploads: %w", err)
	}
	var stale []HubUpload
	for rows.Next() {
		var u HubUpload
		if err := rows.Scan(&u.ID, &u.Repo); err != nil {
			rows.Close()
			return 0, fmt.Errorf("purge uploads: %w", err)
		}
		stale = append(stale, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("purge uploads: %w", err)
	}
	purged := 0
	for _, u := range stale {
		if s.uploadBusy(u.ID) {
			continue
		}
		if err := s.dropUpload(ctx, u); err != nil {
			return purged, err
		}
		purged++
	}
	// Files without a row: a crash between creating the file and committing the row.
	entries, err := os.ReadDir(s.hubUploadDir())
	if errors.Is(err, fs.ErrNotExist) {
		return purged, nil
	}
	if err != nil {
		return purged, fmt.Errorf("purge uploads: %w", err)
	}
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil || !fi.Mode().IsRegular() || !fi.ModTime().Before(cutoff) || s.uploadBusy(e.Name()) {
			continue
		}
		var n int
		if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM hub_uploads WHERE id = ?`, e.Name()).Scan(&n); err == nil && n == 0 {
			os.Remove(filepath.Join(s.hubUploadDir(), e.Name()))
		}
	}
	return purged, nil
}

// Codes and sentinels of the hub's bounds on uploads.
const (
	// HubTooManyRequests is the distribution spec's code for a client that sent too
	// many requests (HTTP 429): here, a namespace with UploadSessions open.
	HubTooManyRequests = "TOOMANYREQUESTS"
	// HubDenied is the spec's code for a refused access (HTTP 403): here, a write past
	// the namespace's workspace's storage quota (it also wraps ErrQuota).
	HubDenied = "DENIED"
)

// ErrHubTooMany is wrapped by the refusal of an upload session past the namespace's
// bound on open sessions.
var ErrHubTooMany = errors.New("too many upload sessions")

// hubUploadLimits are the server's bounds on upload sessions, per store directory.
var hubUploadLimits = struct {
	sync.Mutex
	m map[string]hubLimits
}{m: map[string]hubLimits{}}

type hubLimits struct {
	sessions int   // open sessions per namespace; 0: no bound
	bytes    int64 // bytes per session (and per monolithic upload); 0: HubMaxBlobSize
}

// SetHubUploadLimits bounds the upload sessions open at once in one namespace (the
// first component of a repository name) and the bytes one session, or one monolithic
// upload, may receive (at most HubMaxBlobSize). 0 leaves a bound at its default: no
// bound on sessions, HubMaxBlobSize bytes. The server sets them; the command line does
// not serve the hub.
func (s *Store) SetHubUploadLimits(sessions int, bytes int64) {
	hubUploadLimits.Lock()
	defer hubUploadLimits.Unlock()
	hubUploadLimits.m[s.dir] = hubLimits{sessions: max(sessions, 0), bytes: max(bytes, 0)}
}

func (s *Store) hubLimits() hubLimits {
	hubUploadLimits.Lock()
	defer hubUploadLimits.Unlock()
	l := hubUploadLimits.m[s.dir]
	if l.bytes <= 0 || l.bytes > HubMaxBlobSize {
		l.bytes = HubMaxBlobSize
	}
	return l
}

// hubNamespaceOf is the namespace of a repository name: its first component.
func hubNamespaceOf(repo string) string {
	ns, _, _ := strings.Cut(repo, "/")
	return ns
}

// checkUploadSessions refuses a new session in repo's namespace when it has the
// bound's number open already; sessions idle past HubUploadTTL are purged first, so
// only live ones count.
func (s *Store) checkUploadSessions(ctx context.Context, repo string) error {
	limit := s.hubLimits().sessions
	if limit <= 0 {
		return nil
	}
	lo, hi := namespaceRange(hubNamespaceOf(repo))
	count := func() (int, error) {
		var n int
		err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM hub_uploads WHERE repo >= ? AND repo < ?`, lo, hi).Scan(&n)
		if err != nil {
			return 0, fmt.Errorf("start upload in %s: %w", repo, err)
		}
		return n, nil
	}
	n, err := count()
	if err != nil || n < limit {
		return err
	}
	if _, err := s.HubPurgeUploads(ctx, s.now().Add(-HubUploadTTL)); err != nil {
		return err
	}
	if n, err = count(); err != nil || n < limit {
		return err
	}
	return hubErr(HubTooManyRequests, ErrHubTooMany, map[string]int{"open": n, "limit": limit},
		"namespace %s has %d upload sessions open, the hub's limit (--upload-sessions): finish or cancel one (DELETE its location), "+
			"or wait %d minutes for idle ones to expire, then try again", hubNamespaceOf(repo), n, int(HubUploadTTL.Minutes()))
}

// writeRoom is how many more bytes a hub write may take, and the refusal to give when
// it would take more.
type writeRoom struct {
	room   int64
	refuse func() error
}

// hubWriteRoom is the room a write into repo has when have bytes of it are received
// and announced more are coming (-1: unknown): the bytes a session may hold, and the
// storage quota of the workspace that owns repo's namespace. When announced passes
// either, it is refused before a byte is read.
func (s *Store) hubWriteRoom(ctx context.Context, repo string, have, announced int64) (writeRoom, error) {
	limit := s.hubLimits().bytes
	wr := writeRoom{room: limit - have, refuse: func() error {
		return hubErr(HubSizeInvalid, ErrHubTooLarge, map[string]int64{"limit": limit},
			"the upload would be larger than the hub's limit of %s per upload: nothing of this chunk was kept", build.HumanSize(limit))
	}}
	if announced >= 0 && announced > wr.room {
		return wr, wr.refuse()
	}
	ws, ok, err := s.namespaceWorkspace(ctx, hubNamespaceOf(repo))
	if err != nil || !ok {
		return wr, err
	}
	quota, _ := s.quotaFor(ws.name)
	if quota <= 0 {
		return wr, nil
	}
	used, err := ws.StorageUsed(ctx)
	if err != nil {
		return wr, err
	}
	refuseQuota := func() error {
		qe := &QuotaError{Workspace: ws.name, Used: used, Quota: quota, What: "this upload"}
		return &HubError{Code: HubDenied, Message: qe.Error(), Detail: map[string]int64{"used": used, "quota": quota}, Err: qe}
	}
	qroom := max(quota-used, 0)
	if announced >= 0 && announced > qroom {
		return wr, refuseQuota()
	}
	if qroom < wr.room {
		wr.room, wr.refuse = qroom, refuseQuota
	}
	return wr, nil
}

// namespaceWorkspace is the workspace whose hub namespace ns is (it has a push token,
// or its name is ns); ok is false when none is (library, or a namespace nobody owns).
func (s *Store) namespaceWorkspace(ctx context.Context, ns string) (ws *Workspace, ok bool, err error) {
	var name string
	err = s.db.QueryRowContext(ctx, `SELECT workspace FROM hub_tokens WHERE namespace = ?`, ns).Scan(&name)
	if isNoRows(err) {
		// A workspace pushes in process without a token: its namespace is its name
		// when that is a valid one (the server's web-... workspaces, default).
		err = s.db.QueryRowContext(ctx, `SELECT name FROM workspaces WHERE name = ?`, ns).Scan(&name)
		if isNoRows(err) || (err == nil && HubNamespace(name) != ns) {
			return nil, false, nil
		}
	}
	if err != nil {
		return nil, false, fmt.Errorf("owner of namespace %s: %w", ns, err)
	}
	return &Workspace{s: s, name: name}, true, nil
}

// HubCheckWrite refuses, before a byte is read, a monolithic upload of announced
// bytes into repo past the bytes one upload may take or past the storage quota of the
// namespace's workspace.
func (s *Store) HubCheckWrite(ctx context.Context, repo string, announced int64) error {
	_, err := s.hubWriteRoom(ctx, repo, 0, announced)
	return err
}

// HubQuotaRoom is how many more bytes the workspace that owns repo's namespace may
// store, and the refusal (403 DENIED, wrapping ErrQuota) to give past them: for a
// write into the hub that is not an upload (a push in process). room is -1 when the
// namespace has no quota (library, a namespace without a workspace, the command line).
func (s *Store) HubQuotaRoom(ctx context.Context, repo string) (room int64, refuse func() error, err error) {
	ws, ok, err := s.namespaceWorkspace(ctx, hubNamespaceOf(repo))
	if err != nil || !ok {
		return -1, nil, err
	}
	quota, _ := s.quotaFor(ws.name)
	if quota <= 0 {
		return -1, nil, nil
	}
	used, err := ws.StorageUsed(ctx)
	if err != nil {
		return 0, nil, err
	}
	return max(quota-used, 0), func() error {
		qe := &QuotaError{Workspace: ws.name, Used: used, Quota: quota, What: "this push"}
		return &HubError{Code: HubDenied, Message: qe.Error(), Detail: map[string]int64{"used": used, "quota": quota}, Err: qe}
	}, nil
}
