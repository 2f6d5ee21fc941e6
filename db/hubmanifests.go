package db

// Hub manifests: storing one (after hubmanifestcheck.go's checks) with its tags and the
// references GC follows, looking one up by tag or digest, opening and deleting it.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	digest "github.com/opencontainers/go-digest"
)

// HubManifest is a manifest stored in a repository.
type HubManifest struct {
	Repo        string
	Digest      digest.Digest // as the client named it (sha256 when pushed by tag)
	MediaType   string
	Size        int64
	StoreDigest digest.Digest
	// Subject is the manifest this one refers to (its "subject" field), or "".
	Subject digest.Digest
	// ArtifactType is what the referrers API reports for it.
	ArtifactType string
}

// HubPutManifest stores manifest body in repo under ref (a tag, or the digest the body
// must hash to) and points ref (when a tag) and every tag in tags at it. contentType is
// the request's Content-Type. A manifest that fails any check is refused with the
// spec's code (DIGEST_INVALID, MANIFEST_INVALID, MANIFEST_BLOB_UNKNOWN) and nothing is
// stored.
func (s *Store) HubPutManifest(ctx context.Context, repo, ref, contentType string, body []byte, tags []string) (HubManifest, error) {
	if len(body) > HubMaxManifestSize {
		return HubManifest{}, hubErr(HubManifestInvalid, ErrHubTooLarge, nil, "the manifest is %d bytes, over the hub's limit of %d (4 MiB)", len(body), HubMaxManifestSize)
	}
	sum := digest.SHA256.FromBytes(body)
	d := sum
	if strings.Contains(ref, ":") {
		want, err := ParseHubDigest(ref)
		if err != nil {
			return HubManifest{}, err
		}
		if got := want.Algorithm().FromBytes(body); got != want {
			return HubManifest{}, hubErr(HubDigestInvalid, nil, map[string]string{"digest": want.String(), "received": got.String()},
				"the manifest's content is %s, not %s: nothing was stored", got, want)
		}
		d = want
	} else {
		if err := ValidHubTag(ref); err != nil {
			return HubManifest{}, err
		}
		tags = append([]string{ref}, tags...)
	}
	for _, t := range tags {
		if err := ValidHubTag(t); err != nil {
			return HubManifest{}, err
		}
	}
	p, err := parseHubManifest(contentType, body)
	if err != nil {
		return HubManifest{}, err
	}
	// Refuse a manifest with missing references before writing anything.
	if _, err := resolveRefs(ctx, s.db, repo, p.refs); err != nil {
		return HubManifest{}, err
	}
	annotations := ""
	if p.subject != "" && len(p.annotations) > 0 {
		b, err := json.Marshal(p.annotations)
		if err != nil {
			return HubManifest{}, fmt.Errorf("put manifest: %w", err)
		}
		annotations = string(b)
	}
	f, err := os.CreateTemp(s.tmpDir(), "hub-manifest-*")
	if err != nil {
		return HubManifest{}, fmt.Errorf("put manifest: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, err = f.Write(body)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return HubManifest{}, fmt.Errorf("put manifest: %w", err)
	}
	m := HubManifest{Repo: repo, Digest: d, MediaType: p.mediaType, Size: int64(len(body)), StoreDigest: sum,
		Subject: p.subject, ArtifactType: p.artifactType}
	err = s.placeHub(ctx, tmp, sum, int64(len(body)), func(tx *sql.Tx, now string) error {
		// Checked again under the write lock: a blob may have been deleted meanwhile.
		stores, err := resolveRefs(ctx, tx, repo, p.refs)
		if err != nil {
			return err
		}
		if err := ensureHubRepo(ctx, tx, repo, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO hub_manifests
			(repo, digest, store_digest, media_type, size, artifact_type, subject, annotations, created)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (repo, digest) DO UPDATE SET media_type = excluded.media_type,
				artifact_type = excluded.artifact_type, subject = excluded.subject, annotations = excluded.annotations`,
			repo, d.String(), sum.String(), p.mediaType, len(body), p.artifactType, p.subject.String(), annotations, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM hub_manifest_refs WHERE repo = ? AND manifest = ?`, repo, d.String()); err != nil {
			return err
		}
		for i, r := range p.refs {
			if _, err := tx.ExecContext(ctx, `INSERT INTO hub_manifest_refs (repo, manifest, digest, store_digest, kind)
				VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, repo, d.String(), r.digest.String(), stores[i].String(), r.kind); err != nil {
				return err
			}
		}
		for _, t := range tags {
			if _, err := tx.ExecContext(ctx, `INSERT INTO hub_tags (repo, tag, digest, updated) VALUES (?, ?, ?, ?)
				ON CONFLICT (repo, tag) DO UPDATE SET digest = excluded.digest, updated = excluded.updated`,
				repo, t, d.String(), now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		var he *HubError
		if errors.As(err, &he) {
			return HubManifest{}, err
		}
		return HubManifest{}, fmt.Errorf("put manifest %s in %s: %w", d, repo, err)
	}
	return m, nil
}

const hubManifestColumns = `m.digest, m.media_type, m.size, m.store_digest, m.subject, m.artifact_type`

func scanHubManifest(repo string, sc interface{ Scan(...any) error }) (HubManifest, error) {
	m := HubManifest{Repo: repo}
	var d, store, subject string
	if err := sc.Scan(&d, &m.MediaType, &m.Size, &store, &subject, &m.ArtifactType); err != nil {
		return HubManifest{}, err
	}
	m.Digest, m.StoreDigest, m.Subject = digest.Digest(d), digest.Digest(store), digest.Digest(subject)
	return m, nil
}

// HubManifest returns the manifest ref (a tag or a digest) of repo, or a
// MANIFEST_UNKNOWN HubError.
func (s *Store) HubManifest(ctx context.Context, repo, ref string) (HubManifest, error) {
	var row *sql.Row
	if strings.Contains(ref, ":") {
		d, err := ParseHubDigest(ref)
		if err != nil {
			return HubManifest{}, err
		}
		row = s.db.QueryRowContext(ctx, `SELECT `+hubManifestColumns+` FROM hub_manifests m WHERE m.repo = ? AND m.digest = ?`, repo, d.String())
	} else {
		if err := ValidHubTag(ref); err != nil {
			return HubManifest{}, err
		}
		row = s.db.QueryRowContext(ctx, `SELECT `+hubManifestColumns+` FROM hub_tags t
			JOIN hub_manifests m ON m.repo = t.repo AND m.digest = t.digest WHERE t.repo = ? AND t.tag = ?`, repo, ref)
	}
	m, err := scanHubManifest(repo, row)
	if isNoRows(err) {
		return HubManifest{}, hubErr(HubManifestUnknown, nil, map[string]string{"reference": ref}, "manifest unknown")
	}
	if err != nil {
		return HubManifest{}, fmt.Errorf("hub manifest %s:%s: %w", repo, ref, err)
	}
	return m, nil
}

// HubOpenManifest opens the bytes of manifest ref of repo.
func (s *Store) HubOpenManifest(ctx context.Context, repo, ref string) (*os.File, HubManifest, error) {
	m, err := s.HubManifest(ctx, repo, ref)
	if err != nil {
		return nil, HubManifest{}, err
	}
	f, err := os.Open(s.BlobPath(m.StoreDigest))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, HubManifest{}, hubErr(HubManifestUnknown, nil, nil, "manifest %s of repository %s is missing from the store", ref, repo)
	}
	if err != nil {
		return nil, HubManifest{}, fmt.Errorf("open hub manifest %s: %w", ref, err)
	}
	return f, m, nil
}

// HubDeleteManifest deletes manifest d of repo and every tag pointing at it.
func (s *Store) HubDeleteManifest(ctx context.Context, repo string, d digest.Digest) error {
	return s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM hub_manifests WHERE repo = ? AND digest = ?`, repo, d.String())
		if err != nil {
			return fmt.Errorf("delete hub manifest: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return hubErr(HubManifestUnknown, nil, map[string]string{"digest": d.String()}, "manifest unknown")
		}
		return dropHubRepoIfEmpty(ctx, tx, repo)
	})
}
