package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/lbdiag/lbdiag/fixtures"
	"github.com/lbdiag/lbdiag/gcp"
	"github.com/lbdiag/lbdiag/gcp/recording"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules"
	"github.com/lbdiag/lbdiag/internal/untrusted"
	"github.com/lbdiag/lbdiag/report"
)

type inspectFlags struct {
	project           string
	format            string
	failOn            string
	clusters          []string
	timeout           time.Duration
	computeEndpoint   string
	containerEndpoint string
	accessTokenFile   string
	record            string
	evidence          string
	replay            string
	demo              bool
	now               string
}

func newInspectCommand(env *environment, done func(*outcome)) *cobra.Command {
	f := &inspectFlags{}
	cmd := &cobra.Command{
		Use:   "inspect",
		Short: "Inspect a project's load balancers, GKE clusters and their Kubernetes objects",
		Example: `  lbdiag inspect --demo
  lbdiag inspect --project my-project
  lbdiag inspect --project my-project --format json | jq '.findings[] | .rule'
  lbdiag inspect --project my-project --record ./evidence
  lbdiag inspect --project my-project --evidence evidence.tar.gz
  lbdiag inspect --replay evidence.tar.gz --format html > report.html`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := runInspect(cmd.Context(), env, f)
			if err != nil {
				return err
			}
			done(o)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.project, "project", "", "project to inspect (default: CLOUDSDK_CORE_PROJECT, GOOGLE_CLOUD_PROJECT, or gcloud's core/project)")
	fl.StringVar(&f.format, "format", "table", "output format: table, json, csv or html")
	fl.StringVar(&f.failOn, "fail-on", "error", "exit 1 when a finding is at or above this severity: error, warning, info or none")
	fl.StringArrayVar(&f.clusters, "cluster", nil, "inspect only this cluster (NAME or LOCATION/NAME); repeatable")
	fl.DurationVar(&f.timeout, "timeout", 5*time.Minute, "give up on API calls still running after this long and report what was read")
	fl.StringVar(&f.computeEndpoint, "compute-endpoint", "", "Compute Engine API base URL ending in /compute/v1/ (default: $CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE or the public endpoint)")
	fl.StringVar(&f.containerEndpoint, "container-endpoint", "", "GKE API base URL (default: $CLOUDSDK_API_ENDPOINT_OVERRIDES_CONTAINER or the public endpoint)")
	fl.StringVar(&f.accessTokenFile, "access-token-file", "", "file holding an OAuth access token to use instead of Application Default Credentials (default: $CLOUDSDK_AUTH_ACCESS_TOKEN_FILE)")
	fl.StringVar(&f.record, "record", "", "write every API response of the run to this new directory, raw: unredacted (env values, startup scripts, annotations), so keep it private (files 0600); --evidence writes a redacted bundle")
	fl.StringVar(&f.evidence, "evidence", "", "also write an evidence bundle (.tar.gz): every API response, redacted, with the call log and the report")
	fl.StringVar(&f.replay, "replay", "", "inspect a recording (--record directory or --evidence bundle) instead of calling the APIs")
	fl.BoolVar(&f.demo, "demo", false, "inspect the embedded demo project (no credentials needed)")
	fl.StringVar(&f.now, "now", "", "run as if the clock read this RFC 3339 time (for tests and reproductions)")
	fl.MarkHidden("now")
	return cmd
}

func runInspect(ctx context.Context, env *environment, f *inspectFlags) (*outcome, error) {
	clock, err := newClock(f.now)
	if err != nil {
		return nil, err
	}
	started := clock()
	format := strings.ToLower(f.format)
	if format != "table" && format != "json" && format != "csv" && format != "html" {
		return nil, usagef("--format %q: want table, json, csv or html", f.format)
	}
	failNone := strings.EqualFold(f.failOn, "none")
	var threshold inspect.Severity
	if !failNone {
		s, err := inspect.ParseSeverity(f.failOn)
		if err != nil {
			return nil, usagef("--fail-on %q: want error, warning, info or none", f.failOn)
		}
		threshold = s
	}
	if f.demo && f.replay != "" {
		return nil, usagef("--demo and --replay cannot be combined")
	}
	if f.timeout <= 0 {
		return nil, usagef("--timeout must be positive")
	}

	opts := gcp.Options{Clusters: f.clusters, UserAgent: "lbdiag/" + toolVersion(), Clock: clock}
	switch {
	case f.demo || f.replay != "":
		rec, cleanup, err := loadRecording(f)
		if err != nil {
			return nil, err
		}
		defer cleanup()
		if f.project != "" && f.project != rec.Manifest.Project {
			return nil, usagef("--project %s: the recording is of project %s", f.project, rec.Manifest.Project)
		}
		opts.Project, opts.Replay = rec.Manifest.Project, rec
	default:
		project := f.project
		if project == "" {
			p, err := gcp.DefaultProject(env.getenv)
			if err != nil {
				return nil, usagef("%v", err)
			}
			project = p
		}
		opts.Project = project
		opts.ComputeEndpoint = firstNonEmpty(f.computeEndpoint, env.getenv("CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE"))
		opts.ContainerEndpoint = firstNonEmpty(f.containerEndpoint, env.getenv("CLOUDSDK_API_ENDPOINT_OVERRIDES_CONTAINER"))
		if err := checkEndpoint("compute", opts.ComputeEndpoint, "/compute/v1/"); err != nil {
			return nil, err
		}
		if err := checkEndpoint("container", opts.ContainerEndpoint, ""); err != nil {
			return nil, err
		}
		ts, err := gcp.TokenSource(ctx, firstNonEmpty(f.accessTokenFile, env.getenv("CLOUDSDK_AUTH_ACCESS_TOKEN_FILE")))
		if err != nil {
			return nil, err
		}
		opts.TokenSource = gcp.RememberTokens(ts)
	}
	if f.record != "" || f.evidence != "" {
		dir := f.record
		if dir != "" {
			if err := prepareRecordDir(dir); err != nil {
				return nil, err
			}
		} else {
			tmp, err := os.MkdirTemp("", "lbdiag-evidence-")
			if err != nil {
				return nil, fmt.Errorf("--evidence: %w", err)
			}
			defer os.RemoveAll(tmp)
			dir = tmp
		}
		rec, err := recording.NewRecorder(dir)
		if err != nil {
			return nil, err
		}
		opts.Recorder, opts.CallLog = rec, &recording.CallLog{}
	}

	if env.isTTY != nil && env.isTTY(env.stderrFd) && opts.Replay == nil {
		fmt.Fprintf(env.stderr, "lbdiag: reading project %s (Compute Engine, GKE and each cluster's Kubernetes API)...\n", opts.Project)
	}
	cctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	inv, err := gcp.Collect(cctx, opts)
	if errors.Is(err, gcp.ErrProjectNotFound) {
		return nil, usagef("project %q was not found: Compute Engine and GKE both answered that it does not exist; check --project", opts.Project)
	}
	if err != nil {
		return nil, usagef("%v", err)
	}
	if ctx.Err() != nil {
		return nil, errors.New("interrupted")
	}
	res := inspect.Run(inv, rules.All())
	finished := clock()
	rep := report.New(report.Tool{Name: "lbdiag", Version: toolVersion()}, inv, res, started, finished)
	rep.Chains = rules.Chains(inv)

	if f.record != "" {
		if err := writeRecording(f.record, opts.Project, opts.Recorder, started); err != nil {
			return nil, err
		}
		fmt.Fprintf(env.stderr, "lbdiag: recorded the run in %s\n", f.record)
	}
	if f.evidence != "" {
		if err := writeEvidence(f, opts, rep, started, finished); err != nil {
			return nil, err
		}
		fmt.Fprintf(env.stderr, "lbdiag: wrote the evidence bundle %s\n", f.evidence)
	}

	switch format {
	case "json":
		err = report.WriteJSON(env.stdout, rep)
	case "csv":
		err = report.WriteCSV(env.stdout, rep)
	case "html":
		err = report.WriteHTML(env.stdout, rep)
	default:
		err = report.WriteTable(env.stdout, rep, tableOptions(env))
	}
	if err != nil {
		return nil, fmt.Errorf("writing report: %w", err)
	}

	o := &outcome{incomplete: len(rep.Gaps()) > 0, failNone: failNone}
	if !failNone {
		for _, fd := range rep.Findings {
			if fd.Severity >= threshold {
				o.failing++
			}
		}
	}
	return o, nil
}

// checkEndpoint validates an API base URL given by flag or environment:
// an absolute http or https URL, ending in suffix when one is required.
func checkEndpoint(api, endpoint, suffix string) error {
	if endpoint == "" {
		return nil
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return usagef("--%s-endpoint %q is not an http or https URL such as https://%s.googleapis.com/", api, endpoint, api)
	}
	if suffix != "" && !strings.HasSuffix(u.Path, suffix) {
		return usagef("--%s-endpoint %q must end in %s", api, endpoint, suffix)
	}
	return nil
}

// newClock returns the run's clock: the system clock, or, with --now, a
// clock that starts at that time and advances with the system's.
func newClock(now string) (func() time.Time, error) {
	if now == "" {
		return time.Now, nil
	}
	at, err := time.Parse(time.RFC3339, now)
	if err != nil {
		return nil, usagef("--now %q: want an RFC 3339 time such as 2026-11-27T02:42:10Z", now)
	}
	origin := time.Now()
	return func() time.Time { return at.Add(time.Since(origin)) }, nil
}

func loadRecording(f *inspectFlags) (*recording.Recording, func(), error) {
	if f.demo {
		rec, err := recording.Load(fixtures.Demo())
		if err != nil {
			return nil, nil, fmt.Errorf("loading the demo project: %w", err)
		}
		return rec, func() {}, nil
	}
	rec, cleanup, err := recording.LoadPath(f.replay)
	if err != nil {
		return nil, nil, usagef("--replay %s: %v", f.replay, err)
	}
	return rec, cleanup, nil
}

func prepareRecordDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return os.MkdirAll(dir, 0o700)
	case err != nil:
		return usagef("--record: %v", err)
	case len(entries) > 0:
		return usagef("--record %s: directory is not empty", dir)
	}
	return nil
}

func writeRecording(dir, project string, rec *recording.Recorder, started time.Time) error {
	at := started.UTC()
	m := recording.Manifest{Project: project, Tool: "lbdiag " + toolVersion(), RecordedAt: &at, Exchanges: rec.Exchanges()}
	if err := recording.WriteManifest(filepath.Clean(dir), m); err != nil {
		return fmt.Errorf("--record: %w", err)
	}
	return nil
}

func tableOptions(env *environment) report.TableOptions {
	o := report.TableOptions{Width: 160}
	tty := env.isTTY != nil && env.isTTY(env.stdoutFd)
	if tty {
		if w, _, err := term.GetSize(env.stdoutFd); err == nil && w > 0 {
			o.Width = w
		}
	}
	if c, err := strconv.Atoi(env.getenv("COLUMNS")); err == nil && c > 0 {
		o.Width = c
	}
	o.Color = tty && env.getenv("NO_COLOR") == "" && env.getenv("TERM") != "dumb"
	return o
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// writeEvidence writes the bundle: the redacted recording, the call log,
// the coverage, the flags (never a credential), and the report as JSON,
// text and HTML, with SHA256SUMS. It replaces path atomically.
func writeEvidence(f *inspectFlags, opts gcp.Options, rep *report.Report, started, finished time.Time) error {
	exchanges := opts.Recorder.Exchanges()
	at, end := started.UTC(), finished.UTC()
	cov, err := untrusted.Marshal(rep.Coverage, "")
	if err != nil {
		return err
	}
	m := recording.Manifest{Project: opts.Project, Tool: "lbdiag " + toolVersion(), RecordedAt: &at, FinishedAt: &end,
		Clusters: rep.Clusters, Flags: evidenceFlags(f), Coverage: cov, Calls: opts.CallLog.Calls(), Exchanges: exchanges}
	var js, txt, html bytes.Buffer
	if err := report.WriteJSON(&js, rep); err != nil {
		return err
	}
	if err := report.WriteTable(&txt, rep, report.TableOptions{Width: 160}); err != nil {
		return err
	}
	if err := report.WriteHTML(&html, rep); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(f.evidence), ".lbdiag-evidence-*")
	if err != nil {
		return fmt.Errorf("--evidence: %w", err)
	}
	defer os.Remove(tmp.Name())
	var secrets []string
	if tm, ok := opts.TokenSource.(*gcp.TokenMemo); ok {
		secrets = tm.Issued()
	}
	err = recording.WriteBundle(tmp, m, os.DirFS(opts.Recorder.Dir()), []recording.BundleFile{
		{Name: "report.json", Data: js.Bytes()}, {Name: "report.txt", Data: txt.Bytes()}, {Name: "report.html", Data: html.Bytes()}}, secrets)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("--evidence: %w", err)
	}
	return os.Rename(tmp.Name(), f.evidence)
}

// evidenceFlags lists the flags of the run that say what was inspected;
// credentials and local paths are left out.
func evidenceFlags(f *inspectFlags) map[string]string {
	m := map[string]string{"project": f.project, "format": f.format, "fail-on": f.failOn, "timeout": f.timeout.String()}
	if len(f.clusters) > 0 {
		m["cluster"] = strings.Join(f.clusters, ",")
	}
	if f.computeEndpoint != "" {
		m["compute-endpoint"] = f.computeEndpoint
	}
	if f.containerEndpoint != "" {
		m["container-endpoint"] = f.containerEndpoint
	}
	return m
}
