package recording

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	t.Parallel()
	in := `{"kind":"DeploymentList","items":[{"metadata":{"name":"web","annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\"password\":\"SECRET-1\"}","keep":"me"}},
	 "spec":{"template":{"spec":{"initContainers":[{"name":"init","image":"busybox","command":["sh","-c","echo SECRET-2"]}],
	  "containers":[{"name":"web","image":"nginx","args":["--token=SECRET-3"],"command":["/bin/web"],
	   "env":[{"name":"DB_PASSWORD","value":"SECRET-4"},{"name":"FROM_SECRET","valueFrom":{"secretKeyRef":{"name":"db","key":"password"}}}],
	   "lifecycle":{"preStop":{"exec":{"command":["sh","-c","sleep 40 && curl -H 'Authorization: Bearer SECRET-14' http://localhost/drain"]}}},
	   "livenessProbe":{"httpGet":{"path":"/healthz","port":8080,"httpHeaders":[{"name":"X-Probe-Token","value":"SECRET-15"}]}},
	   "readinessProbe":{"exec":{"command":["cat","/ready-SECRET-16"]}}}]}}}}],
	 "data":{"x":"SECRET-5"},"stringData":{"y":"SECRET-6"}}`
	out := compact(Redact([]byte(in)))
	for _, s := range []string{"SECRET-1", "SECRET-2", "SECRET-3", "SECRET-4", "SECRET-5", "SECRET-6", "SECRET-14", "SECRET-15", "SECRET-16", "last-applied-configuration", "/bin/web"} {
		if strings.Contains(out, s) {
			t.Errorf("redacted output still holds %q:\n%s", s, out)
		}
	}
	// Names and structure stay; of the preStop hook, the sleep lbdiag reads.
	for _, s := range []string{`"DB_PASSWORD"`, `"secretKeyRef"`, `"command":["sleep","40"]`, `"X-Probe-Token"`, `"/healthz"`, `"keep":"REDACTED-BY-LBDIAG"`} {
		if !strings.Contains(out, s) {
			t.Errorf("redacted output lost %s:\n%s", s, out)
		}
	}
	cluster := `{"clusters":[{"name":"c","masterAuth":{"clusterCaCertificate":"Q0E=","clientKey":"SECRET-7","clientCertificate":"SECRET-8","password":"SECRET-9"},
	 "nodeConfig":{"metadata":{"user-data":"SECRET-10"}},"nodePools":[{"config":{"metadata":{"startup":"SECRET-11"}}}]}]}`
	out = string(Redact([]byte(cluster)))
	for _, s := range []string{"SECRET-7", "SECRET-8", "SECRET-9", "SECRET-10", "SECRET-11"} {
		if strings.Contains(out, s) {
			t.Errorf("cluster: still holds %q", s)
		}
	}
	if !strings.Contains(out, `"clusterCaCertificate": "Q0E="`) {
		t.Errorf("the CA certificate (public) must stay:\n%s", out)
	}
	inst := `{"kind":"compute#instanceAggregatedList","items":{"zones/a":{"instances":[{"name":"vm","metadata":{"kind":"compute#metadata","items":[{"key":"startup-script","value":"export KEY=SECRET-12"}]}}]}}}`
	if out := string(Redact([]byte(inst))); strings.Contains(out, "SECRET-12") || !strings.Contains(out, "startup-script") {
		t.Errorf("instance metadata:\n%s", out)
	}
	if out := string(Redact([]byte("not json SECRET-13"))); strings.Contains(out, "SECRET-13") {
		t.Errorf("a non-JSON body must be dropped: %s", out)
	}

	// Custom headers keep their names; annotations lbdiag does not read
	// lose their values; URLs in those it reads lose credentials and query
	// values; event messages lose tokens.
	objects := `{"items":[
	 {"metadata":{"name":"bc","annotations":{"team.example.com/pager":"SECRET-20","cloud.google.com/neg":"{\"ingress\":true}",
	   "networking.gke.io/hook":"https://u:SECRET-21@example.com/x?sig=SECRET-22"}},
	  "spec":{"customRequestHeaders":{"headers":["X-Client-Region:{client_region}","X-Api-Key:SECRET-23"]}}},
	 {"kind":"compute#backendService","name":"bs","customRequestHeaders":["X-Auth:SECRET-24"],"customResponseHeaders":["Set-Cookie:SECRET-25"]},
	 {"involvedObject":{"kind":"Ingress","name":"web"},"message":"Error syncing: GET https://api.example.com/v1?access_token=SECRET-26 failed: Bearer SECRET-27"}]}`
	out = compact(Redact([]byte(objects)))
	for _, s := range []string{"SECRET-20", "SECRET-21", "SECRET-22", "SECRET-23", "SECRET-24", "SECRET-25", "SECRET-26", "SECRET-27"} {
		if strings.Contains(out, s) {
			t.Errorf("objects: still holds %q:\n%s", s, out)
		}
	}
	for _, s := range []string{`"X-Client-Region:REDACTED"`, `"X-Auth:REDACTED"`, `"team.example.com/pager":"REDACTED-BY-LBDIAG"`, `"cloud.google.com/neg":"{\"ingress\":true}"`, "https://REDACTED@example.com/x?sig=REDACTED", "Error syncing: GET https://api.example.com/v1?access_token=REDACTED"} {
		if !strings.Contains(out, s) {
			t.Errorf("objects: lost %s:\n%s", s, out)
		}
	}
	// Redaction is idempotent: a bundle replays to the same data.
	if again := compact(Redact([]byte(out))); again != out {
		t.Errorf("redacting twice changes the body:\n%s\n%s", out, again)
	}
}

func compact(b []byte) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return string(b)
	}
	return buf.String()
}

// TestRedactAuditEntry: an audit log entry loses its caller's address and
// every part of its request but the certificates lbdiag reads; a bundle
// keeps only the domain of the caller's email, the answers lbdiag decodes
// the whole email (for --show-principals).
func TestRedactAuditEntry(t *testing.T) {
	t.Parallel()
	entry := `{"entries":[{"logName":"projects/p/logs/cloudaudit.googleapis.com%2Factivity","timestamp":"2026-11-25T03:12:04Z",
	  "protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","methodName":"v1.compute.backendServices.patch",
	    "resourceName":"projects/p/global/backendServices/web","authenticationInfo":{"principalEmail":"dana@acme-shop.example","principalSubject":"user:dana@acme-shop.example","serviceAccountKeyName":"//iam.googleapis.com/projects/p/serviceAccounts/ci@p.iam.gserviceaccount.com/keys/k1"},
	    "authorizationInfo":[{"permission":"compute.backendServices.update","resource":"projects/p/global/backendServices/web","granted":true}],
	    "requestMetadata":{"callerIp":"203.0.113.77","callerSuppliedUserAgent":"gcloud/548.0.0"},
	    "request":{"@type":"type.googleapis.com/compute.backendServices.patch","customRequestHeaders":["X-Api-Key: s3cr3t"],"sslCertificates":["projects/p/global/sslCertificates/c"]},
	    "response":{"@type":"type.googleapis.com/operation","status":"RUNNING","user":"dana@acme-shop.example","selfLinkWithId":"x"},
	    "status":{"code":3,"message":"Invalid value for field 'resource.customRequestHeaders[0]': 'X-Api-Key: s3cr3t'"}}}]}`
	for _, tc := range []struct {
		name   string
		out    string
		keep   []string
		remove []string
	}{
		{"bundle", string(Redact([]byte(entry))), []string{`"principalEmail": "…@acme-shop.example"`, `"sslCertificates"`, `"methodName"`, `"status": "RUNNING"`},
			[]string{"dana@", "203.0.113.77", "s3cr3t", "selfLinkWithId", "principalSubject", "keys/k1", "authorizationInfo", "callerSuppliedUserAgent"}},
		{"answer", func() string { b, _ := RedactAnswer([]byte(entry)); return string(b) }(), []string{`"principalEmail":"dana@acme-shop.example"`, `"sslCertificates"`},
			[]string{"203.0.113.77", "s3cr3t", "selfLinkWithId", "principalSubject", "keys/k1"}},
	} {
		for _, k := range tc.keep {
			if !strings.Contains(tc.out, k) {
				t.Errorf("%s: lost %s:\n%s", tc.name, k, tc.out)
			}
		}
		for _, r := range tc.remove {
			if strings.Contains(tc.out, r) {
				t.Errorf("%s: kept %s:\n%s", tc.name, r, tc.out)
			}
		}
	}
}

// TestRedactAnswerShortcut: an answer with no key redaction acts on is
// kept as it is. Over every recorded body of the fixtures and the
// gcpdiag corpus, what the shortcut gives decodes to what redacting gives.
func TestRedactAnswerShortcut(t *testing.T) {
	t.Parallel()
	decode := func(b []byte) any {
		v, err := decodeNumbers(b)
		if err != nil {
			t.Fatalf("%v: %s", err, b)
		}
		return v
	}
	kept, redacted := 0, 0
	walk := func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		body, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		full, ok := redact(body, "")
		got, gotOK := RedactAnswer(body)
		if !ok {
			// Not JSON: left for the decoder either way.
			if gotOK && !bytes.Equal(got, body) {
				t.Errorf("%s: RedactAnswer changed a body that is not JSON", path)
			}
			return nil
		}
		if !gotOK {
			t.Errorf("%s: RedactAnswer refused JSON", path)
			return nil
		}
		if mayNeedRedaction(body) {
			redacted++
		} else {
			kept++
		}
		if !reflect.DeepEqual(decode(got), decode(full)) {
			t.Errorf("%s: the shortcut's answer differs from the redacted one", path)
		}
		return nil
	}
	for _, root := range []string{filepath.Join("..", "..", "fixtures"), filepath.Join("..", "testdata", "gcpdiag-corpus")} {
		if err := filepath.WalkDir(root, walk); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d bodies kept as they are, %d redacted", kept, redacted)
	if kept == 0 || redacted == 0 {
		t.Fatalf("%d bodies kept, %d redacted: the test compares nothing", kept, redacted)
	}
	// A key spelled with escapes is redacted all the same.
	for _, in := range []string{`{"items":[{"\u0064ata":{"k":"SECRET"}}]}`, `{"kind":"compute\u0023metadata","items":[{"key":"k","value":"SECRET"}]}`} {
		out, ok := RedactAnswer([]byte(in))
		if !ok || bytes.Contains(out, []byte("SECRET")) {
			t.Errorf("RedactAnswer(%s) = %s", in, out)
		}
	}
	// HTML escapes, as Go's encoder writes them, do not.
	in := []byte(`{"description":"\u003cb\u003e \u0026ServiceBackendPort"}`)
	if mayNeedRedaction(in) {
		t.Errorf("%s needs no redaction", in)
	}
}

// TestMayNeedRedactionScansOnce: looking at each run between two quotes
// once says what searching the body for each quoted key says.
func TestMayNeedRedactionScansOnce(t *testing.T) {
	t.Parallel()
	searchEach := func(body []byte) bool {
		for k := range redactionKeys {
			if bytes.Contains(body, []byte(`"`+k+`"`)) {
				return true
			}
		}
		return false
	}
	pieces := []string{`"`, `\"`, `\\`, `:`, `,`, `{`, `}`, `[`, `]`, "data", "image", "imag", "compute#metadata", "env", "envs", "x", " ",
		"customResponseHeaders", "annotations", "é", `"name"`, `"data"`, `"config`}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 50000 {
		var b strings.Builder
		for range rng.IntN(12) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		body := []byte(b.String())
		if bytes.Contains(body, []byte(`\u`)) {
			continue
		}
		if got, want := mayNeedRedaction(body), searchEach(body); got != want {
			t.Fatalf("mayNeedRedaction(%s) = %v, searching each key says %v", body, got, want)
		}
	}
}

// TestRedactAnswerEveryRule: one small answer per thing redaction acts on.
// Each must be changed by RedactAnswer, so none takes the shortcut for
// answers with nothing to redact; and every key of redactionKeys is one
// of them, so the shortcut's list and the redaction stay in step. A new
// redaction needs its answer here, and its key in redactionKeys.
func TestRedactAnswerEveryRule(t *testing.T) {
	t.Parallel()
	bodies := map[string]string{
		"data":                  `{"kind":"ConfigMap","data":{"k":"v"}}`,
		"stringData":            `{"stringData":{"k":"v"}}`,
		"binaryData":            `{"binaryData":{"k":"dg=="}}`,
		"image":                 `{"containers":[{"name":"c","image":"app:1","command":["run","--password=p"],"args":["x"]}]}`,
		"preStop":               `{"lifecycle":{"preStop":{"exec":{"command":["sh","-c","curl https://x?token=t; sleep 5"]}}}}`,
		"postStart":             `{"lifecycle":{"postStart":{"exec":{"command":["sh","-c","echo secret"]}}}}`,
		"livenessProbe":         `{"livenessProbe":{"exec":{"command":["check","--key=k"]}}}`,
		"readinessProbe":        `{"readinessProbe":{"exec":{"command":["check","--key=k"]}}}`,
		"startupProbe":          `{"startupProbe":{"exec":{"command":["check","--key=k"]}}}`,
		"annotations":           `{"metadata":{"annotations":{"example.com/token":"s3cr3t"}}}`,
		"logName":               `{"logName":"projects/p/logs/requests","httpRequest":{"requestUrl":"https://shop.example.com/?token=t","remoteIp":"198.51.100.1"}}`,
		"involvedObject":        `{"involvedObject":{"kind":"Ingress"},"message":"fetching https://x/?access_token=abcdefgh"}`,
		"compute#metadata":      `{"metadata":{"kind":"compute#metadata","items":[{"key":"startup-script","value":"echo secret"}]}}`,
		"nodeConfig":            `{"nodeConfig":{"metadata":{"k":"v"}}}`,
		"config":                `{"config":{"metadata":{"k":"v"}}}`,
		"nodeConfigDefaults":    `{"nodeConfigDefaults":{"metadata":{"k":"v"}}}`,
		"masterAuth":            `{"masterAuth":{"password":"p","clusterCaCertificate":"c"}}`,
		"env":                   `{"env":[{"name":"DB_PASSWORD","value":"p"}]}`,
		"customRequestHeaders":  `{"customRequestHeaders":["X-Api-Key:k"]}`,
		"customResponseHeaders": `{"customResponseHeaders":["Set-Cookie:s"]}`,
		"headers":               `{"headers":["Authorization:Bearer abcdefgh"]}`,
		"httpHeaders":           `{"httpGet":{"httpHeaders":[{"name":"Authorization","value":"Bearer abcdefgh"}]}}`,
	}
	for key := range redactionKeys {
		if _, ok := bodies[key]; !ok {
			t.Errorf("redactionKeys holds %q, which no answer here exercises", key)
		}
	}
	for key, body := range bodies {
		if !redactionKeys[key] {
			t.Errorf("%s is redacted, but redactionKeys lacks it: answers holding it would skip redaction", key)
		}
		got, ok := RedactAnswer([]byte(body))
		if !ok {
			t.Fatalf("%s: not JSON", key)
		}
		var before, after any
		json.Unmarshal([]byte(body), &before)
		json.Unmarshal(got, &after)
		if reflect.DeepEqual(before, after) {
			t.Errorf("%s: RedactAnswer left %s as it was", key, body)
		}
	}
}
