package recording

import (
	"bufio"
	"bytes"
	"compress/flate"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sync"
	"time"
)

// A spooled file is a temporary file that lbdiag writes and reads back
// once, when it builds an evidence bundle: the answers as they arrive and
// the reports. It is compressed with DEFLATE at its fastest level. Where
// the temporary directory is memory, as a Cloud Run task's is, it counts
// against the container's limit: at scale L the answers are about 150 MB
// as received and 8 MB spooled, for about 0.4 s of CPU.

var spoolWriters = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(nil, flate.BestSpeed)
	return w
}}

var spoolReaders sync.Pool // of io.ReadCloser that are flate.Resetters

// writeSpooled writes data to p, compressed.
func writeSpooled(p string, data []byte) error {
	f, err := os.OpenFile(p, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 32<<10)
	zw := spoolWriters.Get().(*flate.Writer)
	zw.Reset(bw)
	_, err = zw.Write(data)
	if cerr := zw.Close(); err == nil {
		err = cerr
	}
	spoolWriters.Put(zw)
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// SpoolFile is a spooled file being written (CreateSpooled).
type SpoolFile struct {
	f  *os.File
	bw *bufio.Writer
	zw *flate.Writer
}

// CreateSpooled creates the spooled file p for writing.
func CreateSpooled(p string) (*SpoolFile, error) {
	f, err := os.OpenFile(p, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	s := &SpoolFile{f: f, bw: bufio.NewWriterSize(f, 64<<10), zw: spoolWriters.Get().(*flate.Writer)}
	s.zw.Reset(s.bw)
	return s, nil
}

func (s *SpoolFile) Write(p []byte) (int, error) { return s.zw.Write(p) }

// Close finishes the file; it must be called once.
func (s *SpoolFile) Close() error {
	err := s.zw.Close()
	spoolWriters.Put(s.zw)
	s.zw = nil
	if ferr := s.bw.Flush(); err == nil {
		err = ferr
	}
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// ReadSpooled reads back the spooled file p.
func ReadSpooled(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 32<<10)
	var zr io.ReadCloser
	if r, ok := spoolReaders.Get().(io.ReadCloser); ok {
		r.(flate.Resetter).Reset(br, nil)
		zr = r
	} else {
		zr = flate.NewReader(br)
	}
	defer spoolReaders.Put(zr)
	var out bytes.Buffer
	if st, err := f.Stat(); err == nil {
		// JSON answers compress about tenfold and more; growing from
		// a guess saves most of the copies of growing from nothing.
		out.Grow(int(min(8*st.Size(), maxBundleFile)))
	}
	if _, err := out.ReadFrom(io.LimitReader(zr, maxBundleFile+1)); err != nil {
		return nil, err
	}
	if out.Len() > maxBundleFile {
		return nil, fmt.Errorf("%s: more than %d bytes", filepath.Base(p), maxBundleFile)
	}
	return out.Bytes(), nil
}

// spoolFS is the spooled files under a directory, read by their names.
type spoolFS string

func (d spoolFS) Open(name string) (fs.File, error) {
	b, err := d.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return &spooledFile{Reader: bytes.NewReader(b), name: path.Base(name), size: int64(len(b))}, nil
}

func (d spoolFS) ReadFile(name string) ([]byte, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fs.ErrInvalid}
	}
	return ReadSpooled(filepath.Join(string(d), filepath.FromSlash(name)))
}

// spooledFile is a spooled file read back whole.
type spooledFile struct {
	*bytes.Reader
	name string
	size int64
}

func (f *spooledFile) Stat() (fs.FileInfo, error) { return f, nil }
func (f *spooledFile) Close() error               { return nil }
func (f *spooledFile) Name() string               { return f.name }
func (f *spooledFile) Size() int64                { return f.size }
func (f *spooledFile) Mode() fs.FileMode          { return 0o400 }
func (f *spooledFile) ModTime() time.Time         { return time.Time{} }
func (f *spooledFile) IsDir() bool                { return false }
func (f *spooledFile) Sys() any                   { return nil }
