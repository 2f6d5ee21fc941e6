package db

// Storage quotas: how many bytes a workspace stores, and the check a write makes
// before it spends them.
//
// What counts against a workspace (StorageUsed):
//   - every blob with a file (layers, configs, compressed layers) that an image of the
//     workspace references, or a repository of its hub namespace (<namespace>/...)
//     holds; a blob that k owners reference (workspaces, and the hub namespaces of
//     workspaces) counts size/k to each, so bytes only this workspace uses count whole,
//     and two workspaces cannot hold without bound what they share (each would count
//     nothing if shared bytes were free);
//   - generated blobs (the stand-in base images' layers, made from a recipe) count
//     nothing: they take no disk;
//   - the workspace's image records (config JSON, layer list, build step: each
//     workspace has its own rows), its context files, and the bytes of its namespace's
//     open hub upload sessions;
//   - blobs this process wrote for the workspace that nothing references yet (a pull's
//     or a build's layers before the image that names them is stored), for GCGrace.
//
// A pull counts its layers uncompressed, since that is what the store keeps.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/build"
)

// ErrQuota is wrapped by every error a write refused by a workspace's storage quota
// returns (a *QuotaError).
var ErrQuota = errors.New("storage quota exceeded")

// QuotaError says how much a workspace stores, of how much, and what frees space.
type QuotaError struct {
	Workspace string
	Used      int64 // bytes the workspace stored before this write
	Quota     int64
	What      string // what was being written: "a layer", "an upload", ...
}

func (e *QuotaError) Error() string {
	return fmt.Sprintf("%s: this workspace stores %s of its %s quota and %s would pass it: "+
		"free space with `docker image prune` (images without a tag), `docker rmi IMAGE` "+
		"or by deleting files of the build context, then try again",
		ErrQuota, build.HumanSize(e.Used), build.HumanSize(e.Quota), e.What)
}

// Unwrap makes errors.Is(err, ErrQuota) hold.
func (e *QuotaError) Unwrap() error { return ErrQuota }

// storeQuota is the quota state of one store directory (shared by every Store opened
// on it in this process, as hubLocks is).
type storeQuota struct {
	mu     sync.Mutex
	limit  int64           // 0: no quota (the command line)
	exempt map[string]bool // workspaces the server itself fills (the hub's library)
	meters map[string]*quotaMeter
	// own holds the quotas a teacher set for students (class_members.quota), which
	// take the place of limit for those workspaces.
	own map[string]int64
}

// quotaMeter is what one workspace is writing now (inflight) and what it wrote that
// nothing may reference yet (pending), in this process.
type quotaMeter struct {
	inflight     int64
	pending      map[digest.Digest]pendingBlob
	refusals     int64 // bumped at each refusal: a write that began before one is taken back too
	pendingTotal int64 // the sum of pending's sizes

	// stored is what the rows charged the workspace at storedAt (storedBytes): the
	// query counts each blob's owners across the whole store, which costs tens of
	// milliseconds in a class's store, too much for every layer a build writes. Within
	// usageTTL the writes since are in pending; a removal in the workspace drops it.
	stored   int64
	rest     int64 // rowBytes at storedAt
	storedAt time.Time
}

// usageTTL is how long a workspace's charged rows (quotaMeter.stored) are reused while
// it uses more than half its quota, usageTTLFar while it uses less, each plus up to
// usageJitter by the workspace's name (so a class that started together does not count
// anew in the same second: that stalled every build for a second). Other workspaces'
// removals can raise a shared blob's part meanwhile, by at most what they shared: the
// count is exact again within the TTL.
const (
	usageTTL    = 30 * time.Second
	usageTTLFar = 5 * time.Minute
	usageJitter = 30 * time.Second
)

// usageReuse is how long the workspace's count is reused when it charges used of limit.
func usageReuse(ws string, used, limit int64) time.Duration {
	ttl := usageTTL
	if used < limit/2 {
		ttl = usageTTLFar
	}
	h := fnv.New32a()
	h.Write([]byte(ws))
	return ttl + time.Duration(h.Sum32()%uint32(usageJitter/time.Second))*time.Second
}

func (m *quotaMeter) addPending(d digest.Digest, p pendingBlob) {
	m.dropPending(d)
	m.pending[d] = p
	m.pendingTotal += p.size
}

func (m *quotaMeter) dropPending(d digest.Digest) {
	if p, ok := m.pending[d]; ok {
		m.pendingTotal -= p.size
		delete(m.pending, d)
	}
}

type pendingBlob struct {
	size int64
	at   time.Time
}

var quotaStates = struct {
	sync.Mutex
	m map[string]*storeQuota
}{m: map[string]*storeQuota{}}

func (s *Store) quotas() *storeQuota {
	quotaStates.Lock()
	defer quotaStates.Unlock()
	q := quotaStates.m[s.dir]
	if q == nil {
		q = &storeQuota{exempt: map[string]bool{}, meters: map[string]*quotaMeter{}, own: map[string]int64{}}
		quotaStates.m[s.dir] = q
	}
	return q
}

// SetWorkspaceQuota sets the bytes each workspace may store (see StorageUsed), checked
// before every write that would add to them; 0 removes the quota. The workspaces named
// in exempt have none (the hub library's, which the server fills itself and bounds
// otherwise). The server sets it; the command line has no quota.
func (s *Store) SetWorkspaceQuota(limit int64, exempt ...string) {
	q := s.quotas()
	q.mu.Lock()
	defer q.mu.Unlock()
	q.limit = max(limit, 0)
	q.exempt = map[string]bool{}
	for _, e := range exempt {
		q.exempt[e] = true
	}
}

// quotaFor is the quota of workspace ws (0: none) and its meter.
func (s *Store) quotaFor(ws string) (int64, *quotaMeter) {
	q := s.quotas()
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.limit <= 0 || q.exempt[ws] {
		return 0, nil
	}
	limit := q.limit
	if own := q.own[ws]; own > 0 {
		limit = own
	}
	m := q.meters[ws]
	if m == nil {
		m = &quotaMeter{pending: map[digest.Digest]pendingBlob{}}
		q.meters[ws] = m
	}
	return limit, m
}

// setQuotaOverride makes bytes the quota of workspace ws (0: the store's quota again).
func (s *Store) setQuotaOverride(ws string, bytes int64) {
	q := s.quotas()
	q.mu.Lock()
	defer q.mu.Unlock()
	if bytes > 0 {
		q.own[ws] = bytes
	} else {
		delete(q.own, ws)
	}
	if m := q.meters[ws]; m != nil {
		m.storedAt = time.Time{} // how long a count is reused depends on the quota
	}
}

// Quota is the workspace's storage quota in bytes (0: none).
func (w *Workspace) Quota() int64 {
	limit, _ := w.s.quotaFor(w.name)
	return limit
}

// usedSQL sums what the stored rows charge workspace ?1 whose hub namespace's
// repositories are the names in [?2, ?3): each blob it references, by file size over
// the number of its owners. An owner is a workspace (by its images) or a hub
// namespace's workspace (by hub_tokens, or the workspace of that name; a namespace
// without a workspace, such as library, is an owner of its own).
const usedSQL = `
WITH mine(d) AS (
	SELECT diff_id FROM image_layers WHERE workspace = ?1
	UNION SELECT digest FROM image_layers WHERE workspace = ?1 AND digest != ''
	UNION SELECT id FROM images WHERE workspace = ?1
	UNION SELECT store_digest FROM hub_blobs WHERE repo >= ?2 AND repo < ?3
	UNION SELECT store_digest FROM hub_manifests WHERE repo >= ?2 AND repo < ?3
	UNION SELECT store_digest FROM hub_manifest_refs WHERE repo >= ?2 AND repo < ?3 AND store_digest != ''
)
SELECT coalesce(sum(b.size / max(1, (
	SELECT count(DISTINCT o) FROM (
		SELECT workspace AS o FROM image_layers WHERE diff_id = b.digest
		UNION SELECT workspace FROM image_layers WHERE digest = b.digest AND digest != ''
		UNION SELECT workspace FROM images WHERE id = b.digest
		UNION SELECT coalesce(t.workspace, w.name, 'hub:' || substr(h.repo, 1, instr(h.repo, '/') - 1))
			FROM hub_blobs h LEFT JOIN hub_tokens t ON t.namespace = substr(h.repo, 1, instr(h.repo, '/') - 1)
				LEFT JOIN workspaces w ON w.name = substr(h.repo, 1, instr(h.repo, '/') - 1)
			WHERE h.store_digest = b.digest
		UNION SELECT coalesce(t.workspace, w.name, 'hub:' || substr(h.repo, 1, instr(h.repo, '/') - 1))
			FROM hub_manifests h LEFT JOIN hub_tokens t ON t.namespace = substr(h.repo, 1, instr(h.repo, '/') - 1)
				LEFT JOIN workspaces w ON w.name = substr(h.repo, 1, instr(h.repo, '/') - 1)
			WHERE h.store_digest = b.digest
		UNION SELECT coalesce(t.workspace, w.name, 'hub:' || substr(h.repo, 1, instr(h.repo, '/') - 1))
			FROM hub_manifest_refs h LEFT JOIN hub_tokens t ON t.namespace = substr(h.repo, 1, instr(h.repo, '/') - 1)
				LEFT JOIN workspaces w ON w.name = substr(h.repo, 1, instr(h.repo, '/') - 1)
			WHERE h.store_digest = b.digest
	)
)))
, 0)
FROM blobs b JOIN mine m ON b.digest = m.d
WHERE b.recipe = ''`

// StorageUsed returns the bytes that count against the workspace's quota (see the top
// of this file): blobs it references, shared ones divided among their owners, its
// context files, its namespace's open uploads, and blobs this process wrote for it
// that nothing references yet.
func (w *Workspace) StorageUsed(ctx context.Context) (int64, error) {
	_, m := w.s.quotaFor(w.name)
	if m == nil {
		return w.storedBytes(ctx)
	}
	stored, err := w.chargedRows(ctx, m, true)
	if err != nil {
		return 0, err
	}
	q := w.s.quotas()
	q.mu.Lock()
	defer q.mu.Unlock()
	return stored + m.pendingTotal, nil
}

// chargedRows is what the rows charge the workspace, reused for usageTTL (see
// quotaMeter.stored): a build checks before each layer it stores, and counting the
// rows anew each time made a class's rebuilds seconds slower. When it is counted anew,
// the pending blobs the rows now reference are forgotten, so no blob is counted twice
// nor missed. What the reused count leaves out is what changes without passing through
// pending (image metadata, context files: kilobytes a build) until usageTTL ends or a
// removal (forgetUsage) makes it count anew; open uploads are summed each time (they
// grow by the chunk), and fresh also sums the files and metadata.
func (w *Workspace) chargedRows(ctx context.Context, m *quotaMeter, fresh bool) (int64, error) {
	q := w.s.quotas()
	now := w.s.now()
	q.mu.Lock()
	blobs, rest := m.stored, m.rest
	reuse := !m.storedAt.IsZero() && !now.Before(m.storedAt) &&
		now.Sub(m.storedAt) < usageReuse(w.name, blobs+rest+m.pendingTotal+m.inflight, q.limit)
	q.mu.Unlock()
	if !reuse {
		var err error
		if blobs, err = w.blobBytes(ctx); err != nil {
			return 0, err
		}
		if _, err := w.pendingBytes(ctx, m); err != nil {
			return 0, err
		}
		if rest, err = w.rowBytes(ctx); err != nil {
			return 0, err
		}
		q.mu.Lock()
		m.stored, m.rest, m.storedAt = blobs, rest, now
		q.mu.Unlock()
		return blobs + rest, nil
	}
	if fresh {
		var err error
		if rest, err = w.rowBytes(ctx); err != nil {
			return 0, err
		}
	}
	return blobs + rest, nil
}

// forgetUsage drops the workspace's reused count: after a removal, its next check
// counts anew, so space freed by `docker image prune` is free at once.
func (s *Store) forgetUsage(ws string) {
	q := s.quotas()
	q.mu.Lock()
	defer q.mu.Unlock()
	if m := q.meters[ws]; m != nil {
		m.storedAt = time.Time{}
	}
}

// storedBytes is what the rows charge the workspace.
func (w *Workspace) storedBytes(ctx context.Context) (int64, error) {
	blobs, err := w.blobBytes(ctx)
	if err != nil {
		return 0, err
	}
	rest, err := w.rowBytes(ctx)
	if err != nil {
		return 0, err
	}
	return blobs + rest, nil
}

// blobBytes is what the blob rows charge the workspace (usedSQL): the costly part.
func (w *Workspace) blobBytes(ctx context.Context) (int64, error) {
	lo, hi := namespaceRange(HubNamespace(w.name))
	var blobs int64
	if err := w.s.db.QueryRowContext(ctx, usedSQL, w.name, lo, hi).Scan(&blobs); err != nil {
		return 0, fmt.Errorf("storage used by %s: %w", w.name, err)
	}
	return blobs, nil
}

// rowBytes is what the workspace's own rows hold: context files, image metadata and
// open uploads into its namespace, each a sum over the workspace's rows only.
func (w *Workspace) rowBytes(ctx context.Context) (int64, error) {
	lo, hi := namespaceRange(HubNamespace(w.name))
	var files, meta, uploads int64
	if err := w.s.db.QueryRowContext(ctx, `SELECT coalesce(sum(length(data)), 0) FROM context_files WHERE workspace = ?1`,
		w.name).Scan(&files); err != nil {
		return 0, fmt.Errorf("storage used by %s: %w", w.name, err)
	}
	if err := w.s.db.QueryRowContext(ctx, `SELECT coalesce(sum(length(config) + length(layers) + coalesce(length(build), 0)), 0)
		FROM images WHERE workspace = ?`, w.name).Scan(&meta); err != nil {
		return 0, fmt.Errorf("storage used by %s: %w", w.name, err)
	}
	if err := w.s.db.QueryRowContext(ctx, `SELECT coalesce(sum(size), 0) FROM hub_uploads WHERE repo >= ? AND repo < ?`,
		lo, hi).Scan(&uploads); err != nil {
		return 0, fmt.Errorf("storage used by %s: %w", w.name, err)
	}
	return files + meta + uploads, nil
}

// namespaceRange is the range of repository names [lo, hi) in namespace ns: "ns/..."
// ('0' is the byte after '/'). An empty ns (a workspace name that makes no namespace)
// gives an empty range.
func namespaceRange(ns string) (lo, hi string) {
	if ns == "" {
		return "", ""
	}
	return ns + "/", ns + "0"
}

// pendingBytes is what m remembers the workspace wrote that nothing references yet;
// entries an image of the workspace references now, or older than GCGrace (GC's to
// collect), are forgotten.
func (w *Workspace) pendingBytes(ctx context.Context, m *quotaMeter) (int64, error) {
	q := w.s.quotas()
	q.mu.Lock()
	list := make(map[digest.Digest]pendingBlob, len(m.pending))
	for d, p := range m.pending {
		list[d] = p
	}
	q.mu.Unlock()
	var total int64
	now := w.s.now()
	for d, p := range list {
		drop := now.Sub(p.at) > GCGrace
		if !drop {
			var one int
			err := w.s.db.QueryRowContext(ctx, `SELECT 1 FROM image_layers WHERE workspace = ?1 AND (diff_id = ?2 OR digest = ?2)
				UNION ALL SELECT 1 FROM images WHERE workspace = ?1 AND id = ?2 LIMIT 1`, w.name, d.String()).Scan(&one)
			switch {
			case err == nil:
				drop = true // counted with the rows now
			case !isNoRows(err):
				return 0, fmt.Errorf("storage used by %s: %w", w.name, err)
			}
		}
		if drop {
			q.mu.Lock()
			if cur, ok := m.pending[d]; ok && cur.at.Equal(p.at) {
				m.dropPending(d)
			}
			q.mu.Unlock()
			continue
		}
		total += p.size
	}
	return total, nil
}

// CheckQuota refuses (a *QuotaError) when the workspace's stored bytes plus more would
// pass its quota: what a write whose size is known checks before it starts.
func (w *Workspace) CheckQuota(ctx context.Context, more int64, what string) error {
	limit, m := w.s.quotaFor(w.name)
	if limit <= 0 {
		return nil
	}
	used, err := w.StorageUsed(ctx)
	if err != nil {
		return err
	}
	q := w.s.quotas()
	q.mu.Lock()
	used += m.inflight
	q.mu.Unlock()
	if used+max(more, 0) > limit {
		return &QuotaError{Workspace: w.name, Used: used, Quota: limit, What: what}
	}
	return nil
}

// putBlob is Workspace.PutBlob under the quota: a blob that is stored already costs
// nothing more and is renewed; a new one is refused before its first byte when the
// workspace is at its quota, and as its bytes arrive (a pull's layer as it
// decompresses) when they would pass it. A refusal also takes back what this workspace
// wrote that nothing references yet (the earlier layers of the pull or build that was
// refused), so a refused pull leaves the store as it was.
func (w *Workspace) putBlob(ctx context.Context, d digest.Digest, r io.Reader) (digest.Digest, int64, error) {
	limit, m := w.s.quotaFor(w.name)
	if limit <= 0 {
		return w.s.PutBlob(ctx, d, r)
	}
	if d != "" {
		if err := checkDigest(d); err != nil {
			return "", 0, fmt.Errorf("put blob: %w", err)
		}
		size, ok, err := w.s.renewBlob(ctx, d)
		if err != nil {
			return "", 0, fmt.Errorf("put blob %s: %w", d, err)
		}
		if ok {
			return d, size, nil
		}
	}
	// The rows' part now; what this process writes for the workspace meanwhile
	// (pending, inflight) is added at each check, under the meter's lock.
	stored, err := w.chargedRows(ctx, m, false)
	if err != nil {
		return "", 0, err
	}
	qr := &quotaReader{r: r, s: w.s.quotas(), m: m, stored: stored, limit: limit, ws: w.name}
	qr.s.mu.Lock()
	epoch := m.refusals
	qr.s.mu.Unlock()
	if err := qr.reserve(0); err != nil {
		w.releasePending(ctx)
		return "", 0, err
	}
	got, n, err := w.s.writeBlob(ctx, d, qr)
	qr.s.mu.Lock()
	m.inflight -= qr.n
	refused := m.refusals != epoch
	if err == nil {
		m.addPending(got, pendingBlob{size: n, at: w.s.now()})
	}
	qr.s.mu.Unlock()
	if err == nil && refused {
		// A write of the workspace was refused while this one ran (the pull's next
		// layer, downloading beside it): this one goes with the rest of what was refused.
		w.releasePending(ctx)
		err = &QuotaError{Workspace: w.name, Used: stored + n, Quota: limit, What: "another write of this workspace at the same time"}
	}
	if err != nil {
		if errors.Is(err, ErrQuota) {
			w.releasePending(ctx)
		}
		if d != "" {
			return "", 0, fmt.Errorf("put blob %s: %w", d, err)
		}
		return "", 0, fmt.Errorf("put blob: %w", err)
	}
	return got, n, nil
}

// ReleasePending takes back what this process wrote for the workspace that nothing
// references yet: what a pull that failed calls once all its downloads have ended, so
// it leaves the store as it was. Only a workspace with a quota keeps that record.
func (w *Workspace) ReleasePending(ctx context.Context) { w.releasePending(ctx) }

// releasePending removes the blobs the workspace wrote that nothing references and
// nobody stored again since (Store.Release), and forgets them.
func (w *Workspace) releasePending(ctx context.Context) {
	_, m := w.s.quotaFor(w.name)
	if m == nil {
		return
	}
	q := w.s.quotas()
	q.mu.Lock()
	pending := m.pending
	m.pending = map[digest.Digest]pendingBlob{}
	m.pendingTotal = 0
	q.mu.Unlock()
	// Release keeps any an image references, or that a writer (another workspace's
	// build) stored again after this workspace wrote it: each blob by its own time.
	ctx = context.WithoutCancel(ctx)
	for d, p := range pending {
		w.s.Release(ctx, []digest.Digest{d}, p.at)
	}
}

// quotaReader counts a new blob's bytes against the workspace's quota as they arrive,
// together with its other writes in flight.
type quotaReader struct {
	r      io.Reader
	s      *storeQuota
	m      *quotaMeter
	stored int64 // what the rows charged the workspace when the write began
	limit  int64
	ws     string
	n      int64 // bytes of this write counted in m.inflight
}

func (q *quotaReader) Read(p []byte) (int, error) {
	n, err := q.r.Read(p)
	if n > 0 {
		if rerr := q.reserve(int64(n)); rerr != nil {
			return 0, rerr
		}
	}
	return n, err
}

// reserve counts n more bytes, or refuses them when the workspace would pass its quota.
func (q *quotaReader) reserve(n int64) error {
	q.s.mu.Lock()
	defer q.s.mu.Unlock()
	before := q.stored + q.m.pendingTotal + q.m.inflight - q.n // all but this write
	if before+q.n+n > q.limit || (n == 0 && before >= q.limit) {
		q.m.refusals++
		return &QuotaError{Workspace: q.ws, Used: before, Quota: q.limit, What: "storing this layer"}
	}
	q.n += n
	q.m.inflight += n
	return nil
}

// touchEvery is how often a workspace's last use is written: a request that uses it
// writes at most once in this long, so reading pages costs no write.
const touchEvery = time.Hour

// touches remembers, per store directory and workspace, when this process last wrote
// a workspace's last use.
var touches = struct {
	sync.Mutex
	m map[string]time.Time
}{m: map[string]time.Time{}}

// Touch records that the workspace is used now, for idle expiry (ExpireWorkspaces):
// at most once per touchEvery per workspace and process, so a GET is not a write.
func (w *Workspace) Touch(ctx context.Context) error {
	now := w.s.now()
	key := w.s.dir + "\x00" + w.name
	touches.Lock()
	last, ok := touches.m[key]
	if ok && now.Sub(last) < touchEvery {
		touches.Unlock()
		return nil
	}
	touches.m[key] = now
	if len(touches.m) > 100_000 { // a bound: forgetting only costs a write
		clear(touches.m)
		touches.m[key] = now
	}
	touches.Unlock()
	err := w.s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE workspaces SET used = ? WHERE name = ? AND used < ?`,
			formatTime(now), w.name, formatTime(now.Add(-touchEvery)))
		return err
	})
	if err != nil {
		touches.Lock()
		delete(touches.m, key)
		touches.Unlock()
		return fmt.Errorf("touch workspace %s: %w", w.name, err)
	}
	return nil
}

// ExpireWorkspaces removes the workspaces last used before cutoff (their images, tags,
// builds and events, context files, push token, and the repositories of their hub
// namespace), except those named in keep and those holding an image a build holds
// now, and returns their names. The blobs only they referenced are left for GC.
func (s *Store) ExpireWorkspaces(ctx context.Context, cutoff time.Time, keep ...string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name FROM workspaces
		WHERE (CASE WHEN used = '' THEN created ELSE used END) < ? ORDER BY name LIMIT 1000`, formatTime(cutoff))
	if err != nil {
		return nil, fmt.Errorf("expire workspaces: %w", err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, fmt.Errorf("expire workspaces: %w", err)
		}
		if !slices.Contains(keep, n) {
			names = append(names, n)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("expire workspaces: %w", err)
	}
	var gone []string
	for _, name := range names {
		lo, hi := namespaceRange(HubNamespace(name))
		err := s.write(ctx, func(tx *sql.Tx) error {
			// Re-checked under the write lock: a request may have used it meanwhile.
			res, err := tx.ExecContext(ctx, `DELETE FROM workspaces WHERE name = ?
				AND (CASE WHEN used = '' THEN created ELSE used END) < ?
				AND NOT EXISTS (SELECT 1 FROM holds WHERE workspace = ? AND expires > ?)`,
				name, formatTime(cutoff), name, formatTime(s.now()))
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil
			}
			gone = append(gone, name)
			if _, err := tx.ExecContext(ctx, `DELETE FROM holds WHERE workspace = ?`, name); err != nil {
				return err
			}
			if lo == "" {
				return nil
			}
			_, err = tx.ExecContext(ctx, `DELETE FROM hub_repositories WHERE name >= ? AND name < ?`, lo, hi)
			return err
		})
		if err != nil {
			return gone, fmt.Errorf("expire workspace %s: %w", name, err)
		}
		s.records.dropWorkspace(name)
	}
	return gone, nil
}

// dropWorkspace forgets the cached records of workspace ws.
func (c *recordCache) dropWorkspace(ws string) {
	c.Lock()
	defer c.Unlock()
	for k := range c.m {
		if strings.HasPrefix(k, ws+"\x00") {
			delete(c.m, k)
		}
	}
}
