package recording

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/lbdiag/lbdiag/internal/untrusted"
)

// SumsName is the checksum file of a bundle, in sha256sum's format.
const SumsName = "SHA256SUMS"

// maxBundleFile bounds one file of a bundle, and maxBundle the whole.
const (
	maxBundleFile = 256 << 20
	maxBundle     = 1 << 30
)

// BundleFile is a file to put in a bundle besides the recording.
type BundleFile struct {
	Name string
	Data []byte
}

// WriteBundle writes a gzipped tar of the recording (manifest and every
// body, redacted), the extra files and SHA256SUMS over all of them. Files
// are written in name order with the manifest's start time, so that a
// bundle is reproducible.
func WriteBundle(w io.Writer, m Manifest, bodies [][]byte, extra []BundleFile) error {
	m.Format, m.FormatVersion = Format, FormatVersion
	files := map[string][]byte{}
	for i, e := range m.Exchanges {
		if e.File != "" {
			files[e.File] = Redact(bodies[i])
		}
	}
	mb, err := untrusted.Marshal(m, "  ")
	if err != nil {
		return fmt.Errorf("encoding bundle manifest: %w", err)
	}
	files[ManifestName] = append(mb, '\n')
	for _, f := range extra {
		files[f.Name] = f.Data
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var sums bytes.Buffer
	for _, n := range names {
		sums.WriteString(sumLine(files[n], n) + "\n")
	}
	files[SumsName] = sums.Bytes()
	names = append(names, SumsName)

	mtime := time.Unix(0, 0)
	if m.RecordedAt != nil {
		mtime = *m.RecordedAt
	}
	gz, _ := gzip.NewWriterLevel(w, gzip.BestCompression)
	tw := tar.NewWriter(gz)
	dirs := map[string]bool{}
	for _, n := range names {
		for d := path.Dir(n); d != "." && !dirs[d]; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	dirNames := make([]string, 0, len(dirs))
	for d := range dirs {
		dirNames = append(dirNames, d)
	}
	sort.Strings(dirNames)
	for _, d := range dirNames {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o755, ModTime: mtime}); err != nil {
			return err
		}
	}
	for _, n := range names {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: n, Mode: 0o644, Size: int64(len(files[n])), ModTime: mtime}); err != nil {
			return err
		}
		if _, err := tw.Write(files[n]); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

// ReadBundle reads and verifies a bundle: every file must be listed in
// SHA256SUMS with a matching checksum and every listed file present; a
// truncated or corrupt archive, or a recording of a newer format, is
// refused. Nothing of a refused bundle is returned.
func ReadBundle(r io.Reader) (*Recording, fs.FS, error) {
	gz, err := gzip.NewReader(bufio.NewReader(r))
	if err != nil {
		return nil, nil, fmt.Errorf("not a gzipped bundle: %w", err)
	}
	tr := tar.NewReader(gz)
	files := memFS{}
	var total int64
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("bundle is truncated or corrupt: %w", err)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			continue
		case tar.TypeReg:
		default:
			return nil, nil, fmt.Errorf("bundle holds %s, which is not a regular file", h.Name)
		}
		name := strings.TrimPrefix(path.Clean(h.Name), "./")
		if !fs.ValidPath(name) || h.Size > maxBundleFile {
			return nil, nil, fmt.Errorf("bundle holds an invalid or oversized file %q", h.Name)
		}
		total += h.Size
		if total > maxBundle {
			return nil, nil, errors.New("bundle is larger than 1 GiB")
		}
		b, err := io.ReadAll(io.LimitReader(tr, maxBundleFile+1))
		if err != nil {
			return nil, nil, fmt.Errorf("bundle is truncated or corrupt: %w", err)
		}
		files[name] = b
	}
	if err := gz.Close(); err != nil {
		return nil, nil, fmt.Errorf("bundle is truncated or corrupt: %w", err)
	}
	if err := verifySums(files); err != nil {
		return nil, nil, err
	}
	rec, err := Load(files)
	if err != nil {
		return nil, nil, err
	}
	return rec, files, nil
}

func verifySums(files memFS) error {
	sums, ok := files[SumsName]
	if !ok {
		return errors.New("bundle has no SHA256SUMS")
	}
	listed := map[string]bool{}
	for i, line := range strings.Split(strings.TrimRight(string(sums), "\n"), "\n") {
		sum, name, ok := strings.Cut(line, "  ")
		if !ok {
			return fmt.Errorf("SHA256SUMS line %d is malformed", i+1)
		}
		b, present := files[name]
		if !present {
			return fmt.Errorf("bundle lacks %s, which SHA256SUMS lists", name)
		}
		got := sha256.Sum256(b)
		if hex.EncodeToString(got[:]) != sum {
			return fmt.Errorf("checksum of %s does not match SHA256SUMS: the bundle was altered or damaged", name)
		}
		listed[name] = true
	}
	for name := range files {
		if name != SumsName && !listed[name] {
			return fmt.Errorf("bundle holds %s, which SHA256SUMS does not list", name)
		}
	}
	return nil
}

// LoadPath loads a recording from a directory or a bundle file.
func LoadPath(p string) (*Recording, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return Load(os.DirFS(p))
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rec, _, err := ReadBundle(f)
	return rec, err
}

// memFS is a read-only in-memory file system of a bundle's files.
type memFS map[string][]byte

func (m memFS) ReadFile(name string) ([]byte, error) {
	b, ok := m[name]
	if !ok {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrNotExist}
	}
	return b, nil
}

func (m memFS) Open(name string) (fs.File, error) {
	b, ok := m[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return &memFile{Reader: bytes.NewReader(b), name: name, size: int64(len(b))}, nil
}

type memFile struct {
	*bytes.Reader
	name string
	size int64
}

func (f *memFile) Stat() (fs.FileInfo, error) { return memInfo{f}, nil }
func (f *memFile) Close() error               { return nil }

type memInfo struct{ f *memFile }

func (i memInfo) Name() string       { return path.Base(i.f.name) }
func (i memInfo) Size() int64        { return i.f.size }
func (i memInfo) Mode() fs.FileMode  { return 0o444 }
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return false }
func (i memInfo) Sys() any           { return nil }

func sumLine(b []byte, name string) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]) + "  " + name
}
