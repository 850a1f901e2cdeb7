package recording

import (
	"bytes"
	"io"
	"sync"
)

// MaxBody bounds one answer's body.
const MaxBody = 256 << 20

// answerBody is an answer read whole. The layers that need all of it (the
// retry's read under its timeout, the recorder, the redaction, the
// Kubernetes decoder) take its bytes instead of copying them again: at
// scale L the copies were 300 MB for the garbage collector.
type answerBody struct {
	*bytes.Reader
	b []byte
}

// NewAnswerBody is a response body holding an answer read whole, whose
// bytes ReadBody gives back without a copy. Nobody may change them.
func NewAnswerBody(b []byte) io.ReadCloser {
	return &answerBody{Reader: bytes.NewReader(b), b: b}
}

func (a *answerBody) Close() error { return nil }

// ReadBody reads an answer whole, at most MaxBody bytes; a NewAnswerBody
// nobody has read from yet gives its bytes as they are.
func ReadBody(body io.Reader) ([]byte, error) {
	if a, ok := body.(*answerBody); ok && a.Len() == len(a.b) {
		return a.b, nil
	}
	buf := readBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	_, err := buf.ReadFrom(io.LimitReader(body, MaxBody))
	// One allocation of the answer's size: io.ReadAll grows through
	// chunks of half its size and more, each new memory to fault in, for
	// every page of a big project. A buffer too big to keep is the
	// answer itself.
	if buf.Cap() > maxPooledBuffer {
		return buf.Bytes(), err
	}
	b := append([]byte{}, buf.Bytes()...)
	readBuffers.Put(buf)
	return b, err
}

// readBuffers are ReadBody's buffers, reused from answer to answer.
var readBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuffer is the largest buffer kept for the next answer.
const maxPooledBuffer = 16 << 20
