package main

// Crash safety (issue 3, "Store"): build, rmi, tag, prune (and load, once the command
// exists) run in a child process that is SIGKILLed at a random moment. After every
// trial the store must be intact, the work of every command that exited 0 must be
// there, and rerunning the killed command must succeed.
//
// The child is this test binary itself: with LAYERLAB_TEST_AS=main in its environment,
// the init below runs the real main() on os.Args before the testing package starts,
// so no separate `go build` is needed and what runs is exactly package main.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"
	digest "github.com/opencontainers/go-digest"

	"layerlab/db"
	"layerlab/engine/standin"
)

// asEnv selects what a re-executed test binary does instead of running tests.
const asEnv = "LAYERLAB_TEST_AS"

func init() {
	switch os.Getenv(asEnv) {
	case "":
		return
	case "main":
		// The CLI, exactly as the layerlab binary runs it.
		os.Args = append([]string{"layerlab"}, os.Args[1:]...)
		main()
		os.Exit(0)
	case "goroutines":
		os.Exit(goroutineWorkerMain(os.Args[1:]))
	default:
		fmt.Fprintf(os.Stderr, "%s=%q: unknown mode\n", asEnv, os.Getenv(asEnv))
		os.Exit(2)
	}
}

// selfExe is the test binary, run as the layerlab CLI by layerlabCmd.
func selfExe(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

// layerlabCmd is the layerlab CLI as a child process on data dir data.
func layerlabCmd(exe, data string, args ...string) *exec.Cmd {
	cmd := exec.Command(exe, append([]string{"--data-dir", data}, args...)...)
	cmd.Env = append(os.Environ(), asEnv+"=main")
	cmd.Stdin = nil
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// procResult is how a child process ended.
type procResult struct {
	stdout, stderr string
	code           int  // exit status; -1 when killed
	killed         bool // ended by our SIGKILL
	dur            time.Duration
}

func (r procResult) String() string {
	s := fmt.Sprintf("exit %d", r.code)
	if r.killed {
		s = "SIGKILLed"
	}
	return fmt.Sprintf("%s after %v\nstdout:\n%s\nstderr:\n%s", s, r.dur.Round(time.Millisecond), r.stdout, r.stderr)
}

// runProc runs cmd and, when killAfter >= 0, SIGKILLs it that long after the start
// unless it has ended by then. A process that exited on its own before the signal
// landed is reported as exited (its wait status says so), never as killed.
func runProc(t *testing.T, cmd *exec.Cmd, killAfter time.Duration) procResult {
	t.Helper()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %v: %v", cmd.Args, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	if killAfter >= 0 {
		timer := time.NewTimer(killAfter)
		select {
		case <-done:
			timer.Stop()
		case <-timer.C:
			cmd.Process.Signal(syscall.SIGKILL)
			<-done
		}
	} else {
		<-done
	}
	r := procResult{stdout: out.String(), stderr: errb.String(), dur: time.Since(start)}
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	switch {
	case ok && ws.Signaled():
		r.code, r.killed = -1, ws.Signal() == syscall.SIGKILL
		if !r.killed {
			t.Fatalf("%v died of %v", cmd.Args, ws.Signal())
		}
	default:
		r.code = cmd.ProcessState.ExitCode()
	}
	return r
}

// storeReport is what checkStore found besides the errors.
type storeReport struct {
	images, tags, blobRows, blobFiles int
	unreferencedRows                  int // blob rows no image references (freed by nothing until GC)
	rowsWithoutFile                   int // blob rows whose file is gone (an interrupted removal)
	filesWithoutRow                   int // blob files without a row (an interrupted write)
	tmpFiles                          int
	tags2id                           map[string]string // familiar-ish stored ref -> image ID
	dangling                          int               // untagged images without children
}

// checkStore opens the store read-only and checks what must hold after any crash:
// SQLite's integrity and foreign key checks; every image's ID is the digest of its
// config; every layer blob of every image exists under blobs/sha256/<hex> and hashes to
// its digest; every tag names an existing image. Problems are returned, not reported,
// so the caller can say which trial they follow.
func checkStore(data string) (storeReport, []string) {
	var rep storeReport
	var bad []string
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(data, "layerlab.db")), RawQuery: "mode=ro&_busy_timeout=10000"}
	conn, err := sql.Open("sqlite3", u.String())
	if err != nil {
		return rep, []string{"open: " + err.Error()}
	}
	defer conn.Close()
	conn.SetMaxOpenConns(1)
	strs := func(q string) []string {
		rows, err := conn.Query(q)
		if err != nil {
			bad = append(bad, fmt.Sprintf("%s: %v", q, err))
			return nil
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		var out []string
		for rows.Next() {
			vals := make([]sql.NullString, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				bad = append(bad, fmt.Sprintf("%s: %v", q, err))
				return nil
			}
			var parts []string
			for _, v := range vals {
				parts = append(parts, v.String)
			}
			out = append(out, strings.Join(parts, "|"))
		}
		if err := rows.Err(); err != nil {
			bad = append(bad, fmt.Sprintf("%s: %v", q, err))
		}
		return out
	}
	if got := strs(`PRAGMA integrity_check`); len(got) != 1 || got[0] != "ok" {
		bad = append(bad, fmt.Sprintf("PRAGMA integrity_check: %q", got))
	}
	if got := strs(`PRAGMA foreign_key_check`); len(got) != 0 {
		bad = append(bad, fmt.Sprintf("PRAGMA foreign_key_check: %q", got))
	}
	if len(bad) > 0 {
		return rep, bad
	}

	// Images: ID = sha256(config).
	rows, err := conn.Query(`SELECT workspace, id, config FROM images`)
	if err != nil {
		return rep, append(bad, "images: "+err.Error())
	}
	for rows.Next() {
		var ws, id string
		var cfg []byte
		if err := rows.Scan(&ws, &id, &cfg); err != nil {
			bad = append(bad, "images: "+err.Error())
			break
		}
		rep.images++
		if got := fmt.Sprintf("sha256:%x", sha256.Sum256(cfg)); got != id {
			bad = append(bad, fmt.Sprintf("image %s in %s: config hashes to %s", id, ws, got))
		}
	}
	rows.Close()

	// Every layer blob of every image: file present, content matching.
	blobDir := filepath.Join(data, "blobs", "sha256")
	for _, d := range strs(`SELECT DISTINCT diff_id FROM image_layers ORDER BY diff_id`) {
		hexd, ok := strings.CutPrefix(d, "sha256:")
		if !ok || len(hexd) != 64 {
			bad = append(bad, fmt.Sprintf("layer diff_id %q is not a sha256 digest", d))
			continue
		}
		var b []byte
		var err error
		if rec := strs(fmt.Sprintf(`SELECT recipe || '|' || size FROM blobs WHERE digest = '%s' AND recipe != ''`, d)); len(rec) == 1 {
			// A generated blob (a stand-in's layer) has no file: its recipe makes the
			// bytes, and the check below hashes them as it would a file's.
			b, err = generatedBlob(d, rec[0])
		} else {
			b, err = os.ReadFile(filepath.Join(blobDir, hexd))
		}
		if err != nil {
			users := strs(fmt.Sprintf(`SELECT image_id FROM image_layers WHERE diff_id = '%s' LIMIT 3`, d))
			bad = append(bad, fmt.Sprintf("layer blob %s of images %v: %v", d, users, err))
			continue
		}
		if sum := sha256.Sum256(b); hex.EncodeToString(sum[:]) != hexd {
			bad = append(bad, fmt.Sprintf("layer blob %s: content hashes to sha256:%x", d, sum))
		}
	}
	// Every tag names an existing image of its workspace.
	for _, r := range strs(`SELECT t.workspace, t.ref, t.image_id FROM tags t
		WHERE NOT EXISTS (SELECT 1 FROM images i WHERE i.workspace = t.workspace AND i.id = t.image_id)`) {
		bad = append(bad, "tag without image: "+r)
	}
	rep.tags2id = map[string]string{}
	for _, r := range strs(`SELECT ref, image_id FROM tags WHERE workspace = 'default'`) {
		ref, id, _ := strings.Cut(r, "|")
		rep.tags2id[ref] = id
		rep.tags++
	}
	if n := strs(`SELECT count(*) FROM images i WHERE i.workspace = 'default'
		AND NOT EXISTS (SELECT 1 FROM tags t WHERE t.workspace = i.workspace AND t.image_id = i.id)
		AND NOT EXISTS (SELECT 1 FROM images c WHERE c.workspace = i.workspace AND c.parent = i.id)
		AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.workspace = i.workspace AND h.image_id = i.id)`); len(n) == 1 {
		// Images a killed build still holds are left by prune until the hold expires.
		rep.dangling, _ = strconv.Atoi(n[0])
	}

	// Informational: leftovers of interrupted writes and removals.
	rowSet := map[string]bool{}
	for _, d := range strs(`SELECT digest FROM blobs`) {
		rowSet[strings.TrimPrefix(d, "sha256:")] = true
	}
	rep.blobRows = len(rowSet)
	if n := strs(`SELECT count(*) FROM blobs b
		WHERE NOT EXISTS (SELECT 1 FROM image_layers l WHERE l.diff_id = b.digest)
		AND NOT EXISTS (SELECT 1 FROM image_layers l WHERE l.digest = b.digest AND l.digest != '')
		AND NOT EXISTS (SELECT 1 FROM images i WHERE i.id = b.digest)`); len(n) == 1 {
		rep.unreferencedRows, _ = strconv.Atoi(n[0])
	}
	files, _ := os.ReadDir(blobDir)
	fileSet := map[string]bool{}
	for _, f := range files {
		fileSet[f.Name()] = true
		if !rowSet[f.Name()] {
			rep.filesWithoutRow++
		}
	}
	rep.blobFiles = len(fileSet)
	for d := range rowSet {
		if !fileSet[d] {
			rep.rowsWithoutFile++
		}
	}
	tmps, _ := os.ReadDir(filepath.Join(data, "blobs", "tmp"))
	rep.tmpFiles = len(tmps)
	return rep, bad
}

// normRef is how the store keeps a ref this test uses (docker.io/library/name:tag).
func normRef(r string) string { return "docker.io/library/" + r }

// crashKind is one kind of command the crash test interrupts.
type crashKind string

const (
	kBuild crashKind = "build"
	kRmi   crashKind = "rmi"
	kTag   crashKind = "tag"
	kPrune crashKind = "prune"
	kLoad  crashKind = "load"
)

// crashHarness holds the test's model of the store: the refs that acknowledged commands
// (exit 0, or a rerun after a kill) left, and the image each names.
type crashHarness struct {
	t      *testing.T
	exe    string
	data   string
	ctxDir string
	rng    *rand.Rand
	edits  int
	want   map[string]string // ref (familiar) -> image ID it must name
	gone   map[string]bool   // refs that must not exist
	// load, when the CLI has it: an archive of loadRef, which names loadID.
	loadArchive, loadRef, loadID string
}

// editContext changes the build context so a build does real work: the RUN line always,
// the copied 64 KiB file and the ENV value now and then (so some steps hit the cache).
func (h *crashHarness) editContext() {
	h.t.Helper()
	h.edits++
	n := h.edits
	env := n / 3
	df := fmt.Sprintf("FROM busybox\nENV GEN=%d\nCOPY app.txt data.bin /app/\nRUN cat /app/app.txt > /copy.txt && echo %d > /n\nRUN echo step-%d > /step && mkdir -p /d%d\n", env, n, n, n%4)
	if err := os.WriteFile(filepath.Join(h.ctxDir, "Dockerfile"), []byte(df), 0o644); err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(h.ctxDir, "app.txt"), fmt.Appendf(nil, "edit %d\n", n), 0o644); err != nil {
		h.t.Fatal(err)
	}
	if n%2 == 1 || n < 3 {
		b := make([]byte, 64<<10)
		for i := range b {
			b[i] = byte(h.rng.Uint32())
		}
		if err := os.WriteFile(filepath.Join(h.ctxDir, "data.bin"), b, 0o644); err != nil {
			h.t.Fatal(err)
		}
	}
}

// run runs the CLI to completion and requires exit 0.
func (h *crashHarness) run(args ...string) procResult {
	h.t.Helper()
	r := runProc(h.t, layerlabCmd(h.exe, h.data, args...), -1)
	if r.code != 0 {
		h.t.Fatalf("layerlab %s: %s", strings.Join(args, " "), r)
	}
	return r
}

// slots are the refs builds write; rebuilding a slot leaves its old image dangling,
// which gives prune work.
var crashSlots = []string{"crash:a", "crash:b", "crash:c"}
var crashAliases = []string{"alias:x", "alias:y"}

// present returns the slot refs the model says exist, in a stable order.
func (h *crashHarness) present() []string {
	var out []string
	for _, s := range crashSlots {
		if _, ok := h.want[s]; ok {
			out = append(out, s)
		}
	}
	return out
}

// plan is one command of a trial and what acknowledging it means for the model.
type plan struct {
	kind crashKind
	args []string
	ref  string // the ref it creates or removes
	src  string // tag: the ref it copies
}

func (h *crashHarness) pick(kinds []crashKind, weights []int) plan {
	total := 0
	for _, w := range weights {
		total += w
	}
	x := h.rng.IntN(total)
	k := kinds[len(kinds)-1]
	for i, w := range weights {
		if x < w {
			k = kinds[i]
			break
		}
		x -= w
	}
	pres := h.present()
	if (k == kRmi || k == kTag) && len(pres) == 0 {
		k = kBuild
	}
	switch k {
	case kBuild:
		slot := crashSlots[h.rng.IntN(len(crashSlots))]
		h.editContext()
		return plan{kind: k, args: []string{"build", "-q", "-t", slot, h.ctxDir}, ref: slot}
	case kRmi:
		cands := append([]string(nil), pres...)
		for _, a := range crashAliases {
			if _, ok := h.want[a]; ok {
				cands = append(cands, a)
			}
		}
		ref := cands[h.rng.IntN(len(cands))]
		return plan{kind: k, args: []string{"rmi", ref}, ref: ref}
	case kTag:
		src := pres[h.rng.IntN(len(pres))]
		dst := crashAliases[h.rng.IntN(len(crashAliases))]
		return plan{kind: k, args: []string{"tag", src, dst}, ref: dst, src: src}
	case kPrune:
		return plan{kind: k, args: []string{"image", "prune", "-f"}}
	case kLoad:
		// Make the load do real work: the image must not be there already.
		if _, ok := h.want[h.loadRef]; ok {
			h.run("rmi", h.loadRef)
			delete(h.want, h.loadRef)
			h.gone[h.loadRef] = true
		}
		return plan{kind: k, args: []string{"load", "-i", h.loadArchive}, ref: h.loadRef}
	}
	panic("unreachable")
}

// acknowledge records in the model what a command that exited 0 did.
func (h *crashHarness) acknowledge(p plan, r procResult) {
	h.t.Helper()
	switch p.kind {
	case kBuild:
		id := strings.TrimSpace(r.stdout)
		if !strings.HasPrefix(id, "sha256:") || len(id) != 71 {
			h.t.Fatalf("build -q printed %q", r.stdout)
		}
		h.want[p.ref] = id
		delete(h.gone, p.ref)
	case kRmi:
		delete(h.want, p.ref)
		h.gone[p.ref] = true
	case kTag:
		h.want[p.ref] = h.want[p.src]
		delete(h.gone, p.ref)
	case kLoad:
		h.want[p.ref] = h.loadID
		delete(h.gone, p.ref)
	}
}

// verify checks the store and the model; after an acknowledged prune there must be no
// dangling image. The ref a killed command was creating or removing (uncertain) may be
// either way until the command is rerun.
func (h *crashHarness) verify(when string, afterPrune bool, uncertain string) storeReport {
	h.t.Helper()
	rep, bad := checkStore(h.data)
	for ref, id := range h.want {
		if ref == uncertain {
			continue
		}
		if got, ok := rep.tags2id[normRef(ref)]; !ok {
			bad = append(bad, fmt.Sprintf("acknowledged ref %s is missing (want %s)", ref, id))
		} else if got != id {
			bad = append(bad, fmt.Sprintf("acknowledged ref %s names %s, want %s", ref, got, id))
		}
	}
	for ref := range h.gone {
		if ref == uncertain {
			continue
		}
		if id, ok := rep.tags2id[normRef(ref)]; ok {
			bad = append(bad, fmt.Sprintf("acknowledged removal of %s undone: it names %s", ref, id))
		}
	}
	if afterPrune && rep.dangling != 0 {
		bad = append(bad, fmt.Sprintf("%d dangling images after an acknowledged prune", rep.dangling))
	}
	if len(bad) > 0 {
		h.t.Fatalf("%s:\n  %s", when, strings.Join(bad, "\n  "))
	}
	return rep
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// crashSeed is fixed so that a failure reproduces; LAYERLAB_CRASH_SEED overrides it
// (as does LAYERLAB_CRASH_TRIALS the number of trials), to explore other schedules.
const crashSeed = 20260311

func envInt(t *testing.T, name string, def int) int {
	if s := os.Getenv(name); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("%s=%q: %v", name, s, err)
		}
		return n
	}
	return def
}

func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: skipped under -short")
	}
	seed := envInt(t, "LAYERLAB_CRASH_SEED", crashSeed)
	trials := envInt(t, "LAYERLAB_CRASH_TRIALS", 64)
	t.Logf("seed %d (rerun with LAYERLAB_CRASH_SEED=%d), %d trials", seed, seed, trials)
	began := time.Now()
	h := &crashHarness{
		t: t, exe: selfExe(t), data: t.TempDir(), ctxDir: t.TempDir(),
		rng:  rand.New(rand.NewPCG(uint64(seed), 0x6c617965726c6162)),
		want: map[string]string{}, gone: map[string]bool{},
	}

	kinds := []crashKind{kBuild, kRmi, kTag, kPrune}
	weights := []int{40, 25, 10, 25}
	if r := runProc(t, layerlabCmd(h.exe, h.data, "load", "--help"), -1); r.code == 0 {
		kinds, weights = append(kinds, kLoad), append(weights, 20)
		// The archive holds an image of its own, built from another context.
		lctx := writeFiles(t, map[string]string{"Dockerfile": "FROM busybox\nRUN echo loaded > /loaded\n"})
		h.loadRef, h.loadArchive = "crashload:1", filepath.Join(t.TempDir(), "crashload.tar")
		h.loadID = strings.TrimSpace(h.run("build", "-q", "-t", h.loadRef, lctx).stdout)
		h.run("save", "-o", h.loadArchive, h.loadRef)
		h.want[h.loadRef] = h.loadID
		t.Logf("load is available: included in the mix")
	} else {
		t.Logf("`layerlab load --help` exits %d: load is not in the mix yet", r.code)
	}

	// Measure each command's typical duration (median of three full runs); the kill
	// delays are spread uniformly over [0, 1.25 x that], so that most runs are cut
	// somewhere inside and some finish (and must then be acknowledged).
	typical := map[crashKind]time.Duration{}
	for _, k := range kinds {
		var ds []time.Duration
		for range 3 {
			var p plan
			switch k {
			case kRmi, kTag:
				bp := h.pick([]crashKind{kBuild}, []int{1})
				h.acknowledge(bp, h.run(bp.args...))
				p = h.pick([]crashKind{k}, []int{1})
			default:
				p = h.pick([]crashKind{k}, []int{1})
			}
			r := h.run(p.args...)
			h.acknowledge(p, r)
			ds = append(ds, r.dur)
		}
		typical[k] = median(ds)
	}
	h.verify("after the warm-up runs", false, "")
	t.Logf("typical durations (median of 3): %v", typical)

	type tally struct{ trials, killed, finished, rerunNoSuch int }
	stats := map[crashKind]*tally{}
	for _, k := range kinds {
		stats[k] = &tally{}
	}
	var maxRep storeReport
	killedSoFar, trial := 0, 0
	// At least `trials` trials, and on until 50 of them were killed mid-run.
	for trial < trials || (killedSoFar < 50 && trial < 4*trials) {
		trial++
		p := h.pick(kinds, weights)
		delay := time.Duration(h.rng.Int64N(int64(typical[p.kind]) * 5 / 4))
		st := stats[p.kind]
		st.trials++
		r := runProc(t, layerlabCmd(h.exe, h.data, p.args...), delay)
		what := fmt.Sprintf("trial %d: layerlab %s, SIGKILL at %v", trial, strings.Join(p.args, " "), delay.Round(time.Microsecond))
		if r.killed {
			st.killed++
			killedSoFar++
		} else {
			st.finished++
			if r.code != 0 {
				t.Fatalf("%s: it finished first but failed: %s", what, r)
			}
			h.acknowledge(p, r)
		}
		if r.killed {
			h.verify(what+" (killed)", false, p.ref)
		} else {
			h.verify(what+" (finished first)", p.kind == kPrune, "")
		}
		if !r.killed {
			continue
		}
		// Rerun the killed command: it must succeed. A killed `rmi REF` may have
		// committed the untag already; Docker answers a second `rmi` of a ref that is
		// gone with "Error: No such image: REF" (exit 1), and the ref being gone is
		// exactly what a successful rmi leaves, so that answer counts as success.
		rr := runProc(t, layerlabCmd(h.exe, h.data, p.args...), -1)
		if rr.code != 0 {
			if p.kind == kRmi && rr.code == 1 && strings.TrimSpace(rr.stderr) == "Error: No such image: "+p.ref {
				st.rerunNoSuch++
			} else {
				t.Fatalf("%s: killed; the rerun failed: %s", what, rr)
			}
		}
		h.acknowledge(p, rr)
		rep := h.verify(what+", then the rerun", p.kind == kPrune, "")
		if rep.unreferencedRows > maxRep.unreferencedRows {
			maxRep.unreferencedRows = rep.unreferencedRows
		}
		maxRep.rowsWithoutFile = max(maxRep.rowsWithoutFile, rep.rowsWithoutFile)
		maxRep.filesWithoutRow = max(maxRep.filesWithoutRow, rep.filesWithoutRow)
		maxRep.tmpFiles = max(maxRep.tmpFiles, rep.tmpFiles)
	}
	// A last prune leaves only what tagged images use; see what leaked on the way.
	h.acknowledge(plan{kind: kPrune}, h.run("image", "prune", "-f"))
	final := h.verify("after a final prune", true, "")

	var lines []string
	totalKilled := 0
	for _, k := range kinds {
		s := stats[k]
		totalKilled += s.killed
		lines = append(lines, fmt.Sprintf("%s: %d trials, %d killed, %d finished first, %d reruns answered No such image",
			k, s.trials, s.killed, s.finished, s.rerunNoSuch))
	}
	sort.Strings(lines)
	t.Logf("%d trials, %d killed mid-run, in %v:\n  %s", trial, totalKilled, time.Since(began).Round(time.Millisecond), strings.Join(lines, "\n  "))
	t.Logf("leftovers (max over trials): %d unreferenced blob rows, %d rows without a file, %d files without a row, %d temp files",
		maxRep.unreferencedRows, maxRep.rowsWithoutFile, maxRep.filesWithoutRow, maxRep.tmpFiles)
	t.Logf("final store: %d images, %d tags, %d blob rows (%d referenced by no image), %d blob files",
		final.images, final.tags, final.blobRows, final.unreferencedRows, final.blobFiles)
	if totalKilled < 50 {
		t.Errorf("only %d of %d trials were killed mid-run; the issue asks for at least 50", totalKilled, trial)
	}
}

// A command killed between writing a blob and committing the image that uses it (a
// build), or between deleting an image and releasing its blobs (rmi, prune), leaves a
// blob that nothing references. db.Store.GC would free it once GCGrace has passed, but
// no command calls GC: `image prune` releases only the blobs of the images it deletes
// itself, so the leftover stays on disk for good (the crash test above ends with such
// rows after its final prune). The state is made directly here: a blob stored by a
// writer that then died, last used long ago.
func TestPruneFreesBlobsLeftByACrash(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped under -short")
	}
	data := t.TempDir()
	if code, _, errs := inProc(data, "build", "-q", "-t", "base:1", writeFiles(t, map[string]string{"Dockerfile": "FROM busybox\nRUN echo x > /x\n"})); code != 0 {
		t.Fatal(errs)
	}
	s, err := db.Open(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	d, _, err := s.PutBlob(context.Background(), "", strings.NewReader("a layer whose image was never committed\n"))
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := sql.Open("sqlite3", "file:"+filepath.Join(data, "layerlab.db")+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * db.GCGrace).UTC().Format("2006-01-02T15:04:05.000000000Z")
	if _, err := conn.Exec(`UPDATE blobs SET used = ?, created = ? WHERE digest = ?`, old, old, d.String()); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	if code, out, errs := inProc(data, "image", "prune", "-f"); code != 0 {
		t.Fatalf("prune: exit %d\n%s%s", code, out, errs)
	}
	if _, err := os.Stat(filepath.Join(data, "blobs", "sha256", d.Encoded())); err == nil {
		t.Errorf("blob %s, referenced by nothing and unused for %v, is still on disk after `image prune -f`", d, 2*db.GCGrace)
	}
}

// generatedBlob makes the bytes of a generated blob from its row ("recipe|size").
func generatedBlob(d, row string) ([]byte, error) {
	i := strings.LastIndex(row, "|")
	recipe, size := row[:i], row[i+1:]
	n, err := strconv.ParseInt(size, 10, 64)
	if err != nil {
		return nil, err
	}
	r, err := standin.ParseRecipe(recipe)
	if err != nil {
		return nil, err
	}
	rc, err := standin.Open(r, digest.Digest(d), n)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}
