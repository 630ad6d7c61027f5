package main

import (
	"os"

	"golang.org/x/sys/windows"
)

// attachParentProcess is ATTACH_PARENT_PROCESS ((DWORD)-1) of AttachConsole.
const attachParentProcess = ^uintptr(0) & 0xffffffff

var procAttachConsole = windows.NewLazySystemDLL("kernel32.dll").NewProc("AttachConsole")

// attachConsole gives a headless command somewhere to print. ferry.exe is linked as a
// GUI program (-H windowsgui) so that opening Ferry from the Start menu shows no
// console window; such a process starts without standard handles. When stdout or
// stderr is missing (run from cmd.exe or PowerShell without redirection), it attaches
// to the console of the shell that started it. Redirected handles (ferry.exe list >
// out.txt, pipes, CI) are valid already and are kept.
func attachConsole() {
	out, _ := windows.GetStdHandle(windows.STD_OUTPUT_HANDLE)
	errh, _ := windows.GetStdHandle(windows.STD_ERROR_HANDLE)
	if valid(out) && valid(errh) {
		return
	}
	if r, _, _ := procAttachConsole.Call(attachParentProcess); r == 0 {
		return // started without a console (Explorer, a service): nothing to print to
	}
	conout, err := os.OpenFile("CONOUT$", os.O_WRONLY, 0)
	if err != nil {
		return
	}
	if !valid(out) {
		os.Stdout = conout
	}
	if !valid(errh) {
		os.Stderr = conout
	}
}

func valid(h windows.Handle) bool { return h != 0 && h != windows.InvalidHandle }
