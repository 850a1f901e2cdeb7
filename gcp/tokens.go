package gcp

import (
	"slices"
	"sync"

	"golang.org/x/oauth2"
)

// TokenMemo is a token source that remembers the access tokens it handed
// out, so that they can be scrubbed from every error lbdiag keeps and from
// evidence bundles.
type TokenMemo struct {
	src oauth2.TokenSource
	mu  sync.Mutex
	got []string
}

// RememberTokens wraps a token source in a TokenMemo.
func RememberTokens(src oauth2.TokenSource) *TokenMemo { return &TokenMemo{src: src} }

// Token returns the source's token and remembers it.
func (t *TokenMemo) Token() (*oauth2.Token, error) {
	tok, err := t.src.Token()
	if err == nil && tok != nil {
		t.mu.Lock()
		if !slices.Contains(t.got, tok.AccessToken) {
			t.got = append(t.got, tok.AccessToken)
		}
		t.mu.Unlock()
	}
	return tok, err
}

// Issued returns the access tokens handed out so far.
func (t *TokenMemo) Issued() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.got...)
}
