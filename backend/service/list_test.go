package service

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"ferry/backend/migration"
)

func seedList(t *testing.T, s *Service) []MigrationDetail {
	t.Helper()
	ctx := context.Background()
	var out []MigrationDetail
	owners := []struct{ name, email, service string }{
		{"Zoe Zed", "zoe@zed.example", "Business 10GB"},
		{"Adam Able", "adam@able.example", "Starter"},
		{"Mia Mid", "mia@mid.example", "Pro_50%"},
	}
	for i := 0; i < 9; i++ {
		o := owners[i%3]
		in := sftpInput()
		in.UserName, in.UserEmail, in.Service = o.name, o.email, o.service
		in.Domain = fmt.Sprintf("%c-site.example.com", rune('z'-i))
		d, err := s.CreateMigration(ctx, in)
		require.NoError(t, err)
		out = append(out, d)
	}
	moveTo(t, s, out[3].ID, migration.StatusFailed, "Cannot connect to FTP server")
	moveTo(t, s, out[4].ID, migration.StatusFailed, "Connection timeout")
	moveTo(t, s, out[5].ID, migration.StatusSuccessful, "")
	return out
}

func ids(rows []MigrationRow) []int64 {
	out := []int64{}
	for _, r := range rows {
		out = append(out, r.ID)
	}
	return out
}

func TestListMigrations(t *testing.T) {
	s, _, _ := newTestService(t)
	seeded := seedList(t, s)
	ctx := context.Background()
	cases := []struct {
		name  string
		q     ListQuery
		want  []int64
		total int
	}{
		{"default tab in progress by id", ListQuery{}, []int64{1, 2, 3, 7, 8, 9}, 6},
		{"failed tab", ListQuery{Tab: "failed"}, []int64{4, 5}, 2},
		{"successful tab", ListQuery{Tab: "successful"}, []int64{6}, 1},
		{"desc", ListQuery{Desc: true}, []int64{9, 8, 7, 3, 2, 1}, 6},
		{"page 2 of size 4", ListQuery{PageSize: 4, Page: 2}, []int64{8, 9}, 6},
		{"past the end", ListQuery{PageSize: 4, Page: 3}, []int64{}, 6},
		{"sort by user", ListQuery{Sort: "user"}, []int64{2, 8, 3, 9, 1, 7}, 6},
		{"sort by domain", ListQuery{Sort: "domain"}, []int64{9, 8, 7, 3, 2, 1}, 6},
		{"sort by service desc", ListQuery{Sort: "service", Desc: true}, []int64{8, 2, 9, 3, 7, 1}, 6},
		{"sort by email", ListQuery{Sort: "email"}, []int64{2, 8, 3, 9, 1, 7}, 6},
		{"search email part", ListQuery{Search: "ABLE.ex"}, []int64{2, 8}, 2},
		{"search user name", ListQuery{Search: "zoe"}, []int64{1, 7}, 2},
		{"search domain", ListQuery{Search: "t-site."}, []int64{7}, 1},
		{"search service", ListQuery{Search: "business"}, []int64{1, 7}, 2},
		{"search id", ListQuery{Search: "8"}, []int64{8}, 1},
		{"search wildcard literal", ListQuery{Search: "50%"}, []int64{3, 9}, 2},
		{"search underscore literal", ListQuery{Search: "o_5"}, []int64{3, 9}, 2},
		{"search across tabs stays in tab", ListQuery{Tab: "failed", Search: "mid"}, []int64{}, 0},
		{"search nothing", ListQuery{Search: "nothing-like-this"}, []int64{}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := s.ListMigrations(ctx, tc.q)
			require.NoError(t, err)
			require.Equal(t, tc.want, ids(res.Rows))
			require.Equal(t, tc.total, res.Total)
			require.Equal(t, TabCounts{InProgress: 6, Failed: 2, Successful: 1}, res.Counts)
		})
	}
	require.Equal(t, int64(1), seeded[0].ID)

	for _, q := range []struct {
		q     ListQuery
		field string
	}{
		{ListQuery{Tab: "archived"}, "tab"},
		{ListQuery{Sort: "password"}, "sort"},
		{ListQuery{Page: -1}, "page"},
		{ListQuery{PageSize: 501}, "pageSize"},
	} {
		_, err := s.ListMigrations(ctx, q.q)
		require.NotEmpty(t, fieldsOf(t, err)[q.field], "%+v", q.q)
	}
	// Every sort the UI may send is accepted.
	for key := range sortKeys {
		_, err := s.ListMigrations(ctx, ListQuery{Sort: key, Tab: "failed"})
		require.NoError(t, err, key)
	}
}
