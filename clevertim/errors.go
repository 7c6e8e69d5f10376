package clevertim

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Sentinel errors for branching with errors.Is. An *Error matches the one
// that fits its HTTP status; a *ValidationError matches ErrInvalid.
var (
	ErrNotFound     = errors.New("clevertim: not found")
	ErrUnauthorized = errors.New("clevertim: unauthorized")
	ErrForbidden    = errors.New("clevertim: forbidden")
	ErrBadRequest   = errors.New("clevertim: bad request")
	ErrNotSupported = errors.New("clevertim: operation not supported")
	ErrRateLimited  = errors.New("clevertim: rate limited")
	// ErrUnavailable covers transport failures and 5xx answers: the request
	// may be retried later.
	ErrUnavailable = errors.New("clevertim: upstream unavailable")
	// ErrInvalidResponse is an answer that does not follow the wire contract.
	ErrInvalidResponse = errors.New("clevertim: invalid upstream response")
	// ErrRequestUnreadable is a 500: Clevertim could not read the JSON it
	// was sent, which is the client's fault, not its caller's.
	ErrRequestUnreadable = errors.New("clevertim: request body unreadable")
	// ErrNotSent is a request that never left, so a write did not happen:
	// its context ended while it waited its turn (WithMaxInFlight, or an
	// identical create in flight).
	ErrNotSent = errors.New("clevertim: request not sent")
	// ErrInvalid is input rejected before any request was sent.
	ErrInvalid = errors.New("clevertim: invalid input")
)

// Error is a failed call to the Clevertim API.
type Error struct {
	Method     string
	URL        string // without credentials
	StatusCode int    // 0 when no answer came back
	// Message is Clevertim's `error` text when it sent one.
	Message string
	// Body is the start of an answer that was not the JSON envelope.
	Body string
	// RetryAfter is the wait a 429 or 503 asked for, if any.
	RetryAfter time.Duration
	// Err is the underlying transport or decoding error, if any.
	Err error
}

func (e *Error) Error() string {
	what := fmt.Sprintf("clevertim: %s %s", e.Method, e.URL)
	switch {
	case e.StatusCode == 0 && e.Err != nil:
		return fmt.Sprintf("%s: %v", what, e.Err)
	case e.Message != "":
		return fmt.Sprintf("%s: %d: %s", what, e.StatusCode, e.Message)
	case e.Err != nil:
		return fmt.Sprintf("%s: %d: %v", what, e.StatusCode, e.Err)
	case e.Body != "":
		return fmt.Sprintf("%s: %d %s: %q", what, e.StatusCode, http.StatusText(e.StatusCode), e.Body)
	default:
		return fmt.Sprintf("%s: %d %s", what, e.StatusCode, http.StatusText(e.StatusCode))
	}
}

func (e *Error) Unwrap() error { return e.Err }

// Is maps the status code to the sentinel errors.
func (e *Error) Is(target error) bool {
	return target == e.kind()
}

func (e *Error) kind() error {
	switch {
	case e.StatusCode == 0:
		if errors.Is(e.Err, ErrInvalidResponse) {
			return ErrInvalidResponse
		}
		return ErrUnavailable
	case e.StatusCode == http.StatusOK:
		// A 200 that carried an ERROR envelope or an undecodable body.
		if e.Message != "" {
			return ErrBadRequest
		}
		return ErrInvalidResponse
	case e.StatusCode == http.StatusBadRequest:
		return ErrBadRequest
	case e.StatusCode == http.StatusUnauthorized:
		return ErrUnauthorized
	case e.StatusCode == http.StatusForbidden:
		return ErrForbidden
	case e.StatusCode == http.StatusNotFound:
		return ErrNotFound
	case e.StatusCode == http.StatusNotImplemented:
		return ErrNotSupported
	case e.StatusCode == http.StatusTooManyRequests:
		return ErrRateLimited
	case e.StatusCode == http.StatusInternalServerError:
		// Clevertim answers 500 when the body it got was not JSON: whatever
		// its message, the caller's input is not to blame.
		return ErrRequestUnreadable
	case e.StatusCode >= 500:
		return ErrUnavailable
	default:
		return ErrBadRequest
	}
}

// ValidationError is input the client refused to send.
type ValidationError struct {
	Field   string // wire-independent path, e.g. "phones[1].type"
	Message string
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("clevertim: invalid %s: %s", e.Field, e.Message)
}

// Is makes every ValidationError match ErrInvalid.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

func invalid(field, format string, args ...any) *ValidationError {
	return &ValidationError{Field: field, Message: fmt.Sprintf(format, args...)}
}
