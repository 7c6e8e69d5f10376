package model

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
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
		if v == "" {
			return "", fmt.Errorf("an ID cannot be empty")
		}
		return clevertim.ID(v), nil
	case int:
		return clevertim.IDFromInt(int64(v)), nil
	case int64:
		return clevertim.IDFromInt(v), nil
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return clevertim.IDFromInt(n), nil
		}
	}
	return "", fmt.Errorf("%v is not an ID: give a string or an integer", v)
}
