//go:build !windows

package secret

// privateKeyFile has nothing to do: the key file was created with mode 0600.
func privateKeyFile(string) error { return nil }
