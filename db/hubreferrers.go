package db

// The referrers API: the manifests of a repository whose subject is a given manifest.

import (
	"context"
	"encoding/json"
	"fmt"

	digest "github.com/opencontainers/go-digest"
)

// HubDescriptor is one entry of a referrers list.
type HubDescriptor struct {
	MediaType    string            `json:"mediaType"`
	Digest       digest.Digest     `json:"digest"`
	Size         int64             `json:"size"`
	ArtifactType string            `json:"artifactType,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
}

// HubReferrers lists up to n manifests of repo whose subject is subject (after digest
// last, in digest order), only those of artifactType when that is not "", and reports
// whether more follow.
func (s *Store) HubReferrers(ctx context.Context, repo string, subject digest.Digest, artifactType, last string, n int) ([]HubDescriptor, bool, error) {
	q := `SELECT digest, media_type, size, artifact_type, annotations FROM hub_manifests
		WHERE repo = ? AND subject = ? AND digest > ?`
	args := []any{repo, subject.String(), last}
	if artifactType != "" {
		q += ` AND artifact_type = ?`
		args = append(args, artifactType)
	}
	q += ` ORDER BY digest LIMIT ?`
	rows, err := s.db.QueryContext(ctx, q, append(args, n+1)...)
	if err != nil {
		return nil, false, fmt.Errorf("hub referrers of %s: %w", subject, err)
	}
	defer rows.Close()
	out := []HubDescriptor{}
	for rows.Next() {
		var d HubDescriptor
		var dg, ann string
		if err := rows.Scan(&dg, &d.MediaType, &d.Size, &d.ArtifactType, &ann); err != nil {
			return nil, false, fmt.Errorf("hub referrers: %w", err)
		}
		d.Digest = digest.Digest(dg)
		if ann != "" {
			if err := json.Unmarshal([]byte(ann), &d.Annotations); err != nil {
				return nil, false, fmt.Errorf("hub referrers: annotations of %s: %w", dg, err)
			}
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("hub referrers: %w", err)
	}
	if len(out) > n {
		return out[:n], true, nil
	}
	return out, false, nil
}
