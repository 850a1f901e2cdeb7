// Command lbdiag inspects Google Cloud load balancing in front of GKE: it
// reads Compute Engine, GKE and every cluster's Kubernetes API, cross-checks
// them and prints the problems it finds with their fixes.
//
// Exit codes: 0 no finding at or above --fail-on; 1 findings at or above
// it; 2 usage, credential or fatal error; 3 no such finding, but some
// sources could not be read.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/KimMachineGun/automemlimit/memlimit"
	"golang.org/x/term"

	"github.com/lbdiag/lbdiag/internal/untrusted"
	"github.com/lbdiag/lbdiag/report"
)

func main() {
	// In a container (a Cloud Run job's task has 512 MiB by default), the
	// garbage collector keeps the heap under 80% of the container's memory
	// limit, working harder as it nears it, instead of letting a big
	// project's heap double past it and the task be killed. Where the
	// cgroup sets no limit (a VM-based sandbox sized to the task, a
	// workstation), the machine's memory bounds it instead. GOMEMLIMIT,
	// when set, or AUTOMEMLIMIT=off leave the runtime's own settings.
	memlimit.Set(memlimit.WithRatio(0.8), memlimit.WithProvider(memlimit.ApplyFallback(memlimit.FromCgroup, memlimit.FromSystem)))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := &environment{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv,
		stdoutFd: int(os.Stdout.Fd()), stderrFd: int(os.Stderr.Fd()), isTTY: term.IsTerminal}
	outcome, err := newRootCommand(env).executeContext(ctx, os.Args[1:])
	os.Exit(exitCode(outcome, err, env))
}

// exitCode is the only place that turns results into an exit status.
func exitCode(o *outcome, err error, env *environment) int {
	if err != nil {
		fmt.Fprintln(env.stderr, "lbdiag: "+oneLine(err))
		return report.ExitError
	}
	if o == nil {
		return report.ExitOK
	}
	return o.code
}

// oneLine renders an error as one line, scrubbed of credentials and
// escaped: an error may quote what an API or a file said.
func oneLine(err error) string {
	s := err.Error()
	var u *usageError
	if errors.As(err, &u) {
		s = u.Error()
	}
	s = strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
	return untrusted.Clean(s)
}
