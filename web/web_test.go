package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestGraphiQL_ServesPageAndAssets(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(GraphiQL())
	defer srv.Close()
	get := func(path string) (int, string, string) {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(body)
	}
	status, ctype, page := get("/")
	if status != 200 || !strings.HasPrefix(ctype, "text/html") {
		t.Fatalf("page: %d %s", status, ctype)
	}
	// Every script and style the page loads is served here, not by a CDN.
	for _, asset := range []string{"/graphiql/graphiql.min.js", "/graphiql/graphiql.min.css",
		"/graphiql/react.production.min.js", "/graphiql/react-dom.production.min.js"} {
		if !strings.Contains(page, asset) {
			t.Errorf("the page does not load %s", asset)
		}
		if status, _, body := get(asset); status != 200 || len(body) < 1000 {
			t.Errorf("%s: %d, %d bytes", asset, status, len(body))
		}
	}
	if strings.Contains(page, "https://") {
		t.Error("the page loads something from another site")
	}
	if status, _, _ := get("/graphiql/missing.js"); status != 404 {
		t.Errorf("a missing asset: %d", status)
	}
}
