package plugin

import (
	"strings"
	"testing"
)

// Main and scribe_serve without Register say what is missing instead of
// serving a plugin with no actions.
func TestServeRegisteredNeedsRegister(t *testing.T) {
	saved := registered
	t.Cleanup(func() { registered = saved })
	registered = nil
	if err := serveRegistered(); err == nil || !strings.Contains(err.Error(), "call plugin.Register in an init function") {
		t.Fatalf("err = %v", err)
	}
}
