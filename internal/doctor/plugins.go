package doctor

import (
	"context"
	"fmt"
)

// checkPlugins starts every plugin of the configuration (the initialize
// handshake, as `scribe watch` does) and stops them again: a plugin whose
// program is missing, whose module is not built, or that refuses the
// protocol shows here rather than at the first file.
func checkPlugins(ctx context.Context, env *Env) []Result {
	if env.Plugins == nil {
		return []Result{{Status: Skip, Message: "no configuration loaded"}}
	}
	defer env.Plugins.Close(context.WithoutCancel(ctx))
	if len(env.Plugins.Plugins()) == 0 {
		return []Result{{Status: OK, Message: "none configured"}}
	}
	env.Plugins.Start(ctx) // each plugin's problem is in its status
	var out []Result
	for _, st := range env.Plugins.Status() {
		r := Result{Status: OK, Message: fmt.Sprintf("%s (%s, %s): %s", st.Name, st.Runtime, plural(len(st.Actions), "action", "actions"), st.State)}
		switch st.State {
		case "running", "idle":
		case "missing":
			r.Status, r.Message = Fail, fmt.Sprintf("%s: %s", st.Name, st.Error)
			r.Fix = "build it (see its folder's README; `go generate ./...` builds the example modules), then reload or restart scribe"
		default:
			r.Status, r.Message = Fail, fmt.Sprintf("%s: %s: %s", st.Name, st.State, st.Error)
			r.Fix = "see doc/PLUGINS.md (Limits and failures); `scribe config validate` runs the same handshake"
		}
		out = append(out, r)
	}
	return out
}
