package graph

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/clevertim-graphql/clevertim-graphql/clevertim"
	"github.com/clevertim-graphql/clevertim-graphql/graph/model"
)

// Relay object identification. Records' id fields are written as global
// ids by model.MarshalGraphID; this file reads ids back (localID, the one
// decoding helper every argument and input reference goes through) and
// serves node and nodes from the resource table.

// localID reads a record's id from an argument or input field: the global
// id of a record of one of these GraphQL types, or Clevertim's own id (the
// caller knows the type). The global id of another type is refused.
func localID(id clevertim.ID, field string, types ...string) (clevertim.ID, error) {
	typeName, local, ok := model.DecodeGlobalID(id)
	if !ok {
		return id, nil
	}
	if !slices.Contains(types, typeName) {
		return "", inputError(field, "%s is the id of a %s, not of a %s", id, typeName, strings.Join(types, " or "))
	}
	return clevertim.ID(local), nil
}

// localIDs reads a list of ids like localID; field is the list's name.
func localIDs(ids []clevertim.ID, field string, types ...string) ([]clevertim.ID, error) {
	out := make([]clevertim.ID, len(ids))
	for i, id := range ids {
		local, err := localID(id, field+"["+strconv.Itoa(i)+"]", types...)
		if err != nil {
			return nil, err
		}
		out[i] = local
	}
	return out, nil
}

// customerTypes are the types a `cust` reference may name.
var customerTypes = []string{contacts.typeName, companies.typeName}

// resourceOf is the table's resource of a GraphQL type.
func resourceOf(typeName string) (described, bool) {
	i := slices.IndexFunc(allResources, func(r described) bool { return r.graphQLType() == typeName })
	if i < 0 {
		return nil, false
	}
	return allResources[i], true
}

// nodeID reads the id given to node or nodes: a global id only, since a
// Clevertim id does not say which resource it is of.
func nodeID(id clevertim.ID, field string) (described, clevertim.ID, error) {
	typeName, local, ok := model.DecodeGlobalID(id)
	if !ok {
		return nil, "", inputError(field, "%s is not a global id: node and nodes take the id field of a record, not its clevertimId", id)
	}
	r, ok := resourceOf(typeName)
	if !ok {
		return nil, "", inputError(field, "%s is the id of a %s, which is not a Node", id, typeName)
	}
	return r, clevertim.ID(local), nil
}

// loadNodes loads records by global id through the request's loaders, each
// id in its own goroutine so that the loaders gather them into one batch per
// type (and fetch none twice). The answer keeps the order of ids; a missing
// record is null with a NOT_FOUND error at its index.
func loadNodes(ctx context.Context, ids []clevertim.ID, limit int) ([]model.Node, error) {
	if limit >= 0 && len(ids) > limit {
		return nil, inputError("ids", "at most %d ids at once (-max-node-ids), got %d", limit, len(ids))
	}
	type ref struct {
		r  described
		id clevertim.ID
	}
	refs := make([]ref, len(ids))
	for i, id := range ids {
		r, local, err := nodeID(id, "ids["+strconv.Itoa(i)+"]")
		if err != nil {
			return nil, err
		}
		refs[i] = ref{r, local}
	}
	nodes, errs := make([]model.Node, len(ids)), make([]error, len(ids))
	var wg sync.WaitGroup
	for i, ref := range refs {
		wg.Go(func() { nodes[i], errs[i] = ref.r.loadNode(ctx, ref.id) })
	}
	wg.Wait()
	path := graphql.GetPath(ctx)
	for i, err := range errs {
		switch {
		case err == nil:
		case errors.Is(err, clevertim.ErrNotFound):
			nodes[i] = nil
			graphql.AddError(ctx, gqlerror.WrapPath(append(slices.Clone(path), ast.PathIndex(i)), err))
		default:
			return nil, err
		}
	}
	return nodes, nil
}

// filterRefs are the filters' references to records, by input field name,
// with the types whose global ids each takes.
var filterRefs = map[string][]string{
	"customerId": customerTypes, "companyId": {companies.typeName}, "caseId": {cases.typeName},
	"opportunityId": {opportunities.typeName}, "leadUserId": {users.typeName}, "assigneeId": {users.typeName},
	"createdById": {users.typeName}, "authorId": {users.typeName},
}

// checkFilterIDs refuses a filter that names a record by the global id of
// another type, as an id argument is refused, instead of matching nothing;
// field is where the filter is. It walks the filter by reflection because
// the filter types are generated from the schema, one per resource, with
// and/or/not nesting them: listing their reference fields by hand would
// need an entry per filter type to keep in step with the schema.
func checkFilterIDs(filter any, field string) error {
	v := reflect.ValueOf(filter)
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil
	}
	for i := range v.NumField() {
		sf := v.Type().Field(i)
		value := v.Field(i).MethodByName("Value") // graphql.Omittable
		if !sf.IsExported() || !value.IsValid() {
			continue
		}
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		at := field + "." + name
		got := value.Call(nil)[0]
		var err error
		switch x := got.Interface().(type) {
		case *clevertim.ID:
			if types, ok := filterRefs[name]; ok && x != nil {
				_, err = localID(*x, at, types...)
			}
		case []clevertim.ID:
			if types, ok := filterRefs[name]; ok {
				_, err = localIDs(x, at, types...)
			}
		default: // and, or (lists of filters) and not (a filter)
			if got.Kind() == reflect.Slice {
				for j := range got.Len() {
					if err = checkFilterIDs(got.Index(j).Interface(), at+"["+strconv.Itoa(j)+"]"); err != nil {
						break
					}
				}
			} else {
				err = checkFilterIDs(got.Interface(), at)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}
