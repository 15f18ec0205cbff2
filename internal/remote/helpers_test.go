package remote_test

// cleanupBinary removes the scribe binary built for the end-to-end tests.
func cleanupBinary() {}
