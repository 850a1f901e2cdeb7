package run

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/lbdiag/lbdiag/gcp"
	"github.com/lbdiag/lbdiag/gcp/recording"
	"github.com/lbdiag/lbdiag/internal/untrusted"
	"github.com/lbdiag/lbdiag/inventory"
	"github.com/lbdiag/lbdiag/output"
	"github.com/lbdiag/lbdiag/report"
)

// LatestPath is where Output keeps a project's newest report, which
// Baseline "auto" compares with.
func LatestPath(project string) string { return "projects/" + project + "/latest.json" }

// readBaseline reads the report a project is compared with: its
// latest.json in Output (nil when there is none yet), or the Baseline file.
func readBaseline(ctx context.Context, cfg Config, project string) (*report.Report, error) {
	var b []byte
	var err error
	if cfg.Baseline == "auto" {
		if cfg.Output == nil {
			return nil, errors.New("--baseline auto compares with the latest.json of each project in --output: give --output")
		}
		b, err = cfg.Output.Get(ctx, LatestPath(project))
		if errors.Is(err, output.ErrNotExist) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading the baseline of %s from %s: %w", project, cfg.Output, err)
		}
	} else if b, err = os.ReadFile(cfg.Baseline); err != nil {
		return nil, fmt.Errorf("--baseline: %w", err)
	}
	base, err := report.ReadJSON(b)
	if err != nil {
		return nil, fmt.Errorf("--baseline of %s: %w", project, err)
	}
	if base.Project != project {
		return nil, fmt.Errorf("--baseline is a report of project %s, not %s", base.Project, project)
	}
	return base, nil
}

// writeOutputs writes each project's report (latest, and this run's as
// JSON and HTML), the shard's summary, the run's fleet page rebuilt from
// every shard's summary present, and latest/, pointing at the newest run.
func writeOutputs(ctx context.Context, cfg Config, fleet *report.Fleet) error {
	put := func(name string, data []byte) error {
		if err := cfg.Output.Put(ctx, name, data); err != nil {
			return fmt.Errorf("--output %s: writing %s: %w", cfg.Output, name, err)
		}
		return nil
	}
	putJSON := func(name string, v any) error {
		var b bytes.Buffer
		if err := untrusted.WriteJSON(&b, v, "  "); err != nil {
			return err
		}
		return put(name, b.Bytes())
	}
	for _, rep := range fleet.Projects {
		if err := putJSON(LatestPath(rep.Project), rep); err != nil {
			return err
		}
		run := report.ProjectRunPath(rep.Project, cfg.RunID)
		if err := putJSON(run+".json", rep); err != nil {
			return err
		}
		var html bytes.Buffer
		if err := report.WriteHTML(&html, rep); err != nil {
			return err
		}
		if err := put(run+".html", html.Bytes()); err != nil {
			return err
		}
	}
	if err := putJSON(report.ShardPath(cfg.RunID, fleet.Shard), fleet.Summary()); err != nil {
		return err
	}
	if err := writeRunPage(ctx, cfg, fleet.Shard.Count, put); err != nil {
		return err
	}
	return writeLatest(ctx, cfg, fleet.StartedAt, putJSON, put)
}

// writeRunPage rebuilds runs/<run-id>/index.html from the summaries of
// the run's shards present in Output. Shards finish in any order, each
// rebuilding the page; a shard that finds more summaries after writing
// the page than before writes it again, so that the last one to finish
// leaves a page with every shard that had finished.
func writeRunPage(ctx context.Context, cfg Config, count int, put func(string, []byte) error) error {
	seen := -1
	for range 3 {
		page := report.RunPage{RunID: cfg.RunID, Count: max(count, 1)}
		for i := range page.Count {
			b, err := cfg.Output.Get(ctx, report.ShardPath(cfg.RunID, report.Shard{Index: i, Count: page.Count}))
			if errors.Is(err, output.ErrNotExist) {
				page.Missing = append(page.Missing, i)
				continue
			}
			if err != nil {
				return fmt.Errorf("--output %s: reading the summary of shard %d: %w", cfg.Output, i, err)
			}
			var s report.ShardSummary
			if err := json.Unmarshal(b, &s); err != nil {
				return fmt.Errorf("--output %s: the summary of shard %d: %w", cfg.Output, i, err)
			}
			page.Shards = append(page.Shards, s)
		}
		if len(page.Shards) == seen {
			return nil
		}
		seen = len(page.Shards)
		var html bytes.Buffer
		if err := report.WriteRunPage(&html, page); err != nil {
			return err
		}
		if err := put(report.RunPagePath(cfg.RunID), html.Bytes()); err != nil {
			return err
		}
		if len(page.Missing) == 0 {
			return nil
		}
	}
	return nil
}

// writeLatest points latest/ at this run unless a newer run already has
// it (a late shard of an old run must not move it back).
func writeLatest(ctx context.Context, cfg Config, started time.Time, putJSON func(string, any) error, put func(string, []byte) error) error {
	if b, err := cfg.Output.Get(ctx, report.LatestRunPath); err == nil {
		var cur report.LatestRun
		if json.Unmarshal(b, &cur) == nil && cur.RunID != cfg.RunID && cur.StartedAt.After(started) {
			return nil
		}
	} else if !errors.Is(err, output.ErrNotExist) {
		return fmt.Errorf("--output %s: reading %s: %w", cfg.Output, report.LatestRunPath, err)
	}
	latest := report.LatestRun{RunID: cfg.RunID, StartedAt: started}
	var html bytes.Buffer
	if err := report.WriteLatestPage(&html, latest); err != nil {
		return err
	}
	if err := put(report.LatestPagePath, html.Bytes()); err != nil {
		return err
	}
	return putJSON(report.LatestRunPath, latest)
}

// prepareRecordDir makes the --record directory: new, or empty.
func prepareRecordDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return os.MkdirAll(dir, 0o700)
	case err != nil:
		return fmt.Errorf("--record: %w", err)
	case len(entries) > 0:
		return fmt.Errorf("--record %s: directory is not empty", dir)
	}
	return nil
}

// manifest is the recording's manifest of one project's run: its time,
// the window of logs it read and how it reached each cluster, which a
// replay reproduces.
func manifest(cfg Config, opts gcp.Options, inv *inventory.Inventory, recordedAt time.Time) recording.Manifest {
	at := recordedAt.UTC()
	m := recording.Manifest{Project: opts.Project, Tool: cfg.Tool.Name + " " + cfg.Tool.Version, RecordedAt: &at,
		Exchanges: opts.Recorder.Exchanges()}
	if opts.Logs > 0 {
		m.Logs = opts.Logs.String()
	}
	if opts.Metrics > 0 {
		m.Metrics = opts.Metrics.String()
	}
	if opts.Changes > 0 {
		m.Changes = opts.Changes.String()
	}
	m.NetworkAnalyzer = opts.NetworkAnalyzer
	m.DNS = inv.DNS
	for _, c := range inv.Coverage {
		if c.Source == inventory.DNSLookups && c.Scope == inventory.ProjectScope(opts.Project) && c.Status == inventory.StatusSkipped {
			m.DNSSkipped = c.Detail
		}
	}
	for _, cl := range inv.Clusters {
		if cl.Access != nil {
			m.ClusterAccess = append(m.ClusterAccess, *cl.Access)
		}
	}
	return m
}

func writeRecording(cfg Config, opts gcp.Options, inv *inventory.Inventory, recordedAt time.Time) error {
	if err := recording.WriteManifest(filepath.Clean(cfg.Record), manifest(cfg, opts, inv, recordedAt)); err != nil {
		return fmt.Errorf("--record: %w", err)
	}
	return nil
}

// writeEvidence writes the bundle: the redacted recording, the call log,
// the coverage, the flags (never a credential), and the report as JSON,
// text and HTML, with SHA256SUMS. It replaces the file atomically.
func writeEvidence(cfg Config, opts gcp.Options, inv *inventory.Inventory, rep *report.Report, recordedAt, finished time.Time) error {
	cov, err := untrusted.Marshal(rep.Coverage, "")
	if err != nil {
		return err
	}
	m := manifest(cfg, opts, inv, recordedAt)
	end := finished.UTC()
	m.FinishedAt, m.Clusters, m.Flags, m.Coverage, m.Calls = &end, rep.Clusters, cfg.Flags, cov, opts.CallLog.Calls()
	// The three renderings only read the report: side by side, each into
	// a spooled file the bundle reads when it comes to it, so that tens
	// of megabytes of reports are held neither on the heap while the
	// bodies are redacted nor whole in a temporary directory that may be
	// memory.
	reports, err := os.MkdirTemp("", "lbdiag-reports-")
	if err != nil {
		return fmt.Errorf("--evidence: %w", err)
	}
	defer os.RemoveAll(reports)
	render := func(name string, write func(io.Writer) error) func() error {
		return func() error {
			f, err := recording.CreateSpooled(filepath.Join(reports, name))
			if err != nil {
				return err
			}
			bw := bufio.NewWriterSize(f, 64<<10)
			err = write(bw)
			if ferr := bw.Flush(); err == nil {
				err = ferr
			}
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			return err
		}
	}
	var g errgroup.Group
	g.Go(render("report.json", func(w io.Writer) error { return report.WriteJSON(w, rep) }))
	g.Go(render("report.txt", func(w io.Writer) error { return report.WriteTable(w, rep, report.TableOptions{Width: 160}) }))
	g.Go(render("report.html", func(w io.Writer) error { return report.WriteHTML(w, rep) }))
	if err := g.Wait(); err != nil {
		return fmt.Errorf("--evidence: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(cfg.Evidence), ".lbdiag-evidence-*")
	if err != nil {
		return fmt.Errorf("--evidence: %w", err)
	}
	defer os.Remove(tmp.Name())
	var secrets []string
	if tm, ok := opts.TokenSource.(*gcp.TokenMemo); ok {
		secrets = tm.Issued()
	}
	var extra []recording.BundleFile
	for _, name := range []string{"report.json", "report.txt", "report.html"} {
		extra = append(extra, recording.BundleFile{Name: name, Spooled: filepath.Join(reports, name)})
	}
	err = recording.WriteBundle(tmp, m, opts.Recorder.Bodies(), extra, secrets)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("--evidence: %w", err)
	}
	return os.Rename(tmp.Name(), cfg.Evidence)
}
