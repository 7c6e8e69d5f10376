package graph

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/graph/loaders"
	"github.com/clevertim-graphql/clevertim-graphql/graph/model"
	"github.com/clevertim-graphql/clevertim-graphql/graph/upstream"
	"github.com/clevertim-graphql/clevertim-graphql/internal/telemetry"
)

// Error codes in extensions.code. Clients branch on these, never on messages.
const (
	CodeBadUserInput        = "BAD_USER_INPUT"
	CodeNotFound            = "NOT_FOUND"
	CodeUnauthenticated     = "UNAUTHENTICATED"
	CodeForbidden           = "FORBIDDEN"
	CodeNotSupported        = "NOT_SUPPORTED"
	CodeConflict            = "CONFLICT"
	CodeRateLimited         = "RATE_LIMITED"
	CodeUpstreamUnavailable = "UPSTREAM_UNAVAILABLE"
	CodeUpstreamInvalid     = "UPSTREAM_INVALID"
	CodeInternal            = "INTERNAL_SERVER_ERROR"
	CodeBadRequest          = "BAD_REQUEST"
	CodeOutcomeUnknown      = "UPSTREAM_OUTCOME_UNKNOWN"
	CodeBudgetExceeded      = "UPSTREAM_BUDGET_EXCEEDED"
)

// InputError is an argument the facade refused, naming the input field.
type InputError struct {
	Field   string
	Message string
}

func (e *InputError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Message) }

func inputError(field, format string, args ...any) error {
	return &InputError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// ConflictError refuses an update whose expectedLastModified is stale.
type ConflictError struct {
	Resource     string
	ID           clevertim.ID
	Expected     time.Time
	LastModified time.Time
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%s %s was modified at %s, after the expected %s; read it again and retry",
		e.Resource, e.ID, e.LastModified.UTC().Format(time.RFC3339), e.Expected.UTC().Format(time.RFC3339))
}

// presentError maps every error a resolver returns to a GraphQL error with a
// code, in this one place. Internal failures are logged and reported without
// detail.
func presentError(ctx context.Context, err error) *gqlerror.Error {
	gqlErr := graphql.DefaultErrorPresenter(ctx, err)
	if gqlErr.Extensions == nil {
		gqlErr.Extensions = map[string]any{}
	}
	if _, ok := gqlErr.Extensions["code"]; ok {
		return gqlErr // parse and validation errors already carry theirs
	}
	code, message, extra := classify(err)
	if scalar, ok := errors.AsType[*model.ScalarError](err); ok {
		// An input value of our scalars, refused while gqlgen read the
		// arguments: the path is where in them, so name the field by it.
		field := argumentPath(gqlErr.Path)
		message, extra = field+": "+scalar.Message, map[string]any{"field": field}
	}
	gqlErr.Extensions["code"] = code
	for k, v := range extra {
		gqlErr.Extensions[k] = v
	}
	if message != "" {
		gqlErr.Message = message
	}
	if code == CodeInternal {
		telemetry.Logger(ctx).ErrorContext(ctx, "internal error", "path", gqlErr.Path.String(), "error", err)
	}
	return gqlErr
}

func classify(err error) (code, message string, extra map[string]any) {
	var (
		input    *InputError
		invalid  *clevertim.ValidationError
		conflict *ConflictError
		notFound *loaders.NotFoundError
		apiErr   *clevertim.Error
		gqlErr   *gqlerror.Error
		budget   *upstream.BudgetError
		unknown  *UnknownCodeError
	)
	switch {
	case errors.As(err, &input):
		return CodeBadUserInput, input.Error(), map[string]any{"field": input.Field}
	case errors.Is(err, model.ErrBadScalar):
		return CodeBadUserInput, "", nil
	case errors.As(err, &invalid):
		return CodeBadUserInput, fmt.Sprintf("%s: %s", invalid.Field, invalid.Message), map[string]any{"field": invalid.Field}
	case errors.As(err, &conflict):
		return CodeConflict, conflict.Error(), map[string]any{"lastModified": conflict.LastModified.UTC().Format(time.RFC3339)}
	case errors.As(err, &notFound):
		return CodeNotFound, notFound.Error(), nil
	case errors.As(err, &unknown):
		return CodeUpstreamInvalid, unknown.Error(), nil
	case errors.As(err, &budget):
		return CodeBudgetExceeded, fmt.Sprintf("this operation needed more than %d upstream requests and was stopped; "+
			"ask for less (smaller pages, fewer nested lists) or split it", budget.Budget), map[string]any{"budget": budget.Budget}
	case errors.Is(err, clevertim.ErrOutcomeUnknown):
		return CodeOutcomeUnknown, "Clevertim's answer to this write was lost and whether it happened could not be checked; read before retrying", nil
	case errors.Is(err, clevertim.ErrNotSent):
		return CodeUpstreamUnavailable, "not sent: the operation's deadline passed while the request waited its turn behind " +
			"this API key's other upstream requests; nothing was done upstream", nil
	case errors.Is(err, context.DeadlineExceeded):
		return CodeUpstreamUnavailable, "Clevertim did not answer in time", nil
	case errors.Is(err, context.Canceled):
		return CodeUpstreamUnavailable, "the request was cancelled", nil
	case errors.As(err, &apiErr):
		return classifyUpstream(apiErr)
	case errors.As(err, &gqlErr) && gqlErr.Extensions["code"] != nil:
		return fmt.Sprint(gqlErr.Extensions["code"]), "", nil
	case errors.As(err, &gqlErr) && gqlErr.Err == nil && len(gqlErr.Path) == 0:
		// gqlgen's own request errors: a body that is not JSON, no query.
		return CodeBadRequest, "", nil
	}
	return CodeInternal, "internal error", nil
}

func classifyUpstream(e *clevertim.Error) (code, message string, extra map[string]any) {
	say := func(fallback string) string {
		if e.Message != "" {
			return "Clevertim: " + e.Message
		}
		return fallback
	}
	switch {
	case errors.Is(e, clevertim.ErrNotFound):
		return CodeNotFound, say("not found"), nil
	case errors.Is(e, clevertim.ErrUnauthorized):
		return CodeUnauthenticated, "Clevertim did not accept the API key", nil
	case errors.Is(e, clevertim.ErrForbidden):
		return CodeForbidden, say("this API key's user may not do that"), nil
	case errors.Is(e, clevertim.ErrNotSupported):
		return CodeNotSupported, say("Clevertim does not support this operation"), nil
	case errors.Is(e, clevertim.ErrRateLimited):
		wait := int(math.Ceil(e.RetryAfter.Seconds()))
		return CodeRateLimited, fmt.Sprintf("Clevertim's rate limit was reached; retry in %d s", wait),
			map[string]any{"retryAfterSeconds": wait}
	case errors.Is(e, clevertim.ErrBadRequest):
		return CodeBadUserInput, say("Clevertim refused the request"), nil
	case errors.Is(e, clevertim.ErrRequestUnreadable):
		// Clevertim could not read what the facade sent: a bug of ours,
		// logged as such, and not the caller's input to fix.
		return CodeInternal, "internal error: Clevertim could not read the request the facade sent", nil
	case errors.Is(e, clevertim.ErrInvalidResponse):
		return CodeUpstreamInvalid, "Clevertim sent an answer that does not follow its API", nil
	}
	if e.StatusCode != 0 {
		return CodeUpstreamUnavailable, fmt.Sprintf("Clevertim is unavailable (%d %s)", e.StatusCode, http.StatusText(e.StatusCode)), nil
	}
	return CodeUpstreamUnavailable, "Clevertim could not be reached", nil
}

// recoverPanic turns a resolver panic into an internal error, logged with
// its value and stack, instead of a crashed request. gqlgen calls it from
// the deferred recover of the panicking goroutine, so the stack is the
// panic's.
func recoverPanic(ctx context.Context, p any) error {
	telemetry.Logger(ctx).ErrorContext(ctx, "resolver panic", "panic", p, "stack", string(debug.Stack()))
	err := gqlerror.Errorf("internal error")
	err.Extensions = map[string]any{"code": CodeInternal}
	return err
}

// argumentPath writes where in a field's arguments an error is, the way
// InputError names fields: past the field and an `input` argument, such as
// "phones[1].type" or "filter.valueMin".
func argumentPath(path ast.Path) string {
	if len(path) > 0 {
		path = path[1:]
	}
	if len(path) > 1 && path[0] == ast.PathName("input") {
		path = path[1:]
	}
	var b strings.Builder
	for _, el := range path {
		switch el := el.(type) {
		case ast.PathIndex:
			fmt.Fprintf(&b, "[%d]", int(el))
		case ast.PathName:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(string(el))
		}
	}
	return b.String()
}
