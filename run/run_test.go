package run

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lbdiag/lbdiag/fixtures"
	"github.com/lbdiag/lbdiag/gcp/recording"
	"github.com/lbdiag/lbdiag/inspect"
	"github.com/lbdiag/lbdiag/report"
)

// demoAt is the demo's recording time: the clock of these tests.
var demoAt = time.Date(2026, 11, 27, 2, 12, 0, 0, time.UTC)

func demoConfig(t *testing.T) Config {
	t.Helper()
	rec, err := recording.Load(fixtures.Demo())
	if err != nil {
		t.Fatal(err)
	}
	return Config{Tool: report.Tool{Name: "lbdiag", Version: "test"}, Clock: func() time.Time { return demoAt }, Replay: rec,
		Policy: report.Policy{Threshold: inspect.Error}}
}

func TestInspectDemo(t *testing.T) {
	t.Parallel()
	cfg := demoConfig(t)
	cfg.Shard = report.Shard{Index: 0, Count: 1}
	var notices bytes.Buffer
	cfg.Notices, cfg.Progress = &notices, &notices
	fleet, err := Inspect(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(fleet.Projects) != 1 || fleet.Projects[0].Project != "acme-shop-prod" || fleet.ExitCode != report.ExitFindings {
		t.Fatalf("fleet: %d projects, exit %d", len(fleet.Projects), fleet.ExitCode)
	}
	rep := fleet.Projects[0]
	if !rep.StartedAt.Equal(demoAt) || len(rep.Findings) == 0 || len(rep.Chains) == 0 || rep.Tool.Version != "test" {
		t.Errorf("report: started %s, %d findings, %d chains, tool %+v", rep.StartedAt, len(rep.Findings), len(rep.Chains), rep.Tool)
	}
	// A replay reads the recording's hour of logs, and says nothing of
	// reading a live project.
	logs := false
	for _, c := range rep.Coverage {
		logs = logs || c.Source == "logging.requests"
	}
	if !logs || notices.Len() != 0 {
		t.Errorf("logs read: %v; notices %q", logs, notices.String())
	}
	// --fail-on none: exit 0 whatever is found.
	cfg.Policy = report.Policy{None: true}
	if fleet, _ = Inspect(context.Background(), cfg); fleet.ExitCode != report.ExitOK {
		t.Errorf("--fail-on none: exit %d", fleet.ExitCode)
	}
}

// TestRecordingReplaysTheSame: a run recorded with --record keeps its time
// and its logs window in the manifest, and replays to the same findings.
func TestRecordingReplaysTheSame(t *testing.T) {
	t.Parallel()
	cfg := demoConfig(t)
	cfg.Record = filepath.Join(t.TempDir(), "rec")
	var notices bytes.Buffer
	cfg.Notices = &notices
	first, err := Project(context.Background(), cfg, "acme-shop-prod")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(notices.String(), "recorded the run in") {
		t.Errorf("notices %q", notices.String())
	}
	rec, cleanup, err := recording.LoadPath(cfg.Record)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	if rec.Manifest.Logs != "1h0m0s" || !rec.Manifest.RecordedAt.Equal(demoAt) || rec.Manifest.Tool != "lbdiag test" {
		t.Errorf("manifest: logs %q, recorded %v, tool %q", rec.Manifest.Logs, rec.Manifest.RecordedAt, rec.Manifest.Tool)
	}
	again := demoConfig(t)
	again.Replay = rec
	second, err := Project(context.Background(), again, "acme-shop-prod")
	if err != nil {
		t.Fatal(err)
	}
	fps := func(r *report.Report) string {
		var out []string
		for _, f := range r.Findings {
			out = append(out, f.Fingerprint+" "+f.Message)
		}
		return strings.Join(out, "\n")
	}
	if fps(first) != fps(second) {
		t.Errorf("the replay differs:\n%s\n---\n%s", fps(first), fps(second))
	}
	// A second recording into the same directory is refused.
	if _, err := Project(context.Background(), cfg, "acme-shop-prod"); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("recording into a used directory: %v", err)
	}
}

func TestBaselineFile(t *testing.T) {
	t.Parallel()
	cfg := demoConfig(t)
	first, err := Project(context.Background(), cfg, "acme-shop-prod")
	if err != nil {
		t.Fatal(err)
	}
	var js bytes.Buffer
	if err := report.WriteJSON(&js, first); err != nil {
		t.Fatal(err)
	}
	cfg.Baseline = filepath.Join(t.TempDir(), "base.json")
	if err := os.WriteFile(cfg.Baseline, js.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	rep, err := Project(context.Background(), cfg, "acme-shop-prod")
	if err != nil {
		t.Fatal(err)
	}
	// Nothing is new: every finding is ongoing, and none fails the run.
	for _, f := range rep.Findings {
		if f.Status != report.StatusOngoing {
			t.Errorf("%s: %s", f.Rule, f.Status)
		}
	}
	if rep.Exit != report.ExitOK {
		t.Errorf("exit %d", rep.Exit)
	}
	if _, err := Project(context.Background(), cfg, "another-project"); err == nil {
		t.Error("a baseline of another project was accepted")
	}
}

func TestProjectsSortedOnce(t *testing.T) {
	t.Parallel()
	c := Config{Projects: []string{"b", " a ", "b", "", "c"}}
	got, gaps, err := c.projects(context.Background())
	if err != nil || len(gaps) != 0 || strings.Join(got, ",") != "a,b,c" {
		t.Errorf("projects = %v, %v, %v", got, gaps, err)
	}
	if ua := (&Config{Tool: report.Tool{Name: "lbdiag", Version: "v9"}}).UserAgent(); ua != "lbdiag/v9" {
		t.Errorf("user agent %q", ua)
	}
}

// TestEvidenceInProcess: a run with --evidence and a heap profile's hook,
// in this process (so under -race): the hook runs once for the project,
// once its rules have run, and the bundle is written, its reports read
// from the files they were rendered into.
func TestEvidenceInProcess(t *testing.T) {
	t.Parallel()
	cfg := demoConfig(t)
	cfg.Evidence = filepath.Join(t.TempDir(), "evidence.tar.gz")
	calls := 0
	cfg.AfterRules = func() { calls++ }
	fleet, err := Inspect(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if calls != 1 || len(fleet.Projects) != 1 {
		t.Fatalf("AfterRules called %d times for %d projects", calls, len(fleet.Projects))
	}
	f, err := os.Open(cfg.Evidence)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for tr := tar.NewReader(gz); ; {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name], _ = io.ReadAll(tr)
	}
	// The reports, read back from their spooled files.
	if !bytes.HasPrefix(files["report.json"], []byte("{")) || !bytes.Contains(files["report.html"], []byte("<html")) ||
		!bytes.Contains(files["report.txt"], []byte(fleet.Projects[0].Project)) {
		t.Errorf("the bundle's reports: json %d, html %d, txt %d bytes", len(files["report.json"]), len(files["report.html"]), len(files["report.txt"]))
	}
}
