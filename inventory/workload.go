package inventory

import (
	"path"
	"strconv"
	"strings"
)

var shells = map[string]bool{"sh": true, "bash": true, "ash": true, "dash": true, "zsh": true, "busybox": false}

// SleepCommand recognises the command of a sleeping preStop hook,
// ["sleep", "N"] or ["sh", "-c", "sleep N [&& ...]"], and returns its
// duration in seconds. The collectors redact every other command; the
// rules judge the duration.
func SleepCommand(cmd []string) (float64, bool) {
	if len(cmd) == 0 {
		return 0, false
	}
	if path.Base(cmd[0]) == "sleep" && len(cmd) == 2 {
		return SleepArg(cmd[1])
	}
	if shells[path.Base(cmd[0])] && len(cmd) == 3 && (cmd[1] == "-c" || cmd[1] == "-ec" || cmd[1] == "-xc") {
		script := strings.TrimSpace(cmd[2])
		first := script
		for _, sep := range []string{"&&", ";", "\n"} {
			if i := strings.Index(first, sep); i >= 0 {
				first = first[:i]
			}
		}
		f := strings.Fields(first)
		if len(f) == 2 && (path.Base(f[0]) == "sleep") {
			return SleepArg(f[1])
		}
	}
	return 0, false
}

// SleepArg parses sleep's argument: a number with an optional s, m, h or d
// suffix.
func SleepArg(a string) (float64, bool) {
	mult := 1.0
	switch {
	case strings.HasSuffix(a, "s"):
		a = strings.TrimSuffix(a, "s")
	case strings.HasSuffix(a, "m"):
		a, mult = strings.TrimSuffix(a, "m"), 60
	case strings.HasSuffix(a, "h"):
		a, mult = strings.TrimSuffix(a, "h"), 3600
	case strings.HasSuffix(a, "d"):
		a, mult = strings.TrimSuffix(a, "d"), 86400
	}
	v, err := strconv.ParseFloat(a, 64)
	if err != nil || v < 0 {
		return 0, false
	}
	return v * mult, true
}
