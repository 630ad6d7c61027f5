package main

import "os/exec"

// Windows has no process groups to signal: the go command alone is stopped, which ends
// its test binary with it.
func newProcessGroup(*exec.Cmd) {}

func interruptGroup(cmd *exec.Cmd) { _ = cmd.Process.Kill() }

func killGroup(cmd *exec.Cmd) { _ = cmd.Process.Kill() }
