package db

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestClassJoin: the rules of joining a class, each a row.
func TestClassJoin(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	teacher := workspace(t, s, "teacher")
	c, err := s.CreateClass(ctx, teacher.Name(), "Docker 101", "docker-images")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Code) != CodeLength || strings.Trim(c.Code, CodeAlphabet) != "" {
		t.Fatalf("code %q: want %d characters of %s", c.Code, CodeLength, CodeAlphabet)
	}
	other, err := s.CreateClass(ctx, teacher.Name(), "Other", "docker-images")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"ana", "ben", "cy", "dee"} {
		workspace(t, s, n)
	}
	if _, err := s.JoinClass(ctx, c.ID, "ana", "Ana"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		class, ws string
		as        string
		want      error
		wantName  string
	}{
		{name: "the same browser rejoins, keeping its name", class: c.ID, ws: "ana", as: "Someone", wantName: "Ana"},
		{name: "a name taken whatever its case", class: c.ID, ws: "ben", as: "ANA", want: ErrExists},
		{name: "a new name", class: c.ID, ws: "ben", as: "Ben", wantName: "Ben"},
		{name: "a student of another class", class: other.ID, ws: "ben", as: "Ben", want: ErrInAnotherClass},
		{name: "an empty name", class: c.ID, ws: "cy", as: "  ", want: ErrInvalid},
		{name: "a right-to-left override", class: c.ID, ws: "cy", as: "a\u202eb", want: ErrInvalid},
		{name: "too long a name", class: c.ID, ws: "cy", as: strings.Repeat("x", MaxMemberName+1), want: ErrInvalid},
		{name: "no such class", class: "nope", ws: "cy", as: "Cy", want: ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := s.JoinClass(ctx, tt.class, tt.ws, tt.as)
			if tt.want != nil {
				if !errors.Is(err, tt.want) {
					t.Fatalf("join: %v, want %v", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.Name != tt.wantName || m.Class != tt.class || m.Workspace != tt.ws {
				t.Fatalf("member %+v, want %s in %s as %q", m, tt.ws, tt.class, tt.wantName)
			}
		})
	}

	got, err := s.ClassByCode(ctx, strings.ToLower(c.Code[:3])+"-"+c.Code[3:])
	if err != nil || got.ID != c.ID {
		t.Fatalf("by code: %v %v", got, err)
	}
	if err := s.CloseClass(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClassByCode(ctx, c.Code); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a closed class's code: %v, want ErrNotFound", err)
	}
	if _, err := s.JoinClass(ctx, c.ID, "cy", "Cy"); !errors.Is(err, ErrClassClosed) {
		t.Fatalf("join a closed class: %v, want ErrClassClosed", err)
	}
	if m, err := s.JoinClass(ctx, c.ID, "ana", "Ana"); err != nil || m.Name != "Ana" {
		t.Fatalf("a student rejoins a closed class: %v %v", m, err)
	}

	if err := s.RenameMember(ctx, c.ID, "ben", "ana"); !errors.Is(err, ErrExists) {
		t.Fatalf("rename to a classmate's name: %v", err)
	}
	if err := s.RenameMember(ctx, c.ID, "ben", "Benjamin"); err != nil {
		t.Fatal(err)
	}
	ms, err := s.Members(ctx, c.ID)
	if err != nil || len(ms) != 2 || ms[0].Name != "Ana" || ms[1].Name != "Benjamin" {
		t.Fatalf("members: %v %v", ms, err)
	}
	if err := s.RemoveMember(ctx, c.ID, "ben"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MemberOf(ctx, "ben"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a removed student: %v", err)
	}
	if err := s.RemoveMember(ctx, c.ID, "ben"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("remove twice: %v", err)
	}
	cs, err := s.ClassesOf(ctx, teacher.Name())
	if err != nil || len(cs) != 2 {
		t.Fatalf("classes of the teacher: %v %v", cs, err)
	}
	if cs, _ := s.ClassesOf(ctx, "ana"); len(cs) != 0 {
		t.Fatalf("a student has classes: %v", cs)
	}
}

// TestMemberQuota: a teacher's quota for a student replaces the server's, survives a
// reopen of the store, and goes when the student leaves.
func TestMemberQuota(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	s.SetWorkspaceQuota(100 << 20)
	t.Cleanup(func() { s.SetWorkspaceQuota(0) })
	w, err := s.Workspace(ctx, "ana")
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.CreateClass(ctx, "teacher", "C", "docker-images")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.JoinClass(ctx, c.ID, "ana", "Ana"); err != nil {
		t.Fatal(err)
	}
	if got := w.Quota(); got != 100<<20 {
		t.Fatalf("quota %d, want the server's", got)
	}
	if err := s.SetMemberQuota(ctx, c.ID, "ana", 300<<20); err != nil {
		t.Fatal(err)
	}
	if got := w.Quota(); got != 300<<20 {
		t.Fatalf("quota %d, want the teacher's 300 MiB", got)
	}
	s.Close()
	s.setQuotaOverride("ana", 0) // as a new process starts: only the store knows it
	s, err = Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	w, _ = s.ExistingWorkspace(ctx, "ana")
	if got := w.Quota(); got != 300<<20 {
		t.Fatalf("after a reopen: quota %d, want 300 MiB", got)
	}
	if err := s.RemoveMember(ctx, c.ID, "ana"); err != nil {
		t.Fatal(err)
	}
	if got := w.Quota(); got != 100<<20 {
		t.Fatalf("after leaving the class: quota %d, want the server's", got)
	}
}

// TestWorkspaceReset: a reset leaves a workspace as new, with the files given, and
// its membership.
func TestWorkspaceReset(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	w := workspace(t, s, "ana")
	c, err := s.CreateClass(ctx, "teacher", "C", "docker-images")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.JoinClass(ctx, c.ID, "ana", "Ana"); err != nil {
		t.Fatal(err)
	}
	rec := putImage(t, w, newRecord(t, nil, "a", baseTime, putLayer(t, w, "x")))
	if err := w.Tag(ctx, mustRef(t, "demo:v1"), rec.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.CreateBuild(ctx, "FROM scratch", nil); err != nil {
		t.Fatal(err)
	}
	if err := w.PutContextFile(ctx, ContextFile{Path: "old.txt", Data: []byte("old"), Mode: 0o644}); err != nil {
		t.Fatal(err)
	}
	if err := w.Reset(ctx, []ContextFile{{Path: "Dockerfile", Data: []byte("FROM scratch\n"), Mode: 0o644}}); err != nil {
		t.Fatal(err)
	}
	imgs, err := w.Images(ctx)
	if err != nil || len(imgs) != 0 {
		t.Fatalf("images after reset: %d %v", len(imgs), err)
	}
	bs, err := w.Builds(ctx, 10)
	if err != nil || len(bs) != 0 {
		t.Fatalf("builds after reset: %d %v", len(bs), err)
	}
	fs, err := w.ContextFiles(ctx)
	if err != nil || len(fs) != 1 || fs[0].Path != "Dockerfile" {
		t.Fatalf("context after reset: %v %v", fs, err)
	}
	if m, err := s.MemberOf(ctx, "ana"); err != nil || m.Class != c.ID {
		t.Fatalf("membership after reset: %v %v", m, err)
	}
}

// TestClassCodeTaken: a code an open class holds is drawn again; a closed class's code
// may be given again.
func TestClassCodeTaken(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	a, err := s.CreateClass(ctx, "teacher", "A", "docker-images")
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO classes (id, code, name, lesson, teacher, created) VALUES ('x', ?, 'B', 'l', 't', '')`, a.Code)
	if !codeTaken(err) {
		t.Fatalf("a second open class with code %s: %v, want the unique index's refusal", a.Code, err)
	}
	if err := s.CloseClass(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err = s.db.ExecContext(ctx, `INSERT INTO classes (id, code, name, lesson, teacher, created) VALUES ('x', ?, 'B', 'l', 't', '')`, a.Code); err != nil {
		t.Fatalf("the closed class's code again: %v", err)
	}
	if codeTaken(fmt.Errorf("wrapped: %w", ErrNotFound)) {
		t.Error("codeTaken of another error")
	}
}

// TestClassFull: a class takes MaxClassMembers students and refuses the next, naming
// the limit; a student already in it still rejoins.
func TestClassFull(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	c, err := s.CreateClass(ctx, "teacher", "Big", "docker-images")
	if err != nil {
		t.Fatal(err)
	}
	for i := range MaxClassMembers {
		n := fmt.Sprintf("s%d", i)
		workspace(t, s, n)
		if _, err := s.JoinClass(ctx, c.ID, n, n); err != nil {
			t.Fatalf("student %d: %v", i+1, err)
		}
	}
	workspace(t, s, "late")
	_, err = s.JoinClass(ctx, c.ID, "late", "Late")
	if !errors.Is(err, ErrClassFull) || !strings.Contains(err.Error(), fmt.Sprint(MaxClassMembers)) {
		t.Fatalf("student %d: %v, want ErrClassFull naming the limit", MaxClassMembers+1, err)
	}
	if _, err := s.JoinClass(ctx, c.ID, "s0", "s0"); err != nil {
		t.Fatalf("a student of the full class rejoins: %v", err)
	}
}
