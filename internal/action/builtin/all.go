package builtin

// The families of built-in actions; each registers its actions in init().
import (
	_ "github.com/scribe-md/scribe/internal/action/builtin/exec"        // exec
	_ "github.com/scribe-md/scribe/internal/action/builtin/frontmatter" // frontmatter.set, frontmatter.delete, frontmatter.validate
	_ "github.com/scribe-md/scribe/internal/action/builtin/index"       // index, catalog
	_ "github.com/scribe-md/scribe/internal/action/builtin/pipeline"    // pipeline
	_ "github.com/scribe-md/scribe/internal/action/builtin/publish"     // publish
	_ "github.com/scribe-md/scribe/internal/action/builtin/text"        // replace, log
	_ "github.com/scribe-md/scribe/internal/action/builtin/vault"       // links.check, naming
)
