package mysqldb

import (
	"bytes"
	"compress/zlib"
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// sqlSample is INSERT text like an import's batch: repetitive, as SQL text is.
func sqlSample() []byte {
	var b bytes.Buffer
	b.WriteString("INSERT INTO `wp_postmeta` VALUES ")
	for i := range 4000 {
		fmt.Fprintf(&b, "(%d,%d,'_edit_lock','%d:1',%q),", i, i/7, 1700000000+i*13, strings.Repeat("http://old.test/page", i%5))
	}
	return b.Bytes()
}

func deflate(t *testing.T, zw *zlib.Writer, src []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	zw.Reset(&out)
	_, err := zw.Write(src)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return out.Bytes()
}

// TestDriverDeflatesAtBestSpeed: the deflater go-sql-driver takes from its pool writes what
// zlib's level 1 writes, not what its own level 2 would.
func TestDriverDeflatesAtBestSpeed(t *testing.T) {
	src := sqlSample()
	zw, ok := driverDeflaters.Get().(*zlib.Writer)
	require.True(t, ok, "the driver's pool hands out *zlib.Writer")
	got := deflate(t, zw, src)

	l1, err := zlib.NewWriterLevel(nil, zlib.BestSpeed)
	require.NoError(t, err)
	l2, err := zlib.NewWriterLevel(nil, 2)
	require.NoError(t, err)
	require.Equal(t, deflate(t, l1, src), got)
	require.NotEqual(t, deflate(t, l2, src), got, "level 1 and 2 differ on this input, so the check above can fail")

	r, err := zlib.NewReader(bytes.NewReader(got))
	require.NoError(t, err)
	var back bytes.Buffer
	_, err = back.ReadFrom(r)
	require.NoError(t, err)
	require.Equal(t, src, back.Bytes())
}

// TestDriverInflatesWithKlauspost: the driver's inflater pool hands out klauspost's zlib
// reader, which the driver resets onto each packet.
func TestDriverInflatesWithKlauspost(t *testing.T) {
	zr := driverInflaters.Get()
	require.NotNil(t, zr)
	require.Equal(t, "github.com/klauspost/compress/zlib", reflect.TypeOf(zr).Elem().PkgPath())
	src := sqlSample()
	var z bytes.Buffer
	w := zlib.NewWriter(&z)
	_, err := w.Write(src)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	require.NoError(t, zr.(zlib.Resetter).Reset(bytes.NewReader(z.Bytes()), nil))
	var back bytes.Buffer
	_, err = back.ReadFrom(zr.(interface{ Read([]byte) (int, error) }))
	require.NoError(t, err)
	require.Equal(t, src, back.Bytes())
}

// TestCompressedConnectionCarriesRowsBothWays: a compressed pool to the real server writes
// a big INSERT (deflated by Ferry's deflater, inflated by the server) and reads it back
// (deflated by the server, inflated by Ferry's inflater), byte for byte.
func TestCompressedConnectionCarriesRowsBothWays(t *testing.T) {
	ctx := context.Background()
	_, cfg := testDB(t)
	cfg.Compression = CompressAlways
	db, err := Open(ctx, cfg)
	require.NoError(t, err)
	defer db.Close()
	require.True(t, db.Compressed())
	require.Equal(t, []string{"ON", "ON", "ON"}, compression(t, ctx, db))

	_, err = db.SQL().ExecContext(ctx, "CREATE TABLE zrt (id INT PRIMARY KEY, v LONGTEXT)")
	require.NoError(t, err)
	want := map[int]string{}
	var q strings.Builder
	q.WriteString("INSERT INTO zrt VALUES ")
	for i := range 300 {
		v := strings.Repeat(fmt.Sprintf("row %d http://old.test/%d ", i, i*i), 400+2*i)
		want[i] = v
		if i > 0 {
			q.WriteString(",")
		}
		fmt.Fprintf(&q, "(%d,'%s')", i, v)
	}
	require.Greater(t, q.Len(), 4<<20, "several compressed packets")
	_, err = db.SQL().ExecContext(ctx, q.String())
	require.NoError(t, err)

	rows, err := db.SQL().QueryContext(ctx, "SELECT id, v FROM zrt ORDER BY id")
	require.NoError(t, err)
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id int
		var v string
		require.NoError(t, rows.Scan(&id, &v))
		require.Equal(t, want[id], v, "row %d", id)
		n++
	}
	require.NoError(t, rows.Err())
	require.Equal(t, len(want), n)
}
