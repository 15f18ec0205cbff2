package config

import _ "embed"

// Starter is a commented starter scribe.yaml, written by `scribe init`. It
// explains every section and loads without errors.
//
//go:embed starter.yaml
var Starter []byte
