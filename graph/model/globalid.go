package model

import (
	"encoding/base64"
	"strings"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
)

// Global object ids (Relay's object identification, as GitHub's API does
// it): the id a client sees is opaque and unique across the whole graph,
// base64url without padding of "Type:local", where local is Clevertim's id.
// The alphabet is [A-Za-z0-9_-], so a global id passes as an ID argument.

// GlobalID is the global id of the object of this GraphQL type and local id.
func GlobalID(typeName, local string) clevertim.ID {
	return clevertim.ID(base64.RawURLEncoding.EncodeToString([]byte(typeName + ":" + local)))
}

// DecodeGlobalID splits a global id into its type and local id; ok is false
// for anything GlobalID did not write (such as a plain Clevertim id).
func DecodeGlobalID(id clevertim.ID) (typeName, local string, ok bool) {
	raw, err := base64.RawURLEncoding.DecodeString(string(id))
	if err != nil {
		return "", "", false
	}
	typeName, local, ok = strings.Cut(string(raw), ":")
	if !ok || typeName == "" || local == "" || !isTypeName(typeName) {
		return "", "", false
	}
	return typeName, local, true
}

// isTypeName reports whether s reads as a GraphQL type name of ours
// (letters only, a capital first), which no decoded Clevertim id does by
// chance along with the colon.
func isTypeName(s string) bool {
	if s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}
