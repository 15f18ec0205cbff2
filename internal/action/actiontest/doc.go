// Package actiontest holds what the built-in actions' tests share: an action
// built from YAML parameters through the registry (so the schema runs first,
// as when a configuration loads), the Input the engine would pass with a
// fixed clock, a root with a real command runner, and heap measures for
// benchmarks. It imports testing and is meant for tests only.
package actiontest
