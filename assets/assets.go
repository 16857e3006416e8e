// Package assets embeds the static files the page loads: the stylesheet,
// the JS island (plain ES modules, no build step) and vendored htmx.
package assets

import "embed"

// FS holds every file under this directory except Go sources.
//
//go:embed style.css trim.css favicon.svg js vendor
var FS embed.FS
