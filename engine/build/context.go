package build

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"

	"layerlab/engine/rootfs"
)

// Context limits: a teaching context is small; these stop an accidental home directory.
const (
	MaxContextBytes = 512 << 20
	MaxContextFiles = 100_000
)

// Context is a build context: the files `docker build` sends to the daemon, already
// filtered by .dockerignore, held as an in-memory filesystem. Owners are 0:0, as the
// docker CLI sends them; modes and mtimes are kept.
type Context struct {
	FS *rootfs.FS
	// Dockerfile is the content of the Dockerfile (read before .dockerignore removed it).
	Dockerfile []byte
	// DockerfileName is the path of the Dockerfile inside the context, for messages.
	DockerfileName string
	// Bytes is what `docker build` would report sending.
	Bytes int64
	// implicit are directories .dockerignore excludes but that hold re-included files
	// (`secret` for "secret" and "!secret/keep.txt"): the CLI sends no entry for them,
	// so the daemon has no checksum for them either.
	implicit map[string]bool
	// bareMode are the entries whose mode came without type bits (File.BareMode).
	bareMode map[string]bool
}

// File is one file of a context given as data (the browser's editor, tests).
type File struct {
	Path    string
	Data    []byte
	Mode    fs.FileMode // 0 means 0644 (0755 for directories)
	Dir     bool
	Symlink string // target, for a symlink
	ModTime time.Time
	// BareMode: the sender's tar header held the mode without its file-type bits (the
	// 28.x docker CLI sends 0644 where the 20.10 CLI sends 0100644). Docker's COPY
	// checksum takes the header's mode as sent, so the two CLIs' contexts hash apart.
	BareMode bool
}

// NewContext builds a context from files. dockerfile names the Dockerfile among them
// ("" = "Dockerfile").
func NewContext(files []File, dockerfile string) (*Context, error) {
	f := rootfs.New()
	var total int64
	bare := map[string]bool{}
	for _, file := range files {
		p := rootfs.Clean(file.Path)
		if file.BareMode {
			bare[p] = true
		}
		if p == "" || strings.HasPrefix(filepath.ToSlash(filepath.Clean(file.Path)), "../") {
			return nil, fmt.Errorf("context file %q: the path must stay inside the context", file.Path)
		}
		mtime := file.ModTime
		if mtime.IsZero() {
			mtime = time.Unix(0, 0).UTC()
		}
		if err := f.MkdirAll(parentOf(p), 0o755, 0, 0, mtime); err != nil {
			return nil, fmt.Errorf("context file %q: %w", file.Path, err)
		}
		e := &rootfs.Entry{Mode: file.Mode.Perm(), ModTime: mtime}
		switch {
		case file.Dir:
			e.Kind = rootfs.KindDir
			if file.Mode == 0 {
				e.Mode = 0o755
			}
		case file.Symlink != "":
			e.Kind, e.Linkname, e.Mode = rootfs.KindSymlink, file.Symlink, 0o777
		default:
			e.Kind, e.Data = rootfs.KindFile, rootfs.Bytes(file.Data)
			if file.Mode == 0 {
				e.Mode = 0o644
			}
			total += int64(len(file.Data))
		}
		if total > MaxContextBytes || f.Len() > MaxContextFiles {
			return nil, fmt.Errorf("%w: more than %d MiB or %d files", ErrContextTooLarge, MaxContextBytes>>20, MaxContextFiles)
		}
		if err := f.Put(p, e); err != nil {
			return nil, fmt.Errorf("context file %q: %w", file.Path, err)
		}
	}
	c, err := prepare(f, dockerfile)
	if err != nil {
		return nil, err
	}
	if len(bare) > 0 {
		c.bareMode = bare
	}
	return c, nil
}

// LoadDir reads a context directory from disk, as the docker CLI does: .dockerignore
// applied, symlinks kept as symlinks, owners dropped. dockerfile is the Dockerfile's
// path as `docker build -f` takes it (relative to the working directory, or absolute);
// "" means dir/Dockerfile. A Dockerfile outside the context is read from where it is.
func LoadDir(dir, dockerfile string) (*Context, error) {
	df := dockerfile
	if df == "" {
		df = filepath.Join(dir, "Dockerfile")
	}
	if _, err := os.Lstat(df); err != nil {
		abs, _ := filepath.Abs(df)
		return nil, fmt.Errorf("unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat %s: no such file or directory", abs)
	}
	if dockerfile != "" {
		absDir, err := filepath.Abs(dir)
		if err != nil {
			return nil, err
		}
		absDF, err := filepath.Abs(dockerfile)
		if err != nil {
			return nil, err
		}
		rel, err := filepath.Rel(absDir, absDF)
		if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
			data, err := os.ReadFile(dockerfile)
			if err != nil {
				return nil, fmt.Errorf("unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat %s: no such file or directory", absDF)
			}
			c, err := loadDir(dir, "Dockerfile", true)
			if err != nil {
				return nil, err
			}
			c.Dockerfile, c.DockerfileName = data, filepath.Base(dockerfile)
			return c, nil
		}
		dockerfile = filepath.ToSlash(rel)
	}
	return loadDir(dir, dockerfile, false)
}

func loadDir(dir, dockerfile string, external bool) (*Context, error) {
	excludes, err := readIgnore(os.DirFS(dir))
	if err != nil {
		return nil, err
	}
	pm, err := patternmatcher.New(excludes)
	if err != nil {
		return nil, fmt.Errorf("read .dockerignore: %w", err)
	}
	if dockerfile == "" {
		dockerfile = "Dockerfile"
	}
	f := rootfs.New()
	var total int64
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		keep := rel == dockerfile || rel == ".dockerignore"
		if !keep {
			if m, _ := pm.MatchesOrParentMatches(rel); m {
				if d.IsDir() && !pm.Exclusions() {
					return filepath.SkipDir
				}
				return nil
			}
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		e := &rootfs.Entry{Mode: info.Mode().Perm(), ModTime: info.ModTime().UTC()}
		switch {
		case d.IsDir():
			e.Kind = rootfs.KindDir
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			e.Kind, e.Linkname = rootfs.KindSymlink, target
		case info.Mode().IsRegular():
			total += info.Size()
			if total > MaxContextBytes {
				return fmt.Errorf("%w: more than %d MiB", ErrContextTooLarge, MaxContextBytes>>20)
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			e.Kind, e.Data = rootfs.KindFile, rootfs.Bytes(data)
		default:
			return nil // sockets, devices: the CLI skips them too
		}
		if f.Len() > MaxContextFiles {
			return fmt.Errorf("%w: more than %d files", ErrContextTooLarge, MaxContextFiles)
		}
		if err := f.MkdirAll(parentOf(rel), 0o755, 0, 0, e.ModTime); err != nil {
			return err
		}
		return f.Put(rel, e)
	})
	if err != nil {
		return nil, fmt.Errorf("read build context %s: %w", dir, err)
	}
	if external {
		return prepareExternal(f)
	}
	return prepare(f, dockerfile)
}

// prepareExternal is prepare for a Dockerfile that is not part of the context.
func prepareExternal(f *rootfs.FS) (*Context, error) {
	tmp := "\x00dockerfile"
	_ = f.Put(tmp, &rootfs.Entry{Kind: rootfs.KindFile, Mode: 0o644, Data: rootfs.Bytes(nil)})
	c, err := prepare(f, tmp)
	if err != nil {
		return nil, err
	}
	_ = f.RemoveAll(tmp)
	return c, nil
}

// readIgnore returns the patterns of fsys's .dockerignore: none (and no error) when there
// is no such file.
func readIgnore(fsys fs.FS) ([]string, error) {
	b, err := fs.ReadFile(fsys, ".dockerignore")
	if errors.Is(err, fs.ErrNotExist) {
		return []string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read .dockerignore: %w", err)
	}
	ex, err := ignorefile.ReadAll(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("read .dockerignore: %w", err)
	}
	return ex, nil
}

// prepare applies .dockerignore to a context that may still hold ignored files, reads
// the Dockerfile, then removes the Dockerfile and .dockerignore when .dockerignore
// excludes them, as the classic builder does after receiving the context.
func prepare(f *rootfs.FS, dockerfile string) (*Context, error) {
	if dockerfile == "" {
		dockerfile = "Dockerfile"
	}
	dockerfile = rootfs.Clean(dockerfile)
	var excludes []string
	if b, err := f.ReadFile(".dockerignore"); err == nil {
		if excludes, err = ignorefile.ReadAll(bytes.NewReader(b)); err != nil {
			return nil, fmt.Errorf("read .dockerignore: %w", err)
		}
	}
	c := &Context{FS: f, DockerfileName: dockerfile}
	df, _, err := f.Lstat(dockerfile)
	if err != nil || df.Kind != rootfs.KindFile {
		return nil, fmt.Errorf("unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat %s: no such file or directory", dockerfile)
	}
	c.Dockerfile, _ = df.Data.Bytes()
	c.implicit = map[string]bool{}
	var pm *patternmatcher.PatternMatcher
	if len(excludes) > 0 {
		var err error
		if pm, err = patternmatcher.New(excludes); err != nil {
			return nil, fmt.Errorf("read .dockerignore: %w", err)
		}
		// An excluded entry goes, unless it is a directory holding a re-included file:
		// then it stays, implicitly, as the parent the daemon's untar creates.
		matched := map[string]bool{}
		needed := map[string]bool{}
		_ = f.Walk(func(key string, e *rootfs.Entry) error {
			if key == dockerfile || key == ".dockerignore" {
				return nil
			}
			if m, _ := pm.MatchesOrParentMatches(key); m {
				matched[key] = true
				return nil
			}
			for p := parentOf(key); p != ""; p = parentOf(p) {
				needed[p] = true
			}
			return nil
		})
		var drop []string
		for key := range matched {
			if needed[key] {
				c.implicit[key] = true
			} else {
				drop = append(drop, key)
			}
		}
		sortStrings(drop)
		for _, key := range drop {
			_ = f.RemoveAll(key)
		}
	}
	// The tar the docker CLI sends (Dockerfile and .dockerignore always included): a
	// 512-byte header per entry, content padded to 512-byte blocks, two zero blocks.
	_ = f.Walk(func(key string, e *rootfs.Entry) error {
		if !c.implicit[key] {
			c.Bytes += 512 + (e.Size()+511)/512*512
		}
		return nil
	})
	c.Bytes += 1024
	if pm != nil {
		for _, key := range []string{".dockerignore", dockerfile} {
			if m, _ := pm.MatchesOrParentMatches(key); m {
				_ = f.RemoveAll(key)
			}
		}
	}
	return c, nil
}

func parentOf(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[:i]
	}
	return ""
}

// ReadAllLimited reads r up to n bytes, failing past that.
func ReadAllLimited(r io.Reader, n int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, n+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > n {
		return nil, ErrContextTooLarge
	}
	return b, nil
}

// ContextSize is what `docker build` reports sending, right-aligned as the CLI prints it
// ("Sending build context to Docker daemon  3.072kB"): the context as a tar stream, in
// go-units HumanSize (decimal, four significant digits).
func ContextSize(c *Context) string {
	n := float64(c.Bytes)
	units := []string{"B", "kB", "MB", "GB", "TB"}
	i := 0
	for n >= 1000 && i < len(units)-1 {
		n /= 1000
		i++
	}
	return fmt.Sprintf("%8s", fmt.Sprintf("%.4g%s", n, units[i]))
}
