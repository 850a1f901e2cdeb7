package core

import "testing"

func TestAnnotateServiceFix(t *testing.T) {
	t.Parallel()
	// A key or value from an annotation cannot end the quoted word.
	got := AnnotateServiceFix("shop", "web", "cloud.google.com/app-protocols", `{"x'; touch /tmp/owned; echo '":"HTTPS"}`)
	want := `kubectl annotate service web -n shop cloud.google.com/app-protocols='{"x'\''; touch /tmp/owned; echo '\''":"HTTPS"}' --overwrite`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := ShellQuote(`{"ingress":true}`); got != `'{"ingress":true}'` {
		t.Errorf("ShellQuote = %s", got)
	}
}
