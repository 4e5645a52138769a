//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package main

// lockDatabase does nothing on systems without flock(2): there, nothing stops a second server
// on the same SQLite database (see lock_unix.go).
func lockDatabase(path string) (unlock func(), err error) {
	return func() {}, nil
}
