package sandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"go.uber.org/goleak"
)

// The test binary doubles as the helper programs the tests run, chosen by
// the name it is started under (copies of it under these names), so that
// argv and the environment stay exactly what the Runner passed.
const (
	recorderName = "argv-recorder" // dumps argv, env, cwd and stdin as JSON
	markerName   = "launch-marker" // creates the file named by its last argument
)

// record is what the argv recorder prints. Byte slices keep non-UTF-8
// arguments intact (JSON would replace them).
type record struct {
	Argv  [][]byte `json:"argv"`
	Env   [][]byte `json:"env"`
	Cwd   string   `json:"cwd"`
	Stdin []byte   `json:"stdin"`
}

func TestMain(m *testing.M) {
	// Helpers leave through syscall.Exit: os.Exit in a -race binary sleeps a
	// second at exit for the race runtime's report.
	switch filepath.Base(os.Args[0]) {
	case recorderName:
		syscall.Exit(runRecorder())
	case markerName:
		syscall.Exit(runMarker())
	}
	code := m.Run()
	if helperDir != "" {
		os.RemoveAll(helperDir)
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

func runRecorder() int {
	var rec record
	for _, a := range os.Args {
		rec.Argv = append(rec.Argv, []byte(a))
	}
	for _, e := range os.Environ() {
		rec.Env = append(rec.Env, []byte(e))
	}
	rec.Cwd, _ = os.Getwd()
	rec.Stdin, _ = io.ReadAll(os.Stdin)
	if err := json.NewEncoder(os.Stdout).Encode(rec); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func runMarker() int {
	if err := os.WriteFile(os.Args[len(os.Args)-1], []byte("launched\n"), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}
