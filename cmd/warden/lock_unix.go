//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// lockDatabase takes the lock of the SQLite database at path: an exclusive flock(2) on
// path+".lock", held until unlock is called (or the process ends: the kernel releases a
// lock with its process, so a crash, even SIGKILL, leaves no stale lock, only the file). A
// server holds it for its life and `warden admin seed` while it writes, so two servers never
// share one SQLite file — each would serve from its own caches and miss the other's changes.
// The lock file keeps the holder's process id, for the message to whoever is refused. SQLite
// names (":memory:", "file:" URIs) have no lock: they are no file shared between processes, or
// too rare to parse.
func lockDatabase(path string) (unlock func(), err error) {
	if path == ":memory:" || strings.HasPrefix(path, "file:") {
		return func() {}, nil
	}
	name := path + ".lock"
	// The lock file is never removed: a process that opened it just before the removal would
	// lock a file no one else can find any more.
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock the database: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder := ""
		if b, rerr := io.ReadAll(io.LimitReader(f, 64)); rerr == nil {
			if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil && pid > 0 {
				holder = fmt.Sprintf(" (process %d)", pid)
			}
		}
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &databaseInUseError{fmt.Sprintf("the SQLite database %s is already in use by another Warden process%s, "+
				"a server or `warden admin seed`. Two servers on one SQLite file would each serve from "+
				"their own caches and miss the other's changes: stop it first, or give this one another "+
				"[paths] data (lock file %s; several instances need PostgreSQL)", absPath(path), holder, absPath(name))}
		}
		return nil, fmt.Errorf("lock the database %s: %w", absPath(name), err)
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() { f.Close() }, nil // closing the file releases the lock
}
