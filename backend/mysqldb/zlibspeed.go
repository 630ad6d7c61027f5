package mysqldb

import (
	"bytes"
	"compress/zlib"
	"sync"
	_ "unsafe" // go:linkname, below

	_ "github.com/go-sql-driver/mysql" // its init makes the pools set below
	kzlib "github.com/klauspost/compress/zlib"
)

// On a compressed connection go-sql-driver deflates every packet Ferry sends with the
// standard library's zlib at level 2 and inflates every packet it receives with the
// standard library too. In a bench/wan migration at RTT 0 (FTP to SFTP, a 590 MB
// database, everything on 2 cores) that was 58% of Ferry's CPU: 7.4 s deflating the
// import's batches and 3.1 s inflating the export's rows, of 18.0 s. The driver has no
// setting for either, but takes its deflaters and inflaters from two package pools:
// Ferry hands it the standard library's level 1 deflater (BestSpeed, which skips the
// match search level 2 spends its time in) and klauspost/compress's inflater (the same
// zlib, decoded faster). The bytes on the wire stay zlib; the server cannot tell.

//go:linkname driverDeflaters github.com/go-sql-driver/mysql.zwPool
var driverDeflaters *sync.Pool

//go:linkname driverInflaters github.com/go-sql-driver/mysql.zrPool
var driverInflaters *sync.Pool

// emptyZlib is a whole zlib stream of no bytes (header, an empty final block, Adler-32 1):
// an inflater is made on it, then reset onto each packet by the driver.
var emptyZlib = []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01}

func init() {
	driverDeflaters.New = func() any { return newDeflater() }
	driverInflaters.New = func() any { return newInflater() }
}

// newDeflater is the deflater the driver compresses packets with (it asserts *zlib.Writer).
func newDeflater() *zlib.Writer {
	zw, err := zlib.NewWriterLevel(new(bytes.Buffer), zlib.BestSpeed)
	if err != nil {
		panic(err) // only for a level zlib does not have
	}
	return zw
}

// newInflater is the inflater the driver decompresses packets with: it asserts an
// io.ReadCloser with zlib's Reset(r, dict), and returns it to the pool after each packet.
// nil (the driver's own default) makes the driver open a standard library one.
func newInflater() any {
	zr, err := kzlib.NewReader(bytes.NewReader(emptyZlib))
	if err != nil {
		return nil
	}
	if _, ok := zr.(zlib.Resetter); !ok {
		return nil
	}
	return zr
}
