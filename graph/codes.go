package graph

import (
	"context"
	"fmt"
	"reflect"

	"github.com/99designs/gqlgen/graphql"
)

// Clevertim's codes reach GraphQL enums through gqlgen.yml's enum_values.
// A code the facade does not know (an account may have customised one) would
// be written as an empty enum value, silently. checkCodes, a field
// middleware, turns it into null with an UPSTREAM_INVALID error at the
// field's path instead.

// code is implemented by the client's code types.
type code interface{ Valid() bool }

// UnknownCodeError is a wire code with no GraphQL enum value.
type UnknownCodeError struct {
	Field string
	Code  string
}

func (e *UnknownCodeError) Error() string {
	return fmt.Sprintf("Clevertim sent %s %q, which this facade does not know", e.Field, e.Code)
}

func checkCodes(ctx context.Context, next graphql.Resolver) (any, error) {
	res, err := next(ctx)
	if err != nil || res == nil {
		return res, err
	}
	if bad, ok := unknownCode(res); ok {
		return nil, &UnknownCodeError{Field: graphql.GetFieldContext(ctx).Field.Name, Code: bad}
	}
	return res, nil
}

// unknownCode finds an invalid code in a value, a pointer to one, or a list
// of them. Other values are left alone at the cost of one type check.
func unknownCode(v any) (string, bool) {
	switch c := v.(type) {
	case code:
		rv := reflect.ValueOf(v)
		if rv.Kind() == reflect.Pointer && rv.IsNil() {
			return "", false
		}
		if !c.Valid() {
			return fmt.Sprint(reflect.Indirect(rv).Interface()), true
		}
		return "", false
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice || !rv.Type().Elem().Implements(reflect.TypeFor[code]()) {
		return "", false
	}
	for i := range rv.Len() {
		if s, bad := unknownCode(rv.Index(i).Interface()); bad {
			return s, true
		}
	}
	return "", false
}
