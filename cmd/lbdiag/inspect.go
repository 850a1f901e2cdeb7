package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/lbdiag/lbdiag/gcp"
	"github.com/lbdiag/lbdiag/ignore"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules"
	"github.com/lbdiag/lbdiag/inspect/rules/config"
	"github.com/lbdiag/lbdiag/inventory"
	"github.com/lbdiag/lbdiag/output"
	"github.com/lbdiag/lbdiag/report"
	"github.com/lbdiag/lbdiag/run"
)

type inspectFlags struct {
	sourceFlags
	projects         []string
	organization     string
	folder           string
	shard            string
	parallelProjects int
	output           string
	baseline         string
	format           string
	failOn           string
	clusters         []string
	record           string
	evidence         string
	health           string
	healthBudget     int
	namespaces       []string
	ingresses        []string
	gateways         []string
	stats            string
	cpuProfile       string
	heapProfile      string
	rules            []string
	skipRules        []string
	minSeverity      string
	ignoreFile       string
	explainPassed    string
	metrics          window
	max5xxRatio      float64
	changes          window
	showPrincipals   bool
	resolver         string
	noDNS            bool
	networkAnalyzer  bool
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
	f.sourceFlags.register(fl, "inspect", "also read this window of Cloud Logging (at most 24h, e.g. 1h): the load balancers' request failures, health-check probe results and passthrough connections, as evidence on findings and findings of their own (a recording replays with the window it was recorded with; the demo holds 1h)")
	fl.StringSliceVar(&f.projects, "projects", nil, "inspect these projects (comma list, repeatable); the report holds one entry per project")
	fl.StringVar(&f.organization, "organization", "", "inspect every ACTIVE project under this organization (numeric ID), nested folders included")
	fl.StringVar(&f.folder, "folder", "", "inspect every ACTIVE project under this folder (numeric ID), nested folders included")
	fl.StringVar(&f.shard, "shard", "", "inspect only this share of the projects, I/N (default: $CLOUD_RUN_TASK_INDEX/$CLOUD_RUN_TASK_COUNT, else 0/1): projects sorted by ID, the k-th belongs to shard k mod N")
	fl.IntVar(&f.parallelProjects, "parallel-projects", 4, "projects inspected at once")
	fl.StringVar(&f.output, "output", "", "also write each project's report to this directory or gs://BUCKET/PREFIX: projects/P/latest.json, projects/P/runs/RUN.json and .html, runs/RUN/shard-I-of-N.json, the run's fleet page runs/RUN/index.html, and latest/index.html")
	fl.StringVar(&f.baseline, "baseline", "", "compare with an earlier report: auto (each project's latest.json in --output) or FILE (a single project's JSON report); findings become new or ongoing, and only new ones fail")
	fl.StringVar(&f.format, "format", "table", "output format: table, json, csv, html or log (Cloud Logging structured lines)")
	fl.StringVar(&f.failOn, "fail-on", "error", "exit 1 when a finding is at or above this severity: error, warning, info or none")
	fl.StringArrayVar(&f.clusters, "cluster", nil, "inspect only this cluster (NAME or LOCATION/NAME); repeatable")
	fl.StringVar(&f.record, "record", "", "write every API response of the run to this new directory, raw: unredacted (env values, startup scripts, annotations), so keep it private (files 0600); --evidence writes a redacted bundle")
	fl.StringVar(&f.evidence, "evidence", "", "also write an evidence bundle (.tar.gz): every API response, redacted, with the call log and the report")
	fl.StringVar(&f.health, "health", gcp.HealthAuto, "backend health to read with getHealth: auto (every group up to --health-budget calls, else those that matter most first), all (every group, paced) or none")
	fl.IntVar(&f.healthBudget, "health-budget", gcp.DefaultHealthBudget, "most getHealth calls of --health auto, per project")
	fl.StringArrayVar(&f.namespaces, "namespace", nil, "report only on this namespace's objects and the load balancers that serve them; repeatable")
	fl.StringArrayVar(&f.ingresses, "ingress", nil, "report only on this Ingress (NS/NAME) and what it uses; repeatable")
	fl.StringArrayVar(&f.gateways, "gateway", nil, "report only on this Gateway (NS/NAME) and what it uses; repeatable")
	fl.StringSliceVar(&f.rules, "rules", nil, "judge with only these rules: IDs or FAMILY/* (families: "+strings.Join(rules.Families(), ", ")+"); comma list, repeatable. Reads only skipped rules need are not made")
	fl.StringSliceVar(&f.skipRules, "skip-rules", nil, "do not judge with these rules (IDs or FAMILY/*); comma list, repeatable")
	fl.StringVar(&f.minSeverity, "min-severity", "info", "judge only with rules of at least this severity, and report only findings at or above it: error, warning or info")
	fl.StringVar(&f.ignoreFile, "ignore-file", "", "suppress the findings this YAML file's entries name (a path or gs://BUCKET/OBJECT; default: "+ignore.DefaultFile+" in the working directory, when present); each entry has a fingerprint or a rule selector, a reason and an expires date")
	fl.StringVar(&f.explainPassed, "explain-passed", "", "instead of the report, print every rule that judged this resource and its verdict (KIND NAMESPACE/NAME, NAMESPACE/NAME, NAME or a resource URL), and where rules could not check")
	fl.Var(&f.metrics, "metrics", "also read this window of Cloud Monitoring (at most 168h, e.g. 1h): each Application Load Balancer's requests, server errors and p95 backend latency, as the impact of the findings on it (busiest first, idle ones marked) and the rule lb-5xx-rate (a recording replays with the window it was recorded with)")
	fl.Float64Var(&f.max5xxRatio, "max-5xx-ratio", gcp.DefaultMax5xxRatio, "with --metrics, the ratio of server errors above which lb-5xx-rate reports a load balancer")
	fl.Var(&f.changes, "changes", "also read this window of Admin Activity audit logs (at most 30d, e.g. 7d or 24h; --logs without it means 7d): the last changes to each finding's resources, who made them and when (a recording replays with the window it was recorded with)")
	fl.BoolVar(&f.showPrincipals, "show-principals", false, "with --changes, show the callers' whole emails instead of their domains")
	fl.BoolVar(&f.networkAnalyzer, "network-analyzer", false, "also read Network Analyzer's load-balancer insights (Recommender API, global and the load balancers' regions) as a second opinion: each insight becomes evidence of lbdiag's finding on the same resource, or the finding network-analyzer-insight when lbdiag has none (a recording replays them when it holds them)")
	fl.BoolVar(&f.noDNS, "no-dns", false, "do not resolve the domains of Google-managed certificates that are not ACTIVE (A, AAAA, CAA) and the hosts of external Ingresses and Gateways (A, AAAA); by default lbdiag asks the system's resolver (/etc/resolv.conf), and a replay answers from the recording")
	fl.StringVar(&f.resolver, "resolver", "", "resolve certificates' domains and hosts with this DNS server (HOST[:PORT], default port 53) instead of the system's")
	fl.StringVar(&f.stats, "stats", "", "write the phases' wall and CPU times of a one-project run to this file (for benchmarks)")
	fl.MarkHidden("stats")
	fl.StringVar(&f.cpuProfile, "cpu-profile", "", "write a CPU profile of the run to this file (go tool pprof)")
	fl.StringVar(&f.heapProfile, "heap-profile", "", "write a heap profile to this file once the rules have run, with the inventory, findings and verdicts held (go tool pprof)")
	fl.MarkHidden("cpu-profile")
	fl.MarkHidden("heap-profile")
	return cmd
}

var formats = map[string]bool{"table": true, "json": true, "csv": true, "html": true, "log": true}

// invocation is what one inspect command decided: the run's config, how
// to print it, and whether it is a fleet (several projects).
type invocation struct {
	env    *environment
	f      *inspectFlags
	format string
	multi  bool
	cfg    run.Config
}

func runInspect(ctx context.Context, env *environment, f *inspectFlags) (*outcome, error) {
	stop, err := startProfiles(f.cpuProfile, f.stats)
	if err != nil {
		return nil, err
	}
	defer stop()
	clock, err := newClock(f.now)
	if err != nil {
		return nil, err
	}
	inv := &invocation{env: env, f: f, format: strings.ToLower(f.format)}
	cfg := &inv.cfg
	*cfg = run.Config{Tool: tool(), Clock: clock, Clusters: f.clusters, ParallelProjects: f.parallelProjects,
		Health: f.health, HealthBudget: f.healthBudget, Baseline: f.baseline, Record: f.record, Evidence: f.evidence, Stats: f.stats,
		Focus: inventory.Focus{Namespaces: f.namespaces, Ingresses: f.ingresses, Gateways: f.gateways},
		Flags: evidenceFlags(f), Notices: env.stderr}
	if f.heapProfile != "" {
		// Where the heap peaks: the inventory, the rules' findings and
		// verdicts all held. Projects run side by side write in turn; the
		// last one's stays.
		var mu sync.Mutex
		cfg.AfterRules = func() {
			mu.Lock()
			defer mu.Unlock()
			writeHeapProfile(f.heapProfile, env.stderr)
		}
	}
	f.sourceFlags.config(cfg)
	if !formats[inv.format] {
		return nil, usagef("--format %q: want table, json, csv, html or log", f.format)
	}
	cfg.Policy.None = strings.EqualFold(f.failOn, "none")
	if !cfg.Policy.None {
		s, err := inspect.ParseSeverity(f.failOn)
		if err != nil {
			return nil, usagef("--fail-on %q: want error, warning, info or none", f.failOn)
		}
		cfg.Policy.Threshold = s
	}
	if err := inv.validate(); err != nil {
		return nil, err
	}
	if err := inv.selectRules(); err != nil {
		return nil, err
	}
	cfg.Metrics, cfg.Max5xxRatio, cfg.Changes, cfg.ShowPrincipals = time.Duration(f.metrics), f.max5xxRatio, time.Duration(f.changes), f.showPrincipals
	if f.logs > 0 && f.changes == 0 {
		cfg.Changes = gcp.DefaultChangesWindow
	}
	cfg.NetworkAnalyzer = f.networkAnalyzer
	cfg.DNS, cfg.NoDNS = !f.noDNS, f.noDNS
	if f.resolver != "" {
		if f.noDNS {
			return nil, usagef("--resolver and --no-dns: choose one")
		}
		if cfg.Resolver, err = resolverAddress(f.resolver); err != nil {
			return nil, err
		}
	}
	if cfg.Shard, err = parseShard(f.shard, env.getenv); err != nil {
		return nil, err
	}
	cfg.RunID = firstNonEmpty(env.getenv("CLOUD_RUN_EXECUTION"), clock().UTC().Format("20060102T150405Z"))
	if env.isTTY != nil && env.isTTY(env.stderrFd) {
		cfg.Progress = env.stderr
	}

	// The recording of --demo and --replay names its one project.
	if f.demo || f.replay != "" {
		cleanup, err := f.useRecording(cfg)
		if err != nil {
			return nil, err
		}
		defer cleanup()
		if f.resolver != "" {
			fmt.Fprintln(env.stderr, "lbdiag: --resolver: a recording is not resolved again; its DNS answers are judged")
		}
	} else {
		if err := f.useAPIs(ctx, env, cfg); err != nil {
			return nil, err
		}
		// Which projects: the listed ones, an organization's or folder's,
		// or the one project of --project.
		switch {
		case len(f.projects) > 0:
			cfg.Projects = f.projects
		case f.organization != "":
			cfg.Parent = "organizations/" + f.organization
		case f.folder != "":
			cfg.Parent = "folders/" + f.folder
		default:
			project := f.project
			if project == "" {
				p, err := gcp.DefaultProject(env.getenv)
				if err != nil {
					return nil, usagef("%v", err)
				}
				project = p
			}
			cfg.Projects = []string{project}
		}
	}
	if err := inv.loadIgnores(ctx); err != nil {
		return nil, err
	}
	if f.output != "" {
		store, err := output.Open(ctx, f.output, cfg.TokenSource, cfg.UserAgent())
		if err != nil {
			return nil, usagef("%v", err)
		}
		defer store.Close()
		cfg.Output = store
	}

	fleet, err := run.Inspect(ctx, *cfg)
	if err != nil {
		return nil, err
	}
	if f.explainPassed != "" {
		return inv.explainPassed(fleet)
	}
	if err := inv.print(fleet); err != nil {
		return nil, fmt.Errorf("writing report: %w", err)
	}
	return &outcome{code: fleet.ExitCode}, nil
}

// validate rejects flag combinations that cannot mean anything.
func (r *invocation) validate() error {
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
	if f.healthBudget < 0 {
		return usagef("--health-budget must not be negative")
	}
	if err := f.sourceFlags.validate(); err != nil {
		return err
	}
	for _, ref := range append(append([]string{}, f.ingresses...), f.gateways...) {
		if ns, name, ok := strings.Cut(ref, "/"); !ok || ns == "" || name == "" || strings.Contains(name, "/") {
			return usagef("--ingress and --gateway take NAMESPACE/NAME, not %q", ref)
		}
	}
	metrics, changes := time.Duration(f.metrics), time.Duration(f.changes)
	switch {
	case metrics < 0 || metrics > gcp.MaxMetricsWindow || (metrics > 0 && metrics < time.Minute):
		return usagef("--metrics %s: give a window from 1m to 7d (e.g. 1h)", metrics)
	case changes < 0 || changes > gcp.MaxChangesWindow:
		return usagef("--changes %s: give a window up to 30d (e.g. 7d)", changes)
	case f.max5xxRatio <= 0 || f.max5xxRatio >= 1:
		return usagef("--max-5xx-ratio %g: give a ratio between 0 and 1 (0.01 is 1 %%)", f.max5xxRatio)
	}
	// A bundle is for others to read: it keeps callers' domains only.
	if f.showPrincipals && f.evidence != "" {
		return usagef("--show-principals and --evidence: an evidence bundle keeps only the callers' domains; drop one")
	}
	if f.explainPassed != "" {
		if r.multi {
			return usagef("--explain-passed answers for one project: use it with --project, --demo or --replay")
		}
		if _, err := report.ParseResourceQuery(f.explainPassed); err != nil {
			return usagef("--explain-passed: %v", err)
		}
	}
	for _, id := range []string{f.organization, f.folder} {
		if id != "" && strings.Trim(id, "0123456789") != "" {
			return usagef("--organization and --folder take numeric IDs, not %q", id)
		}
	}
	return nil
}

// selectRules resolves --rules, --skip-rules and --min-severity.
func (r *invocation) selectRules() error {
	f := r.f
	floor, err := inspect.ParseSeverity(f.minSeverity)
	if err != nil {
		return usagef("--min-severity %q: want error, warning or info", f.minSeverity)
	}
	sel := rules.Selection{Rules: f.rules, Skip: f.skipRules, MinSeverity: floor}
	if sel.Empty() {
		return nil
	}
	// suppression-expired keeps an ignore file honest: it runs unless
	// --skip-rules names it.
	if len(sel.Rules) > 0 {
		sel.Rules = append(sel.Rules, config.SuppressionExpired.ID)
	}
	selected, err := rules.Select(rules.All(), sel)
	if err != nil {
		return usagef("%v", err)
	}
	if len(selected) == 0 {
		return usagef("--rules, --skip-rules and --min-severity leave no rule to judge with")
	}
	r.cfg.Rules, r.cfg.MinSeverity = selected, floor
	return nil
}

// loadIgnores reads --ignore-file, or ./.lbdiag-ignore.yaml when present.
func (r *invocation) loadIgnores(ctx context.Context) error {
	file := r.f.ignoreFile
	if file == "" {
		if _, err := os.Stat(ignore.DefaultFile); err != nil {
			return nil
		}
		file = ignore.DefaultFile
	}
	b, err := output.ReadFile(ctx, file, r.cfg.TokenSource, r.cfg.UserAgent(), ignore.MaxSize)
	if err != nil {
		return usagef("--ignore-file %s: %v", file, err)
	}
	var ids []string
	for _, rule := range rules.All() {
		ids = append(ids, rule.ID)
	}
	entries, err := ignore.Parse(file, b, ids)
	if err != nil {
		return usagef("--ignore-file %v", err)
	}
	r.cfg.Ignores = &inventory.Ignores{File: file, Entries: entries}
	return nil
}

// explainPassed prints --explain-passed for the run's one project; the
// exit code is the run's.
func (r *invocation) explainPassed(fleet *report.Fleet) (*outcome, error) {
	q, _ := report.ParseResourceQuery(r.f.explainPassed)
	for _, rep := range fleet.Projects {
		if _, err := report.ExplainPassed(r.env.stdout, rep, q); err != nil {
			return nil, err
		}
	}
	return &outcome{code: fleet.ExitCode}, nil
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

// print writes the report in --format on stdout.
func (r *invocation) print(fleet *report.Fleet) error {
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
			return report.WriteLog(w, &report.Fleet{RunID: fleet.RunID, Projects: fleet.Projects, Ignore: fleet.Ignore})
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
		return report.WriteLog(w, fleet)
	}
	return report.WriteFleetTable(w, fleet, tableOptions(r.env))
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
	if len(f.rules) > 0 {
		m["rules"] = strings.Join(f.rules, ",")
	}
	if f.metrics > 0 {
		m["metrics"] = f.metrics.String()
	}
	if f.changes > 0 {
		m["changes"] = f.changes.String()
	}
	if f.networkAnalyzer {
		m["network-analyzer"] = "true"
	}
	if len(f.skipRules) > 0 {
		m["skip-rules"] = strings.Join(f.skipRules, ",")
	}
	if f.noDNS {
		m["no-dns"] = "true"
	}
	if f.minSeverity != "" && f.minSeverity != "info" {
		m["min-severity"] = f.minSeverity
	}
	return m
}
