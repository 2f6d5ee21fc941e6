package handlers

import (
	"context"
	"fmt"
	"time"

	"layerlab/db"
)

// lessonProgress is what a class's dashboard shows of one student's lesson: the tasks
// done and when, the current task (the first not done), and the predictions' scores.
type lessonProgress struct {
	Lesson       string
	Done         map[string]time.Time // task id -> when it was done
	Current      string               // the first task not done; "" when all are
	CurrentTitle string
	Scores       map[string][2]int // task id -> {right, total} of its scored prediction
	Tasks        []struct{ ID, Title string }
}

// lessonProgress reads the workspace's progress in lessonID from the store: what the
// server's checks recorded, never what a browser claimed.
func (s *Server) lessonProgress(ctx context.Context, ws *db.Workspace, lessonID string) (*lessonProgress, error) {
	p := &lessonProgress{Lesson: lessonID, Done: map[string]time.Time{}, Scores: map[string][2]int{}}
	done, err := ws.Progress(ctx, lessonID)
	if err != nil {
		return nil, fmt.Errorf("lesson progress: %w", err)
	}
	for _, d := range done {
		p.Done[d.Task] = d.At
	}
	preds, err := ws.Predictions(ctx, lessonID)
	if err != nil {
		return nil, fmt.Errorf("lesson progress: %w", err)
	}
	for task, pr := range preds {
		if pr.Scored() {
			p.Scores[task] = [2]int{pr.Right, pr.Total}
		}
	}
	return p, nil
}
