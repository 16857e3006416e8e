package main

import (
	"flag"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

var updateDiagram = flag.Bool("update-diagram", false, "rewrite docs/packages.md from the code")

// diagramFile is the diagram of the packages and their imports.
const diagramFile = "docs/packages.md"

// testSupport are packages only tests and tools import; the diagram
// leaves them out with e2e/ (tests only), cmd/ and clients/.
var testSupport = []string{
	"/db/pgtest", "/internal/firefox", "/internal/webkit", "/internal/pagequery",
	"/internal/rtc/rtcsend", "/internal/s3store/s3test", "/media/mediatest", "/media/store/storetest",
}

// TestPackageDiagram keeps docs/packages.md the graph the code has: it is
// generated from `go list`, so it cannot drift. After changing an import:
//
//	go test -run TestPackageDiagram -update-diagram .
func TestPackageDiagram(t *testing.T) {
	got := packageDiagram(t)
	if *updateDiagram {
		if err := os.WriteFile(diagramFile, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(diagramFile)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != got {
		t.Errorf("%s is not the graph of the code's imports; run go test -run TestPackageDiagram -update-diagram .", diagramFile)
	}
}

// layers are the diagram's, highest first.
var layers = []struct{ name, title string }{
	{"wiring", "wiring"}, {"http", "HTTP"}, {"adapters", "adapters"}, {"domain", "domain: media/"},
}

// TestNoImportRunsUp: every import of one package by another runs down
// the layers (wiring, HTTP, adapters, domain) or stays within one.
func TestNoImportRunsUp(t *testing.T) {
	rank := func(pkg string) int {
		for i, l := range layers {
			if l.name == layerOf(pkg) {
				return i
			}
		}
		return -1
	}
	for pkg, deps := range moduleImports(t) {
		for _, dep := range deps {
			if rank(dep) < rank(pkg) {
				t.Errorf("%s (%s) imports %s, a layer up (%s)", pkg, layerOf(pkg), dep, layerOf(dep))
			}
		}
	}
}

// packageDiagram renders the module's packages and their direct imports
// of each other as a Mermaid flowchart, in layers: the wiring, the HTTP
// layer, the adapters and the domain.
func packageDiagram(t *testing.T) string {
	t.Helper()
	imports := moduleImports(t)
	var b strings.Builder
	b.WriteString("# Packages and their imports\n\n")
	b.WriteString("Generated from the code by `go test -run TestPackageDiagram -update-diagram .`\n")
	b.WriteString("(`diagram_test.go`), which fails when this file and the imports disagree. An arrow\n")
	b.WriteString("is a direct import; every arrow runs down the layers or within one. Test support\n")
	b.WriteString("packages, `e2e/`, `cmd/` and `clients/` are left out.\n\n")
	b.WriteString("```mermaid\nflowchart TD\n")
	for _, l := range layers {
		fmt.Fprintf(&b, "  subgraph %s [\"%s\"]\n", l.name, l.title)
		for _, pkg := range slices.Sorted(maps.Keys(imports)) {
			if layerOf(pkg) == l.name {
				fmt.Fprintf(&b, "    %s[\"%s\"]\n", nodeID(pkg), pkg)
			}
		}
		b.WriteString("  end\n")
	}
	for _, pkg := range slices.Sorted(maps.Keys(imports)) {
		deps := imports[pkg]
		slices.Sort(deps)
		for _, dep := range deps {
			fmt.Fprintf(&b, "  %s --> %s\n", nodeID(pkg), nodeID(dep))
		}
	}
	b.WriteString("```\n")
	return b.String()
}

// shown returns a module package's path in the diagram ("." for the root)
// and whether the diagram shows it.
func shown(importPath string) (string, bool) {
	rel, ok := strings.CutPrefix(importPath, module)
	if !ok || slices.Contains(testSupport, rel) ||
		rel == "/e2e" || strings.HasPrefix(rel, "/cmd/") || strings.HasPrefix(rel, "/clients/") {
		return "", false
	}
	if rel == "" {
		return "main", true
	}
	return strings.TrimPrefix(rel, "/"), true
}

func layerOf(pkg string) string {
	switch {
	case pkg == "main" || pkg == "internal/app" || pkg == "internal/config":
		return "wiring"
	case pkg == "handlers" || strings.HasPrefix(pkg, "handlers/") || pkg == "views" || pkg == "assets":
		return "http"
	case pkg == "media" || strings.HasPrefix(pkg, "media/"):
		return "domain"
	}
	return "adapters"
}

func nodeID(pkg string) string { return strings.NewReplacer("/", "_").Replace(pkg) }

// moduleImports maps each package the diagram shows to those of them it
// imports.
func moduleImports(t *testing.T) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	imports := map[string][]string{}
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		pkg, ok := shown(fields[0])
		if !ok {
			continue
		}
		imports[pkg] = []string{}
		for _, imp := range fields[1:] {
			if dep, ok := shown(imp); ok {
				imports[pkg] = append(imports[pkg], dep)
			}
		}
	}
	return imports
}
