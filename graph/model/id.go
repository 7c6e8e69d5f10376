package model

import (
	"encoding/json"
	"io"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
)

// ID is the GraphQL ID scalar bound to Clevertim's record keys.
type ID = clevertim.ID

// MarshalID writes an id as a GraphQL ID (a string).
func MarshalID(id clevertim.ID) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(string(id)))
	})
}

// UnmarshalID reads an ID given as a string or an integer, as the GraphQL
// spec allows.
func UnmarshalID(v any) (clevertim.ID, error) {
	switch v := v.(type) {
	case string:
		return checkID(v)
	case int:
		return checkID(strconv.Itoa(v)) // negative: refused by checkID
	case int64:
		return checkID(strconv.FormatInt(v, 10))
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return checkID(strconv.FormatInt(n, 10))
		}
	}
	return "", badID("%.40v is not an ID: give a string or an integer", v)
}

// badID is an argument error: the code travels with it, since this package
// cannot name the facade's error types.
func badID(format string, args ...any) error {
	err := gqlerror.Errorf(format, args...)
	err.Extensions = map[string]any{"code": "BAD_USER_INPUT"}
	return err
}

// MaxIDLength is the longest id accepted; Clevertim's are short numbers or
// names like "f1001".
const MaxIDLength = 64

// checkID refuses what cannot be a Clevertim id before it reaches a URL path
// ("/contact/{id}"): only letters, digits, '_' and '-', not first, at most
// MaxIDLength of them. So ".", "..", "a/b" or "%2F" never leave the facade.
func checkID(s string) (clevertim.ID, error) {
	if s == "" {
		return "", badID("an ID cannot be empty")
	}
	if len(s) > MaxIDLength {
		return "", badID("an ID has at most %d characters, got %d", MaxIDLength, len(s))
	}
	for i, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && (c == '_' || c == '-')) {
			return "", badID("%q is not an ID: letters, digits, '_' and '-' only", s)
		}
	}
	return clevertim.ID(s), nil
}
