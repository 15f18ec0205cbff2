package cli

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/scribe-md/scribe/internal/dashboard"
	"github.com/scribe-md/scribe/internal/httpapi"
)

func newDashboardCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "dashboard",
		Short: "Print a one-time login link to a running daemon's dashboard",
		Long: "Print a link that opens the dashboard of the running daemon (`scribe watch`)\n" +
			"logged in, so that its buttons (pause, resume, retry, undo) work. The link\n" +
			"works once, within " + strconv.Itoa(int(httpapi.CodeTTL.Minutes())) + " minutes; the browser then keeps a session cookie.\nReading" +
			" the dashboard on a loopback address needs no login.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, cfg, err := newClient(g)
			if err != nil {
				return unreachable(err)
			}
			if cfg.SocketPath() != "" {
				return fail(ExitFailure, fmt.Errorf("the daemon listens on a unix socket (http.listen: %s), which a browser cannot open; set http.listen to a loopback address such as 127.0.0.1:9469", cfg.HTTP.Listen))
			}
			var l dashboard.Login
			if err := c.do(cmd.Context(), "POST", "/api/v1/login", &l); err != nil {
				return unreachable(err)
			}
			fmt.Fprintln(g.stdout, c.base+l.Path)
			return nil
		},
	}
}
