package clevertim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// ID is a Clevertim record key. Most resources use integers, folders and files
// may use strings such as "f1001"; ID holds either as text and writes numeric
// ids back as JSON numbers so the upstream sees the type it issued.
type ID string

// IDFromInt formats an integer key.
func IDFromInt(n int64) ID { return ID(strconv.FormatInt(n, 10)) }

// Int returns the key as an integer when it is one, written canonically
// ("12", not "012" or "+12"), so that it can travel as a JSON number.
func (id ID) Int() (int64, bool) {
	n, err := strconv.ParseInt(string(id), 10, 64)
	return n, err == nil && strconv.FormatInt(n, 10) == string(id)
}

func (id ID) String() string { return string(id) }

// MarshalJSON writes numeric ids as numbers, other ids as strings, and the
// empty id as null.
func (id ID) MarshalJSON() ([]byte, error) {
	if id == "" {
		return []byte("null"), nil
	}
	if _, ok := id.Int(); ok {
		return []byte(id), nil
	}
	return json.Marshal(string(id))
}

// UnmarshalJSON accepts a number, a string or null.
func (id *ID) UnmarshalJSON(data []byte) error {
	s, err := decodeScalar(data)
	if err != nil {
		return fmt.Errorf("id: %w", err)
	}
	*id = ID(s)
	return nil
}

// decodeScalar reads a JSON number, string or null as text. Integral floats
// such as 12.0 are normalised to "12" because some encoders emit them for ids.
func decodeScalar(data []byte) (string, error) {
	if isDigits(data) {
		return string(data), nil // the common case, without a second parse
	}
	data = bytes.TrimSpace(data)
	switch {
	case len(data) == 0:
		return "", fmt.Errorf("empty value")
	case string(data) == "null":
		return "", nil
	case data[0] == '"':
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return "", err
		}
		return s, nil
	case data[0] == '-' || (data[0] >= '0' && data[0] <= '9'):
		var n json.Number
		if err := json.Unmarshal(data, &n); err != nil {
			return "", err
		}
		s := n.String()
		if strings.ContainsAny(s, ".eE") {
			f, err := n.Float64()
			if err != nil || f != float64(int64(f)) {
				return "", fmt.Errorf("%s is not an integer", s)
			}
			return strconv.FormatInt(int64(f), 10), nil
		}
		return s, nil
	default:
		return "", fmt.Errorf("want a number or a string, got %.20s", data)
	}
}

func isDigits(b []byte) bool {
	if len(b) == 0 || len(b) > 18 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// parseIntList reads a JSON list of non-negative integers such as [1,22,3]
// without reflection; ok is false for anything else.
func parseIntList(data []byte) (ids IDList, ok bool) {
	if len(data) < 2 || data[0] != '[' || data[len(data)-1] != ']' {
		return nil, false
	}
	inner := bytes.TrimSpace(data[1 : len(data)-1])
	if len(inner) == 0 {
		return IDList{}, true
	}
	ids = make(IDList, 0, bytes.Count(inner, []byte{','})+1)
	for part := range bytes.SplitSeq(inner, []byte{','}) {
		part = bytes.TrimSpace(part)
		if !isDigits(part) {
			return nil, false
		}
		ids = append(ids, ID(part))
	}
	return ids, true
}

// IDList is a list of ids that also decodes from a single id or null, as a
// note's `cust` may be either.
type IDList []ID

// UnmarshalJSON accepts [ids], a single id, or null.
func (l *IDList) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if ids, ok := parseIntList(data); ok {
		*l = ids
		return nil
	}
	if len(data) > 0 && data[0] == '[' {
		var ids []ID
		if err := json.Unmarshal(data, &ids); err != nil {
			return err
		}
		*l = ids
		return nil
	}
	var id ID
	if err := id.UnmarshalJSON(data); err != nil {
		return err
	}
	if id == "" {
		*l = IDList{}
	} else {
		*l = IDList{id}
	}
	return nil
}

// MarshalJSON always writes a list (never null), so that "every field is
// always present" holds for what we send as well.
func (l IDList) MarshalJSON() ([]byte, error) {
	if l == nil {
		return []byte("[]"), nil
	}
	return json.Marshal([]ID(l))
}

// Contains reports whether id is in the list.
func (l IDList) Contains(id ID) bool {
	for _, x := range l {
		if x == id {
			return true
		}
	}
	return false
}

// StringList is a list of strings that decodes null as empty and a lone
// string as a one-element list.
type StringList []string

// UnmarshalJSON accepts [strings], a single string, or null.
func (l *StringList) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '[' {
		var items []flexString
		if err := json.Unmarshal(data, &items); err != nil {
			return err
		}
		out := make(StringList, len(items))
		for i, s := range items {
			out[i] = string(s)
		}
		*l = out
		return nil
	}
	s, err := decodeScalar(data)
	if err != nil {
		return err
	}
	if s == "" {
		*l = StringList{}
	} else {
		*l = StringList{s}
	}
	return nil
}

// MarshalJSON writes a list, never null.
func (l StringList) MarshalJSON() ([]byte, error) {
	if l == nil {
		return []byte("[]"), nil
	}
	return json.Marshal([]string(l))
}

// flexString decodes a string or a number as text.
type flexString string

func (s *flexString) UnmarshalJSON(data []byte) error {
	v, err := decodeScalar(data)
	*s = flexString(v)
	return err
}

// flexInt decodes a number or a numeric string.
type flexInt int

func (n *flexInt) UnmarshalJSON(data []byte) error {
	s, err := decodeScalar(data)
	if err != nil {
		return err
	}
	if s == "" {
		*n = 0
		return nil
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("%q is not an integer", s)
	}
	*n = flexInt(v)
	return nil
}
