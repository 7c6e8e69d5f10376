package graph

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sync"

	"github.com/felixge/httpsnoop"

	"github.com/99designs/gqlgen/graphql"

	"github.com/clevertim-graphql/clevertim-graphql/graph/upstream"
	"github.com/clevertim-graphql/clevertim-graphql/internal/telemetry"
)

// observed wraps the GraphQL endpoint so that every request, refused or
// answered, is one telemetry.Operation: a span continuing the caller's
// trace, metrics, and one log line.
func observed(tel *telemetry.Telemetry, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions {
			next.ServeHTTP(w, r) // a CORS preflight is no operation
			return
		}
		ctx, op := tel.Begin(r)
		status := http.StatusOK
		var once sync.Once
		// A refusal written before GraphQL ran (no key, say) is kept, to
		// count its extensions.code; a few KiB hold any such answer.
		var refusal bytes.Buffer
		const maxRefusal = 4 << 10
		// httpsnoop keeps the writer's optional interfaces (Flusher for SSE
		// and multipart, Hijacker for websockets), which a plain wrapper
		// would hide.
		w = httpsnoop.Wrap(w, httpsnoop.Hooks{
			WriteHeader: func(next httpsnoop.WriteHeaderFunc) httpsnoop.WriteHeaderFunc {
				return func(code int) {
					once.Do(func() { status = code })
					next(code)
				}
			},
			Write: func(next httpsnoop.WriteFunc) httpsnoop.WriteFunc {
				return func(b []byte) (int, error) {
					if status >= http.StatusBadRequest && !op.IsAnswered() {
						refusal.Write(b[:min(len(b), maxRefusal-refusal.Len())])
					}
					return next(b)
				}
			},
		})
		defer func() { op.End(ctx, status, refusal.Bytes()) }()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// observer tells the request's telemetry.Operation what gqlgen learnt: the
// operation's name and type once parsed, and its answer's errors.
type observer struct{}

var (
	_ graphql.HandlerExtension     = observer{}
	_ graphql.OperationInterceptor = observer{}
	_ graphql.ResponseInterceptor  = observer{}
)

func (observer) ExtensionName() string                   { return "Telemetry" }
func (observer) Validate(graphql.ExecutableSchema) error { return nil }
func (observer) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	if op := telemetry.OperationFrom(ctx); op != nil && graphql.HasOperationContext(ctx) {
		oc := graphql.GetOperationContext(ctx)
		// The name is the document's: operationName may be absent when
		// the document holds one operation.
		name, typ := oc.OperationName, "unknown"
		if oc.Operation != nil {
			name, typ = oc.Operation.Name, string(oc.Operation.Operation)
		}
		op.Identify(name, typ)
	}
	return next(ctx)
}

func (observer) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	op := telemetry.OperationFrom(ctx)
	if resp == nil || op == nil {
		return resp
	}
	codes := make([]string, 0, len(resp.Errors))
	for _, e := range resp.Errors {
		code := telemetry.NoCode
		if c, ok := e.Extensions["code"]; ok && c != nil {
			code = fmt.Sprint(c)
		}
		codes = append(codes, code)
	}
	var cost upstream.Summary
	if t := upstream.FromContext(ctx); t != nil {
		cost = t.Summary()
	}
	data := bytes.TrimSpace(resp.Data)
	op.Answered(len(data) > 0 && !bytes.Equal(data, []byte("null")), codes, cost.Requests, cost.Rounds)
	return resp
}

// urlPath is the path of the upstream API root, for naming resources in
// metrics; a URL that does not parse has been refused by the client already.
func urlPath(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Path
}
