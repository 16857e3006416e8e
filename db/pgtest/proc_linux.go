package pgtest

import "syscall"

// sysProcAttr runs a child as cred (nil: as we are) and has it sent sig
// if the test binary dies first, so no server outlives its tests.
func sysProcAttr(cred *syscall.Credential, sig syscall.Signal) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: cred, Pdeathsig: sig}
}
