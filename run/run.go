// Package run is one lbdiag run as a library: which projects, read how
// (live or from a recording), judged by which rules, compared with which
// baseline, and written where. The command line parses and validates its
// flags into a Config, calls Inspect and prints the fleet; tests and the
// fixtures call Project. It prints nothing itself but the notices it is
// given a writer for.
//
// The data flows one way: gcp collects an inventory, the rules judge it,
// report renders the findings.
package run

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/sync/errgroup"

	"github.com/lbdiag/lbdiag/gcp"
	"github.com/lbdiag/lbdiag/gcp/recording"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/inspect/rules"
	"github.com/lbdiag/lbdiag/internal/untrusted"
	"github.com/lbdiag/lbdiag/inventory"
	"github.com/lbdiag/lbdiag/output"
	"github.com/lbdiag/lbdiag/report"
)

// Endpoints override the Google APIs' base URLs ("" for the public one).
type Endpoints struct {
	Compute, Container, ResourceManager, Logging, CertificateManager, Monitoring string
	// Recommender is the Recommender API's (--network-analyzer).
	Recommender string
}

// Config is everything one run decides. The zero value of a limit means
// its default.
type Config struct {
	// Tool identifies lbdiag in reports, recordings and, as
	// "Name/Version", in the user agent of every request.
	Tool report.Tool
	// Clock is the run's time source; nil means the system clock. Tests
	// fix it, so that no outcome depends on the date.
	Clock func() time.Time

	// Replay, when set, answers every call from a recording (--demo,
	// --replay) and the run inspects its one project; otherwise the APIs
	// are called at Endpoints with TokenSource.
	Replay      *recording.Recording
	Endpoints   Endpoints
	TokenSource oauth2.TokenSource

	// Projects are the projects to inspect; with Parent
	// ("organizations/N" or "folders/N") every ACTIVE project under it,
	// nested folders included. Shard takes this task's share of them, and
	// ParallelProjects are inspected at once (default 4). RunID names the
	// run in outputs.
	Projects         []string
	Parent           string
	Shard            report.Shard
	ParallelProjects int
	RunID            string

	// Clusters narrows a project to these clusters (NAME or
	// LOCATION/NAME); Focus narrows the report to these objects.
	Clusters []string
	Focus    inventory.Focus

	// Timeout bounds the API calls of each project (default 5 minutes).
	// Health, HealthBudget, MaxQPS and KubePageSize are gcp.Options'.
	Timeout      time.Duration
	Health       string
	HealthBudget int
	MaxQPS       float64
	KubePageSize int
	// Logs is the window of Cloud Logging to read (0: none; a recording
	// replays with the window it was recorded with); LogEntries caps the
	// entries read per backend service and query.
	Logs       time.Duration
	LogEntries int
	// Metrics is the window of Cloud Monitoring to read (0: none; a
	// recording replays with its own); Max5xxRatio is the server-error
	// ratio above which lb-5xx-rate reports a load balancer. Changes is
	// the window of Admin Activity audit entries (0: none, but a
	// recording's own), ShowPrincipals keeps callers' emails whole.
	Metrics        time.Duration
	Max5xxRatio    float64
	Changes        time.Duration
	ShowPrincipals bool
	// NetworkAnalyzer reads Network Analyzer's load-balancer insights (a
	// recording replays them when it holds them).
	NetworkAnalyzer bool
	// DNS resolves, in a live run, the domains of the Google-managed
	// certificates that are not ACTIVE and the hosts of external Ingresses
	// and Gateways, at Resolver (HOST:PORT; "" is the system's resolver).
	// NoDNS turns the lookups off, and a replay's too, and the coverage
	// says so; without it a replay answers them from the recording.
	DNS      bool
	Resolver string
	NoDNS    bool
	// ClusterEndpoint, ClusterConnectTimeout and Kubeconfig say how to
	// reach the clusters' APIs (gcp.Options').
	ClusterEndpoint       string
	ClusterConnectTimeout time.Duration
	Kubeconfig            string

	// Rules are the rules the run judges with (nil: the whole catalogue);
	// the optional reads none of them needs are not made. MinSeverity,
	// when set, also drops findings below it.
	Rules       []*inspect.Rule
	MinSeverity inspect.Severity
	// Ignores, when set, are the ignore file's suppressions; Now is set
	// from Clock when zero.
	Ignores *inventory.Ignores

	// Policy says which findings fail a project. Baseline, when set, is
	// "auto" (each project's latest.json in Output) or a report file: the
	// findings are then new or ongoing, and only new ones fail.
	Policy   report.Policy
	Baseline string

	// Output, when set, receives each project's report (latest and this
	// run's) and the shard's summary.
	Output output.Store
	// Record, when set, is a new directory that receives every raw answer
	// of a one-project run; Evidence a redacted bundle of them, with the
	// report. Flags are the command line recorded in the bundle (never a
	// credential).
	Record   string
	Evidence string
	Flags    map[string]string
	// Stats, when set, receives the phases' wall and CPU times of a
	// one-project run (for benchmarks).
	Stats string
	// AfterRules, when set, is called once each project's rules have run,
	// while its inventory and findings are held (for a heap profile).
	AfterRules func()

	// Notices receives what people should know of the run's side effects
	// (a recording written); Progress, what it is doing (set it only for a
	// terminal). Nil writers are silent.
	Notices  io.Writer
	Progress io.Writer
}

// UserAgent is the user agent of every request of the run.
func (c *Config) UserAgent() string {
	if c.Tool.Name == "" {
		return "lbdiag"
	}
	return c.Tool.Name + "/" + c.Tool.Version
}

func (c *Config) now() time.Time {
	if c.Clock != nil {
		return c.Clock()
	}
	return time.Now()
}

func (c *Config) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return 5 * time.Minute
}

func (c *Config) notify(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, "lbdiag: "+format+"\n", args...)
	}
}

// ErrProjectNotFound is returned (wrapped, naming the project) when both
// Compute Engine and GKE answer that a project does not exist.
var ErrProjectNotFound = errors.New("project not found")

type projectNotFound struct{ project string }

func (e *projectNotFound) Error() string {
	return fmt.Sprintf("project %q was not found: Compute Engine and GKE both answered that it does not exist; check the project ID", e.project)
}

func (e *projectNotFound) Is(target error) bool { return target == ErrProjectNotFound }

// Inspect runs the whole fleet of the config: enumerates the projects,
// takes the shard's share, inspects each, and writes the outputs. Its
// error means the run could not mean anything (a project that does not
// exist, an output that cannot be written); every read that failed is a
// coverage gap in the reports instead.
func Inspect(ctx context.Context, cfg Config) (*report.Fleet, error) {
	started := cfg.now()
	projects, gaps, err := cfg.projects(ctx)
	if err != nil {
		return nil, err
	}
	projects = cfg.Shard.Of(projects)

	reports := make([]*report.Report, len(projects))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(1, cmp(cfg.ParallelProjects, 4)))
	for i, p := range projects {
		g.Go(func() error {
			rep, err := Project(gctx, cfg, p)
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

	fleet := &report.Fleet{SchemaVersion: report.SchemaVersion, Tool: cfg.Tool,
		StartedAt: started.UTC(), FinishedAt: cfg.now().UTC(), RunID: cfg.RunID, Shard: cfg.Shard,
		Coverage: report.FleetCoverage(gaps), Projects: reports}
	judge, why := cfg.staleJudgement(reports)
	fleet.Ignore = report.StaleInRun(cfg.Ignores, reports, judge, why)
	codes := []int{}
	for _, rep := range reports {
		codes = append(codes, rep.Exit)
	}
	for _, c := range gaps {
		if c.Gap() && !cfg.Policy.None {
			codes = append(codes, report.ExitIncomplete)
		}
	}
	fleet.ExitCode = report.WorstExit(codes...)
	if cfg.Output != nil {
		if err := writeOutputs(ctx, cfg, fleet); err != nil {
			return nil, err
		}
	}
	return fleet, nil
}

func cmp(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// projects lists the run's projects: the recording's, the listed ones
// (sorted, deduplicated), or those under Parent, with the folders that
// could not be listed.
func (c *Config) projects(ctx context.Context) ([]string, inventory.CoverageSet, error) {
	switch {
	case c.Replay != nil:
		return []string{c.Replay.Manifest.Project}, nil, nil
	case c.Parent != "":
		opts := gcp.Options{TokenSource: c.TokenSource, UserAgent: c.UserAgent(), Clock: c.Clock}
		cctx, cancel := context.WithTimeout(ctx, c.timeout())
		defer cancel()
		return gcp.ListProjects(cctx, opts, c.Endpoints.ResourceManager, c.Parent)
	}
	var out []string
	for _, p := range c.Projects {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	var uniq []string
	for i, p := range out {
		if i == 0 || p != out[i-1] {
			uniq = append(uniq, p)
		}
	}
	return uniq, nil, nil
}

// collectError is what a collection's error means for the run: a
// project that does not exist, the error itself, or an interrupt.
func collectError(ctx context.Context, project string, err error) error {
	switch {
	case errors.Is(err, gcp.ErrProjectNotFound):
		return &projectNotFound{project: project}
	case err != nil:
		return err
	case ctx.Err() != nil:
		return errors.New("interrupted")
	}
	return nil
}

// options are the collection options of one project.
func (c *Config) options(project string) gcp.Options {
	logs, metrics, changes, analyzer := c.Logs, c.Metrics, c.Changes, c.NetworkAnalyzer
	if c.Replay != nil {
		// A recording of a run with --logs, --metrics or --changes
		// replays with its windows (the demo holds an hour of logs and
		// metrics, and a week of changes).
		if logs == 0 {
			logs = c.Replay.Manifest.LogsWindow()
		}
		if metrics == 0 {
			metrics = c.Replay.Manifest.MetricsWindow()
		}
		if changes == 0 {
			changes = c.Replay.Manifest.ChangesWindow()
		}
		analyzer = analyzer || c.Replay.Manifest.NetworkAnalyzer
	}
	return gcp.Options{Project: project, Clusters: c.Clusters, UserAgent: c.UserAgent(), Clock: c.Clock, Replay: c.Replay,
		ComputeEndpoint: c.Endpoints.Compute, ContainerEndpoint: c.Endpoints.Container, TokenSource: c.TokenSource,
		Health: c.Health, HealthBudget: c.HealthBudget, MaxQPS: c.MaxQPS, KubePageSize: c.KubePageSize,
		Logs: logs, LoggingEndpoint: c.Endpoints.Logging, LogEntryCap: c.LogEntries, Focus: c.Focus,
		ClusterEndpoint: c.ClusterEndpoint, ClusterConnectTimeout: c.ClusterConnectTimeout, Kubeconfig: c.Kubeconfig,
		ResourceManagerEndpoint: c.Endpoints.ResourceManager, CertificateManagerEndpoint: c.Endpoints.CertificateManager,
		Ignores: c.ignores(), Skip: c.skippedReads(), DNS: c.DNS, Resolver: c.Resolver,
		Metrics: metrics, MonitoringEndpoint: c.Endpoints.Monitoring, Max5xxRatio: c.Max5xxRatio, Changes: changes, ShowPrincipals: c.ShowPrincipals,
		NetworkAnalyzer: analyzer, RecommenderEndpoint: c.Endpoints.Recommender}
}

// narrowed says how the run sees only part of what an ignore file
// covers, besides its shard, or "" when it sees all of it.
func (c *Config) narrowed() string {
	var why []string
	if c.Rules != nil {
		why = append(why, "the rules were selected")
	}
	if c.MinSeverity > inspect.Info {
		why = append(why, "findings below "+c.MinSeverity.String()+" were dropped")
	}
	if !c.Focus.Empty() {
		why = append(why, "the run was focused on namespaces or objects")
	}
	if len(c.Clusters) > 0 {
		why = append(why, "the clusters were selected")
	}
	if len(why) == 0 {
		return ""
	}
	return "the run saw part of what the file covers (" + strings.Join(why, "; ") + ")"
}

// staleJudgement says which entries of the ignore file the run may call
// stale, and, when not all, why. A run narrowed by rules, severity, focus
// or clusters judges none: an entry it did not use may be in use in what
// it did not see. A shard judges the entries that name one project it
// inspected (no glob): no other shard sees that project. The entries of a
// rule that judges only what an optional read brings (--logs, --metrics,
// --network-analyzer) are not judged when the run did not make the read.
func (c *Config) staleJudgement(reports []*report.Report) (judge func(inventory.IgnoreEntry) bool, why string) {
	if why := c.narrowed(); why != "" {
		return nil, "no entry is called stale: " + why
	}
	judge = func(inventory.IgnoreEntry) bool { return true }
	var whys []string
	if c.Shard.Count > 1 {
		inspected := map[string]bool{}
		for _, r := range reports {
			inspected[r.Project] = true
		}
		judge = func(e inventory.IgnoreEntry) bool { return inspected[e.Project] }
		whys = append(whys, fmt.Sprintf("only entries naming one project of this shard are called stale: this is shard %d of %d, and other shards may use the others", c.Shard.Index, c.Shard.Count))
	}
	// A rule that judges only what an optional read brings judged nothing
	// when the run did not make it: its entries are not stale.
	unread := map[string]bool{}
	for _, rule := range c.rules() {
		if rule.JudgesOnly == "" {
			continue
		}
		made := false
		for _, r := range reports {
			for _, cov := range r.Coverage {
				made = made || cov.Source == string(rule.JudgesOnly)
			}
		}
		if !made {
			unread[rule.ID] = true
		}
	}
	var named []string
	if c.Ignores != nil {
		for _, e := range c.Ignores.Entries {
			if unread[e.Rule] && !slices.Contains(named, e.Rule) {
				named = append(named, e.Rule)
			}
		}
	}
	if len(named) > 0 {
		slices.Sort(named)
		base := judge
		judge = func(e inventory.IgnoreEntry) bool { return base(e) && !unread[e.Rule] }
		whys = append(whys, "entries of "+strings.Join(named, ", ")+" are not judged: the run did not read what the rule judges (--logs, --metrics or --network-analyzer)")
	}
	return judge, strings.Join(whys, "; ")
}

// rules are the run's rules.
func (c *Config) rules() []*inspect.Rule {
	if c.Rules != nil {
		return c.Rules
	}
	return rules.All()
}

// skippedReads are the optional reads no rule of the run needs, and
// those the run turns off (--no-dns).
func (c *Config) skippedReads() map[inventory.Source]string {
	var skip map[inventory.Source]string
	if c.Rules != nil {
		skip = rules.SkippedReads(c.Rules)
	}
	if c.NoDNS {
		if skip == nil {
			skip = map[inventory.Source]string{}
		}
		skip[inventory.DNSLookups] = "--no-dns: the names of certificates and hosts were not resolved; the DNS rules stay silent"
	}
	return skip
}

// ignores are the run's suppressions, judged at the run's clock.
func (c *Config) ignores() *inventory.Ignores {
	if c.Ignores == nil {
		return nil
	}
	ig := *c.Ignores
	if ig.Now.IsZero() {
		ig.Now = c.now().UTC()
	}
	return &ig
}

// Project collects, inspects and reports one project, compares it with its
// baseline, and writes its recording or evidence bundle when asked.
func Project(ctx context.Context, cfg Config, project string) (*report.Report, error) {
	started := cfg.now()
	opts := cfg.options(project)
	if cfg.Record != "" || cfg.Evidence != "" {
		dir := cfg.Record
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
		newRecorder := recording.NewRecorder
		if cfg.Record == "" {
			// Kept only for the bundle: compressed, as the temporary
			// directory may be memory (a Cloud Run task's).
			newRecorder = recording.NewSpoolRecorder
		}
		recorder, err := newRecorder(dir)
		if err != nil {
			return nil, err
		}
		opts.Recorder, opts.CallLog = recorder, &recording.CallLog{}
	}
	if cfg.Replay == nil {
		cfg.notify(cfg.Progress, "reading project %s (Compute Engine, GKE and each cluster's Kubernetes API)...", project)
	}
	cctx, cancel := context.WithTimeout(ctx, cfg.timeout())
	defer cancel()
	collectStart, collectCPU := time.Now(), cpuTime()
	inv, err := gcp.Collect(cctx, opts)
	collectWall, collectCPUUsed := time.Since(collectStart), cpuTime()-collectCPU
	if err := collectError(ctx, project, err); err != nil {
		return nil, err
	}
	rulesStart, rulesCPU := time.Now(), cpuTime()
	res := inspect.Run(inv, cfg.rules())
	rulesWall, rulesCPUUsed := time.Since(rulesStart), cpuTime()-rulesCPU
	// The rules' shared indexes and working data are garbage now, and the
	// report is about to allocate as much again. Collected here, the heap
	// grows next from what the report holds, not from the rules' peak:
	// for one project at L, peak RSS 412-440 MiB instead of 451-530 at
	// 48db0c2, in the same wall time (README, "Memory"). With projects
	// side by side (--parallel-projects) the collection also marks the
	// others' heaps, and this project waits for it; nothing else changes.
	runtime.GC()
	if cfg.AfterRules != nil {
		cfg.AfterRules()
	}
	// The report's chains read only the inventory: they are drawn on
	// another CPU while the findings are enriched and the report built.
	chains := make(chan []inspect.Chain, 1)
	go func() { chains <- rules.Chains(inv) }()
	if cfg.Stats != "" {
		b, _ := untrusted.Marshal(map[string]float64{"collectWallSeconds": collectWall.Seconds(), "collectCPUSeconds": collectCPUUsed.Seconds(),
			"rulesWallSeconds": rulesWall.Seconds(), "rulesCPUSeconds": rulesCPUUsed.Seconds()}, "")
		if err := os.WriteFile(cfg.Stats, b, 0o644); err != nil {
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
		verdicts := res.Verdicts[:0]
		for _, v := range res.Verdicts {
			if keep(inspect.Finding{Rule: v.Rule, Resource: *v.Resource}) {
				verdicts = append(verdicts, v)
			}
		}
		res.Verdicts = verdicts
	}
	if cfg.MinSeverity > inspect.Info {
		kept := res.Findings[:0]
		for _, fd := range res.Findings {
			if fd.Severity >= cfg.MinSeverity {
				kept = append(kept, fd)
			}
		}
		res.Findings = kept
	}
	rules.Enrich(inv, res.Findings)
	finished := cfg.now()
	rep := report.New(cfg.Tool, inv, res, started, finished)
	rep.Chains = <-chains
	rep.Suppress(inv.Ignores)

	policy := cfg.Policy
	if cfg.Baseline != "" {
		base, err := readBaseline(ctx, cfg, project)
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
	if cfg.Record != "" {
		if err := writeRecording(cfg, opts, inv, recordedAt); err != nil {
			return nil, err
		}
		cfg.notify(cfg.Notices, "recorded the run in %s", cfg.Record)
	}
	if cfg.Evidence != "" {
		// The bundle's reports say which suppressions are stale as the
		// run says it (an evidence run inspects one project), not as
		// this report alone would: narrowed runs and rules that could
		// not check call none stale.
		judge, why := cfg.staleJudgement([]*report.Report{rep})
		report.StaleInRun(inv.Ignores, []*report.Report{rep}, judge, why)
		if err := writeEvidence(cfg, opts, inv, rep, recordedAt, finished); err != nil {
			return nil, err
		}
		cfg.notify(cfg.Notices, "wrote the evidence bundle %s", cfg.Evidence)
	}
	return rep, nil
}
