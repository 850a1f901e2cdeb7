package output

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/fsouza/fake-gcs-server/fakestorage"
)

func exercise(t *testing.T, s Store) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.Get(ctx, "projects/p/latest.json"); !errors.Is(err, ErrNotExist) {
		t.Fatalf("Get of a missing object = %v, want ErrNotExist", err)
	}
	if err := s.Put(ctx, "projects/p/latest.json", []byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "projects/p/latest.json", []byte(`{"a":2}`)); err != nil {
		t.Fatal(err)
	}
	b, err := s.Get(ctx, "projects/p/latest.json")
	if err != nil || string(b) != `{"a":2}` {
		t.Fatalf("Get = %q, %v", b, err)
	}
}

func TestDirStore(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "new", "out")
	s, err := Open(context.Background(), dir, nil, "lbdiag-test")
	if err != nil {
		t.Fatal(err)
	}
	exercise(t, s)
	if _, err := os.Stat(filepath.Join(dir, "projects", "p", "latest.json")); err != nil {
		t.Error(err)
	}
	if err := s.Put(context.Background(), "../escape.json", nil); err == nil {
		t.Error("a path outside the directory was accepted")
	}
}

// TestGCSStore writes to fake-gcs-server, run in-process: the storage
// client honours STORAGE_EMULATOR_HOST.
func TestGCSStore(t *testing.T) {
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{Scheme: "http", Host: "127.0.0.1", Port: 0})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: "lbdiag-reports"})
	t.Setenv("STORAGE_EMULATOR_HOST", srv.URL())
	s, err := Open(context.Background(), "gs://lbdiag-reports/nightly", nil, "lbdiag-test")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	exercise(t, s)
	obj, err := srv.GetObject("lbdiag-reports", "nightly/projects/p/latest.json")
	if err != nil || string(obj.Content) != `{"a":2}` {
		t.Errorf("object = %v, %v", obj, err)
	}
	if s.String() != "gs://lbdiag-reports/nightly" {
		t.Errorf("String = %q", s.String())
	}
}
