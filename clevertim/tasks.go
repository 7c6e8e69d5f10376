package clevertim

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Task is something to do, possibly recurring.
type Task struct {
	Record
	Visibility
	Name          string            `json:"name"`
	Type          *TaskType         `json:"atype"`
	Location      string            `json:"location"`
	CustomerID    *ID               `json:"cust"`
	CaseID        *ID               `json:"case"`
	OpportunityID *ID               `json:"opp"`
	AssigneeID    *ID               `json:"aUserId"`
	CreatedBy     ID                `json:"userId"`
	Start         *TaskDate         `json:"startDate"`
	End           *TaskDate         `json:"endDate"`
	IsCompleted   bool              `json:"is_completed"`
	IsDeleted     bool              `json:"is_deleted"`
	Recurrence    *Recurrence       `json:"rec"`
	RecurEvery    int               `json:"recevery"`
	RecurOptions  RecurrenceOptions `json:"recopts"`
	CommentIDs    IDList            `json:"comments"`
}

// RecurrenceOptions refine a recurrence; SkipWeekends is `{"type":"weekday"}`.
type RecurrenceOptions struct {
	SkipWeekends bool
}

// MarshalJSON writes {"type":"weekday"} or {}.
func (o RecurrenceOptions) MarshalJSON() ([]byte, error) {
	if o.SkipWeekends {
		return []byte(`{"type":"weekday"}`), nil
	}
	return []byte(`{}`), nil
}

// UnmarshalJSON accepts the object, or null for none.
func (o *RecurrenceOptions) UnmarshalJSON(data []byte) error {
	var raw struct {
		Type string `json:"type"`
	}
	if strings.TrimSpace(string(data)) != "null" {
		if err := json.Unmarshal(data, &raw); err != nil {
			return err
		}
	}
	o.SkipWeekends = raw.Type == "weekday"
	return nil
}

// TaskDate is a task's start or end: a date, a time of day, or both, as
// {"y":2013,"mo":12,"d":29,"h":4,"mi":4}. Missing parts are nil.
type TaskDate struct {
	Year, Month, Day *int
	Hour, Minute     *int
}

// NewTaskDate builds a date-only TaskDate.
func NewTaskDate(year int, month time.Month, day int) *TaskDate {
	m := int(month)
	return &TaskDate{Year: &year, Month: &m, Day: &day}
}

// WithTime returns a copy with the time of day set.
func (d TaskDate) WithTime(hour, minute int) *TaskDate {
	d.Hour, d.Minute = &hour, &minute
	return &d
}

// HasDate reports whether the date part is present.
func (d *TaskDate) HasDate() bool { return d != nil && d.Year != nil && d.Month != nil && d.Day != nil }

// HasTime reports whether the time part is present.
func (d *TaskDate) HasTime() bool { return d != nil && d.Hour != nil }

// Date is the date part as YYYY-MM-DD, or nil.
func (d *TaskDate) Date() *string {
	if !d.HasDate() {
		return nil
	}
	s := fmt.Sprintf("%04d-%02d-%02d", *d.Year, *d.Month, *d.Day)
	return &s
}

// Time is the time part as HH:MM, or nil.
func (d *TaskDate) Time() *string {
	if !d.HasTime() {
		return nil
	}
	minute := 0
	if d.Minute != nil {
		minute = *d.Minute
	}
	s := fmt.Sprintf("%02d:%02d", *d.Hour, minute)
	return &s
}

// ParseTaskDate reads "YYYY-MM-DD" and "HH:MM" (either may be empty).
func ParseTaskDate(date, clock string) (*TaskDate, error) {
	var d TaskDate
	if date != "" {
		t, err := time.Parse(time.DateOnly, date)
		if err != nil {
			return nil, fmt.Errorf("%q is not a date in the form YYYY-MM-DD", date)
		}
		y, m, day := t.Date()
		mi := int(m)
		d.Year, d.Month, d.Day = &y, &mi, &day
	}
	if clock != "" {
		t, err := time.Parse("15:04", clock)
		if err != nil {
			return nil, fmt.Errorf("%q is not a time in the form HH:MM", clock)
		}
		h, mi := t.Hour(), t.Minute()
		d.Hour, d.Minute = &h, &mi
	}
	if date == "" && clock == "" {
		return nil, nil
	}
	return &d, nil
}

type wireTaskDate struct {
	Year   *flexInt `json:"y,omitempty"`
	Month  *flexInt `json:"mo,omitempty"`
	Day    *flexInt `json:"d,omitempty"`
	Hour   *flexInt `json:"h,omitempty"`
	Minute *flexInt `json:"mi,omitempty"`
}

// UnmarshalJSON accepts numbers or numeric strings for each part.
func (d *TaskDate) UnmarshalJSON(data []byte) error {
	var w wireTaskDate
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	conv := func(p *flexInt) *int {
		if p == nil {
			return nil
		}
		v := int(*p)
		return &v
	}
	*d = TaskDate{conv(w.Year), conv(w.Month), conv(w.Day), conv(w.Hour), conv(w.Minute)}
	return nil
}

// MarshalJSON writes only the parts that are set.
func (d TaskDate) MarshalJSON() ([]byte, error) {
	conv := func(p *int) *flexInt {
		if p == nil {
			return nil
		}
		v := flexInt(*p)
		return &v
	}
	return json.Marshal(wireTaskDate{conv(d.Year), conv(d.Month), conv(d.Day), conv(d.Hour), conv(d.Minute)})
}

func (d *TaskDate) validate(field string) error {
	if d == nil {
		return nil
	}
	parts := 0
	for _, p := range []*int{d.Year, d.Month, d.Day} {
		if p != nil {
			parts++
		}
	}
	if parts != 0 && parts != 3 {
		return invalid(field, "a date needs its year, month and day")
	}
	if parts == 3 {
		t := time.Date(*d.Year, time.Month(*d.Month), *d.Day, 0, 0, 0, 0, time.UTC)
		if t.Year() != *d.Year || int(t.Month()) != *d.Month || t.Day() != *d.Day {
			return invalid(field, "%04d-%02d-%02d is not a calendar date", *d.Year, *d.Month, *d.Day)
		}
	}
	if d.Minute != nil && d.Hour == nil {
		return invalid(field, "a time needs its hour")
	}
	if d.Hour != nil && (*d.Hour < 0 || *d.Hour > 23) {
		return invalid(field, "hour %d is not between 0 and 23", *d.Hour)
	}
	if d.Minute != nil && (*d.Minute < 0 || *d.Minute > 59) {
		return invalid(field, "minute %d is not between 0 and 59", *d.Minute)
	}
	return nil
}

// Validate checks what Clevertim would reject, before sending.
func (t *Task) Validate() error {
	if err := required("name", t.Name); err != nil {
		return err
	}
	if t.Type != nil && !t.Type.Valid() {
		return invalid("type", "%q is not a task type; use one of %s", *t.Type, quoteAll(Codes[TaskType]()))
	}
	if t.Recurrence != nil && !t.Recurrence.Valid() {
		return invalid("recurrence", "%q is not a recurrence code; use one of %s", *t.Recurrence, quoteAll(Codes[Recurrence]()))
	}
	if t.RecurEvery < 0 {
		return invalid("recurEvery", "must be 1 or more, got %d", t.RecurEvery)
	}
	if err := t.Start.validate("start"); err != nil {
		return err
	}
	return t.End.validate("end")
}
