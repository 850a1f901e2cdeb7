package main

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/lbdiag/lbdiag/fixtures"
	"github.com/lbdiag/lbdiag/gcp/recording"
	"github.com/lbdiag/lbdiag/report"
)

// What the commands share: the clock, the endpoints' validation, the
// recordings of --demo and --replay, the table's width.

// checkEndpoint validates an API base URL given by flag or environment:
// an absolute http or https URL, ending in suffix when one is required.
func checkEndpoint(api, endpoint, suffix string) error {
	if endpoint == "" {
		return nil
	}
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return usagef("--%s-endpoint %q is not an http or https URL such as https://%s.googleapis.com/", api, endpoint, api)
	}
	if suffix != "" && !strings.HasSuffix(u.Path, suffix) {
		return usagef("--%s-endpoint %q must end in %s", api, endpoint, suffix)
	}
	return nil
}

// newClock returns the run's clock: the system clock, or, with --now, a
// clock that starts at that time and advances with the system's.
func newClock(now string) (func() time.Time, error) {
	if now == "" {
		return time.Now, nil
	}
	at, err := time.Parse(time.RFC3339, now)
	if err != nil {
		return nil, usagef("--now %q: want an RFC 3339 time such as 2026-11-27T02:42:10Z", now)
	}
	origin := time.Now()
	return func() time.Time { return at.Add(time.Since(origin)) }, nil
}

// loadRecording loads the recording of --demo (embedded) or --replay (a
// directory or bundle), and what releases it.
func loadRecording(demo bool, replay string) (*recording.Recording, func(), error) {
	if demo {
		rec, err := recording.Load(fixtures.Demo())
		if err != nil {
			return nil, nil, fmt.Errorf("loading the demo project: %w", err)
		}
		return rec, func() {}, nil
	}
	rec, cleanup, err := recording.LoadPath(replay)
	if err != nil {
		return nil, nil, usagef("--replay %s: %v", replay, err)
	}
	return rec, cleanup, nil
}

// tableOptions sizes the table to the terminal, or $COLUMNS.
func tableOptions(env *environment) report.TableOptions {
	o := report.TableOptions{Width: 160}
	tty := env.isTTY != nil && env.isTTY(env.stdoutFd)
	if tty {
		if w, _, err := term.GetSize(env.stdoutFd); err == nil && w > 0 {
			o.Width = w
		}
	}
	if c, err := strconv.Atoi(env.getenv("COLUMNS")); err == nil && c > 0 {
		o.Width = c
	}
	o.Color = tty && env.getenv("NO_COLOR") == "" && env.getenv("TERM") != "dumb"
	return o
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
