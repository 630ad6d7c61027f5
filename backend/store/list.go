package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"ferry/backend/migration"
)

// Sort names a column the table can be sorted on.
type Sort string

// The sortable columns; every one has an index path or is cheap on 10,000 rows.
const (
	SortID          Sort = "id"
	SortUser        Sort = "user"
	SortEmail       Sort = "email"
	SortService     Sort = "service"
	SortDomain      Sort = "domain"
	SortMethod      Sort = "method"
	SortStatus      Sort = "status"
	SortCreatedAt   Sort = "createdAt"
	SortStartedAt   Sort = "startedAt"
	SortCompletedAt Sort = "completedAt"
	SortUpdatedAt   Sort = "updatedAt"
)

// sortColumns maps each Sort to its SQL; the map is the whitelist that keeps caller
// text out of the ORDER BY clause.
var sortColumns = map[Sort]string{
	SortID:          "m.id",
	SortUser:        "u.name COLLATE NOCASE",
	SortEmail:       "u.email",
	SortService:     "s.name",
	SortDomain:      "m.domain",
	SortMethod:      "m.method",
	SortStatus:      "m.status",
	SortCreatedAt:   "m.created_at",
	SortStartedAt:   "m.started_at",
	SortCompletedAt: "m.completed_at",
	SortUpdatedAt:   "m.updated_at",
}

// Sorts lists every sortable column.
var Sorts = []Sort{SortID, SortUser, SortEmail, SortService, SortDomain, SortMethod, SortStatus,
	SortCreatedAt, SortStartedAt, SortCompletedAt, SortUpdatedAt}

// Valid reports whether s is a known sort column.
func (s Sort) Valid() bool { _, ok := sortColumns[s]; return ok }

// Query asks for one page of the table.
type Query struct {
	// Tab limits the rows to one tab; "" lists every tab.
	Tab migration.Tab
	// Search matches, case-insensitively, part of the user name, email, domain or service,
	// or the ID Number exactly.
	Search string
	// UserID limits the rows to one owner (the user side panel); 0 means everyone.
	UserID int64
	// BatchID limits the rows to the migrations of one batch; 0 means all.
	BatchID int64
	Sort    Sort // "" sorts by ID
	Desc    bool
	Limit   int // rows per page; 0 means 50
	Offset  int
}

// Page is one page of rows and how many rows match in total.
type Page struct {
	Records []Record // without steps
	Total   int
}

// List returns one page of the table. It runs in three cheap steps rather than one wide
// query: the filter runs over the narrow migrations columns only, the sort carries just
// the sort key and ID, and only the page's rows are read whole (their JSON included).
func (s *Store) List(ctx context.Context, q Query) (Page, error) {
	where, args, err := filter(q)
	if err != nil {
		return Page{}, err
	}
	if q.Sort == "" {
		q.Sort = SortID
	}
	col, ok := sortColumns[q.Sort]
	if !ok {
		return Page{}, fmt.Errorf("list: unknown sort column %q", q.Sort)
	}
	dir := " ASC"
	if q.Desc {
		dir = " DESC"
	}
	if q.Limit <= 0 {
		q.Limit = 50
	}
	if q.Offset < 0 {
		return Page{}, fmt.Errorf("list: negative offset %d", q.Offset)
	}
	order := col + dir
	if q.Sort != SortID {
		order += ", m.id" + dir // stable paging when values tie
	}
	join := ""
	switch q.Sort {
	case SortUser, SortEmail:
		join = " JOIN users u ON u.id = m.user_id"
	case SortService:
		join = " JOIN services s ON s.id = m.service_id"
	}
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true}) // one snapshot for count and page
	if err != nil {
		return Page{}, fmt.Errorf("list migrations: %w", err)
	}
	defer tx.Rollback()
	// Count and page are two queries: a window COUNT(*) OVER () would sort every match,
	// while the page query alone can walk an index and stop after LIMIT rows.
	var p Page
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM migrations m`+where, args...).Scan(&p.Total); err != nil {
		return Page{}, fmt.Errorf("count migrations: %w", err)
	}
	if p.Total == 0 || q.Offset >= p.Total {
		return p, nil
	}
	ids, err := queryIDs(ctx, tx, `SELECT m.id FROM migrations m`+join+where+` ORDER BY `+order+` LIMIT ? OFFSET ?`,
		append(args, q.Limit, q.Offset)...)
	if err != nil {
		return Page{}, fmt.Errorf("list migrations: %w", err)
	}
	idArgs := make([]any, len(ids))
	for i, id := range ids {
		idArgs[i] = id
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+recordCols+recordFrom+` WHERE m.id IN (`+placeholders(len(ids))+`)`, idArgs...)
	if err != nil {
		return Page{}, fmt.Errorf("list migrations: %w", err)
	}
	defer rows.Close()
	byID := make(map[int64]Record, len(ids))
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return Page{}, fmt.Errorf("list migrations: %w", err)
		}
		byID[r.ID] = r
	}
	if err := rows.Err(); err != nil {
		return Page{}, fmt.Errorf("list migrations: %w", err)
	}
	for _, id := range ids {
		if r, ok := byID[id]; ok {
			p.Records = append(p.Records, r)
		}
	}
	return p, nil
}

func queryIDs(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// filter builds the WHERE clause over migrations columns only (no joins), so counting
// and sorting never touch the users and services tables unless the sort needs them.
func filter(q Query) (string, []any, error) {
	var conds []string
	var args []any
	if q.Tab != "" {
		if !q.Tab.Valid() {
			return "", nil, fmt.Errorf("list: unknown tab %q", q.Tab)
		}
		sts := migration.StatusesIn(q.Tab)
		conds = append(conds, "m.status IN ("+placeholders(len(sts))+")")
		for _, st := range sts {
			args = append(args, string(st))
		}
	}
	if q.UserID != 0 {
		conds = append(conds, "m.user_id = ?")
		args = append(args, q.UserID)
	}
	if q.BatchID != 0 {
		conds = append(conds, "m.id IN (SELECT migration_id FROM batch_sites WHERE batch_id = ?)")
		args = append(args, q.BatchID)
	}
	if term := strings.TrimSpace(q.Search); term != "" {
		// An all-digit term also finds the migration with that ID Number exactly.
		id, err := strconv.ParseInt(strings.TrimPrefix(term, "#"), 10, 64)
		if err != nil {
			id = -1
		}
		conds = append(conds, `(m.search_text LIKE ? ESCAPE '\' OR m.id = ?)`)
		args = append(args, likePattern(term), id)
	}
	if len(conds) == 0 {
		return "", nil, nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args, nil
}

// likePattern makes "%term%" with LIKE's own wildcards in term taken literally.
func likePattern(term string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(term)) + "%"
}

// TabCounts returns how many migrations each tab holds.
func (s *Store) TabCounts(ctx context.Context) (map[migration.Tab]int, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT status, COUNT(*) FROM migrations GROUP BY status`)
	if err != nil {
		return nil, fmt.Errorf("count tabs: %w", err)
	}
	defer rows.Close()
	out := map[migration.Tab]int{}
	for _, t := range migration.Tabs {
		out[t] = 0
	}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("count tabs: %w", err)
		}
		out[migration.Status(st).Tab()] += n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count tabs: %w", err)
	}
	return out, nil
}
