package hostlimit

import (
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"strings"
	"syscall"

	"github.com/go-sql-driver/mysql"

	"ferry/backend/transfer"
)

// MySQL's refusals of a connection for the number already open: ER_CON_COUNT_ERROR (the
// server's max_connections), ER_TOO_MANY_USER_CONNECTIONS (the global
// max_user_connections) and ER_USER_LIMIT_REACHED (an account's MAX_USER_CONNECTIONS, the
// cap shared hosts give each database user; the same number also reports an account's
// hourly quotas, which waiting a few seconds does not lift).
const (
	mysqlTooManyConnections     = 1040
	mysqlTooManyUserConnections = 1203
	mysqlUserLimitReached       = 1226
)

// TooMany reports whether err is a server refusing a new connection because it already
// has too many: FTP 421, FTP 530 whose text speaks of a maximum or too many users (a 530
// is otherwise a wrong password), MySQL errors 1040, 1203 and 1226 for
// max_user_connections, or an SFTP server closing the
// connection before the login started (OpenSSH's MaxStartups drops new connections that
// way; a wrong password or host key is reported as such and never counts).
func TooMany(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, errFull) {
		return true
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		switch te.Code {
		case 421:
			return true
		case 530:
			msg := strings.ToLower(te.Msg)
			return strings.Contains(msg, "maximum") || strings.Contains(msg, "too many")
		}
		return false
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case mysqlTooManyConnections, mysqlTooManyUserConnections:
			return true
		case mysqlUserLimitReached:
			return strings.Contains(me.Message, "'max_user_connections'")
		}
		return false
	}
	var ce *transfer.ConnectError
	if errors.As(err, &ce) && ce.Protocol == "SFTP" {
		if errors.Is(err, transfer.ErrAuth) || errors.Is(err, transfer.ErrHostKey) || errors.Is(err, transfer.ErrTimeout) {
			return false
		}
		return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET)
	}
	return false
}

var errFull = errors.New("too many connections")

// Full marks err as a server refusing a connection for having too many, for callers that
// know it from the circumstances (a second login of an account whose first one worked).
func Full(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %w", errFull, err)
}
