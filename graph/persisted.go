package graph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"slices"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// CodePersistedQueryNotFound is the code of a request for a persisted
// document the server does not hold, and with OnlyPersisted of any request
// that sends its own document. It is the code Apollo's persisted-queries
// link reacts to.
const CodePersistedQueryNotFound = "PERSISTED_QUERY_NOT_FOUND"

// PersistedDocuments are the operations a frontend registered at build time
// (trusted documents), by id.
type PersistedDocuments struct {
	byID map[string]string
}

// LoadPersistedDocuments reads a manifest: the JSON object of id → document
// that GraphQL Code Generator's client preset (persisted-documents.json) and
// Relay's compiler (persistConfig.file) write, or Apollo's
// persisted-query-manifest.json. Each document must be valid against the
// schema, so that a stale manifest fails at startup, not in front of a user.
func LoadPersistedDocuments(path string, schema *ast.Schema) (*PersistedDocuments, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("persisted documents: %w", err)
	}
	docs, err := ParsePersistedDocuments(raw, schema)
	if err != nil {
		return nil, fmt.Errorf("persisted documents %s: %w", path, err)
	}
	return docs, nil
}

// ParsePersistedDocuments is LoadPersistedDocuments on the manifest's bytes.
func ParsePersistedDocuments(raw []byte, schema *ast.Schema) (*PersistedDocuments, error) {
	byID, err := decodeManifest(raw)
	if err != nil {
		return nil, err
	}
	if len(byID) == 0 {
		return nil, fmt.Errorf("the manifest holds no document")
	}
	for _, id := range slices.Sorted(maps.Keys(byID)) {
		doc, err := parser.ParseQuery(&ast.Source{Name: id, Input: byID[id]})
		if err != nil {
			return nil, fmt.Errorf("document %q: %w", id, err)
		}
		if errs := validator.ValidateWithRules(schema, doc, nil); len(errs) > 0 {
			return nil, fmt.Errorf("document %q: %w", id, errs[0])
		}
	}
	return &PersistedDocuments{byID: byID}, nil
}

func decodeManifest(raw []byte) (map[string]string, error) {
	var apollo struct {
		Format     string `json:"format"`
		Operations []struct {
			ID   string `json:"id"`
			Body string `json:"body"`
		} `json:"operations"`
	}
	if err := json.Unmarshal(raw, &apollo); err == nil && apollo.Format == "apollo-persisted-query-manifest" {
		byID := make(map[string]string, len(apollo.Operations))
		for _, op := range apollo.Operations {
			byID[op.ID] = op.Body
		}
		return byID, nil
	}
	var byID map[string]string
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&byID); err != nil {
		return nil, fmt.Errorf("not a JSON object of id → document, nor an Apollo persisted query manifest: %w", err)
	}
	return byID, nil
}

// Len is how many documents there are.
func (d *PersistedDocuments) Len() int {
	if d == nil {
		return 0
	}
	return len(d.byID)
}

func (d *PersistedDocuments) lookup(id string) (string, bool) {
	if d == nil {
		return "", false
	}
	doc, ok := d.byID[id]
	return doc, ok
}

// resolveDocument puts the persisted document a request names in its query.
// The id comes as documentId or id (Relay, GraphQL Code Generator) or as
// Apollo's extensions.persistedQuery.sha256Hash; an Apollo hash the manifest
// does not hold is left to automatic persisted queries, unless only
// persisted documents may run.
func (t httpTransport) resolveDocument(req *request) *requestProblem {
	id, apq := req.documentID, false
	if id == "" {
		if pq, ok := req.extensions["persistedQuery"].(map[string]any); ok {
			id, _ = pq["sha256Hash"].(string)
			apq = id != ""
		}
	}
	notFound := func(format string, args ...any) *requestProblem {
		return &requestProblem{code: CodePersistedQueryNotFound, message: fmt.Sprintf(format, args...)}
	}
	if id == "" {
		if t.onlyPersisted {
			return notFound("this server runs only the operations registered with it: send the document's id in documentId")
		}
		return nil
	}
	doc, ok := t.documents.lookup(id)
	switch {
	case ok && req.query != "" && req.query != doc:
		return &requestProblem{http.StatusBadRequest, CodeBadRequest,
			fmt.Sprintf("the query sent is not the persisted document %q: send the id alone", id)}
	case ok:
		req.query = doc
		if apq {
			// Served from the manifest: automatic persisted queries must not
			// check the id as a hash of the document, which it need not be.
			req.extensions = maps.Clone(req.extensions)
			delete(req.extensions, "persistedQuery")
		}
		return nil
	case t.onlyPersisted:
		return notFound("no operation with id %q is registered with this server", id)
	case apq:
		return nil
	}
	return notFound("no persisted document with id %q", id)
}
