package storage

import (
	"context"
	"fmt"
)

// StartedAtLimit bounds the read of an upload session's startedat file:
// the registry writes an RFC 3339 time, about 20 bytes.
const StartedAtLimit = 128

// ValidUploadID reports whether id is named as the registry names upload
// sessions: a UUID, 8-4-4-4-12 lowercase hex digits, of version 4 (the
// registry 2.x, distribution's uuid package) or 7 (3.x, uuid.NewV7), of
// the RFC 4122 variant.
func ValidUploadID(id string) bool {
	if len(id) != 36 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
			continue
		}
		if _, ok := fromHex(c); !ok {
			return false
		}
	}
	version, variant := id[14], id[19]
	return (version == '4' || version == '7') && (variant == '8' || variant == '9' || variant == 'a' || variant == 'b')
}

// Uploads lists repo's upload sessions: the directories of its _uploads
// named like upload ids (ValidUploadID), sorted. Every other entry is
// returned as stray, never a session: a file, a symbolic link, an odd
// name. A missing _uploads holds none; one that is a symbolic link or not
// a directory is an *AnomalyError (ErrAnomaly) or a plain error: none of
// what it holds is a session.
func (s *Storage) Uploads(ctx context.Context, repo string) (ids []string, stray []Stray, err error) {
	if err := ValidRepository(repo); err != nil {
		return nil, nil, err
	}
	es, err := s.ListEntries(ctx, UploadsPath(repo))
	if err != nil {
		return nil, nil, fmt.Errorf("upload sessions of %s: %w", repo, err)
	}
	for _, e := range es {
		switch {
		case e.Kind == KindDir && ValidUploadID(e.Name):
			ids = append(ids, e.Name)
		case e.Kind != KindDir:
			stray = append(stray, Stray{Path: UploadsPath(repo) + "/" + e.Name, Kind: e.Kind, Reason: StrayKind})
		default:
			stray = append(stray, Stray{Path: UploadsPath(repo) + "/" + e.Name, Kind: e.Kind, Reason: "not named like an upload session"})
		}
	}
	return ids, stray, nil
}
