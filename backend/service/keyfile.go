package service

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
)

// maxKeyFile bounds a private key file (real ones are a few KB).
const maxKeyFile = 64 << 10

// ReadKeyFile reads an SSH private key the admin picked, for the New migration form. It
// refuses files that are not PEM private keys, so a wrong pick is caught at once.
func (s *Service) ReadKeyFile(_ context.Context, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", &Error{Code: CodeInvalid, Message: fmt.Sprintf("Cannot read %s", path), Err: err}
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFile+1))
	if err != nil {
		return "", &Error{Code: CodeInvalid, Message: fmt.Sprintf("Cannot read %s", path), Err: err}
	}
	if len(b) > maxKeyFile || !strings.Contains(string(b), "PRIVATE KEY-----") {
		return "", &Error{Code: CodeInvalid, Message: "This file is not an SSH private key (PEM or OpenSSH format)."}
	}
	return string(b), nil
}
