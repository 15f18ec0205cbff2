// Package plugin loads Scribe's plugins and turns their actions into
// engine actions (SPEC §3, doc/PLUGINS.md).
//
// A plugin is a folder listed under the configuration's plugins key, holding
// a manifest, scribe-plugin.yaml. Load reads every manifest (YAML through
// go.yaml.in/yaml/v3, so that every error has file:line:column and a field
// path, reported as config.Error like the configuration's own), validates it
// against an embedded JSON Schema, checks what the schema cannot (protocol
// 1, what each runtime needs, unique action names, each action's parameter
// schema), resolves the program (command[0] must be a security.commands
// name) or reads the module, checks the sha256 pin, and prepares a runtime
// without starting anything (construction has no side effects). Set.Specs
// gives the actions, named PLUGIN.ACTION, to action.Build.Plugins, so that
// rule.Compile validates each rule's parameters against the manifest's
// schema like a built-in's.
//
// The runtimes live in process (long-lived programs started through the
// command sandbox) and wasm (WebAssembly modules in wazero). Both speak the
// wire protocol of the public package github.com/scribe-md/scribe/plugin.
//
// # Permissions
//
// The action adapter enforces an action's permissions on what it sends and
// what it accepts, whatever the plugin does: without read the content is not
// sent; without write returned content fails the call (nothing is written);
// findings are always accepted, checked (severity, positions, non-empty
// message) and capped like every action's (action.MaxFindings); a finding's path is always the file's
// own. Only root-relative paths inside the root are sent.
//
// # Lifecycle
//
// Set.Start starts every plugin and checks its handshake (a plugin that
// fails fails its own actions only); Set.Close shuts them down (shutdown,
// then a kill after 2 s). On a reload, Load with Options.Previous reuses a
// plugin whose fingerprint (manifest, allow-listed program, environment and
// the files at the top of its folder) did not change, so it keeps running;
// Set.Retire then closes the replaced ones. A plugin whose program or module
// file is absent loads as "missing": its actions exist and fail, saying what
// to build, until a reload finds the file.
//
// # Concurrency
//
// A Set and its Plugins are safe for concurrent use: the engine calls
// actions from many workers at once. Each runtime bounds the requests in
// flight with an action.Pool (instances × concurrency slots for a process
// plugin, instances for a WebAssembly one). Status and Metrics read atomic
// counters.
package plugin
