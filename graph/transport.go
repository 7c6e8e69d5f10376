package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Codes of the errors the HTTP layer answers before a document is parsed.
const (
	CodeMethodNotAllowed     = "METHOD_NOT_ALLOWED"
	CodeUnsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE"
	CodeRequestTooLarge      = "REQUEST_TOO_LARGE"
)

// Media types of the GraphQL-over-HTTP spec and of incremental delivery.
const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"
	mediaMultipartMixed  = "multipart/mixed"
)

// HTTPOptions are the request-level features of the /query endpoint.
type HTTPOptions struct {
	// PersistedDocuments are the operations registered at build time, served
	// by id (see persisted.go).
	PersistedDocuments *PersistedDocuments
	// OnlyPersisted refuses every document that is not in PersistedDocuments
	// with PERSISTED_QUERY_NOT_FOUND, and turns automatic persisted queries off.
	OnlyPersisted bool
}

// httpTransport serves GraphQL over HTTP as the GraphQL-over-HTTP spec
// (graphql.github.io/graphql-over-http) says, which gqlgen's GET and POST
// transports do not quite: a request error is 200 for a client that accepts
// only application/json and 400 for application/graphql-response+json, it
// has no data entry, a mutation over GET is 405, and every refusal (method,
// media type, size, malformed body) is JSON with extensions.code. A POST
// that accepts multipart/mixed and defers fragments is handed to gqlgen's
// MultipartMixed transport; other clients get the deferred fragments merged
// into one answer.
//
// It accepts every request (Supports is always true), so that nothing falls
// through to gqlgen's uncoded "transport not supported".
type httpTransport struct {
	documents     *PersistedDocuments
	onlyPersisted bool
	multipart     transport.MultipartMixed
}

var _ graphql.Transport = httpTransport{}

func newHTTPTransport(o HTTPOptions) httpTransport {
	return httpTransport{
		documents:     o.PersistedDocuments,
		onlyPersisted: o.OnlyPersisted,
		multipart:     transport.MultipartMixed{Boundary: "graphql"},
	}
}

func (httpTransport) Supports(*http.Request) bool { return true }

func (t httpTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	answer := negotiate(r.Header.Get("Accept"))
	switch r.Method {
	case http.MethodGet, http.MethodPost:
	case http.MethodOptions:
		w.Header().Set("Allow", "GET, POST, OPTIONS")
		w.WriteHeader(http.StatusNoContent)
		return
	default:
		w.Header().Set("Allow", "GET, POST, OPTIONS")
		answer.refuse(w, http.StatusMethodNotAllowed, CodeMethodNotAllowed,
			"%s is not a GraphQL method: send POST with a JSON body, or GET with the query in the URL", r.Method)
		return
	}
	start := graphql.Now()
	var (
		req     request
		problem *requestProblem
	)
	if r.Method == http.MethodGet {
		req, problem = readGET(r.URL.RawQuery)
	} else {
		req, problem = readPOST(r)
	}
	if problem == nil {
		problem = t.resolveDocument(&req)
	}
	if problem != nil {
		answer.refuse(w, problem.status, problem.code, "%s", problem.message)
		return
	}
	if req.query == "" && req.extensions["persistedQuery"] == nil {
		answer.refuse(w, http.StatusBadRequest, CodeBadRequest,
			"no query: send the document in the query parameter, or a persisted document's id in documentId")
		return
	}
	params := &graphql.RawParams{
		Query:         req.query,
		OperationName: req.operationName,
		Variables:     req.variables,
		Extensions:    req.extensions,
		Headers:       r.Header,
		ReadTime:      graphql.TraceTiming{Start: start, End: graphql.Now()},
	}

	ctx := r.Context()
	opCtx, errs := exec.CreateOperationContext(ctx, params)
	if errs != nil {
		if opCtx != nil && opCtx.Doc != nil && opCtx.Operation == nil {
			errs = gqlerror.List{operationNotChosen(opCtx.Doc, params.OperationName)}
		}
		answer.requestErrors(w, exec.DispatchError(graphql.WithOperationContext(ctx, opCtx), errs))
		return
	}
	if r.Method == http.MethodGet && opCtx.Operation.Operation != ast.Query {
		// GET must be safe: a link or an <img> must not write to the CRM.
		w.Header().Set("Allow", "POST")
		answer.refuse(w, http.StatusMethodNotAllowed, CodeMethodNotAllowed,
			"a %s cannot be sent with GET: use POST", opCtx.Operation.Operation)
		return
	}

	if answer.multipart && r.Method == http.MethodPost && defers(opCtx.Doc, opCtx.Operation) {
		// MultipartMixed decodes a body of its own and asks the executor for
		// the operation: hand it the one already prepared, so the document
		// is not parsed, validated and limited twice, and an empty body, so
		// that it has nothing to refuse (its refusals echo the body, uncoded).
		r.Body = io.NopCloser(strings.NewReader("{}"))
		t.multipart.Do(w, r, preparedExecutor{GraphExecutor: exec, opCtx: opCtx})
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, opCtx)
	answer.result(w, mergeIncremental(ctx, responses))
}

// request is one GraphQL-over-HTTP request's parameters.
type request struct {
	query, operationName string
	variables            map[string]any
	extensions           map[string]any
	// documentID is the persisted document asked for by documentId or id
	// (Relay, GraphQL Code Generator), or by
	// extensions.persistedQuery.sha256Hash (Apollo).
	documentID string
}

// requestProblem is a request that is not run. A status of 0 marks a
// well-formed request refused like a document error (200 for
// application/json, 400 for application/graphql-response+json); the others
// are not well-formed, answered 4xx whatever the client accepts.
type requestProblem struct {
	status        int
	code, message string
}

func badRequest(format string, args ...any) *requestProblem {
	return &requestProblem{http.StatusBadRequest, CodeBadRequest, fmt.Sprintf(format, args...)}
}

func readPOST(r *http.Request) (request, *requestProblem) {
	mediaType, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mediaType != mediaJSON {
		return request{}, &requestProblem{http.StatusUnsupportedMediaType, CodeUnsupportedMediaType,
			"the request body must be application/json: {\"query\": ..., \"variables\": {...}, \"operationName\": ...}"}
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return request{}, &requestProblem{http.StatusUnsupportedMediaType, CodeUnsupportedMediaType,
			"the request body must be UTF-8, not " + cs}
	}
	body, err := io.ReadAll(r.Body)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return request{}, &requestProblem{http.StatusRequestEntityTooLarge, CodeRequestTooLarge,
			fmt.Sprintf("the request body is larger than %d bytes", tooLarge.Limit)}
	case err != nil:
		return request{}, badRequest("the request body could not be read")
	}
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	switch {
	case len(trimmed) == 0:
		return request{}, badRequest("the request body is empty: send {\"query\": ...}")
	case trimmed[0] == '[':
		// Not echoed back: a batch can be large, and the answer would carry
		// whatever a caller put in it.
		return request{}, badRequest("batched requests (a JSON array) are not supported: send one operation per request")
	case trimmed[0] != '{':
		return request{}, badRequest("the request body must be a JSON object: {\"query\": ...}")
	}
	var wire struct {
		Query         json.RawMessage `json:"query"`
		OperationName json.RawMessage `json:"operationName"`
		Variables     json.RawMessage `json:"variables"`
		Extensions    json.RawMessage `json:"extensions"`
		DocumentID    json.RawMessage `json:"documentId"`
		ID            json.RawMessage `json:"id"`
	}
	if err := json.Unmarshal(body, &wire); err != nil {
		return request{}, badRequest("the request body is not valid JSON")
	}
	var req request
	var problem *requestProblem
	for _, field := range []struct {
		name string
		raw  json.RawMessage
		into *string
	}{{"query", wire.Query, &req.query}, {"operationName", wire.OperationName, &req.operationName},
		{"documentId", wire.DocumentID, &req.documentID}, {"id", wire.ID, &req.documentID}} {
		if problem == nil && len(field.raw) > 0 && *field.into == "" {
			problem = decodeString(field.name, field.raw, field.into)
		}
	}
	if problem == nil {
		problem = decodeObject("variables", wire.Variables, &req.variables)
	}
	if problem == nil {
		problem = decodeObject("extensions", wire.Extensions, &req.extensions)
	}
	return req, problem
}

func readGET(rawQuery string) (request, *requestProblem) {
	values, err := url.ParseQuery(rawQuery)
	if err != nil {
		return request{}, badRequest("the URL's query string is malformed")
	}
	req := request{
		query:         values.Get("query"),
		operationName: values.Get("operationName"),
		documentID:    values.Get("documentId"),
	}
	if req.documentID == "" {
		req.documentID = values.Get("id")
	}
	for _, p := range []struct {
		name string
		into *map[string]any
	}{{"variables", &req.variables}, {"extensions", &req.extensions}} {
		if s := values.Get(p.name); s != "" {
			if problem := decodeObject(p.name, json.RawMessage(s), p.into); problem != nil {
				return req, problem
			}
		}
	}
	return req, nil
}

func decodeString(name string, raw json.RawMessage, into *string) *requestProblem {
	if string(raw) == "null" {
		return nil
	}
	if err := json.Unmarshal(raw, into); err != nil {
		return badRequest("the %s parameter must be a string", name)
	}
	return nil
}

func decodeObject(name string, raw json.RawMessage, into *map[string]any) *requestProblem {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // as gqlgen's own transports: large integers stay exact
	if raw[0] != '{' || dec.Decode(into) != nil {
		return badRequest("the %s parameter must be a JSON object", name)
	}
	return nil
}

// operationNotChosen says why no operation of the document was run: the
// executor's own "operation  not found" names nothing.
func operationNotChosen(doc *ast.QueryDocument, name string) *gqlerror.Error {
	// Names come from the caller, up to the body's size: the message quotes
	// a few, each cut short.
	const most, longest = 10, 64
	names := make([]string, 0, min(len(doc.Operations), most)+1)
	for _, op := range doc.Operations[:min(len(doc.Operations), most)] {
		names = append(names, quoteShort(op.Name, longest))
	}
	if len(doc.Operations) > most {
		names = append(names, fmt.Sprintf("%d more", len(doc.Operations)-most))
	}
	var err *gqlerror.Error
	if name == "" {
		err = gqlerror.Errorf("the document has %d operations (%s): say which to run in operationName",
			len(doc.Operations), strings.Join(names, ", "))
	} else {
		err = gqlerror.Errorf("the document has no operation named %s; it has %s", quoteShort(name, longest), strings.Join(names, ", "))
	}
	err.Extensions = map[string]any{"code": "GRAPHQL_VALIDATION_FAILED"}
	return err
}

// quoteShort quotes s, cut to its first n runes ("…" marks the cut).
func quoteShort(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return strconv.Quote(s)
	}
	return strconv.Quote(string([]rune(s)[:n]) + "…")
}

// preparedExecutor answers CreateOperationContext with an operation already
// prepared by httpTransport.
type preparedExecutor struct {
	graphql.GraphExecutor
	opCtx *graphql.OperationContext
}

func (p preparedExecutor) CreateOperationContext(context.Context, *graphql.RawParams) (*graphql.OperationContext, gqlerror.List) {
	return p.opCtx, nil
}

func (p preparedExecutor) DispatchOperation(ctx context.Context, opCtx *graphql.OperationContext) (graphql.ResponseHandler, context.Context) {
	responses, ctx := p.GraphExecutor.DispatchOperation(ctx, opCtx)
	return withoutDeferredPlaceholders(opCtx, responses), ctx
}

// answer is the media type a response is written in, chosen from the
// request's Accept header.
type answer struct {
	mediaType string // mediaJSON or mediaGraphQLResponse
	multipart bool   // the client takes incremental delivery
}

// negotiate picks the media type the client prefers among those served,
// honouring q-values; without Accept, or with nothing served in it, the
// answer is application/json as the spec says for legacy clients.
func negotiate(accept string) answer {
	a := answer{mediaType: mediaJSON}
	bestJSON, bestMultipart := -1.0, -1.0
	for part := range strings.SplitSeq(accept, ",") {
		mediaType, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if s, ok := params["q"]; ok {
			if q, err = strconv.ParseFloat(s, 64); err != nil {
				continue
			}
		}
		if q <= 0 {
			continue
		}
		switch mediaType {
		case mediaGraphQLResponse, mediaJSON, "application/*", "*/*":
			if q > bestJSON {
				bestJSON = q
				a.mediaType = mediaType
			}
		case mediaMultipartMixed:
			bestMultipart = max(bestMultipart, q)
		}
	}
	if a.mediaType != mediaGraphQLResponse {
		a.mediaType = mediaJSON
	}
	a.multipart = bestMultipart > 0 && bestMultipart >= bestJSON
	return a
}

func (a answer) contentType() string { return a.mediaType + "; charset=utf-8" }

// refuse answers a request that was not run, with one coded error; status
// 0 is a request error (see requestErrors).
func (a answer) refuse(w http.ResponseWriter, status int, code, format string, args ...any) {
	err := gqlerror.Errorf(format, args...)
	err.Extensions = map[string]any{"code": code}
	resp := &graphql.Response{Errors: gqlerror.List{err}}
	if status == 0 {
		a.requestErrors(w, resp)
		return
	}
	a.write(w, status, resp)
}

// requestErrors answers a well-formed request whose document could not be
// run (parse, validation, variables, limits, persisted documents): 200 for
// application/json, 400 for application/graphql-response+json, never with
// a data entry.
func (a answer) requestErrors(w http.ResponseWriter, resp *graphql.Response) {
	status := http.StatusOK
	if a.mediaType == mediaGraphQLResponse {
		status = http.StatusBadRequest
	}
	resp.Data = nil
	a.write(w, status, resp)
}

// result answers an operation that ran. No data at all means it failed
// before executing, a request error.
func (a answer) result(w http.ResponseWriter, resp *graphql.Response) {
	if resp.Data == nil && len(resp.Errors) > 0 {
		a.requestErrors(w, resp)
		return
	}
	a.write(w, http.StatusOK, resp)
}

func (a answer) write(w http.ResponseWriter, status int, resp *graphql.Response) {
	// graphql.Response always writes "data"; the spec wants none when the
	// request failed before execution.
	body := struct {
		Errors     gqlerror.List   `json:"errors,omitempty"`
		Data       json.RawMessage `json:"data,omitempty"`
		Extensions map[string]any  `json:"extensions,omitempty"`
	}{resp.Errors, resp.Data, resp.Extensions}
	b, err := json.Marshal(body)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"errors":[{"message":"internal error","extensions":{"code":"` + CodeInternal + `"}}]}`)
	}
	w.Header().Set("Content-Type", a.contentType())
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
