package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// env reads the RECORDER_* fallbacks of the flags. A malformed number or
// duration falls back to the default (the flag may still set it); a
// malformed switch is an error, the first of which is kept.
type env struct {
	get func(string) string
	err error
}

// str is the variable name, or def when it is unset or empty.
func (e *env) str(name, def string) string {
	if v := e.get(name); v != "" {
		return v
	}
	return def
}

func (e *env) int(name string, def int) int {
	v, err := strconv.Atoi(e.str(name, strconv.Itoa(def)))
	if err != nil {
		return def
	}
	return v
}

func (e *env) int64(name string, def int64) int64 {
	v, err := strconv.ParseInt(e.str(name, strconv.FormatInt(def, 10)), 10, 64)
	if err != nil {
		return def
	}
	return v
}

func (e *env) duration(name string, def time.Duration) time.Duration {
	v, err := time.ParseDuration(e.str(name, def.String()))
	if err != nil {
		return def
	}
	return v
}

func (e *env) bool(name string, def bool) bool {
	v, err := strconv.ParseBool(e.str(name, strconv.FormatBool(def)))
	if err != nil {
		if e.err == nil {
			e.err = fmt.Errorf("%s: %w", name, err)
		}
		return def
	}
	return v
}

// splitList splits a comma-separated flag, dropping blanks.
func splitList(s string) []string {
	var out []string
	for p := range strings.SplitSeq(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
