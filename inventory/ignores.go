package inventory

import "time"

// Ignores are the suppressions of the run's ignore file (--ignore-file):
// what the user declared intentional, with a reason and an end date. Rules
// judge the entries' expiry against Now, the run's clock (not the time of
// the data: an entry's end date is a calendar date of the person who
// wrote it).
type Ignores struct {
	// File names the ignore file (a path or gs:// URL).
	File    string
	Entries []IgnoreEntry
	Now     time.Time
}

// IgnoreEntry is one suppression: a finding's Fingerprint, or a selector
// (Rule, and optionally Project, Kind, Namespace and Name, of which
// Project, Namespace and Name are globs).
type IgnoreEntry struct {
	// Line is the entry's line in the file.
	Line        int
	Fingerprint string
	Rule        string
	Project     string
	Kind        string
	Namespace   string
	Name        string
	Reason      string
	Owner       string
	// Expires is when the entry stops suppressing: 00:00 UTC of the date
	// the file gives, or the time it gives.
	Expires time.Time
}

// Expired reports whether the entry no longer suppresses at now.
func (e IgnoreEntry) Expired(now time.Time) bool { return !now.Before(e.Expires) }
