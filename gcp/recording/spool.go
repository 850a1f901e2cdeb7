package recording

import (
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
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
// the reports. Where the temporary directory is memory, as a Cloud Run
// task's is, it counts against the container's limit, so it is
// compressed with DEFLATE at its fastest level: at scale L the 95 MB of
// answers and 55 MB of reports take about 7 MB. It starts with its length
// uncompressed (8 bytes, little-endian), so that reading it back checks
// the bound first and fills one buffer of the right size.

const spoolHeader = 8

var spoolWriters = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(nil, flate.BestSpeed)
	return w
}}

var spoolReaders sync.Pool // of io.ReadCloser that are flate.Resetters

// encodeSpooled is data as a spooled file holds it.
func encodeSpooled(data []byte) []byte {
	var buf bytes.Buffer
	buf.Grow(spoolHeader + len(data)/8)
	buf.Write(binary.LittleEndian.AppendUint64(nil, uint64(len(data))))
	zw := spoolWriters.Get().(*flate.Writer)
	zw.Reset(&buf)
	zw.Write(data) // a bytes.Buffer takes every write
	zw.Close()
	zw.Reset(io.Discard) // let go of the buffer
	spoolWriters.Put(zw)
	return buf.Bytes()
}

// SpoolFile is a spooled file being written (CreateSpooled).
type SpoolFile struct {
	f  *os.File
	bw *bufio.Writer
	zw *flate.Writer
	n  uint64
}

// CreateSpooled creates the spooled file p for writing.
func CreateSpooled(p string) (*SpoolFile, error) {
	f, err := os.OpenFile(p, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	s := &SpoolFile{f: f, bw: bufio.NewWriterSize(f, 32<<10), zw: spoolWriters.Get().(*flate.Writer)}
	s.bw.Write(make([]byte, spoolHeader)) // the length, once it is known
	s.zw.Reset(s.bw)
	return s, nil
}

func (s *SpoolFile) Write(p []byte) (int, error) {
	n, err := s.zw.Write(p)
	s.n += uint64(n)
	return n, err
}

// Close finishes the file.
func (s *SpoolFile) Close() error {
	if s.zw == nil {
		return os.ErrClosed
	}
	err := s.zw.Close()
	s.zw.Reset(io.Discard) // let go of the file
	spoolWriters.Put(s.zw)
	s.zw = nil
	if ferr := s.bw.Flush(); err == nil {
		err = ferr
	}
	if err == nil {
		_, err = s.f.WriteAt(binary.LittleEndian.AppendUint64(nil, s.n), 0)
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
	var head [spoolHeader]byte
	if _, err := io.ReadFull(br, head[:]); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(p), err)
	}
	n := binary.LittleEndian.Uint64(head[:])
	if n > maxBundleFile {
		return nil, fmt.Errorf("%s: more than %d bytes", filepath.Base(p), maxBundleFile)
	}
	var zr io.ReadCloser
	if r, ok := spoolReaders.Get().(io.ReadCloser); ok {
		r.(flate.Resetter).Reset(br, nil)
		zr = r
	} else {
		zr = flate.NewReader(br)
	}
	defer func() {
		zr.(flate.Resetter).Reset(bytes.NewReader(nil), nil) // let go of the file
		spoolReaders.Put(zr)
	}()
	out := make([]byte, n)
	if _, err := io.ReadFull(zr, out); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(p), err)
	}
	// Exactly its length: the stream must end there.
	if m, err := zr.Read(make([]byte, 1)); m != 0 || err != io.EOF {
		if err == nil || err == io.EOF {
			err = errors.New("longer than its length")
		}
		return nil, fmt.Errorf("%s: %w", filepath.Base(p), err)
	}
	return out, nil
}

// spoolFS is the spooled files under a directory, read by their names.
type spoolFS string

func (d spoolFS) Open(name string) (fs.File, error) {
	b, err := d.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return &spooledFile{Reader: bytes.NewReader(b), name: path.Base(name)}, nil
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
}

func (f *spooledFile) Stat() (fs.FileInfo, error) { return f, nil }
func (f *spooledFile) Close() error               { return nil }
func (f *spooledFile) Name() string               { return f.name }
func (f *spooledFile) Mode() fs.FileMode          { return 0o400 }
func (f *spooledFile) ModTime() time.Time         { return time.Time{} }
func (f *spooledFile) IsDir() bool                { return false }
func (f *spooledFile) Sys() any                   { return nil }
