package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules"
	"github.com/lbdiag/lbdiag/report"
)

// version is lbdiag's release version. A release build may override it
// with -ldflags "-X main.version=...". The README shows it and a test keeps
// the two in step.
var version = "v0.2.0"

func toolVersion() string { return version }

// tool is lbdiag's identity in reports, recordings and the user agent.
func tool() report.Tool { return report.Tool{Name: "lbdiag", Version: toolVersion()} }

// environment is what the commands see of the process.
type environment struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	// stdoutFd and stderrFd are the file descriptors of stdout and stderr.
	stdoutFd, stderrFd int
	isTTY              func(fd int) bool
}

// outcome is what an inspect run tells main about the exit status.
type outcome struct {
	// code is the run's exit code: the worst of its projects' (1, then
	// 3, then 0).
	code int
}

// usageError is a mistake in the command line.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{msg: fmt.Sprintf(format, args...)} }

type rootCommand struct {
	cmd     *cobra.Command
	outcome *outcome
}

func newRootCommand(env *environment) *rootCommand {
	rc := &rootCommand{}
	root := &cobra.Command{
		Use:   "lbdiag",
		Short: "Inspect Google Cloud load balancing in front of GKE",
		Long: `lbdiag reads Compute Engine, GKE and each cluster's Kubernetes API (never
writing), cross-checks them and prints every load-balancing problem it finds
with its evidence and its fix.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(env.stdout)
	root.SetErr(env.stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &usageError{msg: err.Error()} })
	root.AddCommand(newInspectCommand(env, func(o *outcome) { rc.outcome = o }), newTraceCommand(env, func(o *outcome) { rc.outcome = o }), newRulesCommand(env), newExplainCommand(env), newIgnoreCommand(env), newVersionCommand(env))
	rc.cmd = root
	return rc
}

func (rc *rootCommand) executeContext(ctx context.Context, args []string) (*outcome, error) {
	rc.cmd.SetArgs(args)
	if err := rc.cmd.ExecuteContext(ctx); err != nil {
		if strings.HasPrefix(err.Error(), "unknown command") || strings.HasPrefix(err.Error(), "accepts ") || strings.HasPrefix(err.Error(), "requires ") {
			return nil, &usageError{msg: err.Error()}
		}
		return nil, err
	}
	return rc.outcome, nil
}

func newRulesCommand(env *environment) *cobra.Command {
	return &cobra.Command{
		Use:   "rules",
		Short: "List the rules: ID, family, severity, title",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			all := rules.All()
			w := 0
			for _, r := range all {
				w = max(w, len(r.ID))
			}
			for _, r := range all {
				fmt.Fprintf(env.stdout, "%-*s  %-7s  %-7s  %s\n", w, r.ID, rules.Family(r), r.Severity, r.Title)
			}
			return nil
		},
	}
}

func newExplainCommand(env *environment) *cobra.Command {
	return &cobra.Command{
		Use:   "explain RULE-ID",
		Short: "Print a rule's documentation: why it matters, how to fix, sources",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, ok := inspect.Lookup(rules.All(), args[0])
			if !ok {
				return usagef("no rule %q: `lbdiag rules` lists them", args[0])
			}
			fmt.Fprintf(env.stdout, "%s (%s)\n%s\n\nWhy it matters\n%s\n\nHow to fix\n%s\n\nSources\n", r.ID, r.Severity, r.Title, indent(r.Doc.Why), indent(r.Doc.Fix))
			for _, s := range r.Doc.Sources {
				fmt.Fprintf(env.stdout, "  - %s\n", s)
			}
			fmt.Fprintf(env.stdout, "\nMore: %s\n", r.Doc.URL)
			return nil
		},
	}
}

// indent indents a doc text by two spaces, wrapping prose lines at 78
// columns; lines already indented (commands, manifests) are kept whole.
func indent(s string) string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if strings.HasPrefix(l, "  ") {
			out = append(out, "  "+l)
			continue
		}
		line := "  "
		for _, w := range strings.Fields(l) {
			if len(line) > 2 && len(line)+1+len(w) > 78 {
				out = append(out, line)
				line = "  "
			}
			if len(line) > 2 {
				line += " "
			}
			line += w
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

func newVersionCommand(env *environment) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print lbdiag's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprintf(env.stdout, "lbdiag %s\n", toolVersion())
			return nil
		},
	}
}
