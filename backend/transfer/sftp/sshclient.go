package sftp

import "golang.org/x/crypto/ssh"

// SSH returns the connection's SSH client, so the pipeline can tunnel MySQL through the
// same login (and the same pinned host key) as the files. Closing the Client closes it.
func (c *Client) SSH() *ssh.Client { return c.ssh }
