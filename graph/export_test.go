package graph

import "context"

// WaitFor is waitFor, for the tests of package graph_test.
var WaitFor = waitFor

// CountPageWork returns ctx carrying a counter of the places the pages of
// an operation examine (see pageWork), and a function reading it.
func CountPageWork(ctx context.Context) (context.Context, func() int64) {
	w := &pageWork{}
	return context.WithValue(ctx, pageWorkKey{}, w), w.examined.Load
}
