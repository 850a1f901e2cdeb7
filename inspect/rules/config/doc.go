// Package config holds the rules about lbdiag's own configuration: the
// ignore file's suppressions.
package config
