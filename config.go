package main

import (
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/clevertim-graphql/clevertim-graphql/internal/telemetry"
)

// envPrefix starts the environment variable of every flag:
// -upstream-timeout is also CLEVERTIM_GRAPHQL_UPSTREAM_TIMEOUT. Flags are
// read from the environment generically, so a new flag gets its variable
// with no code.
const envPrefix = "CLEVERTIM_GRAPHQL_"

// envName is a flag's environment variable.
func envName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// legacyEnv is the older variable a flag also reads (its default), if any.
func legacyEnv(flagName string) string {
	switch flagName {
	case "upstream":
		return "CLEVERTIM_URL"
	case "api-key":
		return "CLEVERTIM_API_KEY"
	case "cors-origins":
		return "CORS_ORIGINS"
	case "cors-headers":
		return "CORS_HEADERS"
	case "redis-url":
		return "REDIS_URL"
	}
	return ""
}

// productionOptions are the flags of running in production: telemetry,
// readiness and the configuration printout.
type productionOptions struct {
	metricsAddr        string
	maxOperationNames  int
	logFormat          string
	logLevel           string
	readyCheckInterval time.Duration
	printConfig        bool

	// For -print-config: the flags and where each value came from.
	flags *flag.FlagSet
	from  map[string]string
}

func addProductionFlags(fs *flag.FlagSet, o *productionOptions) {
	fs.StringVar(&o.metricsAddr, "metrics-addr", "", "serve /metrics on this address instead of the main one")
	fs.IntVar(&o.maxOperationNames, "metrics-max-operation-names", telemetry.DefaultMaxOperationNames,
		"most distinct operation names kept apart in metrics; later ones count as (other)")
	fs.StringVar(&o.logFormat, "log-format", "", "json or text; empty: text on a terminal, else json")
	fs.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.DurationVar(&o.readyCheckInterval, "ready-check-interval", 2*time.Second,
		"how long /readyz reuses its last upstream check, so probes cost Clevertim one request per interval at most")
	fs.BoolVar(&o.printConfig, "print-config", false, "print the effective settings, secrets masked, and exit")
}

// applyEnv sets every flag not given on the command line from its
// CLEVERTIM_GRAPHQL_* variable, when that is set. It returns where each
// flag's value came from.
func applyEnv(fs *flag.FlagSet, getenv func(string) string) (map[string]string, error) {
	from := map[string]string{}
	fs.Visit(func(f *flag.Flag) { from[f.Name] = "command line" })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if _, ok := from[f.Name]; ok || err != nil {
			return
		}
		name := envName(f.Name)
		if v := getenv(name); v != "" {
			if setErr := fs.Set(f.Name, v); setErr != nil {
				// The value is not repeated: it may be a secret.
				err = fmt.Errorf("environment %s: %w", name, setErr)
				return
			}
			from[f.Name] = name
			return
		}
		if legacy := legacyEnv(f.Name); legacy != "" && getenv(legacy) != "" {
			from[f.Name] = legacy
			return
		}
		from[f.Name] = "default"
	})
	return from, err
}

// secret says whether a flag's value must never be shown: an API key, a
// password, a secret or a token. Matched on the flag's last word, so that
// limits named after keys or tokens (-max-operations-per-key, -max-tokens)
// still show their numbers.
func secret(flagName string) bool {
	words := strings.Split(flagName, "-")
	switch last := words[len(words)-1]; last {
	case "password", "secret", "token":
		return true
	case "key":
		return len(words) >= 2 && words[len(words)-2] == "api"
	}
	return false
}

// masked is a value as it may be shown: secrets as ****, passwords in URLs
// (redis://:pw@host) redacted.
func masked(flagName, value string) string {
	if value == "" {
		return ""
	}
	if secret(flagName) {
		return "****"
	}
	if u, err := url.Parse(value); err == nil && u.User != nil {
		return u.Redacted()
	}
	return value
}

// printConfig writes every flag's effective value and where it came from.
func printConfig(w io.Writer, fs *flag.FlagSet, from map[string]string, getenv func(string) string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "flag\tvalue\tfrom")
	fs.VisitAll(func(f *flag.Flag) {
		fmt.Fprintf(tw, "-%s\t%s\t%s\n", f.Name, masked(f.Name, f.Value.String()), from[f.Name])
	})
	traces := "off"
	if telemetry.TracingEnabled(getenv) {
		traces = "OTLP/HTTP, as the OTEL_* environment says"
	}
	fmt.Fprintf(tw, "traces\t%s\tOTEL_*\n", traces)
	return tw.Flush()
}

// configTable is the README's table of flags: generated from the flags
// themselves, and checked by a test so that it cannot drift.
func configTable(fs *flag.FlagSet) string {
	var b strings.Builder
	b.WriteString("| flag | environment | default | meaning |\n| --- | --- | --- | --- |\n")
	fs.VisitAll(func(f *flag.Flag) {
		env := "`" + envName(f.Name) + "`"
		if legacy := legacyEnv(f.Name); legacy != "" {
			env = "`" + legacy + "`, " + env
		}
		def := ""
		if f.DefValue != "" {
			def = "`" + f.DefValue + "`"
		}
		fmt.Fprintf(&b, "| `-%s` | %s | %s | %s |\n", f.Name, env, def, strings.ReplaceAll(f.Usage, "|", `\|`))
	})
	return b.String()
}
