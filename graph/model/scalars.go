package model

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
)

// ScalarError refuses an input value of one of our scalars; the handler
// reports it as BAD_USER_INPUT naming the input field by its path.
type ScalarError struct {
	Scalar  string
	Message string
}

func (e *ScalarError) Error() string { return e.Message }

// ErrBadScalar is what every ScalarError is.
var ErrBadScalar = errors.New("bad scalar value")

func (e *ScalarError) Is(target error) bool { return target == ErrBadScalar }

func scalarError(scalar, format string, args ...any) error {
	return &ScalarError{Scalar: scalar, Message: fmt.Sprintf(format, args...)}
}

// MaxDecimalDigits bounds a Decimal input: amounts are money, and a number
// a stranger sends is sorted and compared exactly (big.Rat).
const MaxDecimalDigits = 40

// MarshalDecimal writes an amount as a JSON string, digits exactly as
// Clevertim holds them: no float rounding on the way.
func MarshalDecimal(d clevertim.Decimal) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		_, _ = io.WriteString(w, strconv.Quote(string(d)))
	})
}

// UnmarshalDecimal reads a decimal string ("1000.50", "-20") or an integer.
// A float literal is refused: it may already have been rounded.
func UnmarshalDecimal(v any) (clevertim.Decimal, error) {
	var s string
	switch v := v.(type) {
	case string:
		s = v
	case int:
		s = strconv.Itoa(v)
	case int64:
		s = strconv.FormatInt(v, 10)
	case json.Number: // a variable: an integer, not a float
		if _, err := v.Int64(); err != nil {
			return "", scalarError("Decimal", "%s is not a Decimal: give a string such as \"1000.50\" or an integer, never a float", v)
		}
		s = v.String()
	default:
		return "", scalarError("Decimal", "%v is not a Decimal: give a string such as \"1000.50\" or an integer", v)
	}
	if len(s) > MaxDecimalDigits+2 {
		return "", scalarError("Decimal", "a Decimal has at most %d digits", MaxDecimalDigits)
	}
	if !clevertim.IsDecimal(s) {
		return "", scalarError("Decimal", "%q is not a Decimal such as \"1000.50\": digits, an optional minus and decimal point, no exponent or grouping", s)
	}
	return clevertim.Decimal(s), nil
}

// MarshalCurrencyCode writes an ISO 4217 code.
func MarshalCurrencyCode(code string) graphql.Marshaler {
	return graphql.MarshalString(code)
}

// UnmarshalCurrencyCode reads an ISO 4217 code: three capital letters.
func UnmarshalCurrencyCode(v any) (string, error) {
	s, ok := v.(string)
	if !ok || !clevertim.IsCurrencyCode(s) {
		return "", scalarError("CurrencyCode", "%.20v is not an ISO 4217 currency code: three capital letters such as \"EUR\"", v)
	}
	return s, nil
}

// MarshalLocalDate writes a calendar date as YYYY-MM-DD.
func MarshalLocalDate(date string) graphql.Marshaler {
	return graphql.MarshalString(date)
}

// UnmarshalLocalDate reads a calendar date as YYYY-MM-DD.
func UnmarshalLocalDate(v any) (string, error) {
	s, ok := v.(string)
	if ok {
		if _, err := time.Parse(time.DateOnly, s); err == nil {
			return s, nil
		}
	}
	return "", scalarError("LocalDate", "%.20v is not a calendar date in the form YYYY-MM-DD", v)
}

// MarshalLocalTime writes a time of day as HH:MM.
func MarshalLocalTime(clock string) graphql.Marshaler {
	return graphql.MarshalString(clock)
}

// UnmarshalLocalTime reads a time of day as HH:MM, or HH:MM:00: Clevertim
// keeps minutes, so seconds other than zero would be lost.
func UnmarshalLocalTime(v any) (string, error) {
	s, ok := v.(string)
	if ok && (len(s) == len("15:04") || len(s) == len("15:04:05")) {
		if t, err := time.Parse("15:04", s); err == nil {
			return t.Format("15:04"), nil
		}
		if t, err := time.Parse("15:04:05", s); err == nil && t.Second() == 0 {
			return t.Format("15:04"), nil
		}
	}
	return "", scalarError("LocalTime", "%.20v is not a time of day in the form HH:MM (00:00 to 23:59)", v)
}
