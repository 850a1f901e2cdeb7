package gcp

import (
	"bytes"
	"io"
	"net/http"

	"github.com/lbdiag/lbdiag/gcp/recording"
)

// RedactAnswers returns a RoundTripper that redacts every successful JSON
// answer of next (recording.Redact's rules) before lbdiag decodes it. The
// rules and the reports thus read exactly what an evidence bundle keeps,
// and a bundle replays to the same report. Error answers and bodies that
// are not JSON pass unchanged: the decoders and hints deal with them.
func RedactAnswers(next http.RoundTripper) http.RoundTripper {
	return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		resp, err := next.RoundTrip(req)
		if err != nil || resp.StatusCode < 200 || resp.StatusCode > 299 {
			return resp, err
		}
		b, err := readBody(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, &bodyReadError{err: err}
		}
		if red, ok := recording.RedactAnswer(b); ok {
			b = red
		}
		resp.Body = newAnswerBody(b)
		resp.ContentLength = int64(len(b))
		resp.Header.Del("Content-Length")
		return resp, nil
	})
}

// answerBody is an answer read whole. The layers that need all of it (the
// retry's read under its timeout, the redaction, the Kubernetes decoder)
// take its bytes instead of copying them again: at scale L the copies
// were 300 MB for the garbage collector.
type answerBody struct {
	*bytes.Reader
	b []byte
}

func newAnswerBody(b []byte) *answerBody { return &answerBody{Reader: bytes.NewReader(b), b: b} }

func (a *answerBody) Close() error { return nil }

// readBody reads an answer whole, at most maxBody bytes; an answerBody
// nobody has read from yet gives its bytes as they are.
func readBody(body io.Reader) ([]byte, error) {
	if a, ok := body.(*answerBody); ok && a.Len() == len(a.b) {
		return a.b, nil
	}
	return io.ReadAll(io.LimitReader(body, maxBody))
}
