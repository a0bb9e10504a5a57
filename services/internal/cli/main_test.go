package cli

import (
	"context"
	"os"
	"testing"
)

// asTogether, set to 1 in a test binary's environment, makes the binary
// the together command: together bench --separate-process starts the
// program it runs in again, which in a test is the test binary.
const asTogether = "TOGETHER_CLI_TEST_AS_TOGETHER"

func TestMain(m *testing.M) {
	if os.Getenv(asTogether) == "1" {
		os.Exit(Main(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}
