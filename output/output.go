// Package output stores the reports of scheduled runs: in a directory, or
// in a Cloud Storage bucket (gs://BUCKET/PREFIX). These objects are the
// only thing lbdiag ever writes, and only where --output says; it never
// writes to the APIs it inspects.
package output

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"cloud.google.com/go/storage"
	"golang.org/x/oauth2"
	"google.golang.org/api/option"
)

// ErrNotExist is returned by Get for an object that does not exist.
var ErrNotExist = errors.New("no such object")

// Store reads and writes objects by slash-separated path.
type Store interface {
	// Get reads an object; ErrNotExist when there is none.
	Get(ctx context.Context, name string) ([]byte, error)
	// Put writes an object, replacing any.
	Put(ctx context.Context, name string, data []byte) error
	// String names the store for messages.
	String() string
	// Close releases the store's resources.
	Close() error
}

// Open opens the store --output names: gs://BUCKET[/PREFIX] or a
// directory, created as needed. ts authenticates to Cloud Storage; with
// STORAGE_EMULATOR_HOST set the client talks to that emulator instead.
func Open(ctx context.Context, where string, ts oauth2.TokenSource, userAgent string) (Store, error) {
	if rest, ok := strings.CutPrefix(where, "gs://"); ok {
		bucket, prefix, _ := strings.Cut(rest, "/")
		if bucket == "" {
			return nil, fmt.Errorf("--output %s names no bucket", where)
		}
		// JSON reads: the same API as the writes, which emulators serve
		// whatever host name they listen on.
		opts := []option.ClientOption{option.WithUserAgent(userAgent), storage.WithJSONReads()}
		if os.Getenv("STORAGE_EMULATOR_HOST") == "" && ts != nil {
			opts = append(opts, option.WithTokenSource(ts))
		}
		c, err := storage.NewClient(ctx, opts...)
		if err != nil {
			return nil, fmt.Errorf("opening Cloud Storage: %w", err)
		}
		return &gcsStore{client: c, bucket: bucket, prefix: strings.Trim(prefix, "/")}, nil
	}
	if err := os.MkdirAll(where, 0o755); err != nil {
		return nil, fmt.Errorf("--output: %w", err)
	}
	return dirStore(where), nil
}

type dirStore string

func (d dirStore) path(name string) (string, error) {
	clean := path.Clean("/" + name)[1:]
	if clean == "" || clean != name {
		return "", fmt.Errorf("invalid object name %q", name)
	}
	return filepath.Join(string(d), filepath.FromSlash(clean)), nil
}

func (d dirStore) Get(_ context.Context, name string) ([]byte, error) {
	p, err := d.path(name)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotExist
	}
	return b, err
}

// Put writes through a temporary file and a rename, so that a reader never
// sees half a report.
func (d dirStore) Put(_ context.Context, name string, data []byte) error {
	p, err := d.path(name)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".lbdiag-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), p)
}

func (d dirStore) String() string { return string(d) }
func (d dirStore) Close() error   { return nil }

type gcsStore struct {
	client         *storage.Client
	bucket, prefix string
}

func (g *gcsStore) object(name string) string {
	if g.prefix == "" {
		return name
	}
	return g.prefix + "/" + name
}

func (g *gcsStore) Get(ctx context.Context, name string) ([]byte, error) {
	r, err := g.client.Bucket(g.bucket).Object(g.object(name)).NewReader(ctx)
	if errors.Is(err, storage.ErrObjectNotExist) {
		return nil, ErrNotExist
	}
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

func (g *gcsStore) Put(ctx context.Context, name string, data []byte) error {
	w := g.client.Bucket(g.bucket).Object(g.object(name)).NewWriter(ctx)
	w.ContentType = "application/json"
	if strings.HasSuffix(name, ".html") {
		w.ContentType = "text/html; charset=utf-8"
	}
	if _, err := w.Write(data); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

func (g *gcsStore) String() string {
	return "gs://" + path.Join(g.bucket, g.prefix)
}

func (g *gcsStore) Close() error { return g.client.Close() }

// ReadFile reads a local file or a Cloud Storage object
// (gs://BUCKET/OBJECT), at most limit bytes.
func ReadFile(ctx context.Context, where string, ts oauth2.TokenSource, userAgent string, limit int64) ([]byte, error) {
	if rest, ok := strings.CutPrefix(where, "gs://"); ok {
		bucket, object, _ := strings.Cut(rest, "/")
		if bucket == "" || object == "" || strings.HasSuffix(object, "/") {
			return nil, fmt.Errorf("%s names no object (want gs://BUCKET/OBJECT)", where)
		}
		st, err := Open(ctx, "gs://"+bucket, ts, userAgent)
		if err != nil {
			return nil, err
		}
		defer st.Close()
		g := st.(*gcsStore)
		r, err := g.client.Bucket(bucket).Object(object).NewReader(ctx)
		if errors.Is(err, storage.ErrObjectNotExist) {
			return nil, fmt.Errorf("%s: %w", where, ErrNotExist)
		}
		if err != nil {
			return nil, err
		}
		defer r.Close()
		return readLimited(r, limit)
	}
	f, err := os.Open(where)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readLimited(f, limit)
}

func readLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return b, nil
}
