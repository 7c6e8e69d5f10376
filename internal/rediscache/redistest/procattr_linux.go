package redistest

import "syscall"

// procAttr kills redis-server when the test binary dies without cleaning
// up (a test timeout's panic), so no server outlives its test.
func procAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} }
