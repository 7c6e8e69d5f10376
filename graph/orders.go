package graph

import (
	"time"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
)

// The sorts an orderBy field can ask for, by the type of what it sorts; the
// resource table (resources.go) picks one per field.

// byText sorts by text fields in turn (last name, then first name).
func byText[T any](fields ...func(*T) string) sortBy[T] {
	kinds := make([]keyKind, len(fields))
	for i := range kinds {
		kinds[i] = keyText
	}
	return sortBy[T]{kinds: kinds, key: func(key []sortKey, rec *T, c *collator) []sortKey {
		for _, f := range fields {
			key = append(key, c.text(f(rec)))
		}
		return key
	}}
}

// byTime sorts by an instant; a nil or zero time is absent.
func byTime[T any](field func(*T) *time.Time) sortBy[T] {
	return sortBy[T]{kinds: []keyKind{keyTime}, key: func(key []sortKey, rec *T, _ *collator) []sortKey {
		return append(key, timePtrKey(field(rec)))
	}}
}

// byDecimal sorts by an amount, exactly.
func byDecimal[T any](field func(*T) clevertim.Decimal) sortBy[T] {
	return sortBy[T]{kinds: []keyKind{keyNumber}, key: func(key []sortKey, rec *T, _ *collator) []sortKey {
		return append(key, decimalKey(field(rec)))
	}}
}

// byTaskDate sorts by a task's day, then its time of day; either may be
// absent.
func byTaskDate[T any](field func(*T) *clevertim.TaskDate) sortBy[T] {
	return sortBy[T]{kinds: []keyKind{keyTime, keyNumber}, key: func(key []sortKey, rec *T, _ *collator) []sortKey {
		d := field(rec)
		day, minute := sortKey{null: true}, sortKey{null: true}
		if d != nil && d.HasDate() {
			day = timeKey(time.Date(*d.Year, time.Month(*d.Month), *d.Day, 0, 0, 0, 0, time.UTC))
		}
		if d != nil && d.HasTime() {
			m := *d.Hour * 60
			if d.Minute != nil {
				m += *d.Minute
			}
			minute = intKey(&m)
		}
		return append(key, day, minute)
	}}
}
