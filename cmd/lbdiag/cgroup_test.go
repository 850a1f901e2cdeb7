package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

var cgroupSeq atomic.Int64

// memCgroup is a memory cgroup the scale harness runs lbdiag in, to
// measure it under a container's limit the way the kernel enforces it
// (-memory-limit): a Cloud Run job's task is such a container, 512 MiB by
// default. lbdiag's automemlimit reads the limit from the cgroup, as it
// would in the container.
type memCgroup struct {
	dir string
	v2  bool
}

// newMemCgroup makes a memory cgroup limited to limit bytes, or says why
// it cannot (not root, no memory controller mounted).
func newMemCgroup(t testing.TB, limit int64) (*memCgroup, error) {
	root, v2 := "/sys/fs/cgroup/memory", false
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		root, v2 = "/sys/fs/cgroup", true
	}
	dir := filepath.Join(root, fmt.Sprintf("lbdiag-test-%d-%d", os.Getpid(), cgroupSeq.Add(1)))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, fmt.Errorf("no memory cgroup to run in (root and a mounted memory controller are needed): %w", err)
	}
	c := &memCgroup{dir: dir, v2: v2}
	t.Cleanup(func() { c.remove(t) })
	file, value := "memory.limit_in_bytes", strconv.FormatInt(limit, 10)
	if v2 {
		file = "memory.max"
	}
	if err := c.set(file, value); err != nil {
		return nil, err
	}
	// The limit must cover swap too, or the task swaps instead of being
	// killed, as a container without swap would be. A kernel without
	// swap accounting has no such file.
	swap, swapValue := "memory.memsw.limit_in_bytes", value
	if v2 {
		swap, swapValue = "memory.swap.max", "0"
	}
	if _, err := os.Stat(filepath.Join(dir, swap)); err == nil {
		if err := c.set(swap, swapValue); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// remove removes the cgroup, once its tasks are gone.
func (c *memCgroup) remove(t testing.TB) {
	if err := os.Remove(c.dir); err != nil && !os.IsNotExist(err) {
		t.Logf("the cgroup %s is left behind: %v", c.dir, err)
	}
}

// set writes a control file of the cgroup, which exists: the cgroup file
// system creates no files.
func (c *memCgroup) set(file, value string) error {
	f, err := os.OpenFile(filepath.Join(c.dir, file), os.O_WRONLY|os.O_TRUNC, 0)
	if err == nil {
		_, err = f.WriteString(value)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("setting %s: %w", file, err)
	}
	return nil
}

// wrap makes cmd join the cgroup before it execs lbdiag, so that all of
// its memory from the first page counts.
func (c *memCgroup) wrap(cmd *exec.Cmd) {
	cmd.Args = append([]string{"/bin/sh", "-c", `echo $$ > "$0" && exec "$@"`, filepath.Join(c.dir, "cgroup.procs")}, cmd.Args...)
	cmd.Path = "/bin/sh"
}

// peak is the cgroup's peak memory in bytes (its pages: the heap, and
// the files it wrote to a memory file system), and whether the kernel
// killed a task for want of memory (or -1, false where unknown).
func (c *memCgroup) peak() (int64, bool) {
	read := func(name string) string {
		b, _ := os.ReadFile(filepath.Join(c.dir, name))
		return strings.TrimSpace(string(b))
	}
	// Both versions count the kills as oom_kill (v1 in memory.oom_control
	// since Linux 4.13).
	peakFile, eventsFile := "memory.max_usage_in_bytes", "memory.oom_control"
	if c.v2 {
		peakFile, eventsFile = "memory.peak", "memory.events"
	}
	peak, err := strconv.ParseInt(read(peakFile), 10, 64)
	if err != nil {
		peak = -1
	}
	for _, line := range strings.Split(read(eventsFile), "\n") {
		if n, ok := strings.CutPrefix(line, "oom_kill "); ok && n != "0" {
			return peak, true
		}
	}
	return peak, false
}

// parseBytes reads a size such as 512MiB, 1GiB or 536870912.
func parseBytes(s string) (int64, error) {
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseInt(n, 10, 64)
			return v * u.mult, err
		}
	}
	return strconv.ParseInt(s, 10, 64)
}

// TestMemoryLimitFromCgroup runs lbdiag in a memory cgroup, as a
// container runs it, and checks the soft limit its runtime kept to:
// 80% of the cgroup's, unless GOMEMLIMIT or AUTOMEMLIMIT=off says
// otherwise. Making a cgroup needs root; elsewhere the test is skipped.
func TestMemoryLimitFromCgroup(t *testing.T) {
	for _, tc := range []struct {
		name, env string
		want      float64 // MiB; 0: none written
	}{
		{"cgroup", "", 0.8 * 300},
		{"GOMEMLIMIT wins", "GOMEMLIMIT=100MiB", 100},
		{"off", "AUTOMEMLIMIT=off", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cg, err := newMemCgroup(t, 300<<20)
			if err != nil {
				t.Skip(err)
			}
			dir := t.TempDir()
			stats := filepath.Join(dir, "stats.json")
			cmd := exec.Command(binary, "inspect", "--demo", "--format", "json", "--stats", stats)
			cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
			if tc.env != "" {
				cmd.Env = append(cmd.Env, tc.env)
			}
			cg.wrap(cmd)
			if out, err := cmd.CombinedOutput(); err != nil {
				if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
					t.Fatalf("%v: %s", err, out)
				}
			}
			b, err := os.ReadFile(stats)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]float64
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			got, ok := m["memoryLimitMiB"]
			if tc.want == 0 {
				if ok {
					t.Errorf("memoryLimitMiB = %v, want none", got)
				}
				return
			}
			if math.Abs(got-tc.want) > 0.01 {
				t.Errorf("memoryLimitMiB = %v, want %v (stats %s)", got, tc.want, b)
			}
			if m["peakRSSMiB"] <= 0 {
				t.Errorf("no peakRSSMiB in %s", b)
			}
		})
	}
}
