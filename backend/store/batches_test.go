package store

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBatchesTagTheirMigrations(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	var ids []int64
	for i := range 3 {
		m := sample(i)
		require.NoError(t, s.Create(ctx, m))
		ids = append(ids, m.ID)
	}
	b := Batch{Name: "december", Shared: `{"method":"sftp"}`}
	require.NoError(t, s.CreateBatch(ctx, &b, []BatchSite{{Line: 2, Site: `{"domain":"a.example.org"}`}, {Line: 3, Site: `{}`}}))
	require.Positive(t, b.ID)
	require.NoError(t, s.SetBatchMigration(ctx, b.ID, 2, ids[0]))
	require.NoError(t, s.SetBatchMigration(ctx, b.ID, 3, ids[2]))
	require.ErrorIs(t, s.SetBatchMigration(ctx, b.ID, 9, ids[1]), ErrNotFound)

	dup := Batch{Name: "december"}
	require.True(t, errors.Is(s.CreateBatch(ctx, &dup, nil), ErrConflict))

	for _, ref := range []string{"december", "1"} {
		got, err := s.BatchByRef(ctx, ref)
		require.NoError(t, err)
		require.Equal(t, b.ID, got.ID)
	}
	_, err := s.BatchByRef(ctx, "nope")
	require.ErrorIs(t, err, ErrNotFound)

	sites, err := s.BatchSites(ctx, b.ID)
	require.NoError(t, err)
	require.Equal(t, []BatchSite{{Line: 2, Site: `{"domain":"a.example.org"}`, MigrationID: ids[0]}, {Line: 3, Site: `{}`, MigrationID: ids[2]}}, sites)
	got, err := s.BatchOf(ctx, ids[2])
	require.NoError(t, err)
	require.Equal(t, b.ID, got)
	got, err = s.BatchOf(ctx, ids[1])
	require.NoError(t, err)
	require.Zero(t, got)

	page, err := s.List(ctx, Query{BatchID: b.ID})
	require.NoError(t, err)
	require.Equal(t, 2, page.Total)
	require.ElementsMatch(t, []int64{ids[0], ids[2]}, []int64{page.Records[0].ID, page.Records[1].ID})

	names, err := s.BatchNames(ctx, []int64{ids[0], ids[1], ids[2]})
	require.NoError(t, err)
	require.Equal(t, map[int64]string{ids[0]: "december", ids[2]: "december"}, names)
}
