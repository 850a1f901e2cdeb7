package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/lbdiag/lbdiag/fixtures"
	"github.com/lbdiag/lbdiag/gcp"
	"github.com/lbdiag/lbdiag/gcp/recording"
	"github.com/lbdiag/lbdiag/report"
	"github.com/lbdiag/lbdiag/run"
)

// What the commands share: the clock, the endpoints' validation, the
// recordings of --demo and --replay, the table's width.

// checkEndpoint validates an API base URL given by flag or environment:
// an absolute http or https URL, ending in suffix when one is required.
func checkEndpoint(api, endpoint, suffix string) error {
	if endpoint == "" {
		return nil
	}
	// An endpoint is recorded in evidence bundles: it holds no secret (no
	// user or password, no query, where API keys go), and no error
	// repeats what was given, which may hold one.
	u, err := url.Parse(endpoint)
	if err == nil && (u.User != nil || strings.Contains(u.Opaque, "@")) {
		return usagef("--%s-endpoint: give the URL without a user or password (the token authenticates)", api)
	}
	if err == nil && (u.RawQuery != "" || u.ForceQuery || u.Fragment != "") {
		return usagef("--%s-endpoint: give the URL without a query or fragment (the token authenticates)", api)
	}
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return usagef("--%s-endpoint is not an http or https URL such as https://%s.googleapis.com/", api, api)
	}
	if suffix != "" && !strings.HasSuffix(u.Path, suffix) {
		return usagef("--%s-endpoint %s://%s%s must end in %s", api, u.Scheme, u.Host, u.Path, suffix)
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

// loadRecording loads the recording of --demo (embedded) or --replay (a
// directory or bundle), and what releases it.
func loadRecording(demo bool, replay string) (*recording.Recording, func(), error) {
	if demo {
		rec, err := recording.Load(fixtures.Demo())
		if err != nil {
			return nil, nil, fmt.Errorf("loading the demo project: %w", err)
		}
		return rec, func() {}, nil
	}
	rec, cleanup, err := recording.LoadPath(replay)
	if err != nil {
		return nil, nil, usagef("--replay %s: %v", replay, err)
	}
	return rec, cleanup, nil
}

// tableOptions sizes the table to the terminal, or $COLUMNS.
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

// window is a duration flag that also takes days ("7d", "1d12h"), as
// windows of logs and changes are said.
type window time.Duration

func (w *window) String() string { return time.Duration(*w).String() }
func (w *window) Type() string   { return "duration" }

func (w *window) Set(v string) error {
	d, err := parseWindow(v)
	if err != nil {
		return err
	}
	*w = window(d)
	return nil
}

// parseWindow reads a Go duration, optionally led by a number of days.
func parseWindow(v string) (time.Duration, error) {
	var days int64
	rest := v
	if i := strings.Index(v, "d"); i > 0 {
		n, err := strconv.ParseInt(v[:i], 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%q is not a duration such as 1h, 7d or 1d12h", v)
		}
		days, rest = n, v[i+1:]
	}
	d := time.Duration(0)
	if rest != "" {
		var err error
		if d, err = time.ParseDuration(rest); err != nil {
			return 0, fmt.Errorf("%q is not a duration such as 1h, 7d or 1d12h", v)
		}
	}
	return time.Duration(days)*24*time.Hour + d, nil
}

// sourceFlags are the flags every command that reads a project shares:
// where to read (the APIs, a recording, the demo), with which credentials,
// how fast and for how long, and how to reach the clusters.
type sourceFlags struct {
	project             string
	timeout             time.Duration
	computeEndpoint     string
	containerEndpoint   string
	crmEndpoint         string
	loggingEndpoint     string
	certEndpoint        string
	monitorEndpoint     string
	recommenderEndpoint string
	accessTokenFile     string
	replay              string
	demo                bool
	now                 string
	maxQPS              float64
	kubePageSize        int
	logs                time.Duration
	logEntries          int
	clusterEndpoint     string
	connectTimeout      time.Duration
	kubeconfig          string
}

// register defines the flags; verb is what the command does to a project
// ("inspect", "trace in"), logsHelp what --logs reads for it.
func (s *sourceFlags) register(fl *pflag.FlagSet, verb, logsHelp string) {
	fl.StringVar(&s.project, "project", "", "project to "+verb+" (default: CLOUDSDK_CORE_PROJECT, GOOGLE_CLOUD_PROJECT, or gcloud's core/project)")
	fl.DurationVar(&s.timeout, "timeout", 5*time.Minute, "give up on API calls still running after this long and report what was read")
	fl.StringVar(&s.computeEndpoint, "compute-endpoint", "", "Compute Engine API base URL ending in /compute/v1/ (default: $CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE or the public endpoint)")
	fl.StringVar(&s.containerEndpoint, "container-endpoint", "", "GKE API base URL (default: $CLOUDSDK_API_ENDPOINT_OVERRIDES_CONTAINER or the public endpoint)")
	fl.StringVar(&s.crmEndpoint, "resourcemanager-endpoint", "", "Cloud Resource Manager API base URL (default: $CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDRESOURCEMANAGER or the public endpoint)")
	fl.StringVar(&s.loggingEndpoint, "logging-endpoint", "", "Cloud Logging API base URL (default: $CLOUDSDK_API_ENDPOINT_OVERRIDES_LOGGING or the public endpoint)")
	fl.StringVar(&s.certEndpoint, "certificatemanager-endpoint", "", "Certificate Manager API base URL (default: $CLOUDSDK_API_ENDPOINT_OVERRIDES_CERTIFICATEMANAGER or the public endpoint); read only when a Gateway names a certificate map")
	fl.StringVar(&s.monitorEndpoint, "monitoring-endpoint", "", "Cloud Monitoring API base URL (default: $CLOUDSDK_API_ENDPOINT_OVERRIDES_MONITORING or the public endpoint); read only with --metrics")
	fl.StringVar(&s.recommenderEndpoint, "recommender-endpoint", "", "Recommender API base URL (default: $CLOUDSDK_API_ENDPOINT_OVERRIDES_RECOMMENDER or the public endpoint); read only with --network-analyzer")
	fl.StringVar(&s.accessTokenFile, "access-token-file", "", "file holding an OAuth access token to use instead of Application Default Credentials (default: $CLOUDSDK_AUTH_ACCESS_TOKEN_FILE)")
	fl.StringVar(&s.replay, "replay", "", verb+" a recording (--record directory or --evidence bundle) instead of calling the APIs")
	fl.BoolVar(&s.demo, "demo", false, verb+" the embedded demo project (no credentials needed)")
	fl.Float64Var(&s.maxQPS, "max-qps", gcp.DefaultMaxQPS, "requests a second to each Google API, per project (Compute Engine's default read quota is about 1,500 a minute)")
	fl.DurationVar(&s.logs, "logs", 0, logsHelp)
	fl.IntVar(&s.logEntries, "log-entries", gcp.DefaultLogEntryCap, "most request log entries read per backend service, and entries per health-check or passthrough log query (--logs)")
	fl.StringVar(&s.clusterEndpoint, "cluster-endpoint", gcp.EndpointAuto, "how to reach each cluster's Kubernetes API: auto (a --kubeconfig context, then the public IP, the DNS endpoint, the Connect gateway, the private IP, the first that answers), dns, public, private or connect-gateway")
	fl.DurationVar(&s.connectTimeout, "cluster-connect-timeout", gcp.DefaultConnectTimeout, "give up on one path to a cluster after this long (a public IP behind authorized networks never answers)")
	fl.StringVar(&s.kubeconfig, "kubeconfig", "", "kubeconfig files (a list, as KUBECONFIG); a cluster's context named gke_PROJECT_LOCATION_CLUSTER (gcloud's) is tried first, with its server, CA, proxy-url and credentials")
	fl.StringVar(&s.now, "now", "", "run as if the clock read this RFC 3339 time (for tests and reproductions)")
	fl.MarkHidden("now")
	fl.IntVar(&s.kubePageSize, "kube-page-size", 0, "limit of each Kubernetes list request (default 500; small values exercise paging in tests)")
	fl.MarkHidden("kube-page-size")
}

// validate rejects values of the shared flags that cannot mean anything.
func (s *sourceFlags) validate() error {
	switch {
	case s.timeout <= 0:
		return usagef("--timeout must be positive")
	case s.maxQPS <= 0:
		return usagef("--max-qps must be positive")
	case s.logs < 0 || s.logs > gcp.MaxLogWindow:
		return usagef("--logs %s: give a window up to 24h (e.g. 1h)", s.logs)
	case s.logEntries <= 0:
		return usagef("--log-entries must be positive")
	case !slices.Contains(gcp.ClusterEndpoints, s.clusterEndpoint):
		return usagef("--cluster-endpoint %q: want %s", s.clusterEndpoint, strings.Join(gcp.ClusterEndpoints, ", "))
	case s.connectTimeout <= 0:
		return usagef("--cluster-connect-timeout must be positive")
	}
	for _, k := range filepath.SplitList(s.kubeconfig) {
		if _, err := os.Stat(k); err != nil {
			return usagef("--kubeconfig: %v", err)
		}
	}
	return nil
}

// config fills the run's settings the shared flags decide.
func (s *sourceFlags) config(cfg *run.Config) {
	cfg.Timeout, cfg.MaxQPS, cfg.KubePageSize = s.timeout, s.maxQPS, s.kubePageSize
	cfg.Logs, cfg.LogEntries = s.logs, s.logEntries
	cfg.ClusterEndpoint, cfg.ClusterConnectTimeout, cfg.Kubeconfig = s.clusterEndpoint, s.connectTimeout, s.kubeconfig
}

// useRecording loads --demo or --replay into the run, checking --project
// against the recording's; it returns what releases the recording.
func (s *sourceFlags) useRecording(cfg *run.Config) (func(), error) {
	rec, cleanup, err := loadRecording(s.demo, s.replay)
	if err != nil {
		return nil, err
	}
	if s.project != "" && s.project != rec.Manifest.Project {
		cleanup()
		return nil, usagef("--project %s: the recording is of project %s", s.project, rec.Manifest.Project)
	}
	cfg.Replay = rec
	return cleanup, nil
}

// useAPIs points the run at the APIs (flags, then gcloud's environment
// overrides) with the credentials of --access-token-file or ADC.
func (s *sourceFlags) useAPIs(ctx context.Context, env *environment, cfg *run.Config) error {
	e := &cfg.Endpoints
	e.Compute = firstNonEmpty(s.computeEndpoint, env.getenv("CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE"))
	e.Container = firstNonEmpty(s.containerEndpoint, env.getenv("CLOUDSDK_API_ENDPOINT_OVERRIDES_CONTAINER"))
	e.ResourceManager = firstNonEmpty(s.crmEndpoint, env.getenv("CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDRESOURCEMANAGER"))
	e.Logging = firstNonEmpty(s.loggingEndpoint, env.getenv("CLOUDSDK_API_ENDPOINT_OVERRIDES_LOGGING"))
	e.CertificateManager = firstNonEmpty(s.certEndpoint, env.getenv("CLOUDSDK_API_ENDPOINT_OVERRIDES_CERTIFICATEMANAGER"))
	e.Monitoring = firstNonEmpty(s.monitorEndpoint, env.getenv("CLOUDSDK_API_ENDPOINT_OVERRIDES_MONITORING"))
	e.Recommender = firstNonEmpty(s.recommenderEndpoint, env.getenv("CLOUDSDK_API_ENDPOINT_OVERRIDES_RECOMMENDER"))
	for _, c := range []struct{ api, url, suffix string }{{"compute", e.Compute, "/compute/v1/"}, {"container", e.Container, ""},
		{"resourcemanager", e.ResourceManager, ""}, {"logging", e.Logging, ""}, {"certificatemanager", e.CertificateManager, ""}, {"monitoring", e.Monitoring, ""},
		{"recommender", e.Recommender, ""}} {
		if err := checkEndpoint(c.api, c.url, c.suffix); err != nil {
			return err
		}
	}
	ts, err := gcp.TokenSource(ctx, firstNonEmpty(s.accessTokenFile, env.getenv("CLOUDSDK_AUTH_ACCESS_TOKEN_FILE")))
	if err != nil {
		return err
	}
	cfg.TokenSource = gcp.RememberTokens(ts)
	return nil
}

// startProfiles starts a CPU profile into cpu and returns the function
// that stops it and adds the process's peak resident memory to the stats
// file (either may be "").
func startProfiles(cpu, stats string) (stop func(), err error) {
	var cpuFile *os.File
	if cpu != "" {
		if cpuFile, err = os.Create(cpu); err != nil {
			return nil, usagef("--cpu-profile: %v", err)
		}
		if err := pprof.StartCPUProfile(cpuFile); err != nil {
			cpuFile.Close()
			return nil, usagef("--cpu-profile: %v", err)
		}
	}
	return func() {
		if cpuFile != nil {
			pprof.StopCPUProfile()
			cpuFile.Close()
		}
		if stats != "" {
			addProcessStats(stats)
		}
	}, nil
}

// writeHeapProfile writes a heap profile after a collection, so that its
// in-use figures are what the run holds then.
func writeHeapProfile(path string, stderr io.Writer) {
	runtime.GC()
	f, err := os.Create(path)
	if err == nil {
		err = pprof.Lookup("heap").WriteTo(f, 0)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "lbdiag: --heap-profile: %v\n", err)
	}
}

// addProcessStats adds to a stats file the process's peak resident
// memory so far (Linux's VmHWM, in MiB), once the run has written its
// report, and the soft memory limit the runtime kept to, if any. The
// rusage a parent reads after the exit is no measure: on Linux it counts
// the memory of the process that started lbdiag, as it was at the fork.
func addProcessStats(stats string) {
	b, err := os.ReadFile(stats)
	if err != nil {
		return
	}
	m := map[string]float64{}
	if json.Unmarshal(b, &m) != nil {
		return
	}
	if status, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, line := range strings.Split(string(status), "\n") {
			if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				if kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64); err == nil {
					m["peakRSSMiB"] = kb / 1024
				}
			}
		}
	}
	if limit := debug.SetMemoryLimit(-1); limit < math.MaxInt64 {
		m["memoryLimitMiB"] = float64(limit) / (1 << 20)
	}
	if out, err := json.Marshal(m); err == nil {
		os.WriteFile(stats, out, 0o644)
	}
}
