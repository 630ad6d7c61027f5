package store

import (
	"cmp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// requireSorted checks the page order independently of the SQL: by the column's value,
// ties broken by ID in the same direction.
func requireSorted(t *testing.T, recs []Record, s Sort, desc bool) {
	t.Helper()
	key := func(r Record) string {
		switch s {
		case SortUser:
			return strings.ToLower(r.User.Name)
		case SortEmail:
			return strings.ToLower(r.User.Email)
		case SortService:
			return strings.ToLower(r.Service)
		case SortDomain:
			return r.Domain
		case SortMethod:
			return string(r.Method)
		case SortStatus:
			return string(r.Status)
		}
		return ""
	}
	num := func(r Record) int64 {
		switch s {
		case SortCreatedAt:
			return r.CreatedAt.UnixMilli()
		case SortStartedAt:
			if r.StartedAt.IsZero() {
				return 0
			}
			return r.StartedAt.UnixMilli()
		case SortCompletedAt:
			if r.CompletedAt.IsZero() {
				return 0
			}
			return r.CompletedAt.UnixMilli()
		case SortUpdatedAt:
			return r.UpdatedAt.UnixMilli()
		}
		return 0
	}
	for i := 1; i < len(recs); i++ {
		a, b := recs[i-1], recs[i]
		c := cmp.Compare(key(a), key(b))
		if c == 0 {
			c = cmp.Compare(num(a), num(b))
		}
		if c == 0 {
			c = cmp.Compare(a.ID, b.ID)
		}
		if desc {
			c = -c
		}
		require.Negative(t, c, "%s desc=%v: row %d (id %d) before id %d", s, desc, i, a.ID, b.ID)
	}
}
