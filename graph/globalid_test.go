package graph_test

import (
	"testing"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/graph/model"
)

// local is Clevertim's id in a global id (an id field's value); other ids
// are returned as they are.
func local(id string) clevertim.ID {
	if _, l, ok := model.DecodeGlobalID(clevertim.ID(id)); ok {
		return clevertim.ID(l)
	}
	return clevertim.ID(id)
}

// FuzzGlobalID: a global id decodes to the type and id it was made of, and
// any text a client sends decodes without panicking to at most one
// (type, id), written back as that same text.
func FuzzGlobalID(f *testing.F) {
	f.Add("Contact", "1031", "Q29udGFjdDoxMDMx")
	f.Add("File", "f1001", "1031")
	f.Add("CustomFieldValue", "contact:1031:1001", "Q29udGFjdDoxMDMy")
	f.Fuzz(func(t *testing.T, typeName, id, text string) {
		// Type names are ours (letters); the id is anything Clevertim sent.
		if typ, l, ok := model.DecodeGlobalID(model.GlobalID(typeName, id)); isTypeName(typeName) &&
			(ok != (id != "") || ok && (typ != typeName || l != id)) {
			t.Fatalf("GlobalID(%q, %q) decodes to %q %q %v", typeName, id, typ, l, ok)
		}
		if typ, l, ok := model.DecodeGlobalID(clevertim.ID(text)); ok && string(model.GlobalID(typ, l)) != text {
			t.Fatalf("%q decodes to %q %q, which is written %q", text, typ, l, model.GlobalID(typ, l))
		}
	})
}

func isTypeName(s string) bool {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}
