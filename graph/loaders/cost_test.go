package loaders

import "testing"

func TestCheaperByID(t *testing.T) {
	t.Parallel()
	o := DefaultOptions().WithDefaults()
	o.Budget = 300
	notes150k := collectionSize{count: 150_000, bytes: 55 << 20}
	demoNotes := collectionSize{count: 60, bytes: 60 * 400}
	for _, c := range []struct {
		name  string
		n     int
		size  collectionSize
		known bool
		want  bool
	}{
		{"15 of 150k notes", 15, notes150k, true, true},
		{"size unknown, within the bound", 15, collectionSize{}, false, true},
		{"size unknown, past the bound", o.ListThreshold + 1, collectionSize{}, false, false},
		{"past two rounds, however large the collection", 2*o.Concurrency + 1, notes150k, true, false},
		{"15 of 60 small notes", 15, demoNotes, true, false},
		{"2 of 60 small notes", 2, demoNotes, true, true},
		{"an empty collection", 1, collectionSize{}, true, false},
	} {
		if got := o.cheaperByID(c.n, c.size, c.known); got != c.want {
			t.Errorf("%s: by id = %v, want %v", c.name, got, c.want)
		}
	}
	o.Budget = 10
	if o.cheaperByID(6, notes150k, true) {
		t.Error("6 GETs by id out of a budget of 10")
	}
}
