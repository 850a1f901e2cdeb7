package gcp

import (
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
		b, err := recording.ReadBody(resp.Body)
		resp.Body.Close()
		if err != nil {
			return nil, &bodyReadError{err: err}
		}
		if red, ok := recording.RedactAnswer(b); ok {
			b = red
		}
		resp.Body = recording.NewAnswerBody(b)
		resp.ContentLength = int64(len(b))
		resp.Header.Del("Content-Length")
		return resp, nil
	})
}
