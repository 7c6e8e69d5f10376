package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// needTool skips a test that needs a tool the machine lacks, naming how to
// get it; in CI (CI=true) it fails instead, so that CI always runs it.
func needTool(t *testing.T, missing bool, what, install string) {
	t.Helper()
	if !missing {
		return
	}
	msg := what + " is missing: " + install
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// The GraphQL-over-HTTP audits of graphql-http (serverAudits), every one of
// them, MUST, SHOULD and MAY, against the real server.
func TestGraphQLOverHTTPAudits(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("web", "audit")
	node, err := exec.LookPath("node")
	needTool(t, err != nil, "node", "apt-get install nodejs npm")
	_, err = os.Stat(filepath.Join(dir, "node_modules", "graphql-http", "package.json"))
	needTool(t, err != nil, "graphql-http", "run `npm ci` in web/audit")

	base, _, _ := start(t, nil)
	// A bound for a hung audit, not a measure: the audits take a second.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "audit.mjs", base+"/query")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	audits := 0
	for _, line := range lines[:len(lines)-1] {
		if !strings.HasPrefix(line, "ok ") {
			t.Errorf("audit: %s", line)
		}
		audits++
	}
	summary := regexp.MustCompile(`^(\d+) of (\d+) audits ok$`).FindStringSubmatch(lines[len(lines)-1])
	if err != nil || summary == nil || summary[1] != summary[2] || audits < 60 {
		t.Fatalf("audits: %v, %d run\n%s", err, audits, out)
	}
	t.Logf("%s of %s GraphQL-over-HTTP audits ok", summary[1], summary[2])
}
