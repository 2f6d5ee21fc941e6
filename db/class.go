package db

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mattn/go-sqlite3"
)

// Class errors.
var (
	// ErrExists: a name already taken (a student's display name in a class).
	ErrExists = errors.New("already exists")
	// ErrClassClosed: the class takes no more joins.
	ErrClassClosed = errors.New("class is closed")
	// ErrInAnotherClass: the workspace is a student of another class already.
	ErrInAnotherClass = errors.New("workspace is in another class")
	// ErrClassFull: the class has MaxClassMembers students.
	ErrClassFull = errors.New("class is full")
)

// MaxClassMembers bounds a class's students: every dashboard update renders them all,
// and one shared code must not let a script fill a class with thousands of names. It
// matches the live view's bound of followers per class (handlers/follow.go).
const MaxClassMembers = 200

// CodeAlphabet holds the letters and digits of a join code: none that a room reads
// for another (0/O/D, 1/I/L, 2/Z, 5/S, 8/B), so a code read off a projector is typed
// right.
const CodeAlphabet = "ACEFGHJKMNPQRTUVWXY34679"

// CodeLength is the number of characters of a join code: 24^6, about 191 million
// codes, against a few dozen open classes.
const CodeLength = 6

// MaxMemberName is the longest display name, in characters.
const MaxMemberName = 40

// Class is a teacher's class.
type Class struct {
	ID      string
	Code    string // the join code, CodeLength characters of CodeAlphabet
	Name    string
	Lesson  string    // the lesson's id
	Teacher string    // the teacher's workspace
	Created time.Time // when the teacher made it
	Closed  time.Time // zero while it takes joins
}

// Member is a student of a class.
type Member struct {
	Class     string
	Workspace string
	Name      string
	Joined    time.Time
	Quota     int64 // bytes the student may store; 0: the server's quota
}

const classCols = `id, code, name, lesson, teacher, created, closed`

func scanClass(sc scanner) (*Class, error) {
	var c Class
	var created, closed string
	if err := sc.Scan(&c.ID, &c.Code, &c.Name, &c.Lesson, &c.Teacher, &created, &closed); err != nil {
		return nil, err
	}
	var err error
	if c.Created, err = parseTime(created); err != nil {
		return nil, err
	}
	if closed != "" {
		if c.Closed, err = parseTime(closed); err != nil {
			return nil, err
		}
	}
	return &c, nil
}

const memberCols = `class, workspace, name, joined, quota`

func scanMember(sc scanner) (*Member, error) {
	var m Member
	var joined string
	if err := sc.Scan(&m.Class, &m.Workspace, &m.Name, &joined, &m.Quota); err != nil {
		return nil, err
	}
	var err error
	m.Joined, err = parseTime(joined)
	return &m, err
}

// CleanName checks a class's or a student's display name: trimmed, 1 to
// MaxMemberName characters, no control, bidirectional or zero-width characters (a
// name is shown to a whole class).
func CleanName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch n := utf8.RuneCountInString(name); {
	case !utf8.ValidString(name):
		return "", fmt.Errorf("name is not UTF-8: %w", ErrInvalid)
	case n == 0:
		return "", fmt.Errorf("name is empty: type a name: %w", ErrInvalid)
	case n > MaxMemberName:
		return "", fmt.Errorf("name %q has %d characters, more than %d: %w", name, n, MaxMemberName, ErrInvalid)
	}
	for _, r := range name {
		if h := hiddenRune(r); h != "" || unicode.IsControl(r) {
			return "", fmt.Errorf("name %q holds %U: control, bidirectional and zero-width characters are not allowed: %w", name, r, ErrInvalid)
		}
	}
	return name, nil
}

// NormalizeCode is a typed join code as stored: upper case, spaces and dashes dropped.
func NormalizeCode(code string) string {
	code = strings.ToUpper(code)
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, code)
}

func newCode() (string, error) {
	b := make([]byte, CodeLength)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	out := make([]byte, CodeLength)
	for i, v := range b {
		// 256 % 24 = 16: the first 16 letters are a little likelier (11 in 256 vs 10);
		// a join code needs to be unguessable among open classes, not uniform.
		out[i] = CodeAlphabet[int(v)%len(CodeAlphabet)]
	}
	return string(out), nil
}

// CreateClass makes a class of teacher (the teacher's workspace) with a fresh join
// code, unique among the open classes.
func (s *Store) CreateClass(ctx context.Context, teacher, name, lesson string) (*Class, error) {
	name, err := CleanName(name)
	if err != nil {
		return nil, fmt.Errorf("create class: %w", err)
	}
	if lesson == "" {
		return nil, fmt.Errorf("create class: no lesson: %w", ErrInvalid)
	}
	var raw [8]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, fmt.Errorf("create class: %w", err)
	}
	c := &Class{ID: hex.EncodeToString(raw[:]), Name: name, Lesson: lesson, Teacher: teacher, Created: s.now().UTC()}
	// A code taken by an open class is drawn again: with a few open classes among
	// 191 million codes, a second draw is already rare.
	for range 8 {
		if c.Code, err = newCode(); err != nil {
			return nil, fmt.Errorf("create class: %w", err)
		}
		err = s.write(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO classes (`+classCols+`) VALUES (?, ?, ?, ?, ?, ?, '')`,
				c.ID, c.Code, c.Name, c.Lesson, c.Teacher, formatTime(c.Created))
			return err
		})
		if err == nil {
			return c, nil
		}
		if !codeTaken(err) {
			break
		}
	}
	return nil, fmt.Errorf("create class: %w", err)
}

// codeTaken reports whether err is the unique index on open classes' codes refusing
// a code another open class has.
func codeTaken(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintUnique
}

// Class returns the class of that id, or ErrNotFound.
func (s *Store) Class(ctx context.Context, id string) (*Class, error) {
	c, err := scanClass(s.db.QueryRowContext(ctx, `SELECT `+classCols+` FROM classes WHERE id = ?`, id))
	if isNoRows(err) {
		return nil, fmt.Errorf("class %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("class %q: %w", id, err)
	}
	return c, nil
}

// ClassByCode returns the open class whose join code is code (as typed: any case,
// spaces and dashes ignored), or ErrNotFound.
func (s *Store) ClassByCode(ctx context.Context, code string) (*Class, error) {
	code = NormalizeCode(code)
	c, err := scanClass(s.db.QueryRowContext(ctx, `SELECT `+classCols+` FROM classes WHERE code = ? AND closed = ''`, code))
	if isNoRows(err) {
		return nil, fmt.Errorf("class code %q: %w", code, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("class code %q: %w", code, err)
	}
	return c, nil
}

// ClassesOf returns the classes of teacher, newest first.
func (s *Store) ClassesOf(ctx context.Context, teacher string) ([]*Class, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+classCols+` FROM classes WHERE teacher = ? ORDER BY created DESC, id LIMIT 1000`, teacher)
	if err != nil {
		return nil, fmt.Errorf("classes of %s: %w", teacher, err)
	}
	defer rows.Close()
	out := []*Class{}
	for rows.Next() {
		c, err := scanClass(rows)
		if err != nil {
			return nil, fmt.Errorf("classes of %s: %w", teacher, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("classes of %s: %w", teacher, err)
	}
	return out, nil
}

// CloseClass stops the class taking joins; its students keep their workspaces.
func (s *Store) CloseClass(ctx context.Context, id string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE classes SET closed = ? WHERE id = ? AND closed = ''`, formatTime(s.now()), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			if _, err := scanClass(tx.QueryRowContext(ctx, `SELECT `+classCols+` FROM classes WHERE id = ?`, id)); isNoRows(err) {
				return ErrNotFound
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("close class %q: %w", id, err)
	}
	return nil
}

// JoinClass makes workspace a student of the class, called name. The same workspace
// joining again gets its membership back (its name unchanged), even once the class is
// closed; a new student is refused by a closed class (ErrClassClosed), a name another
// student has in the class whatever its case (ErrExists), and a workspace in another
// class (ErrInAnotherClass).
func (s *Store) JoinClass(ctx context.Context, classID, workspace, name string) (*Member, error) {
	name, err := CleanName(name)
	if err != nil {
		return nil, fmt.Errorf("join class: %w", err)
	}
	var m *Member
	err = s.write(ctx, func(tx *sql.Tx) error {
		c, err := scanClass(tx.QueryRowContext(ctx, `SELECT `+classCols+` FROM classes WHERE id = ?`, classID))
		if isNoRows(err) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		old, err := scanMember(tx.QueryRowContext(ctx, `SELECT `+memberCols+` FROM class_members WHERE workspace = ?`, workspace))
		switch {
		case err == nil && old.Class == classID:
			m = old
			return nil
		case err == nil:
			return ErrInAnotherClass
		case !isNoRows(err):
			return err
		}
		if !c.Closed.IsZero() {
			return ErrClassClosed
		}
		var taken int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM class_members WHERE class = ? AND lower_name = ?`,
			classID, strings.ToLower(name)).Scan(&taken); err != nil {
			return err
		}
		if taken > 0 {
			return fmt.Errorf("%q is taken in this class: choose another name: %w", name, ErrExists)
		}
		var members int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM class_members WHERE class = ?`, classID).Scan(&members); err != nil {
			return err
		}
		if members >= MaxClassMembers {
			return fmt.Errorf("the class has %d students, layerlab's limit for a class: %w", members, ErrClassFull)
		}
		m = &Member{Class: classID, Workspace: workspace, Name: name, Joined: s.now().UTC()}
		_, err = tx.ExecContext(ctx, `INSERT INTO class_members (class, workspace, name, lower_name, joined, quota) VALUES (?, ?, ?, ?, ?, 0)`,
			classID, workspace, name, strings.ToLower(name), formatTime(m.Joined))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("join class: %w", err)
	}
	return m, nil
}

// Members returns the class's students by name.
func (s *Store) Members(ctx context.Context, classID string) ([]*Member, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+memberCols+` FROM class_members WHERE class = ? ORDER BY lower_name`, classID)
	if err != nil {
		return nil, fmt.Errorf("members of %s: %w", classID, err)
	}
	defer rows.Close()
	out := []*Member{}
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, fmt.Errorf("members of %s: %w", classID, err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("members of %s: %w", classID, err)
	}
	return out, nil
}

// MemberOf returns workspace's membership, or ErrNotFound when it is in no class.
func (s *Store) MemberOf(ctx context.Context, workspace string) (*Member, error) {
	m, err := scanMember(s.db.QueryRowContext(ctx, `SELECT `+memberCols+` FROM class_members WHERE workspace = ?`, workspace))
	if isNoRows(err) {
		return nil, fmt.Errorf("member %s: %w", workspace, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("member %s: %w", workspace, err)
	}
	return m, nil
}

// RenameMember gives a student another display name (ErrExists when another student
// of the class has it).
func (s *Store) RenameMember(ctx context.Context, classID, workspace, name string) error {
	name, err := CleanName(name)
	if err != nil {
		return fmt.Errorf("rename student: %w", err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		var taken int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM class_members WHERE class = ? AND lower_name = ? AND workspace != ?`,
			classID, strings.ToLower(name), workspace).Scan(&taken); err != nil {
			return err
		}
		if taken > 0 {
			return fmt.Errorf("%q is taken in this class: choose another name: %w", name, ErrExists)
		}
		res, err := tx.ExecContext(ctx, `UPDATE class_members SET name = ?, lower_name = ? WHERE class = ? AND workspace = ?`,
			name, strings.ToLower(name), classID, workspace)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("rename student: %w", err)
	}
	return nil
}

// RemoveMember takes a student out of the class. The workspace stays (the browser
// keeps its files and images) but is in no class and has the default quota.
func (s *Store) RemoveMember(ctx context.Context, classID, workspace string) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM class_members WHERE class = ? AND workspace = ?`, classID, workspace)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("remove student: %w", err)
	}
	s.setQuotaOverride(workspace, 0)
	return nil
}

// SetMemberQuota sets a student's storage quota in bytes (0: the server's), checked
// from now on by every write of the workspace.
func (s *Store) SetMemberQuota(ctx context.Context, classID, workspace string, bytes int64) error {
	if bytes < 0 {
		return fmt.Errorf("set quota: %d bytes: %w", bytes, ErrInvalid)
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE class_members SET quota = ? WHERE class = ? AND workspace = ?`, bytes, classID, workspace)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("set quota: %w", err)
	}
	s.setQuotaOverride(workspace, bytes)
	return nil
}

// loadQuotaOverrides reads the students' own quotas into the quota state (at Open).
func (s *Store) loadQuotaOverrides(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, `SELECT workspace, quota FROM class_members WHERE quota > 0`)
	if err != nil {
		return fmt.Errorf("load quotas: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var ws string
		var q int64
		if err := rows.Scan(&ws, &q); err != nil {
			return fmt.Errorf("load quotas: %w", err)
		}
		s.setQuotaOverride(ws, q)
	}
	return rows.Err()
}

// Reset empties the workspace as a new one: its images and tags, builds and their
// events, lesson progress, predictions, answers and terminal log go, and its context
// becomes files. Its class membership, hub namespace and pushed repositories stay.
// A build running on it must be stopped first: an image it holds refuses the reset
// (ErrHeld).
func (w *Workspace) Reset(ctx context.Context, files []ContextFile) error {
	err := w.s.write(ctx, func(tx *sql.Tx) error {
		var held int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM holds WHERE workspace = ? AND expires > ?`,
			w.name, formatTime(w.s.now())).Scan(&held); err != nil {
			return err
		}
		if held > 0 {
			return fmt.Errorf("a build is running: %w", ErrHeld)
		}
		for _, q := range []string{
			`DELETE FROM tags WHERE workspace = ?`,
			`DELETE FROM images WHERE workspace = ?`,
			`DELETE FROM builds WHERE workspace = ?`,
			`DELETE FROM context_files WHERE workspace = ?`,
		} {
			if _, err := tx.ExecContext(ctx, q, w.name); err != nil {
				return err
			}
		}
		if err := deleteLessonRows(ctx, tx, w.name); err != nil {
			return err
		}
		now := formatTime(w.s.now())
		for _, f := range files {
			if err := putContextFile(ctx, tx, w.name, f, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("reset workspace %s: %w", w.name, err)
	}
	w.s.records.dropWorkspace(w.name)
	w.s.forgetUsage(w.name)
	return nil
}
