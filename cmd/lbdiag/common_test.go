package main

import (
	"strings"
	"testing"
)

func TestCheckEndpoint(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ endpoint, suffix, want string }{
		{"https://compute.googleapis.com/", "", ""},
		{"http://127.0.0.1:8080/v1/", "/v1/", ""},
		{"compute.googleapis.com", "", "is not an http or https URL"},
		{"ftp://example.com/", "", "is not an http or https URL"},
		{"https://example.com/v2/", "/v1/", "must end in /v1/"},
		// A password would be written into every evidence bundle's flags.
		{"https://user:s3cret@proxy.example.com/", "", "without a user or password"},
		{"ftp://user:s3cret@proxy.example.com/", "", "without a user or password"},
		// Without a scheme, "user:s3cret@host" parses as scheme "user".
		{"user:s3cret@proxy.example.com", "", "without a user or password"},
		{"https://compute.googleapis.com/compute/v1/?key=s3cret", "", "without a query"},
		{"https://compute.googleapis.com/compute/v1/#s3cret", "", "without a query or fragment"},
		{"s3cret", "", "is not an http or https URL"},
	} {
		err := checkEndpoint("compute", tc.endpoint, tc.suffix)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.endpoint, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want %q", tc.endpoint, err, tc.want)
		case err != nil && strings.Contains(err.Error(), "s3cret"):
			t.Errorf("the error repeats the password: %v", err)
		}
	}
}
