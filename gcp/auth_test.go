package gcp

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestDefaultProject(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "configurations"), 0o755)
	os.WriteFile(filepath.Join(dir, "active_config"), []byte("work\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "configurations", "config_work"), []byte("[compute]\nregion = europe-west1\n\n[core]\naccount = me@example.com\nproject = acme-from-gcloud\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "configurations", "config_other"), []byte("[core]\nproject = acme-other\n"), 0o644)
	empty := t.TempDir()

	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{name: "CLOUDSDK_CORE_PROJECT first", env: map[string]string{"CLOUDSDK_CORE_PROJECT": "a", "GOOGLE_CLOUD_PROJECT": "b", "CLOUDSDK_CONFIG": dir}, want: "a"},
		{name: "then GOOGLE_CLOUD_PROJECT", env: map[string]string{"GOOGLE_CLOUD_PROJECT": "b", "CLOUDSDK_CONFIG": dir}, want: "b"},
		{name: "then the active gcloud configuration", env: map[string]string{"CLOUDSDK_CONFIG": dir}, want: "acme-from-gcloud"},
		{name: "CLOUDSDK_ACTIVE_CONFIG_NAME selects another", env: map[string]string{"CLOUDSDK_CONFIG": dir, "CLOUDSDK_ACTIVE_CONFIG_NAME": "other"}, want: "acme-other"},
		{name: "HOME's gcloud directory", env: map[string]string{"HOME": filepath.Join(dir, "home")}},
		{name: "nothing configured", env: map[string]string{"CLOUDSDK_CONFIG": empty}},
	}
	os.MkdirAll(filepath.Join(dir, "home", ".config", "gcloud", "configurations"), 0o755)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := DefaultProject(func(k string) string { return tc.env[k] })
			if tc.want == "" {
				if !errors.Is(err, ErrNoProject) {
					t.Fatalf("DefaultProject = %q, %v; want ErrNoProject", got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("DefaultProject = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestTokenSourceFromFile(t *testing.T) {
	t.Parallel()
	f := filepath.Join(t.TempDir(), "token")
	os.WriteFile(f, []byte("ya29.test-token\n"), 0o600)
	ts, err := TokenSource(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := ts.Token()
	if err != nil || tok.AccessToken != "ya29.test-token" {
		t.Fatalf("token = %+v, %v", tok, err)
	}
	os.WriteFile(f, []byte("  \n"), 0o600)
	if _, err := TokenSource(context.Background(), f); err == nil {
		t.Error("an empty token file was accepted")
	}
}
