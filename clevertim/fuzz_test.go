package clevertim

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"
)

// FuzzDecode feeds arbitrary upstream answers to the decoding the client
// does: the envelope, then records of every shape. It must never panic, and
// must either decode or say the answer is invalid.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		`{"status":"OK","content":[{"id":1,"fn":"A","cust":[1,"2"],"cf":{"1":"x","2":["a"]},"startDate":{"y":2020,"mo":1,"d":2}}]}`,
		`{"status":"OK","content":[{"id":"f12","email":{"f":"a","t":[{"e":"b","s":"b"}]}}]}`,
		`{"status":"ERROR","error":"nope"}`,
		`{"status":"OK"}`,
		`{"status":"OK","content":{}}`,
		`<html>`,
		`{"status":"OK","content":[{"id":1.5}]}`,
		`{"status":"OK","content":[{"gid":"7","value":12.5,"recopts":null,"phones":[{"type":"Work","no":"1"}]}]}`,
	} {
		f.Add([]byte(seed), 200)
	}
	f.Fuzz(func(t *testing.T, body []byte, status int) {
		if status < 100 || status > 599 {
			status = 200
		}
		checkRecords[Contact](t, body, status)
		checkRecords[Company](t, body, status)
		checkRecords[Opportunity](t, body, status)
		checkRecords[Task](t, body, status)
		checkRecords[Note](t, body, status)
		checkRecords[Comment](t, body, status)
		checkRecords[CustomField](t, body, status)
		checkRecords[User](t, body, status)
	})
}

// checkRecords decodes an answer as a collection and as one record with a
// small limit (so that limits are reached too): either records that
// encode again, or an *Error; a 200 that fails is ErrInvalidResponse unless
// it is an ERROR envelope.
func checkRecords[T any](t *testing.T, body []byte, status int) {
	for _, whole := range []bool{false, true} {
		a := answer{method: http.MethodGet, url: "u", status: status, header: http.Header{}, body: bytes.NewReader(body)}
		limit := int64(DefaultMaxRecordBytes)
		if whole {
			limit = 64
		}
		recs, err := decodeAnswer[T](a, limit, whole)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			if status == http.StatusOK && e.Message == "" && !errors.Is(err, ErrInvalidResponse) {
				t.Fatalf("decode error not ErrInvalidResponse: %v", err)
			}
			continue
		}
		if status != http.StatusOK {
			t.Fatalf("status %d decoded", status)
		}
		// What decoded must encode again: the client sends records back.
		for _, r := range recs {
			if _, err := json.Marshal(r); err != nil {
				t.Fatalf("a decoded %T does not encode: %v", r, err)
			}
		}
	}
}

// FuzzCustomFieldValue decodes a value as Clevertim may send it and checks
// it against a definition of every type: no panic, and what is accepted
// obeys the definition.
func FuzzCustomFieldValue(f *testing.F) {
	for _, seed := range []string{`"Retail"`, `["a","b"]`, `12`, `null`, `"2020-02-30"`, `"1999-12-31"`, `"EUR"`, `[1,"x"]`, `{}`} {
		f.Add([]byte(seed))
	}
	defs := make([]*CustomField, 0, len(Codes[CustomFieldType]())*2)
	for _, typ := range Codes[CustomFieldType]() {
		for _, multiple := range []bool{false, true} {
			d := &CustomField{Name: string(typ), Type: typ, Multiple: multiple, Scopes: Codes[CustomFieldScope]()}
			if typ == FieldSelect {
				d.Options = StringList{"Retail", "a", "b"}
			}
			defs = append(defs, d)
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var v CustomFieldValue
		if err := json.Unmarshal(raw, &v); err != nil {
			return
		}
		for _, d := range defs {
			if err := d.CheckValue(v); err != nil {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("CheckValue error is not ErrInvalid: %v", err)
				}
				continue
			}
			if len(v.Values) > 1 && !d.Multiple {
				t.Fatalf("%d values accepted by a single-valued %s field", len(v.Values), d.Type)
			}
			for _, s := range v.Values {
				switch d.Type {
				case FieldSelect:
					if !slices.Contains(d.Options, s) {
						t.Fatalf("select accepted %q", s)
					}
				case FieldDate:
					if _, err := time.Parse(time.DateOnly, s); err != nil {
						t.Fatalf("date accepted %q", s)
					}
				case FieldUser, FieldContact, FieldCompany, FieldCase, FieldOpportunity:
					if _, ok := ID(s).Int(); !ok {
						t.Fatalf("%s accepted %q", d.Type, s)
					}
				}
			}
		}
		if _, err := json.Marshal(v); err != nil {
			t.Fatalf("a decoded value does not encode: %v", err)
		}
	})
}

// FuzzTaskDate parses schedule inputs: no panic, and what parses prints
// back the same.
func FuzzTaskDate(f *testing.F) {
	for _, s := range [][2]string{{"2026-03-02", "09:30"}, {"", "23:59"}, {"2026-02-30", ""}, {"x", "25:61"}, {"0001-01-01", "00:00"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, date, clock string) {
		d, err := ParseTaskDate(date, clock)
		if err != nil || d == nil {
			return
		}
		if date != "" && *d.Date() != date {
			t.Fatalf("date %q read back as %q", date, *d.Date())
		}
		if clock != "" && *d.Time() != clock {
			t.Fatalf("time %q read back as %q", clock, *d.Time())
		}
		if err := d.validate("start"); err != nil {
			t.Fatalf("a parsed date does not validate: %v", err)
		}
	})
}
