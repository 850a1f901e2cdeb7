package gcp

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
)

// CloudPlatformScope is the OAuth scope lbdiag asks Application Default
// Credentials for. Access is still bounded by the IAM roles of the identity.
const CloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform"

// TokenSource returns the credentials for every API call: the raw OAuth
// access token in tokenFile when given, else Application Default
// Credentials.
func TokenSource(ctx context.Context, tokenFile string) (oauth2.TokenSource, error) {
	if tokenFile != "" {
		b, err := os.ReadFile(tokenFile)
		if err != nil {
			return nil, fmt.Errorf("reading access token file: %w", err)
		}
		tok := strings.TrimSpace(string(b))
		if tok == "" {
			return nil, fmt.Errorf("access token file %s is empty", tokenFile)
		}
		return oauth2.StaticTokenSource(&oauth2.Token{AccessToken: tok, TokenType: "Bearer"}), nil
	}
	creds, err := google.FindDefaultCredentials(ctx, CloudPlatformScope)
	if err != nil {
		return nil, fmt.Errorf("finding Application Default Credentials (run `gcloud auth application-default login` or pass --access-token-file): %w", err)
	}
	return creds.TokenSource, nil
}

// ErrNoProject is returned when no project was given or configured.
var ErrNoProject = errors.New("no project: pass --project, or set CLOUDSDK_CORE_PROJECT or GOOGLE_CLOUD_PROJECT, or `gcloud config set project`")

// DefaultProject finds the project the way gcloud does:
// CLOUDSDK_CORE_PROJECT, then GOOGLE_CLOUD_PROJECT, then core/project of the
// active gcloud configuration in $CLOUDSDK_CONFIG (default
// ~/.config/gcloud).
func DefaultProject(getenv func(string) string) (string, error) {
	for _, k := range []string{"CLOUDSDK_CORE_PROJECT", "GOOGLE_CLOUD_PROJECT"} {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v, nil
		}
	}
	dir := getenv("CLOUDSDK_CONFIG")
	if dir == "" {
		home := getenv("HOME")
		if home == "" {
			return "", ErrNoProject
		}
		dir = filepath.Join(home, ".config", "gcloud")
	}
	name := strings.TrimSpace(getenv("CLOUDSDK_ACTIVE_CONFIG_NAME"))
	if name == "" {
		b, err := os.ReadFile(filepath.Join(dir, "active_config"))
		if err == nil {
			name = strings.TrimSpace(string(b))
		}
	}
	if name == "" {
		name = "default"
	}
	p, err := iniValue(filepath.Join(dir, "configurations", "config_"+name), "core", "project")
	if err != nil || p == "" {
		return "", ErrNoProject
	}
	return p, nil
}

// iniValue reads key from [section] of a gcloud properties file.
func iniValue(path, section, key string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	cur := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			cur = strings.TrimSpace(line[1 : len(line)-1])
		case cur == section:
			k, v, ok := strings.Cut(line, "=")
			if ok && strings.TrimSpace(k) == key {
				return strings.TrimSpace(v), nil
			}
		}
	}
	return "", sc.Err()
}
