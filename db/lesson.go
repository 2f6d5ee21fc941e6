package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Bounds of the lesson's rows (migration 0014): what one workspace may store of them.
const (
	// MaxTerminalLog is the number of terminal commands a workspace keeps: older ones
	// are deleted as a new one is logged. A lesson's checks look at recent commands.
	MaxTerminalLog = 500
	// MaxLoggedCommand is the longest command line logged, in bytes: the terminal's own
	// bound on a command line.
	MaxLoggedCommand = 4 << 10
	// MaxAnswer is the longest answer to a question task, in bytes.
	MaxAnswer = 1 << 10
	// MaxPredictedSteps is the most step numbers a prediction may hold (and mistakes
	// its score may explain).
	MaxPredictedSteps = 200
	// MaxLessonTasks bounds the progress rows of one lesson in a workspace: no lesson
	// has more tasks.
	MaxLessonTasks = 100
)

// TerminalCommand is one command run in a workspace's terminal.
type TerminalCommand struct {
	Seq  int64
	Cmd  string
	Exit int
	At   time.Time
}

// TaskDone is a lesson task the workspace has done.
type TaskDone struct {
	Task   string
	At     time.Time
	Detail string // the check's sentence when it passed
}

// Prediction is the last prediction made for a predict-the-rebuild task.
type Prediction struct {
	Task       string
	Steps      []int  // the steps the student said will rebuild
	Dockerfile string // the Dockerfile the prediction was made against
	At         time.Time
	// Build is the build it was scored against, "" while pending.
	Build    string
	Rebuilt  []int // the steps that did rebuild
	Right    int
	Total    int
	Mistakes []string // one sentence per wrong step
	ScoredAt time.Time
}

// Scored reports whether the prediction was scored against a build.
func (p *Prediction) Scored() bool { return p.Build != "" }

// deleteLessonRows deletes the workspace's lesson rows (progress, predictions,
// answers, the chosen lesson, terminal log) in tx, for Workspace.Reset.
func deleteLessonRows(ctx context.Context, tx *sql.Tx, ws string) error {
	for _, table := range []string{"terminal_log", "lesson_progress", "lesson_predictions", "lesson_answers", "lesson_choice"} {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE workspace = ?`, ws); err != nil {
			return fmt.Errorf("delete %s: %w", table, err)
		}
	}
	return nil
}

// LogCommand records a command the workspace's terminal ran and its exit status, and
// deletes what falls beyond the last MaxTerminalLog commands, in the same transaction.
func (w *Workspace) LogCommand(ctx context.Context, cmd string, exit int) error {
	if len(cmd) > MaxLoggedCommand {
		return fmt.Errorf("log command: %d bytes, more than the terminal's %d KiB: %w", len(cmd), MaxLoggedCommand>>10, ErrInvalid)
	}
	if !utf8.ValidString(cmd) {
		return fmt.Errorf("log command: not UTF-8: %w", ErrInvalid)
	}
	err := w.s.write(ctx, func(tx *sql.Tx) error {
		var last int64
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM terminal_log WHERE workspace = ?`, w.name).Scan(&last); err != nil {
			return err
		}
		seq := last + 1
		if _, err := tx.ExecContext(ctx, `INSERT INTO terminal_log (workspace, seq, cmd, exit, at) VALUES (?, ?, ?, ?, ?)`,
			w.name, seq, cmd, exit, formatTime(w.s.now())); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM terminal_log WHERE workspace = ? AND seq <= ?`, w.name, seq-MaxTerminalLog)
		return err
	})
	if err != nil {
		return fmt.Errorf("log command: %w", err)
	}
	return nil
}

// Commands returns the terminal commands kept (at most MaxTerminalLog), oldest first.
func (w *Workspace) Commands(ctx context.Context) ([]TerminalCommand, error) {
	rows, err := w.s.db.QueryContext(ctx, `SELECT seq, cmd, exit, at FROM terminal_log WHERE workspace = ? ORDER BY seq LIMIT ?`,
		w.name, MaxTerminalLog)
	if err != nil {
		return nil, fmt.Errorf("terminal log: %w", err)
	}
	defer rows.Close()
	out := []TerminalCommand{}
	for rows.Next() {
		var c TerminalCommand
		var at string
		if err := rows.Scan(&c.Seq, &c.Cmd, &c.Exit, &at); err != nil {
			return nil, fmt.Errorf("terminal log: %w", err)
		}
		if c.At, err = parseTime(at); err != nil {
			return nil, fmt.Errorf("terminal log: %w", err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("terminal log: %w", err)
	}
	return out, nil
}

// MarkTaskDone records that the workspace did the lesson's task; a task already done
// keeps its first time and detail. It reports whether the task is newly done. A lesson
// holds at most MaxLessonTasks progress rows.
func (w *Workspace) MarkTaskDone(ctx context.Context, lesson, task, detail string) (bool, error) {
	if lesson == "" || task == "" {
		return false, fmt.Errorf("mark task done: no lesson or task: %w", ErrInvalid)
	}
	if len(detail) > MaxAnswer {
		// The check's own sentence (never the student's), shortened visibly.
		cut := MaxAnswer - len("…")
		for cut > 0 && !utf8.RuneStart(detail[cut]) {
			cut--
		}
		detail = detail[:cut] + "…"
	}
	added := false
	err := w.s.write(ctx, func(tx *sql.Tx) error {
		var n, have int
		if err := tx.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(task = ?), 0) FROM lesson_progress WHERE workspace = ? AND lesson = ?`,
			task, w.name, lesson).Scan(&n, &have); err != nil {
			return err
		}
		if have > 0 {
			return nil
		}
		if n >= MaxLessonTasks {
			return fmt.Errorf("lesson %q has %d tasks done, the most a lesson may have (%d): %w", lesson, n, MaxLessonTasks, ErrInvalid)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO lesson_progress (workspace, lesson, task, done_at, detail) VALUES (?, ?, ?, ?, ?)`,
			w.name, lesson, task, formatTime(w.s.now()), detail); err != nil {
			return err
		}
		added = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("mark task done: %w", err)
	}
	return added, nil
}

// Progress returns the lesson's tasks the workspace has done, in the order done.
func (w *Workspace) Progress(ctx context.Context, lesson string) ([]TaskDone, error) {
	rows, err := w.s.db.QueryContext(ctx, `SELECT task, done_at, detail FROM lesson_progress WHERE workspace = ? AND lesson = ? ORDER BY done_at, task LIMIT ?`,
		w.name, lesson, MaxLessonTasks)
	if err != nil {
		return nil, fmt.Errorf("lesson progress: %w", err)
	}
	defer rows.Close()
	out := []TaskDone{}
	for rows.Next() {
		var d TaskDone
		var at string
		if err := rows.Scan(&d.Task, &at, &d.Detail); err != nil {
			return nil, fmt.Errorf("lesson progress: %w", err)
		}
		if d.At, err = parseTime(at); err != nil {
			return nil, fmt.Errorf("lesson progress: %w", err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("lesson progress: %w", err)
	}
	return out, nil
}

// SavePrediction stores a pending prediction for the task: steps will rebuild when
// dockerfile is built. It replaces the task's earlier prediction, scored or not.
func (w *Workspace) SavePrediction(ctx context.Context, lesson, task, dockerfile string, steps []int) error {
	if lesson == "" || task == "" {
		return fmt.Errorf("save prediction: no lesson or task: %w", ErrInvalid)
	}
	if len(steps) > MaxPredictedSteps {
		return fmt.Errorf("save prediction: %d steps, more than %d: %w", len(steps), MaxPredictedSteps, ErrInvalid)
	}
	if steps == nil {
		steps = []int{}
	}
	js, err := json.Marshal(steps)
	if err != nil {
		return fmt.Errorf("save prediction: %w", err)
	}
	err = w.s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO lesson_predictions (workspace, lesson, task, dockerfile, predicted, at)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (workspace, lesson, task) DO UPDATE SET dockerfile = excluded.dockerfile, predicted = excluded.predicted,
				at = excluded.at, build = '', rebuilt = '[]', n_right = 0, n_total = 0, mistakes = '[]', scored_at = ''`,
			w.name, lesson, task, dockerfile, string(js), formatTime(w.s.now()))
		return err
	})
	if err != nil {
		return fmt.Errorf("save prediction: %w", err)
	}
	return nil
}

// ScorePrediction records the score of the task's pending prediction against build:
// right of total steps, the steps that rebuilt, one sentence per mistake. A prediction
// already scored is left as it is (ErrNotFound when none is pending).
func (w *Workspace) ScorePrediction(ctx context.Context, lesson, task, build string, rebuilt []int, right, total int, mistakes []string) error {
	if build == "" {
		return fmt.Errorf("score prediction: no build: %w", ErrInvalid)
	}
	if len(rebuilt) > MaxPredictedSteps || len(mistakes) > MaxPredictedSteps {
		return fmt.Errorf("score prediction: more than %d steps: %w", MaxPredictedSteps, ErrInvalid)
	}
	if rebuilt == nil {
		rebuilt = []int{}
	}
	if mistakes == nil {
		mistakes = []string{}
	}
	rj, err := json.Marshal(rebuilt)
	if err != nil {
		return fmt.Errorf("score prediction: %w", err)
	}
	mj, err := json.Marshal(mistakes)
	if err != nil {
		return fmt.Errorf("score prediction: %w", err)
	}
	err = w.s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE lesson_predictions SET build = ?, rebuilt = ?, n_right = ?, n_total = ?, mistakes = ?, scored_at = ?
			WHERE workspace = ? AND lesson = ? AND task = ? AND build = ''`,
			build, string(rj), right, total, string(mj), formatTime(w.s.now()), w.name, lesson, task)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("score prediction: %w", err)
	}
	return nil
}

// Predictions returns the lesson's predictions (one per task, the last made), by task.
func (w *Workspace) Predictions(ctx context.Context, lesson string) (map[string]*Prediction, error) {
	rows, err := w.s.db.QueryContext(ctx, `SELECT task, dockerfile, predicted, at, build, rebuilt, n_right, n_total, mistakes, scored_at
		FROM lesson_predictions WHERE workspace = ? AND lesson = ? LIMIT ?`, w.name, lesson, MaxLessonTasks)
	if err != nil {
		return nil, fmt.Errorf("predictions: %w", err)
	}
	defer rows.Close()
	out := map[string]*Prediction{}
	for rows.Next() {
		var p Prediction
		var predicted, at, rebuilt, mistakes, scored string
		if err := rows.Scan(&p.Task, &p.Dockerfile, &predicted, &at, &p.Build, &rebuilt, &p.Right, &p.Total, &mistakes, &scored); err != nil {
			return nil, fmt.Errorf("predictions: %w", err)
		}
		if err := json.Unmarshal([]byte(predicted), &p.Steps); err != nil {
			return nil, fmt.Errorf("predictions: %s: %w", p.Task, err)
		}
		if err := json.Unmarshal([]byte(rebuilt), &p.Rebuilt); err != nil {
			return nil, fmt.Errorf("predictions: %s: %w", p.Task, err)
		}
		if err := json.Unmarshal([]byte(mistakes), &p.Mistakes); err != nil {
			return nil, fmt.Errorf("predictions: %s: %w", p.Task, err)
		}
		if p.At, err = parseTime(at); err != nil {
			return nil, fmt.Errorf("predictions: %w", err)
		}
		if scored != "" {
			if p.ScoredAt, err = parseTime(scored); err != nil {
				return nil, fmt.Errorf("predictions: %w", err)
			}
		}
		out[p.Task] = &p
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("predictions: %w", err)
	}
	return out, nil
}

// SaveAnswer stores the answer to a question task (at most MaxAnswer bytes),
// replacing the earlier one.
func (w *Workspace) SaveAnswer(ctx context.Context, lesson, task, answer string) error {
	if lesson == "" || task == "" {
		return fmt.Errorf("save answer: no lesson or task: %w", ErrInvalid)
	}
	if len(answer) > MaxAnswer {
		return fmt.Errorf("save answer: %d bytes, more than the %d bytes an answer may have: %w", len(answer), MaxAnswer, ErrInvalid)
	}
	if !utf8.ValidString(answer) {
		return fmt.Errorf("save answer: not UTF-8: %w", ErrInvalid)
	}
	err := w.s.write(ctx, func(tx *sql.Tx) error {
		var n, have int
		if err := tx.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(task = ?), 0) FROM lesson_answers WHERE workspace = ? AND lesson = ?`,
			task, w.name, lesson).Scan(&n, &have); err != nil {
			return err
		}
		if have == 0 && n >= MaxLessonTasks {
			return fmt.Errorf("lesson %q has %d answers, the most a lesson may have (%d): %w", lesson, n, MaxLessonTasks, ErrInvalid)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO lesson_answers (workspace, lesson, task, answer, at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (workspace, lesson, task) DO UPDATE SET answer = excluded.answer, at = excluded.at`,
			w.name, lesson, task, answer, formatTime(w.s.now()))
		return err
	})
	if err != nil {
		return fmt.Errorf("save answer: %w", err)
	}
	return nil
}

// Answers returns the lesson's last answers, by task.
func (w *Workspace) Answers(ctx context.Context, lesson string) (map[string]string, error) {
	rows, err := w.s.db.QueryContext(ctx, `SELECT task, answer FROM lesson_answers WHERE workspace = ? AND lesson = ? LIMIT ?`,
		w.name, lesson, MaxLessonTasks)
	if err != nil {
		return nil, fmt.Errorf("answers: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var task, answer string
		if err := rows.Scan(&task, &answer); err != nil {
			return nil, fmt.Errorf("answers: %w", err)
		}
		out[task] = answer
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("answers: %w", err)
	}
	return out, nil
}

// ChooseLesson records the lesson the workspace follows when it is in no class.
func (w *Workspace) ChooseLesson(ctx context.Context, lesson string) error {
	if lesson == "" || len(lesson) > 128 {
		return fmt.Errorf("choose lesson %q: must be 1 to 128 bytes: %w", lesson, ErrInvalid)
	}
	err := w.s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO lesson_choice (workspace, lesson, at) VALUES (?, ?, ?)
			ON CONFLICT (workspace) DO UPDATE SET lesson = excluded.lesson, at = excluded.at`,
			w.name, lesson, formatTime(w.s.now()))
		return err
	})
	if err != nil {
		return fmt.Errorf("choose lesson: %w", err)
	}
	return nil
}

// ChosenLesson returns the lesson the workspace chose, or ErrNotFound when it chose none.
func (w *Workspace) ChosenLesson(ctx context.Context) (string, error) {
	var lesson string
	err := w.s.db.QueryRowContext(ctx, `SELECT lesson FROM lesson_choice WHERE workspace = ?`, w.name).Scan(&lesson)
	if isNoRows(err) {
		return "", fmt.Errorf("chosen lesson: %w", ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("chosen lesson: %w", err)
	}
	return lesson, nil
}

// MaxHubTagsListed bounds HubTagsIn: a lesson looks at a few pushed tags.
const MaxHubTagsListed = 1000

// HubTagsIn returns the hub's tags in namespace's repositories, "ns/name:tag", sorted
// (at most MaxHubTagsListed): what the workspace owning namespace has pushed.
func (s *Store) HubTagsIn(ctx context.Context, namespace string) ([]string, error) {
	if namespace == "" || strings.Contains(namespace, "/") {
		return nil, fmt.Errorf("hub tags in %q: %w", namespace, ErrInvalid)
	}
	// The repositories "ns/..." sort between "ns/" and "ns0" ('0' follows '/' in byte
	// order, SQLite's BINARY collation): a range of the primary key, no scan and no
	// LIKE escaping to get wrong.
	rows, err := s.db.QueryContext(ctx, `SELECT repo || ':' || tag FROM hub_tags WHERE repo >= ? AND repo < ? ORDER BY repo, tag LIMIT ?`,
		namespace+"/", namespace+"0", MaxHubTagsListed)
	if err != nil {
		return nil, fmt.Errorf("hub tags in %s: %w", namespace, err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var ref string
		if err := rows.Scan(&ref); err != nil {
			return nil, fmt.Errorf("hub tags in %s: %w", namespace, err)
		}
		out = append(out, ref)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("hub tags in %s: %w", namespace, err)
	}
	return out, nil
}
