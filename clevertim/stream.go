package clevertim

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// DefaultMaxRecordBytes bounds one record of an answer, and the whole answer
// when it holds one record (GET by id, POST, PUT) or an error. A collection
// has no bound of its own: it is decoded record by record as it arrives.
const DefaultMaxRecordBytes = 16 << 20

// WithMaxRecordBytes changes DefaultMaxRecordBytes.
func WithMaxRecordBytes(n int64) Option { return func(c *config) { c.maxRecordBytes = n } }

// readChunk is how much of an answer is read from the connection at a time.
const readChunk = 64 << 10

// errTooLarge is returned by a boundedReader: the value being decoded went
// past its limit.
var errTooLarge = errors.New("larger than the limit")

// answer is an upstream answer whose body is still to be read.
type answer struct {
	method, url string
	status      int
	header      http.Header
	body        io.Reader
}

// decodeAnswer reads the body of an answer and returns its records. A 200
// answer is decoded as it arrives: the envelope token by token and each
// record of `content` on its own, so a collection is never held as bytes,
// only as records. whole bounds the entire body (an answer that should
// hold one record) rather than each record. Anything off the wire
// contract is an *Error matching ErrInvalidResponse; a non-200 answer or an
// ERROR envelope is an *Error with Clevertim's message.
func decodeAnswer[T any](a answer, maxRecord int64, whole bool) ([]*T, error) {
	// The decoder reads a little at a time (its buffer holds about one
	// record); the socket is read in larger chunks.
	in := &boundedReader{r: bufio.NewReaderSize(a.body, readChunk), max: maxRecord}
	if a.status != http.StatusOK {
		raw, err := io.ReadAll(in)
		if err != nil && !errors.Is(err, errTooLarge) {
			return nil, &Error{Method: a.method, URL: a.url, StatusCode: a.status, Err: err}
		}
		_, err = decodeEnvelope(a.method, a.url, a.status, a.header, raw)
		return nil, err
	}
	fail := func(format string, args ...any) error {
		return &Error{Method: a.method, URL: a.url, StatusCode: a.status,
			Err: fmt.Errorf("%w: "+format, append([]any{ErrInvalidResponse}, args...)...)}
	}
	notEnvelope := func(err error) error {
		e := fail("body is not the JSON envelope: %v", err).(*Error)
		e.Body, e.RetryAfter = excerpt(in.head), retryAfter(a.header)
		return e
	}
	dec := json.NewDecoder(in)
	// mark starts a new value's count, unless the whole body is bounded.
	mark := func() {
		if !whole {
			in.mark = dec.InputOffset()
		}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, notEnvelope(orUnexpected(err, tok))
	}
	var (
		status, message string
		recs            []*T
		hasContent      bool
	)
	for dec.More() {
		mark()
		tok, err := dec.Token()
		if err != nil {
			return nil, notEnvelope(err)
		}
		mark()
		switch tok {
		case "status":
			err = dec.Decode(&status)
		case "error":
			err = dec.Decode(&message)
		case "content":
			recs, hasContent, err = decodeContent[T](dec, mark)
			var rec *recordError
			if errors.As(err, &rec) {
				return nil, fail("record %d: %v", rec.index, rec.err)
			}
		default:
			var skip json.RawMessage
			err = dec.Decode(&skip)
		}
		if err != nil {
			return nil, notEnvelope(err)
		}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, notEnvelope(orUnexpected(err, tok))
	}
	if tok, err := dec.Token(); err != io.EOF {
		return nil, notEnvelope(orUnexpected(err, tok))
	}
	if status != "OK" {
		e := &Error{Method: a.method, URL: a.url, StatusCode: a.status, Message: message, RetryAfter: retryAfter(a.header)}
		if status != "ERROR" {
			e.Err = fmt.Errorf("%w: status %q", ErrInvalidResponse, status)
		}
		return nil, e
	}
	if a.method == http.MethodDelete {
		return nil, nil
	}
	if !hasContent {
		return nil, fail("content is missing or not a list")
	}
	return recs, nil
}

// recordError is a record of content that did not decode.
type recordError struct {
	index int
	err   error
}

func (e *recordError) Error() string { return fmt.Sprintf("record %d: %v", e.index, e.err) }

// decodeContent decodes the value of `content`, one record at a time. It
// reports whether the value was a list; another value is skipped.
func decodeContent[T any](dec *json.Decoder, mark func()) ([]*T, bool, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, false, err
	}
	if tok != json.Delim('[') {
		return nil, false, skipRest(dec, tok)
	}
	var recs []*T
	for i := 0; dec.More(); i++ {
		mark()
		v := new(T)
		if err := dec.Decode(v); err != nil {
			var syntax *json.SyntaxError
			if errors.As(err, &syntax) || errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, true, err // the envelope itself is broken
			}
			return nil, true, &recordError{index: i, err: err}
		}
		recs = append(recs, v)
	}
	_, err = dec.Token() // the closing ]
	return recs, true, err
}

// skipRest skips what is left of a value whose first token was read.
func skipRest(dec *json.Decoder, first json.Token) error {
	depth := 0
	if d, ok := first.(json.Delim); ok && (d == '{' || d == '[') {
		depth = 1
	}
	for depth > 0 {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}

func orUnexpected(err error, tok json.Token) error {
	switch {
	case err == io.EOF:
		return io.ErrUnexpectedEOF
	case err != nil:
		return err
	}
	return fmt.Errorf("unexpected %v", tok)
}

// boundedReader refuses to read past max bytes beyond mark, so that one
// value (a record, or a whole answer when mark stays at 0) cannot make the
// decoder buffer without end. A json.Decoder only reads while the value it
// decodes is incomplete, so what was read since mark is that value. It also
// keeps the first bytes, for error messages.
type boundedReader struct {
	r          io.Reader
	read, mark int64
	max        int64
	head       []byte
}

func (b *boundedReader) Read(p []byte) (int, error) {
	room := b.max - (b.read - b.mark)
	if room <= 0 {
		return 0, fmt.Errorf("%w of %d bytes", errTooLarge, b.max)
	}
	if int64(len(p)) > room {
		p = p[:room]
	}
	n, err := b.r.Read(p)
	b.read += int64(n)
	if keep := bodyExcerptBytes + 1 - len(b.head); keep > 0 {
		b.head = append(b.head, p[:min(n, keep)]...)
	}
	return n, err
}
