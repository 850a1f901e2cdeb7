package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/oauth2"
	"golang.org/x/sync/errgroup"
	"golang.org/x/term"

	"github.com/lbdiag/lbdiag/fixtures"
	"github.com/lbdiag/lbdiag/gcp"
	"github.com/lbdiag/lbdiag/gcp/recording"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules"
	"github.com/lbdiag/lbdiag/internal/untrusted"
	"github.com/lbdiag/lbdiag/inventory"
	"github.com/lbdiag/lbdiag/output"
	"github.com/lbdiag/lbdiag/report"
)

type inspectFlags struct {
	project           string
	projects          []string
	organization      string
	folder            string
	shard             string
	parallelProjects  int
	output            string
	baseline          string
	format            string
	failOn            string
	clusters          []string
	timeout           time.Duration
	computeEndpoint   string
	containerEndpoint string
	crmEndpoint       string
	accessTokenFile   string
	record            string
	evidence          string
	replay            string
	demo              bool
	now               string
	health            string
	healthBudget      int
	maxQPS            float64
	namespaces        []string
	ingresses         []string
	gateways          []string
	stats             string
	kubePageSize      int
	logs              time.Duration
	logEntries        int
	loggingEndpoint   string
}

func newInspectCommand(env *environment, done func(*outcome)) *cobra.Command {
	f := &inspectFlags{}
	cmd := &cobra.Command{
		Use:   "inspect",
		Short: "Inspect a project's load balancers, GKE clusters and their Kubernetes objects",
		Example: `  lbdiag inspect --demo
  lbdiag inspect --project my-project
  lbdiag inspect --project my-project --format json | jq '.findings[] | .rule'
  lbdiag inspect --project my-project --evidence evidence.tar.gz
  lbdiag inspect --replay evidence.tar.gz --format html > report.html
  lbdiag inspect --organization 123456789012 --format log --output gs://BUCKET/lbdiag --baseline auto`,
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
	fl.StringSliceVar(&f.projects, "projects", nil, "inspect these projects (comma list, repeatable); the report holds one entry per project")
	fl.StringVar(&f.organization, "organization", "", "inspect every ACTIVE project under this organization (numeric ID), nested folders included")
	fl.StringVar(&f.folder, "folder", "", "inspect every ACTIVE project under this folder (numeric ID), nested folders included")
	fl.StringVar(&f.shard, "shard", "", "inspect only this share of the projects, I/N (default: $CLOUD_RUN_TASK_INDEX/$CLOUD_RUN_TASK_COUNT, else 0/1): projects sorted by ID, the k-th belongs to shard k mod N")
	fl.IntVar(&f.parallelProjects, "parallel-projects", 4, "projects inspected at once")
	fl.StringVar(&f.output, "output", "", "also write each project's report to this directory or gs://BUCKET/PREFIX: projects/P/latest.json, projects/P/runs/RUN.json, runs/RUN/shard-I-of-N.json")
	fl.StringVar(&f.baseline, "baseline", "", "compare with an earlier report: auto (each project's latest.json in --output) or FILE (a single project's JSON report); findings become new or ongoing, and only new ones fail")
	fl.StringVar(&f.format, "format", "table", "output format: table, json, csv, html or log (Cloud Logging structured lines)")
	fl.StringVar(&f.failOn, "fail-on", "error", "exit 1 when a finding is at or above this severity: error, warning, info or none")
	fl.StringArrayVar(&f.clusters, "cluster", nil, "inspect only this cluster (NAME or LOCATION/NAME); repeatable")
	fl.DurationVar(&f.timeout, "timeout", 5*time.Minute, "give up on API calls still running after this long and report what was read")
	fl.StringVar(&f.computeEndpoint, "compute-endpoint", "", "Compute Engine API base URL ending in /compute/v1/ (default: $CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE or the public endpoint)")
	fl.StringVar(&f.containerEndpoint, "container-endpoint", "", "GKE API base URL (default: $CLOUDSDK_API_ENDPOINT_OVERRIDES_CONTAINER or the public endpoint)")
	fl.StringVar(&f.crmEndpoint, "resourcemanager-endpoint", "", "Cloud Resource Manager API base URL (default: $CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDRESOURCEMANAGER or the public endpoint)")
	fl.StringVar(&f.accessTokenFile, "access-token-file", "", "file holding an OAuth access token to use instead of Application Default Credentials (default: $CLOUDSDK_AUTH_ACCESS_TOKEN_FILE)")
	fl.StringVar(&f.record, "record", "", "write every API response of the run to this new directory, raw: unredacted (env values, startup scripts, annotations), so keep it private (files 0600); --evidence writes a redacted bundle")
	fl.StringVar(&f.evidence, "evidence", "", "also write an evidence bundle (.tar.gz): every API response, redacted, with the call log and the report")
	fl.StringVar(&f.replay, "replay", "", "inspect a recording (--record directory or --evidence bundle) instead of calling the APIs")
	fl.BoolVar(&f.demo, "demo", false, "inspect the embedded demo project (no credentials needed)")
	fl.StringVar(&f.health, "health", gcp.HealthAuto, "backend health to read with getHealth: auto (every group up to --health-budget calls, else those that matter most first), all (every group, paced) or none")
	fl.IntVar(&f.healthBudget, "health-budget", gcp.DefaultHealthBudget, "most getHealth calls of --health auto, per project")
	fl.Float64Var(&f.maxQPS, "max-qps", gcp.DefaultMaxQPS, "requests a second to each Google API, per project (Compute Engine's default read quota is about 1,500 a minute)")
	fl.StringArrayVar(&f.namespaces, "namespace", nil, "report only on this namespace's objects and the load balancers that serve them; repeatable")
	fl.StringArrayVar(&f.ingresses, "ingress", nil, "report only on this Ingress (NS/NAME) and what it uses; repeatable")
	fl.StringArrayVar(&f.gateways, "gateway", nil, "report only on this Gateway (NS/NAME) and what it uses; repeatable")
	fl.DurationVar(&f.logs, "logs", 0, "also read this window of Cloud Logging (at most 24h, e.g. 1h): the load balancers' request failures, health-check probe results and passthrough connections, as evidence on findings and findings of their own (a recording replays with the window it was recorded with; the demo holds 1h)")
	fl.IntVar(&f.logEntries, "log-entries", gcp.DefaultLogEntryCap, "most request log entries read per backend service, and entries per health-check or passthrough log query (--logs)")
	fl.StringVar(&f.loggingEndpoint, "logging-endpoint", "", "Cloud Logging API base URL (default: $CLOUDSDK_API_ENDPOINT_OVERRIDES_LOGGING or the public endpoint)")
	fl.StringVar(&f.now, "now", "", "run as if the clock read this RFC 3339 time (for tests and reproductions)")
	fl.MarkHidden("now")
	fl.StringVar(&f.stats, "stats", "", "write the phases' wall and CPU times of a one-project run to this file (for benchmarks)")
	fl.MarkHidden("stats")
	fl.IntVar(&f.kubePageSize, "kube-page-size", 0, "limit of each Kubernetes list request (default 500; small values exercise paging in tests)")
	fl.MarkHidden("kube-page-size")
	return cmd
}

var formats = map[string]bool{"table": true, "json": true, "csv": true, "html": true, "log": true}

// run is what one invocation decided: the projects, how to inspect them,
// and where the reports go.
type run struct {
	env      *environment
	f        *inspectFlags
	clock    func() time.Time
	policy   report.Policy
	format   string
	multi    bool
	shard    report.Shard
	runID    string
	store    output.Store
	ts       oauth2.TokenSource
	endpoint struct{ compute, container, crm, logging string }
}

func runInspect(ctx context.Context, env *environment, f *inspectFlags) (*outcome, error) {
	clock, err := newClock(f.now)
	if err != nil {
		return nil, err
	}
	started := clock()
	r := &run{env: env, f: f, clock: clock, format: strings.ToLower(f.format)}
	if !formats[r.format] {
		return nil, usagef("--format %q: want table, json, csv, html or log", f.format)
	}
	r.policy.None = strings.EqualFold(f.failOn, "none")
	if !r.policy.None {
		s, err := inspect.ParseSeverity(f.failOn)
		if err != nil {
			return nil, usagef("--fail-on %q: want error, warning, info or none", f.failOn)
		}
		r.policy.Threshold = s
	}
	if err := r.validate(); err != nil {
		return nil, err
	}
	if r.shard, err = parseShard(f.shard, env.getenv); err != nil {
		return nil, err
	}
	r.runID = firstNonEmpty(env.getenv("CLOUD_RUN_EXECUTION"), started.UTC().Format("20060102T150405Z"))

	// The recording of --demo and --replay names its one project.
	var rec *recording.Recording
	if f.demo || f.replay != "" {
		var cleanup func()
		rec, cleanup, err = loadRecording(f)
		if err != nil {
			return nil, err
		}
		defer cleanup()
		if f.project != "" && f.project != rec.Manifest.Project {
			return nil, usagef("--project %s: the recording is of project %s", f.project, rec.Manifest.Project)
		}
		// A recording of a run with --logs replays with its window (the
		// demo holds an hour of logs).
		if f.logs == 0 {
			f.logs = rec.Manifest.LogsWindow()
		}
	} else {
		r.endpoint.compute = firstNonEmpty(f.computeEndpoint, env.getenv("CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE"))
		r.endpoint.container = firstNonEmpty(f.containerEndpoint, env.getenv("CLOUDSDK_API_ENDPOINT_OVERRIDES_CONTAINER"))
		r.endpoint.crm = firstNonEmpty(f.crmEndpoint, env.getenv("CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDRESOURCEMANAGER"))
		r.endpoint.logging = firstNonEmpty(f.loggingEndpoint, env.getenv("CLOUDSDK_API_ENDPOINT_OVERRIDES_LOGGING"))
		for _, e := range []struct{ api, url, suffix string }{{"compute", r.endpoint.compute, "/compute/v1/"}, {"container", r.endpoint.container, ""},
			{"resourcemanager", r.endpoint.crm, ""}, {"logging", r.endpoint.logging, ""}} {
			if err := checkEndpoint(e.api, e.url, e.suffix); err != nil {
				return nil, err
			}
		}
	}

	// Which projects: the recording's, the listed ones, an organization's
	// or folder's, or the one project of --project.
	var projects []string
	var fleetGaps inventory.CoverageSet
	switch {
	case rec != nil:
		projects = []string{rec.Manifest.Project}
	case r.multi:
		if err := r.credentials(ctx); err != nil {
			return nil, err
		}
		projects, fleetGaps, err = r.enumerate(ctx)
		if err != nil {
			return nil, err
		}
	default:
		project := f.project
		if project == "" {
			p, err := gcp.DefaultProject(env.getenv)
			if err != nil {
				return nil, usagef("%v", err)
			}
			project = p
		}
		projects = []string{project}
	}
	projects = r.shard.Of(projects)

	if f.output != "" {
		if r.ts == nil && rec == nil {
			if err := r.credentials(ctx); err != nil {
				return nil, err
			}
		}
		r.store, err = output.Open(ctx, f.output, r.ts, "lbdiag/"+toolVersion())
		if err != nil {
			return nil, usagef("%v", err)
		}
		defer r.store.Close()
	}
	if rec == nil && r.ts == nil && len(projects) > 0 {
		if err := r.credentials(ctx); err != nil {
			return nil, err
		}
	}

	reports := make([]*report.Report, len(projects))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(1, f.parallelProjects))
	for i, p := range projects {
		g.Go(func() error {
			rep, err := r.inspectProject(gctx, p, rec)
			if err != nil {
				return err
			}
			reports[i] = rep
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, errors.New("interrupted")
	}

	fleet := &report.Fleet{SchemaVersion: report.SchemaVersion, Tool: report.Tool{Name: "lbdiag", Version: toolVersion()},
		StartedAt: started.UTC(), FinishedAt: r.clock().UTC(), RunID: r.runID, Shard: r.shard,
		Coverage: report.FleetCoverage(fleetGaps), Projects: reports}
	codes := []int{}
	for _, rep := range reports {
		codes = append(codes, rep.Exit)
	}
	for _, c := range fleetGaps {
		if c.Gap() && !r.policy.None {
			codes = append(codes, report.ExitIncomplete)
		}
	}
	fleet.ExitCode = report.WorstExit(codes...)
	if r.store != nil {
		if err := r.writeOutputs(ctx, fleet); err != nil {
			return nil, err
		}
	}
	if err := r.print(fleet); err != nil {
		return nil, fmt.Errorf("writing report: %w", err)
	}
	return &outcome{code: fleet.ExitCode}, nil
}

// validate rejects flag combinations that cannot mean anything.
func (r *run) validate() error {
	f := r.f
	r.multi = len(f.projects) > 0 || f.organization != "" || f.folder != ""
	sources := 0
	for _, set := range []bool{f.project != "", len(f.projects) > 0, f.organization != "", f.folder != "", f.demo, f.replay != ""} {
		if set {
			sources++
		}
	}
	switch {
	case sources > 1:
		return usagef("choose one of --project, --projects, --organization, --folder, --demo and --replay")
	case f.timeout <= 0:
		return usagef("--timeout must be positive")
	case r.multi && (f.record != "" || f.evidence != ""):
		return usagef("--record and --evidence capture one project: use them with --project, --demo or --replay")
	case r.multi && len(f.clusters) > 0:
		return usagef("--cluster narrows one project: use it with --project")
	case f.baseline == "auto" && f.output == "":
		return usagef("--baseline auto compares with the latest.json of each project in --output: give --output")
	case f.baseline != "" && f.baseline != "auto" && r.multi:
		return usagef("--baseline FILE compares one project with a saved report; for several projects use --baseline auto with --output")
	}
	switch f.health {
	case gcp.HealthAuto, gcp.HealthAll, gcp.HealthNone:
	default:
		return usagef("--health %q: want auto, all or none", f.health)
	}
	if f.maxQPS <= 0 || f.healthBudget < 0 {
		return usagef("--max-qps must be positive and --health-budget not negative")
	}
	if f.logs < 0 || f.logs > gcp.MaxLogWindow {
		return usagef("--logs %s: give a window up to 24h (e.g. 1h)", f.logs)
	}
	if f.logEntries <= 0 {
		return usagef("--log-entries must be positive")
	}
	for _, ref := range append(append([]string{}, f.ingresses...), f.gateways...) {
		if ns, name, ok := strings.Cut(ref, "/"); !ok || ns == "" || name == "" || strings.Contains(name, "/") {
			return usagef("--ingress and --gateway take NAMESPACE/NAME, not %q", ref)
		}
	}
	for _, id := range []string{f.organization, f.folder} {
		if id != "" && strings.Trim(id, "0123456789") != "" {
			return usagef("--organization and --folder take numeric IDs, not %q", id)
		}
	}
	return nil
}

// parseShard reads --shard I/N, else Cloud Run's task variables, else 0/1.
func parseShard(flag string, getenv func(string) string) (report.Shard, error) {
	s := report.Shard{Index: 0, Count: 1}
	var err1, err2 error
	switch {
	case flag != "":
		i, n, ok := strings.Cut(flag, "/")
		if !ok {
			return s, usagef("--shard %q: want I/N, such as 0/3", flag)
		}
		s.Index, err1 = strconv.Atoi(i)
		s.Count, err2 = strconv.Atoi(n)
	case getenv("CLOUD_RUN_TASK_COUNT") != "":
		s.Index, err1 = strconv.Atoi(firstNonEmpty(getenv("CLOUD_RUN_TASK_INDEX"), "0"))
		s.Count, err2 = strconv.Atoi(getenv("CLOUD_RUN_TASK_COUNT"))
	}
	if err1 != nil || err2 != nil || s.Count < 1 || s.Index < 0 || s.Index >= s.Count {
		return s, usagef("shard %d/%d: want 0 <= I < N (from --shard or CLOUD_RUN_TASK_INDEX and CLOUD_RUN_TASK_COUNT)", s.Index, s.Count)
	}
	return s, nil
}

// credentials finds the token source of live runs.
func (r *run) credentials(ctx context.Context) error {
	ts, err := gcp.TokenSource(ctx, firstNonEmpty(r.f.accessTokenFile, r.env.getenv("CLOUDSDK_AUTH_ACCESS_TOKEN_FILE")))
	if err != nil {
		return err
	}
	r.ts = gcp.RememberTokens(ts)
	return nil
}

// enumerate lists the projects of --projects, --organization or --folder.
func (r *run) enumerate(ctx context.Context) ([]string, inventory.CoverageSet, error) {
	f := r.f
	if len(f.projects) > 0 {
		var out []string
		for _, p := range f.projects {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		sort.Strings(out)
		return slicesCompact(out), nil, nil
	}
	parent := "organizations/" + f.organization
	if f.folder != "" {
		parent = "folders/" + f.folder
	}
	opts := gcp.Options{TokenSource: r.ts, UserAgent: "lbdiag/" + toolVersion(), Clock: r.clock}
	cctx, cancel := context.WithTimeout(ctx, r.f.timeout)
	defer cancel()
	projects, gaps, err := gcp.ListProjects(cctx, opts, r.endpoint.crm, parent)
	if err != nil {
		return nil, nil, err
	}
	return projects, gaps, nil
}

func slicesCompact(s []string) []string {
	var out []string
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// inspectProject collects, inspects and reports one project, compares it
// with its baseline, and writes its recording or bundle when asked.
func (r *run) inspectProject(ctx context.Context, project string, rec *recording.Recording) (*report.Report, error) {
	f, env := r.f, r.env
	started := r.clock()
	opts := gcp.Options{Project: project, Clusters: f.clusters, UserAgent: "lbdiag/" + toolVersion(), Clock: r.clock, Replay: rec,
		ComputeEndpoint: r.endpoint.compute, ContainerEndpoint: r.endpoint.container,
		Health: f.health, HealthBudget: f.healthBudget, MaxQPS: f.maxQPS, KubePageSize: f.kubePageSize,
		Logs: f.logs, LoggingEndpoint: r.endpoint.logging, LogEntryCap: f.logEntries,
		Focus: inventory.Focus{Namespaces: f.namespaces, Ingresses: f.ingresses, Gateways: f.gateways}}
	if r.ts != nil {
		opts.TokenSource = r.ts
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
		recorder, err := recording.NewRecorder(dir)
		if err != nil {
			return nil, err
		}
		opts.Recorder, opts.CallLog = recorder, &recording.CallLog{}
	}
	if env.isTTY != nil && env.isTTY(env.stderrFd) && rec == nil {
		fmt.Fprintf(env.stderr, "lbdiag: reading project %s (Compute Engine, GKE and each cluster's Kubernetes API)...\n", project)
	}
	cctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	collectStart, collectCPU := time.Now(), cpuTime()
	inv, err := gcp.Collect(cctx, opts)
	collectWall, collectCPUUsed := time.Since(collectStart), cpuTime()-collectCPU
	if errors.Is(err, gcp.ErrProjectNotFound) {
		return nil, usagef("project %q was not found: Compute Engine and GKE both answered that it does not exist; check the project ID", project)
	}
	if err != nil {
		return nil, usagef("%v", err)
	}
	if ctx.Err() != nil {
		return nil, errors.New("interrupted")
	}
	rulesStart, rulesCPU := time.Now(), cpuTime()
	res := inspect.Run(inv, rules.All())
	rulesWall, rulesCPUUsed := time.Since(rulesStart), cpuTime()-rulesCPU
	if f.stats != "" {
		b, _ := untrusted.Marshal(map[string]float64{"collectWallSeconds": collectWall.Seconds(), "collectCPUSeconds": collectCPUUsed.Seconds(),
			"rulesWallSeconds": rulesWall.Seconds(), "rulesCPUSeconds": rulesCPUUsed.Seconds()}, "")
		if err := os.WriteFile(f.stats, b, 0o644); err != nil {
			return nil, err
		}
	}
	if !inv.Focus.Empty() {
		keep := rules.InFocus(inv)
		kept := res.Findings[:0]
		for _, fd := range res.Findings {
			if keep(fd) {
				kept = append(kept, fd)
			}
		}
		res.Findings = kept
	}
	finished := r.clock()
	rep := report.New(report.Tool{Name: "lbdiag", Version: toolVersion()}, inv, res, started, finished)
	rep.Chains = rules.Chains(inv)

	policy := r.policy
	if f.baseline != "" {
		base, err := r.readBaseline(ctx, project)
		if err != nil {
			return nil, err
		}
		rep.CompareWith(base)
		policy.NewOnly = true
	}
	rep.Exit = rep.ExitCode(policy)

	// A recording's time is its collection's: a re-recorded recording (the
	// demo's, a replay's) keeps the time its answers are of, so that event
	// ages and the logs' window replay the same.
	recordedAt := started
	if !inv.CollectedAt.IsZero() {
		recordedAt = inv.CollectedAt
	}
	if f.record != "" {
		if err := writeRecording(f.record, opts.Project, opts.Recorder, recordedAt); err != nil {
			return nil, err
		}
		fmt.Fprintf(env.stderr, "lbdiag: recorded the run in %s\n", f.record)
	}
	if f.evidence != "" {
		if err := writeEvidence(f, opts, rep, recordedAt, finished); err != nil {
			return nil, err
		}
		fmt.Fprintf(env.stderr, "lbdiag: wrote the evidence bundle %s\n", f.evidence)
	}
	return rep, nil
}

// readBaseline reads the report a project is compared with: its
// latest.json in --output (nil when there is none yet), or --baseline FILE.
func (r *run) readBaseline(ctx context.Context, project string) (*report.Report, error) {
	var b []byte
	var err error
	if r.f.baseline == "auto" {
		b, err = r.store.Get(ctx, latestPath(project))
		if errors.Is(err, output.ErrNotExist) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading the baseline of %s from %s: %w", project, r.store, err)
		}
	} else if b, err = os.ReadFile(r.f.baseline); err != nil {
		return nil, usagef("--baseline: %v", err)
	}
	base, err := report.ReadJSON(b)
	if err != nil {
		return nil, usagef("--baseline of %s: %v", project, err)
	}
	if base.Project != project {
		return nil, usagef("--baseline is a report of project %s, not %s", base.Project, project)
	}
	return base, nil
}

func latestPath(project string) string { return "projects/" + project + "/latest.json" }

// writeOutputs writes each project's report (latest and this run's) and
// the shard's summary to --output.
func (r *run) writeOutputs(ctx context.Context, fleet *report.Fleet) error {
	put := func(name string, v any) error {
		b, err := untrusted.Marshal(v, "  ")
		if err != nil {
			return err
		}
		if err := r.store.Put(ctx, name, append(b, '\n')); err != nil {
			return fmt.Errorf("--output %s: writing %s: %w", r.store, name, err)
		}
		return nil
	}
	for _, rep := range fleet.Projects {
		if err := put(latestPath(rep.Project), rep); err != nil {
			return err
		}
		if err := put("projects/"+rep.Project+"/runs/"+r.runID+".json", rep); err != nil {
			return err
		}
	}
	return put(fmt.Sprintf("runs/%s/shard-%d-of-%d.json", r.runID, fleet.Shard.Index, fleet.Shard.Count), fleet.Summary())
}

// print writes the report in --format on stdout.
func (r *run) print(fleet *report.Fleet) error {
	w := r.env.stdout
	if !r.multi && len(fleet.Projects) == 1 {
		rep := fleet.Projects[0]
		switch r.format {
		case "json":
			return report.WriteJSON(w, rep)
		case "csv":
			return report.WriteCSV(w, rep)
		case "html":
			return report.WriteHTML(w, rep)
		case "log":
			return report.WriteLog(w, nil, fleet.Projects)
		}
		return report.WriteTable(w, rep, tableOptions(r.env))
	}
	switch r.format {
	case "json":
		return report.WriteFleetJSON(w, fleet)
	case "csv":
		return report.WriteFleetCSV(w, fleet)
	case "html":
		return report.WriteFleetHTML(w, fleet)
	case "log":
		return report.WriteLog(w, fleet.Coverage, fleet.Projects)
	}
	return report.WriteFleetTable(w, fleet, tableOptions(r.env))
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
	if f.logs > 0 {
		m["logs"] = f.logs.String()
	}
	return m
}
