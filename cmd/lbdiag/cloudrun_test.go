package main

import (
	"bufio"
	"debug/elf"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/lbdiag/lbdiag/report"
)

// TestCloudRunJob builds the binary the Dockerfile builds (static, no
// cgo), checks that it is static, and runs it the way deploy/cloud-run's
// job runs it: the job's own arguments, the Cloud Run variables of one of
// its tasks, against the fake organization and a fake Cloud Storage.
func TestCloudRunJob(t *testing.T) {
	t.Parallel()
	docker, err := os.ReadFile("../../deploy/cloud-run/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`RUN CGO_ENABLED=0 go build (.*) -o \S+ \./cmd/lbdiag`).FindStringSubmatch(string(docker))
	if m == nil {
		t.Fatal("the Dockerfile builds no static lbdiag")
	}
	var args []string
	for _, a := range regexp.MustCompile(`-ldflags="[^"]*"|\S+`).FindAllString(m[1], -1) {
		args = append(args, strings.ReplaceAll(a, `"`, ""))
	}
	if strings.Join(args, " ") != strings.Join(dockerBuildFlags, " ") {
		t.Fatalf("the Dockerfile builds with %v, the tests with %v", args, dockerBuildFlags)
	}
	// The tests' binary is built as the Dockerfile builds it.
	static := binary
	bin, err := elf.Open(static)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range bin.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("the binary is not static: it has a %v program header", p.Type)
		}
	}
	if libs, _ := bin.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the binary links %v", libs)
	}
	bin.Close()

	var job struct {
		Spec struct {
			Template struct {
				Spec struct {
					TaskCount   int `json:"taskCount"`
					Parallelism int `json:"parallelism"`
					Template    struct {
						Spec struct {
							ServiceAccountName string `json:"serviceAccountName"`
							TimeoutSeconds     int    `json:"timeoutSeconds"`
							MaxRetries         int    `json:"maxRetries"`
							Containers         []struct {
								Image string
								Args  []string
							}
						}
					}
				}
			}
		}
	}
	raw, err := os.ReadFile("../../deploy/cloud-run/job.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, &job); err != nil {
		t.Fatal(err)
	}
	js := job.Spec.Template.Spec
	if js.TaskCount < 2 || js.Parallelism < 1 || js.Template.Spec.TimeoutSeconds == 0 || js.Template.Spec.ServiceAccountName == "" || len(js.Template.Spec.Containers) != 1 {
		t.Fatalf("job spec: %+v", js)
	}

	srv := newFakeGCS(t, "acme-reports")
	f := newFakeFleet(t)
	var jobArgs []string
	for _, a := range js.Template.Spec.Containers[0].Args {
		a = strings.ReplaceAll(strings.ReplaceAll(a, "ORG_ID", fleetOrg), "BUCKET", "acme-reports")
		jobArgs = append(jobArgs, a)
	}
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	os.WriteFile(tokenFile, []byte(testToken), 0o600)
	cmd := exec.Command(static, append(jobArgs, "--compute-endpoint", f.compute.URL+"/compute/v1/", "--container-endpoint", f.container.URL+"/",
		"--resourcemanager-endpoint", f.crm.URL+"/", "--monitoring-endpoint", f.monitor.URL+"/", "--access-token-file", tokenFile, "--now", "2026-11-27T02:12:00Z",
		"--no-dns")...) // the job resolves (DNS is on by default); no test asks the system's resolver
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "GCE_METADATA_HOST=127.0.0.1:9", "STORAGE_EMULATOR_HOST=" + srv.URL(),
		"CLOUD_RUN_JOB=lbdiag-nightly", "CLOUD_RUN_EXECUTION=lbdiag-nightly-x7k2p", "CLOUD_RUN_TASK_INDEX=0", "CLOUD_RUN_TASK_ATTEMPT=0",
		"CLOUD_RUN_TASK_COUNT=" + strconv.Itoa(js.TaskCount)}
	out, err := cmd.Output()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if code == report.ExitError {
		t.Fatalf("the job's arguments fail: exit %d: %s", code, err)
	}
	lines := 0
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for sc.Scan() {
		var v map[string]any
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil || v["severity"] == nil {
			t.Errorf("not a log line: %s", sc.Text())
		}
		lines++
	}
	if lines == 0 {
		t.Error("the job logged nothing")
	}
	if f.requested("/timeSeries") == 0 {
		t.Error("the job's --metrics read nothing from Cloud Monitoring")
	}
	if _, err := srv.GetObject("acme-reports", "lbdiag/runs/lbdiag-nightly-x7k2p/shard-0-of-"+strconv.Itoa(js.TaskCount)+".json"); err != nil {
		t.Errorf("no shard summary in the bucket: %v", err)
	}
}
