package graph

import (
	"fmt"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/graph/model"
)

// BenchmarkEqualityIndex compares, over 25,000 opportunities in value
// order, the pass of a status filter a page made before the index with
// building the index and cutting the page from it: without -cache-ttl the
// snapshot, and so the index, is built for each request, and must not cost
// more than the pass it replaces.
//
//	go test ./graph -run '^$' -bench EqualityIndex -benchmem
func BenchmarkEqualityIndex(b *testing.B) {
	st := []string{"Open", "Won", "Lost", "Suspended"}
	recs := make([]*clevertim.Opportunity, 25000)
	for i := range recs {
		o := &clevertim.Opportunity{Status: st[i%4]}
		o.ID = clevertim.ID(fmt.Sprint(i + 1))
		o.Value = clevertim.Decimal(fmt.Sprint(i * 7 % 1000))
		recs[i] = o
	}
	ord := opportunities.ordering(&model.Order[model.OpportunityOrderField]{Field: model.OpportunityOrderFieldValue})
	ix := sortPlaces[clevertim.Opportunity, *clevertim.Opportunity](recs, nil, ord)
	minimum := clevertim.Decimal("500")
	filters := []struct {
		name   string
		filter *model.OpportunityFilter
	}{
		{"open", &model.OpportunityFilter{Status: graphql.OmittableOf([]string{"Open"})}},
		{"open-over-500", &model.OpportunityFilter{Status: graphql.OmittableOf([]string{"Open"}), ValueMin: graphql.OmittableOf(&minimum)}},
		{"three-statuses-over-500", &model.OpportunityFilter{Status: graphql.OmittableOf([]string{"open", "won", "lost"}), ValueMin: graphql.OmittableOf(&minimum)}},
	}
	first := 50
	for _, f := range filters {
		b.Run(f.name+"/pass-and-page", func(b *testing.B) {
			for b.Loop() {
				if _, err := ix.page(opportunities.matcher(f.filter), ord, page{first: &first}, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(f.name+"/build-index-and-page", func(b *testing.B) {
			for b.Loop() {
				eq := equalityIn(opportunities.equalities, f.filter)
				match := opportunities.matcher(f.filter)
				if eq.alone {
					match = nil
				}
				sub, _ := groupPlaces(ix, eq.value).subset(eq.wanted, eq.fold)
				if _, err := sub.page(match, ord, page{first: &first}, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
