package graph

import (
	"math/big"
	"testing"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
)

// FuzzAmountBetween: the text comparison of plain decimals answers what
// big.Rat answers, for any amount and bounds; it declines anything not
// written plainly.
func FuzzAmountBetween(f *testing.F) {
	for _, seed := range [][3]string{
		{"1000.50", "1000.5", "1000.500"}, {"-0", "0.0", "-0.00"}, {"007", "7", "6.999"},
		{"98765432109876543.21", "98765432109876543.2", "98765432109876543.211"},
		{"-5.5", "-5.50001", "-5.4"}, {"1e3", "999", "1001"}, {"", "1", "2"}, {" 5", "5.", ".5"},
		{"-12", "-100", "-11.999"}, {"0.1", "0.09", "0.10"}, {"+3", "-", "3/1"},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	rat := func(s string) *big.Rat {
		r, ok := parseNumber(s)
		if !ok {
			return nil
		}
		return r
	}
	f.Fuzz(func(t *testing.T, v, lo, hi string) {
		if c, ok := comparePlainDecimals(v, lo); ok {
			a, b := rat(v), rat(lo)
			if a == nil || b == nil {
				t.Fatalf("%q and %q compared as plain decimals, but one is not a number", v, lo)
			}
			if want := a.Cmp(b); c != want {
				t.Fatalf("%q against %q: %d, big.Rat says %d", v, lo, c, want)
			}
		}
		loD, hiD := clevertim.Decimal(lo), clevertim.Decimal(hi)
		for _, bounds := range [][2]*clevertim.Decimal{{&loD, nil}, {nil, &hiD}, {&loD, &hiD}} {
			if in, ok := plainBetween(v, bounds[0], bounds[1]); ok {
				k := decimalKey(clevertim.Decimal(v))
				want := !k.null &&
					(bounds[0] == nil || keyNumber.compare(k, decimalKey(*bounds[0])) >= 0) &&
					(bounds[1] == nil || keyNumber.compare(k, decimalKey(*bounds[1])) <= 0)
				if in != want {
					t.Fatalf("%q within [%v, %v]: %v, big.Rat says %v", v, bounds[0], bounds[1], in, want)
				}
			}
		}
	})
}
