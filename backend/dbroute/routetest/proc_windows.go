package routetest

import "os/exec"

// The route servers (php, sshd) run on Linux only; on Windows these keep the package
// compiling for GOOS=windows checks.
func newProcessGroup(*exec.Cmd) {}

func killGroup(cmd *exec.Cmd) { _ = cmd.Process.Kill() }
