package cli_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestGettingStarted runs every command of doc/GETTING-STARTED.md, in order,
// in one shell, with a freshly built scribe on PATH and HOME in a temporary
// directory. The page's comments are its assertions: "exits N" expects that
// exit code (else 0), "shows: TEXT" waits until the command prints TEXT (the
// daemon works asynchronously). A line "# Ctrl-C ..." stops the background
// `scribe watch`. The deviations from what a reader does: `go install` is
// replaced by a build into a temporary directory, http.listen is moved to a
// free port after `scribe init` (another daemon may hold 9469), and there is
// no systemd user manager, so `scribe service install` and `status` exit 1
// and must say so.
func TestGettingStarted(t *testing.T) {
	if testing.Short() {
		t.Skip("builds scribe")
	}
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	page, err := os.ReadFile(filepath.Join("..", "..", "doc", "GETTING-STARTED.md"))
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "bin")
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "scribe"), "./cmd/scribe")
	build.Dir = filepath.Join("..", "..")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().String()
	ln.Close()

	script, n := gettingStartedScript(t, string(page), port)
	if n < 10 {
		t.Fatalf("only %d commands found in the page:\n%s", n, script)
	}
	cmd := exec.Command("bash", "-c", script)
	cmd.Dir = tmp
	cmd.Env = []string{
		"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + filepath.Join(tmp, "home"),
		"LANG=C.UTF-8",
		// No session bus: systemctl --user reaches no manager, whatever
		// this machine runs.
	}
	if err := os.Mkdir(filepath.Join(tmp, "home"), 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the page's commands failed: %v\n%s\n--- script:\n%s", err, out, script)
	}
	t.Logf("ran %d commands of doc/GETTING-STARTED.md:\n%s", n, out)
}

var (
	exitsRE = regexp.MustCompile(`exits (\d)`)
	showsRE = regexp.MustCompile(`shows: (.+)$`)
)

// gettingStartedScript turns the page's sh blocks into a bash script that
// checks each command, and counts the commands.
func gettingStartedScript(t *testing.T, page, port string) (string, int) {
	var b strings.Builder
	b.WriteString("set -u\nfail() { echo \"FAILED: $1\"; [ -n \"${WATCH:-}\" ] && kill $WATCH 2>/dev/null; exit 1; }\n")
	lines := strings.Split(page, "\n")
	n := 0
	in := false
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		switch {
		case strings.HasPrefix(line, "```sh"):
			in = true
			continue
		case strings.HasPrefix(line, "```"):
			in = false
			continue
		case !in || strings.TrimSpace(line) == "":
			continue
		}
		cmdText, comment, _ := strings.Cut(line, "  #")
		cmdText = strings.TrimSpace(cmdText)
		comment = strings.TrimSpace(comment)
		if strings.HasPrefix(cmdText, "#") {
			if strings.Contains(cmdText, "Ctrl-C") {
				b.WriteString("kill -INT $WATCH; wait $WATCH || fail 'scribe watch did not exit 0 after Ctrl-C'; WATCH=\n")
			}
			continue
		}
		n++
		if strings.HasPrefix(cmdText, "go install") {
			continue // built by the test
		}
		if strings.Contains(cmdText, "<<'EOF'") {
			// A here-document: the command and its body, up to EOF.
			var doc []string
			for i++; i < len(lines) && lines[i] != "EOF"; i++ {
				doc = append(doc, lines[i])
			}
			fmt.Fprintf(&b, "%s\n%s\nEOF\n[ $? -eq 0 ] || fail %q\n", cmdText, strings.Join(doc, "\n"), cmdText)
			continue
		}
		q := fmt.Sprintf("%q", cmdText)
		switch {
		case cmdText == "scribe watch &":
			b.WriteString("scribe watch 2>watch.log & WATCH=$!\n")
			b.WriteString("for i in $(seq 600); do scribe status >/dev/null 2>&1 && break; sleep 0.1; done\n")
			b.WriteString("scribe status >/dev/null 2>&1 || { cat watch.log; fail 'scribe watch did not come up'; }\n")
		case showsRE.MatchString(comment):
			want := showsRE.FindStringSubmatch(comment)[1]
			fmt.Fprintf(&b, "ok=; for i in $(seq 200); do out=$(%s 2>&1) && case \"$out\" in *%q*) ok=1; break;; esac; sleep 0.05; done\n", cmdText, want)
			fmt.Fprintf(&b, "[ -n \"$ok\" ] || { echo \"$out\"; fail %q; }\necho \"$out\"\n", cmdText+" does not show "+want)
		case strings.HasPrefix(cmdText, "scribe service install") || strings.HasPrefix(cmdText, "scribe service status"):
			fmt.Fprintf(&b, "out=$(%s 2>&1); rc=$?; echo \"$out\"\n", cmdText)
			fmt.Fprintf(&b, "[ $rc -eq 0 ] || { [ $rc -eq 1 ] && case \"$out\" in *'no systemd user manager'*|*'Failed to connect'*|*'not started'*) true;; *) false;; esac; } || fail %q\n", cmdText)
		default:
			want := "0"
			if m := exitsRE.FindStringSubmatch(comment); m != nil {
				want = m[1]
			}
			fmt.Fprintf(&b, "%s; rc=$?; [ $rc -eq %s ] || fail \"%s exited $rc, want %s\"\n", cmdText, want, strings.Trim(q, `"`), want)
		}
		if cmdText == "scribe init" {
			// Another daemon may hold the default port.
			fmt.Fprintf(&b, "sed -i 's/127.0.0.1:9469/%s/' scribe.yaml || fail 'set http.listen'\n", port)
		}
	}
	b.WriteString("[ -z \"${WATCH:-}\" ] || fail 'scribe watch still running at the end of the page'\nscribe service uninstall\n")
	return b.String(), n
}
