package store

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/migration"
)

// seed10k fills a store with 10,000 migrations spread over the three tabs.
func seed10k(b *testing.B) *Store {
	b.Helper()
	s := openTest(b)
	ctx := context.Background()
	ms := make([]*migration.Migration, 10_000)
	for i := range ms {
		ms[i] = sample(i)
		switch i % 4 {
		case 1:
			ms[i].Status, ms[i].FailureReason = migration.StatusFailed, "Connection timeout"
		case 2, 3:
			ms[i].Status = migration.StatusSuccessful
		}
	}
	require.NoError(b, s.CreateMany(ctx, ms))
	return s
}

// BenchmarkList10k lists one page of 50 from 10,000 migrations (must stay under 20 ms).
func BenchmarkList10k(b *testing.B) {
	s := seed10k(b)
	ctx := context.Background()
	cases := []struct {
		name string
		q    Query
		min  int
	}{
		{"search_broad", Query{Tab: migration.TabSuccessful, Search: "example", Sort: SortDomain, Limit: 50}, 5000},
		{"search_narrow", Query{Tab: migration.TabSuccessful, Search: "user77", Sort: SortUser, Desc: true, Limit: 50}, 1},
		{"search_last_page", Query{Search: "site", Sort: SortCreatedAt, Desc: true, Limit: 50, Offset: 9950}, 10000},
		{"no_search_by_user", Query{Tab: migration.TabInProgress, Sort: SortUser, Limit: 50, Offset: 100}, 2500},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				p, err := s.List(ctx, tc.q)
				if err != nil || p.Total < tc.min || len(p.Records) == 0 {
					b.Fatalf("list: %v, total %d, rows %d", err, p.Total, len(p.Records))
				}
			}
		})
	}
}

// BenchmarkCreate is one migration through the normal path (its own transaction);
// 10,000 of them must take under 5 s, i.e. under 500 µs/op.
func BenchmarkCreate(b *testing.B) {
	s := openTest(b)
	ctx := context.Background()
	i := 0
	for b.Loop() {
		if err := s.Create(ctx, sample(i)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkCreateMany10k stores 10,000 migrations in one transaction per op.
func BenchmarkCreateMany10k(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		s := openTest(b)
		ms := make([]*migration.Migration, 10_000)
		for i := range ms {
			ms[i] = sample(i)
		}
		b.StartTimer()
		if err := s.CreateMany(ctx, ms); err != nil {
			b.Fatal(err)
		}
	}
}
