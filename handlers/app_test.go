package handlers_test

import (
	"net/http"
	"regexp"
	"testing"
)

// formRoutes take urlencoded forms (they work without JavaScript); every
// other route with a body must refuse a body of the wrong type.
var formRoutes = map[string]bool{
	"/login": true, "/params": true,
	"/recordings/:filename/title": true, "/recordings/:filename/delete": true,
	"/recordings/:filename/restore": true, "/recordings/:filename/purge": true,
	"/recordings/:filename/trim": true, "/recordings/:filename/untrim": true,
	"/recordings/:filename/share": true, "/recordings/:filename/share/stop": true,
	"/s/:token/play": true, // takes no body at all
}

var routeParam = regexp.MustCompile(`:[a-z]+|\*`)

// TestEveryBodyRouteChecksItsType walks every route the app declares: a
// POST or PUT that is not a form must answer 415 to a text/plain body, so
// a new JSON route cannot skip its group's RequireJSON.
func TestEveryBodyRouteChecksItsType(t *testing.T) {
	ta, _ := newFakeApp(t)
	checked := 0
	for _, r := range ta.app.GetRoutes(true) {
		if r.Method != http.MethodPost && r.Method != http.MethodPut || formRoutes[r.Path] {
			continue
		}
		target := routeParam.ReplaceAllString(r.Path, "x1")
		res := ta.do(t, r.Method, target, "", "Content-Type", "text/plain")
		if res.status != http.StatusUnsupportedMediaType {
			t.Errorf("%s %s with a text/plain body: %d %s, want 415", r.Method, r.Path, res.status, res.body)
		}
		checked++
	}
	if checked < 10 {
		t.Errorf("checked only %d routes; did the app lose its routes?", checked)
	}
}
