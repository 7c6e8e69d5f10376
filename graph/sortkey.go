package graph

import (
	"bytes"
	"cmp"
	"math/big"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
)

// Sort keys are typed values compared as what they are: text by a
// collation, times as instants, amounts as exact decimals. A formatted
// string cannot do all three (a float formatted to fixed width loses
// precision and misorders negative and large amounts).

// keyKind is the type of one part of a sort key.
type keyKind int

const (
	// keyText is text compared by the Unicode collation, ignoring case: "Émile"
	// sorts with the Es, "adam" with "Adam".
	keyText keyKind = iota
	// keyTime is an instant.
	keyTime
	// keyNumber is an exact decimal number.
	keyNumber
)

// sortKey is one part of a record's sort key. An absent value (an empty
// amount, a date never set) is null and sorts before every value.
type sortKey struct {
	null bool
	text string // keyText: the text, as the cursor carries it
	coll []byte // keyText: its collation key
	at   time.Time
	num  *big.Rat
}

// collator makes collation keys. collate.Collator is not safe for
// concurrent use, so each connection gets its own.
type collator struct {
	c   *collate.Collator
	buf collate.Buffer
	// arena holds the keys built for plain ASCII text.
	arena []byte
}

func newCollation() *collate.Collator { return collate.New(language.Und, collate.IgnoreCase) }

func newCollator() *collator { return &collator{c: newCollation()} }

func (c *collator) text(s string) sortKey {
	s = strings.TrimSpace(s)
	// Keys point into buf or arena, which are only appended to: they stay
	// valid for as long as the collator, one connection.
	if key, ok := c.asciiKey(s); ok {
		return sortKey{text: s, coll: key}
	}
	return sortKey{text: s, coll: c.c.KeyFromString(&c.buf, s)}
}

// asciiWeights are the collation's primary weights of the printable ASCII
// characters, taken from the collation itself, once per process: it never
// changes after. ok is false if a character's key is not the simple form
// (one primary, one secondary) that asciiKey assumes.
var asciiWeights = sync.OnceValue(func() (w struct {
	primary [128][2]byte
	ok      [128]bool
}) {
	c := newCollation()
	var buf collate.Buffer
	for b := byte(' '); b <= '~'; b++ {
		key := c.KeyFromString(&buf, string(rune(b)))
		// primary, level separator, secondary
		if len(key) == 6 && key[0] != 0 && key[2] == 0 && key[3] == 0 && key[4] == 0 && key[5] == 0x20 {
			w.primary[b] = [2]byte{key[0], key[1]}
			w.ok[b] = true
		}
		buf.Reset()
	}
	return w
})

// asciiKey builds the collation key of printable ASCII text without the
// collator, about ten times faster: for these characters the root collation
// has no contractions or expansions, so the key is every character's
// primary weight, a separator, and a common secondary weight per character
// (case is ignored: no third level). TestCollation_ASCIIKeys checks it
// against the collator.
func (c *collator) asciiKey(s string) ([]byte, bool) {
	w := asciiWeights()
	for i := 0; i < len(s); i++ {
		if b := s[i]; b >= 128 || !w.ok[b] {
			return nil, false
		}
	}
	start := len(c.arena)
	for i := 0; i < len(s); i++ {
		c.arena = append(c.arena, w.primary[s[i]][0], w.primary[s[i]][1])
	}
	c.arena = append(c.arena, 0, 0)
	for range len(s) {
		c.arena = append(c.arena, 0, 0x20)
	}
	return c.arena[start:len(c.arena):len(c.arena)], true
}

func timeKey(t time.Time) sortKey {
	if t.IsZero() {
		return sortKey{null: true}
	}
	return sortKey{at: t}
}

func timePtrKey(t *time.Time) sortKey {
	if t == nil {
		return sortKey{null: true}
	}
	return timeKey(*t)
}

// decimalKey reads an amount exactly; what is not a number is null.
func decimalKey(d clevertim.Decimal) sortKey {
	r, ok := parseNumber(strings.TrimSpace(string(d)))
	if !ok {
		return sortKey{null: true}
	}
	return sortKey{num: r}
}

// Bounds on the numbers parsed: big.Rat would honour "1e999999999" by
// computing the power, and cursors come from strangers.
const (
	maxNumberLen      = 512
	maxNumberExponent = 400
)

// parseNumber reads a decimal ("-5.5", "1e17") or a fraction ("-11/2").
func parseNumber(s string) (*big.Rat, bool) {
	if len(s) > maxNumberLen {
		return nil, false
	}
	if at := strings.IndexAny(s, "eE"); at >= 0 {
		exp, err := strconv.Atoi(s[at+1:])
		if err != nil || exp > maxNumberExponent || exp < -maxNumberExponent {
			return nil, false
		}
	}
	return new(big.Rat).SetString(s)
}

func intKey(n *int) sortKey {
	if n == nil {
		return sortKey{null: true}
	}
	return sortKey{num: new(big.Rat).SetInt64(int64(*n))}
}

// compare orders two keys of this kind, nulls first.
func (k keyKind) compare(a, b sortKey) int {
	if a.null || b.null {
		return cmp.Compare(boolRank(!a.null), boolRank(!b.null))
	}
	switch k {
	case keyText:
		return bytes.Compare(a.coll, b.coll)
	case keyTime:
		return a.at.Compare(b.at)
	default:
		return a.num.Cmp(b.num)
	}
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// encode writes a key for a cursor; nil is null.
func (k keyKind) encode(v sortKey) *string {
	if v.null {
		return nil
	}
	var s string
	switch k {
	case keyText:
		s = v.text
	case keyTime:
		// Seconds and nanoseconds: exact for any year, where RFC 3339 stops at 9999.
		s = strconv.FormatInt(v.at.Unix(), 10) + "." + strconv.Itoa(v.at.Nanosecond())
	default:
		s = v.num.RatString()
	}
	return &s
}

// decode reads a key from a cursor.
func (k keyKind) decode(s *string, c *collator) (sortKey, bool) {
	if s == nil {
		return sortKey{null: true}, true
	}
	switch k {
	case keyText:
		return c.text(*s), true
	case keyTime:
		sec, nsec, _ := strings.Cut(*s, ".")
		secs, err1 := strconv.ParseInt(sec, 10, 64)
		nanos, err2 := strconv.ParseInt(nsec, 10, 64)
		if err1 != nil || err2 != nil || nanos < 0 || nanos >= 1e9 {
			return sortKey{}, false
		}
		return sortKey{at: time.Unix(secs, nanos)}, true
	default:
		r, ok := parseNumber(*s)
		return sortKey{num: r}, ok
	}
}
