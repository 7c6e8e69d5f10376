package model

import (
	"context"
	"encoding/base64"
	"io"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
)

// Global object ids (Relay's object identification, as GitHub's API does
// it): the id a client sees is opaque and unique across the whole graph,
// base64url without padding of "Type:local", where local is Clevertim's id.
// The alphabet is [A-Za-z0-9_-], so a global id passes as an ID argument.

// The ID scalar binds to GraphID (gqlgen.yml): MarshalID and UnmarshalID
// (id.go) read and write the text, these add what the field being written is.

// UnmarshalGraphID reads an ID argument (see UnmarshalID); resolvers decode
// global ids, since only they know which type the id must be of.
func UnmarshalGraphID(_ context.Context, v any) (clevertim.ID, error) { return UnmarshalID(v) }

// MarshalGraphID writes an ID. The id field of a record, an object that
// implements Node, is its global id: this is the one place where records'
// ids turn global, so a type gets its global id by declaring
// `implements Node` in the schema. Other ids (Clevertim's in clevertimId,
// those a resolver already made global) are written as given.
func MarshalGraphID(id clevertim.ID) graphql.ContextMarshaler {
	return graphql.ContextWriterFunc(func(ctx context.Context, w io.Writer) error {
		if fc := graphql.GetFieldContext(ctx); fc != nil && isNodeID(fc) {
			id = GlobalID(fc.Object, string(id))
		}
		MarshalID(id).MarshalGQL(w)
		return nil
	})
}

// isNodeID reports whether the field is the id of a Node: selected on the
// interface itself or on a type implementing it. fc.Object is then the
// record's concrete type.
func isNodeID(fc *graphql.FieldContext) bool {
	if fc.Field.Field == nil || fc.Field.Name != "id" || fc.Field.ObjectDefinition == nil {
		return false
	}
	def := fc.Field.ObjectDefinition
	return def.Name == "Node" || slices.Contains(def.Interfaces, "Node")
}

// GlobalID is the global id of the object of this GraphQL type and local id.
func GlobalID(typeName, local string) clevertim.ID {
	return clevertim.ID(base64.RawURLEncoding.EncodeToString([]byte(typeName + ":" + local)))
}

// DecodeGlobalID splits a global id into its type and local id; ok is false
// for anything GlobalID did not write (such as a plain Clevertim id).
func DecodeGlobalID(id clevertim.ID) (typeName, local string, ok bool) {
	// A type name starts with a capital, whose top six bits are written
	// Q to W: anything else (Clevertim's numeric ids, which every record's
	// reference is) is told apart without decoding.
	if id == "" || id[0] < 'Q' || id[0] > 'W' {
		return "", "", false
	}
	raw, err := base64.RawURLEncoding.DecodeString(string(id))
	// One text per record: the decoder skips newlines and ignores the
	// unused bits of the last character, so only the text GlobalID writes
	// is taken, and a client cache never holds a record under two ids.
	if err != nil || base64.RawURLEncoding.EncodeToString(raw) != string(id) {
		return "", "", false
	}
	typeName, local, ok = strings.Cut(string(raw), ":")
	if !ok || typeName == "" || local == "" || !isTypeName(typeName) {
		return "", "", false
	}
	return typeName, local, true
}

// isTypeName reports whether s reads as a GraphQL type name of ours
// (letters only, a capital first), which no decoded Clevertim id does by
// chance along with the colon.
func isTypeName(s string) bool {
	if s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}
