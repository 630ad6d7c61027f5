//go:build !windows

package routetest

import (
	"os/exec"
	"syscall"
)

// newProcessGroup starts cmd in its own process group, so killGroup also ends its children.
func newProcessGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

func killGroup(cmd *exec.Cmd) { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
