package graph_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/clevertim/emulator"
	"github.com/clevertim-graphql/clevertim-graphql/graph"
	"github.com/clevertim-graphql/clevertim-graphql/graph/model"
)

// BenchmarkMesh runs the pipeline board side by side through GraphQL Mesh
// (Hive Gateway over a JSON Schema source, web/mesh) and through the facade,
// over one emulator per account size (BenchmarkSizes' account scaled to 1k,
// 10k and 18k contacts; -short: 1k), 20 ms added to every upstream request:
//
//	npm ci --prefix web/mesh
//	go test ./graph -run '^$' -bench Mesh -benchtime 3x
//
// Six configurations, each warmed by one operation first: Mesh as
// web/mesh/gateway.config.ts sets it up (per-request deduplication of GETs),
// Mesh with its response cache (MESH_CACHE_TTL, warm), the facade with
// default flags, and the facade with -cache-ttl (warm); the two warm ones
// also with a board of another size each time (other-pages). Per operation:
// upstream requests and bytes (counted where the emulator answers, the same
// way for both) and wall time; the facade's cases add how many times Mesh's
// figure is its own (mesh-req/req, mesh-MB/MB, mesh-ms/ms; 2 is the target),
// against Mesh in the matching configuration.
//
// Mesh's schema cannot say the facade's query exactly: the board is a
// resolver of web/mesh that filters and sorts the whole opportunities
// collection in the gateway (as the facade does, Clevertim having no filter
// or sort), notes are each read by id and the latest three kept, and there
// is no totalCount. The benchmark checks that both walks reach the same
// records.
func BenchmarkMesh(b *testing.B) {
	node := meshInstalled(b)
	sizes := []int{1_000, 10_000, 18_000}
	if testing.Short() {
		sizes = sizes[:1]
	}
	board := strings.Replace(readmeOperation(b, "PipelineBoard"), "first: 50", "first: 20", 1)
	if !strings.Contains(board, "first: 20") {
		b.Fatal("the README's PipelineBoard no longer asks for first: 50")
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			env := newMeshEnv(b, node, n)
			mesh := env.measure(b, "mesh", env.mesh, meshBoard, meshShape(), nil, false)
			meshCached := env.measure(b, "mesh-response-cache-warm", env.meshCached, meshBoard, meshShape(), nil, false)
			meshOther := env.measure(b, "mesh-response-cache-other-pages", env.meshCached, meshBoard, meshShape(), nil, true)
			env.measure(b, "facade", env.facade, board, facadeShape(), mesh, false)
			env.measure(b, "facade-cache-ttl-warm", env.facadeCached, board, facadeShape(), meshCached, false)
			env.measure(b, "facade-cache-ttl-other-pages", env.facadeCached, board, facadeShape(), meshOther, true)
		})
	}
}

// meshBoard is the pipeline board as Mesh's schema (web/mesh) can ask for it.
const meshBoard = `query PipelineBoard {
  pipelineBoard(status: "Open", first: 20) {
    id name value currency
    customer {
      __typename
      ... on Contact { id fn ln company { id cn } }
      ... on Company { id cn }
    }
    lead { id user }
    latestNotes(last: 3) { id hl ao commentList { id comment author { id user } } }
  }
}`

const meshDir = "../web/mesh"

// meshInstalled finds node and web/mesh's packages, or skips.
func meshInstalled(b *testing.B) string {
	b.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		b.Skip("BenchmarkMesh needs node: apt-get install nodejs npm")
	}
	for _, bin := range []string{meshComposeBin, meshGatewayBin} {
		if _, err := os.Stat(filepath.Join(meshDir, bin)); err != nil {
			b.Skip("GraphQL Mesh is not installed: run `npm ci --prefix web/mesh`")
		}
	}
	return node
}

const (
	meshComposeBin = "node_modules/@graphql-mesh/compose-cli/esm/bin.js"
	meshGatewayBin = "node_modules/@graphql-hive/gateway/dist/bin.js"
)

type meshEnv struct {
	emu      *emulator.Emulator
	upstream atomic.Int64 // bytes of API answers the emulator wrote
	auth     string       // the owner's key as Clevertim takes it, sent to both
	client   *http.Client

	mesh, meshCached, facade, facadeCached string // GraphQL endpoints
	reference                              *meshWalkResult
	page                                   int // the last board size asked for, less 20, with otherPages
}

func newMeshEnv(b *testing.B, node string, contacts int) *meshEnv {
	b.Helper()
	emu, err := emulator.New(emulator.WithSizes(scaledSizes(contacts)))
	if err != nil {
		b.Fatal(err)
	}
	env := &meshEnv{emu: emu, auth: "Basic " + base64.StdEncoding.EncodeToString([]byte(ownerKey+":X")),
		// The timeout bounds a hung gateway; it is not a measure (an
		// operation takes about a second at 18k contacts).
		client: &http.Client{Timeout: 5 * time.Minute}}
	b.Cleanup(env.client.CloseIdleConnections)
	emuSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/api/") {
			w = &countingWriter{ResponseWriter: w, n: &env.upstream}
		}
		emu.ServeHTTP(w, r)
	}))
	b.Cleanup(func() { emuSrv.Close(); emu.Close() })
	upstream := emuSrv.URL + "/api"

	for _, f := range []struct {
		endpoint *string
		ttl      time.Duration
	}{{&env.facade, 0}, {&env.facadeCached, 30 * time.Second}} {
		h, err := graph.NewHandler(graph.HandlerConfig{UpstreamURL: upstream, DefaultAPIKey: ownerKey, CacheTTL: f.ttl})
		if err != nil {
			b.Fatal(err)
		}
		srv := httptest.NewServer(h)
		b.Cleanup(srv.Close)
		*f.endpoint = srv.URL
	}

	supergraph := composeMesh(b, node, upstream)
	env.mesh = startMesh(b, node, supergraph, 0)
	env.meshCached = startMesh(b, node, supergraph, 30*time.Second)
	emu.SetLatency(benchLatency)
	return env
}

// composeMesh writes web/mesh's supergraph for this upstream.
func composeMesh(b *testing.B, node, upstream string) string {
	b.Helper()
	out := filepath.Join(b.TempDir(), "supergraph.graphql")
	cmd := exec.Command(node, meshComposeBin, "-o", out)
	cmd.Dir = meshDir
	cmd.Env = append(os.Environ(), "CLEVERTIM_URL="+upstream)
	if log, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("mesh-compose: %v\n%s", err, log)
	}
	return out
}

// startMesh starts Hive Gateway on a free port (with its response cache
// when ttl > 0), waits until it answers and stops it when the benchmark
// ends. It runs node on the gateway's script itself, not through npx, so
// that the process stopped is the one serving.
func startMesh(b *testing.B, node, supergraph string, ttl time.Duration) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	logPath := filepath.Join(b.TempDir(), "gateway.log")
	log, err := os.Create(logPath)
	if err != nil {
		b.Fatal(err)
	}
	defer log.Close()
	cmd := exec.Command(node, meshGatewayBin, "supergraph", supergraph, "-c", "gateway.config.ts",
		"--host", "127.0.0.1", "--port", port)
	cmd.Dir = meshDir
	cmd.Env = append(os.Environ(), "MESH_CACHE_TTL="+strconv.Itoa(int(ttl.Seconds())), "NODE_ENV=production")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	b.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	base := "http://127.0.0.1:" + port
	// Counted tries, not a deadline on the clock alone: a loaded machine
	// takes a while to start node.
	for range 600 {
		select {
		case <-exited:
			text, _ := os.ReadFile(logPath)
			b.Fatalf("Hive Gateway exited before answering:\n%s", text)
		default:
		}
		if r, err := http.Get(base + "/healthcheck"); err == nil {
			r.Body.Close()
			if r.StatusCode == http.StatusOK {
				return base + "/graphql"
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	text, _ := os.ReadFile(logPath)
	b.Fatalf("Hive Gateway did not answer on %s:\n%s", base, text)
	return ""
}

// meshFigures are one configuration's figures per operation; ran is false
// when -bench left the configuration out.
type meshFigures struct {
	ran                         bool
	requests, megabytes, millis float64
}

// measure runs query against endpoint: once to warm it (and to check the
// records it reaches against the first configuration's), then b.Loop's
// operations, counted. Against, when set, is Mesh's figures to compare with.
// With otherPages, each operation asks for a board of another size (21 to
// 100 opportunities, never the same twice in a run): what a frontend does
// between two identical operations, which a response cache cannot answer
// and a replica of the account can.
func (e *meshEnv) measure(b *testing.B, name, endpoint, query string, shape boardShape, against *meshFigures, otherPages bool) *meshFigures {
	f := &meshFigures{}
	b.Run(name, func(b *testing.B) {
		first := e.post(b, endpoint, query)
		got, err := shape.walk(first)
		if err != nil {
			b.Fatalf("%s: %v", name, err)
		}
		if e.reference == nil {
			e.reference = got
		} else if diff := e.reference.diff(got); diff != "" {
			b.Errorf("%s reaches other records than %s: %s", name, e.reference.from, diff)
		}
		e.post(b, endpoint, query) // a cache that fills on a second read is warm now
		e.emu.ResetStats()
		bytes0 := e.upstream.Load()
		var wall time.Duration
		for b.Loop() {
			q := query
			if otherPages {
				e.page = e.page%80 + 1
				q = strings.Replace(query, "first: 20", fmt.Sprintf("first: %d", 20+e.page), 1)
			}
			start := time.Now()
			e.post(b, endpoint, q)
			wall += time.Since(start)
		}
		n := float64(b.N)
		stats := e.emu.Stats()
		b.Logf("%s: upstream requests per operation by route %v, at most %d in flight", name, perOp(stats.ByRoute, b.N), stats.MaxInFlight)
		*f = meshFigures{
			ran:       true,
			requests:  float64(stats.Total) / n,
			megabytes: float64(e.upstream.Load()-bytes0) / n / (1 << 20),
			millis:    float64(wall.Microseconds()) / 1000 / n,
		}
		b.ReportMetric(f.requests, "upstream-req/op")
		b.ReportMetric(f.megabytes, "upstream-MB/op")
		b.ReportMetric(f.millis, "wall-ms/op")
		if against != nil && against.ran {
			reportRatio(b, against.requests, f.requests, "mesh-req/req")
			reportRatio(b, against.megabytes, f.megabytes, "mesh-MB/MB")
			reportRatio(b, against.millis, f.millis, "mesh-ms/ms")
		}
	})
	return f
}

func perOp(counts map[string]int64, n int) map[string]float64 {
	out := make(map[string]float64, len(counts))
	for k, v := range counts {
		out[k] = float64(v) / float64(n)
	}
	return out
}

// reportRatio reports how many times Mesh's figure is ours, unless ours is
// nothing (a warm cache sends nothing upstream), where no ratio means anything.
func reportRatio(b *testing.B, mesh, ours float64, unit string) {
	if ours > 0 {
		b.ReportMetric(mesh/ours, unit)
	}
}

// post sends the operation with the owner's key and returns its data; an
// error other than a link to a record the owner may not see fails.
func (e *meshEnv) post(b *testing.B, endpoint, query string) []byte {
	body, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequest(http.MethodPost, endpoint, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", e.auth)
	resp, err := e.client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Data   json.RawMessage `json:"data"`
		Errors []gqlError      `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		b.Fatalf("%s: %v", endpoint, err)
	}
	for _, er := range out.Errors {
		if er.code() != "NOT_FOUND" {
			b.Fatalf("%s answered %s (%s)", endpoint, er.Message, er.code())
		}
	}
	return out.Data
}

// meshWalkResult is what a board reached: the opportunities in order, and
// every record under them.
type meshWalkResult struct {
	from          string
	opportunities []string
	records       []string // "Type:id", sorted, each once
}

func (w *meshWalkResult) diff(o *meshWalkResult) string {
	if !slices.Equal(w.opportunities, o.opportunities) {
		return fmt.Sprintf("opportunities %v, not %v", o.opportunities, w.opportunities)
	}
	var missing, extra []string
	for _, r := range w.records {
		if _, found := slices.BinarySearch(o.records, r); !found {
			missing = append(missing, r)
		}
	}
	for _, r := range o.records {
		if _, found := slices.BinarySearch(w.records, r); !found {
			extra = append(extra, r)
		}
	}
	if len(missing)+len(extra) == 0 {
		return ""
	}
	return fmt.Sprintf("missing %v, extra %v", missing, extra)
}

// boardShape says where a board's answer keeps each list and link, so that
// one walk reads both answers.
type boardShape struct {
	name                           string
	opportunities, notes, comments []string // the path to each list
	lead                           string
	globalIDs                      bool // ids say their type (the facade's)
}

func meshShape() boardShape {
	return boardShape{name: "mesh", opportunities: []string{"pipelineBoard"}, lead: "lead",
		notes: []string{"latestNotes"}, comments: []string{"commentList"}}
}

func facadeShape() boardShape {
	return boardShape{name: "facade", opportunities: []string{"opportunities", "nodes"}, lead: "leadUser",
		notes: []string{"notes", "nodes"}, comments: []string{"comments", "nodes"}, globalIDs: true}
}

// walk lists the records a board's data reached.
func (s boardShape) walk(data []byte) (*meshWalkResult, error) {
	var root any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&root); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var bad error
	add := func(typeName string, v any) string {
		rec, ok := v.(map[string]any)
		if !ok { // a link to nothing
			return ""
		}
		key := fmt.Sprintf("%s:%v", typeName, rec["id"])
		if s.globalIDs {
			id, _ := rec["id"].(string)
			typeName, local, ok := model.DecodeGlobalID(clevertim.ID(id))
			if !ok && bad == nil {
				bad = fmt.Errorf("%q is not a global id", id)
			}
			key = typeName + ":" + local
		}
		seen[key] = true
		return key
	}
	var opportunities []string
	for _, o := range at(root, s.opportunities...) {
		opportunities = append(opportunities, add("Opportunity", o))
		if c, ok := at1(o, "customer").(map[string]any); ok {
			typeName, _ := c["__typename"].(string)
			add(typeName, c)
			add("Company", c["company"])
		}
		add("User", at1(o, s.lead))
		for _, n := range at(o, s.notes...) {
			add("Note", n)
			for _, c := range at(n, s.comments...) {
				add("Comment", c)
				add("User", at1(c, "author"))
			}
		}
	}
	records := make([]string, 0, len(seen))
	for r := range seen {
		records = append(records, r)
	}
	slices.Sort(records)
	return &meshWalkResult{from: s.name, opportunities: opportunities, records: records}, bad
}

// at is the list at path under v (nil where there is none).
func at(v any, path ...string) []any {
	for _, name := range path {
		v = at1(v, name)
	}
	list, _ := v.([]any)
	return list
}

func at1(v any, name string) any {
	m, _ := v.(map[string]any)
	return m[name]
}

// countingWriter counts the bytes of the answers it writes.
type countingWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.ResponseWriter.Write(p)
	c.n.Add(int64(n))
	return n, err
}
