package graph

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/graph/model"
)

// The equality index picks, in the ordering, exactly the records a pass
// comparing each record's value would: with few values and with many (past
// fewValues, a map), for one wanted value and several, with and without
// regard to case; a record without a value is in no group. Compared
// without regard to case over many values, it declines (the caller passes
// over the ordering instead).
func TestEqualityIndex_PicksWhatAPassPicks(t *testing.T) {
	t.Parallel()
	ord := opportunities.ordering(&model.Order[model.OpportunityOrderField]{Field: model.OpportunityOrderFieldValue, Direction: model.OrderDirectionDesc})
	for _, distinct := range []int{3, fewValues * 3} {
		recs := make([]*clevertim.Opportunity, 2000)
		for i := range recs {
			status := fmt.Sprintf("S%d", i%distinct)
			if i%5 == 0 {
				status = strings.ToLower(status)
			}
			o := &clevertim.Opportunity{Status: status}
			o.ID = clevertim.ID(fmt.Sprint(i + 1))
			o.Value = clevertim.Decimal(fmt.Sprint(i * 37 % 101))
			recs[i] = o
		}
		all := sortPlaces[clevertim.Opportunity, *clevertim.Opportunity](recs, nil, ord)
		value := func(o *clevertim.Opportunity) (string, bool) { return o.Status, o.ID != "7" }
		ix := groupPlaces(all, value)
		for _, wanted := range [][]string{{"S1"}, {"S2", "s0", "S2"}, {"none"}, {"s1", "S1"}} {
			for _, fold := range []bool{false, true} {
				got, ok := ix.subset(wanted, fold)
				if fold && distinct > fewValues {
					if ok {
						t.Errorf("%d values, %v folded: answered; want it to decline", distinct, wanted)
					}
					continue
				}
				if !ok {
					t.Fatalf("%d values, %v (fold %v): declined", distinct, wanted, fold)
				}
				var want []clevertim.ID
				for _, it := range all.items {
					r := all.recs[it.at]
					v, has := value(r)
					if has && slices.ContainsFunc(wanted, func(w string) bool { return w == v || fold && strings.EqualFold(w, v) }) {
						want = append(want, r.ID)
					}
				}
				var ids []clevertim.ID
				for _, it := range got.items {
					ids = append(ids, got.recs[it.at].ID)
				}
				if !slices.Equal(ids, want) {
					t.Errorf("%d values, %v (fold %v): %d records %v…, want %d %v…", distinct, wanted, fold, len(ids), ids[:min(5, len(ids))], len(want), want[:min(5, len(want))])
				}
			}
		}
	}
}
