package main

// The test binary's set-up, shared by every test file: TestMain (the default parallelism and
// the shared resources' teardown), the warden binary built once for the tests that run real
// processes, and the switch of the PostgreSQL stage. docs/development.md ("cmd/warden") says
// where the suite's time goes and how the harness shares servers, the browser and the binary.

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
)

// parallelPerCPU is the default -parallel per CPU. The tests here mostly wait — on a server's
// answer, on Chromium, on a real process, on the once-a-second flush of last-used times — so
// they run more at a time than there are CPUs. An explicit -parallel wins.
const parallelPerCPU = 4

func TestMain(m *testing.M) {
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if !explicit {
		flag.Set("test.parallel", strconv.Itoa(parallelPerCPU*runtime.GOMAXPROCS(0)))
	}
	code := m.Run()
	if browser.cancel != nil {
		browser.cancel()
	}
	if builtBinary.dir != "" {
		os.RemoveAll(builtBinary.dir)
	}
	os.Exit(code)
}

// builtBinary is the warden binary wardenBinary builds, once per test binary.
var builtBinary struct {
	once sync.Once
	dir  string // the temporary directory holding it, removed by TestMain
	path string
	err  error
	out  []byte
}

// wardenBinary returns the path of a warden binary built from this package, for the tests
// that run Warden as a real process (signals, SIGKILL, several instances). It is built once
// per test binary and shared: the tests only run it.
func wardenBinary(t *testing.T) string {
	t.Helper()
	builtBinary.once.Do(func() {
		dir, err := os.MkdirTemp("", "warden-bin-")
		if err != nil {
			builtBinary.err = err
			return
		}
		builtBinary.dir, builtBinary.path = dir, filepath.Join(dir, "warden")
		builtBinary.out, builtBinary.err = exec.Command("go", "build", "-o", builtBinary.path, ".").CombinedOutput()
	})
	if builtBinary.err != nil {
		t.Fatalf("build warden: %v\n%s", builtBinary.err, builtBinary.out)
	}
	return builtBinary.path
}

// skipOnPostgresStage skips t when the test servers run on PostgreSQL (WARDEN_TEST_DATABASE=
// postgres: .ci/run's test-postgres stage, which runs the whole package a second time). Tests
// call it when that second run would test nothing new: they use no test server's database
// (configuration, the command line, the browser, which runs once), or choose their database
// themselves. reason says which.
func skipOnPostgresStage(t testing.TB, reason string) {
	t.Helper()
	if testDatabase(t) == "postgres" {
		t.Skipf("%s=postgres: %s", envTestDatabase, reason)
	}
}
