package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim/emulator"
	"github.com/clevertim-graphql/clevertim-graphql/internal/rediscache/redistest"
)

// Two servers configured by REDIS_URL share one redis-server: the second
// answers from the first's fetch; neither Redis nor the logs nor the
// metrics hold the key; with Redis gone, /readyz says so but stays ready,
// queries answer, and the failures are counted.
func TestRedis_TwoServersShareAndSurviveRedis(t *testing.T) {
	t.Parallel()
	rs := redistest.Start(t)
	up := startUpstream(t)
	env := map[string]string{"REDIS_URL": rs.URL(), "CLEVERTIM_GRAPHQL_CACHE_TTL": "1h"}
	args := []string{"-upstream", up.URL, "-log-format", "json", "-ready-check-interval", "1ns", "-redis-timeout", "2s"}
	base1, out1, _ := start(t, env, args...)
	base2, out2, _ := start(t, env, args...)
	auth := map[string]string{"Authorization": "Bearer " + emulator.OwnerKey}
	const q = `{ contacts(first: 3) { totalCount nodes { id name } } }`
	requests := func(r map[string]any) float64 {
		if r["errors"] != nil {
			t.Fatalf("errors: %v", r["errors"])
		}
		return r["extensions"].(map[string]any)["upstream"].(map[string]any)["requests"].(float64)
	}
	if n := requests(query(t, base1+"/query", q, auth)); n == 0 {
		t.Fatal("the first server's cold read sent nothing")
	}
	if n := requests(query(t, base2+"/query", q, auth)); n != 0 {
		t.Errorf("the second server sent %v upstream requests; want 0", n)
	}
	if status, body := get(t, base2+"/readyz"); status != 200 || !strings.Contains(body, `"redis":"ok"`) {
		t.Errorf("/readyz with Redis: %d %s", status, body)
	}

	// What Redis holds: hashes, type names, marks and JSON; never the key.
	rdb := redis.NewClient(must(redis.ParseURL(rs.URL())))
	defer rdb.Close()
	ctx := context.Background()
	keys := must(rdb.Keys(ctx, "*").Result())
	if len(keys) == 0 {
		t.Fatal("Redis holds nothing")
	}
	for _, k := range keys {
		v, _ := rdb.Get(ctx, k).Result()
		if strings.Contains(k+v, emulator.OwnerKey) {
			t.Errorf("Redis %q holds the API key", k)
		}
	}

	rs.Stop()
	if status, body := get(t, base2+"/readyz"); status != 200 || !strings.Contains(body, `"redis":"unavailable`) {
		t.Errorf("/readyz without Redis: %d %s", status, body)
	}
	requests(query(t, base2+"/query", `{ opportunities(first: 2) { totalCount } }`, auth))
	m, text := metrics(t, base2+"/metrics")
	failed := 0.0
	for series, v := range m {
		if strings.HasPrefix(series, "clevertim_graphql_redis_errors_total") {
			failed += v
		}
	}
	if failed == 0 {
		t.Errorf("no Redis error counted:\n%s", text)
	}
	if !strings.Contains(out2.String(), "redis unavailable") {
		t.Errorf("no log line says Redis is unavailable:\n%s", out2)
	}
	for _, s := range []string{out1.String(), out2.String(), text} {
		if strings.Contains(s, emulator.OwnerKey) {
			t.Error("the API key is in the logs or metrics")
		}
	}
}

// REDIS_URL is -redis-url's older variable; its password is masked.
func TestRedis_URLFromTheEnvironmentMasked(t *testing.T) {
	t.Parallel()
	env := map[string]string{"REDIS_URL": "redis://:pa55word@redis.example:6379/0"}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"-print-config"}, func(k string) string { return env[k] }, &out, nil); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	if !strings.Contains(text, "redis://:xxxxx@redis.example:6379/0") || !strings.Contains(text, "REDIS_URL") || strings.Contains(text, "pa55word") {
		t.Errorf("-print-config:\n%s", text)
	}
	if err := run(context.Background(), []string{"-redis-url", "http://not redis"}, func(string) string { return "" }, &out, nil); err == nil ||
		!strings.Contains(err.Error(), "-redis-url") {
		t.Errorf("a bad URL: %v", err)
	}
}
