// Hive Gateway (GraphQL Mesh v1) serving the supergraph mesh.config.ts
// composes, with the links between Clevertim records that the REST API only
// holds as ids: opportunity -> customer (a contact or a company) and lead
// user, contact -> company, opportunity -> latest notes, note -> comments,
// comment -> author, and a pipeline board. Clevertim has no batch read,
// filter, sort or paging, so each link reads one record by id, and the board
// filters and sorts the whole opportunities collection here.
//
// Mesh's own features are on: the gateway batches sibling delegations into
// one execution, identical GETs of one request are sent once
// (plugin-deduplicate-request, its per-request loader; batched delegation by
// keys needs an endpoint that takes several ids, which Clevertim lacks), and
// with MESH_CACHE_TTL (seconds) its response cache, per API key. Its HTTP
// cache would need Cache-Control from Clevertim, which sends none.
import { defineConfig, type GatewayConfig } from '@graphql-hive/gateway';
import useDeduplicateRequest from '@graphql-mesh/plugin-deduplicate-request';
import { Kind, type GraphQLResolveInfo, type SelectionNode, type SelectionSetNode } from 'graphql';

const typeDefs = /* GraphQL */ `
  "A note, task or opportunity is filed under a contact or a company."
  union Customer = Contact | Company

  extend type Query {
    "The pipeline board: opportunities in one status, by value, largest first (filtered and sorted here: Clevertim returns them all)."
    pipelineBoard(status: String! = "Open", first: Int! = 20): [Opportunity]
  }

  extend type Opportunity {
    customer: Customer
    lead: User
    "The latest notes, by when they were added (each read by id)."
    latestNotes(last: Int! = 3): [Note]
  }

  extend type Contact {
    company: Company
  }

  extend type Note {
    commentList: [Comment]
  }

  extend type Comment {
    author: User
  }
`;

type Envelope<T> = { content?: T[] } | null | undefined;
type Record = { [field: string]: unknown };
type Context = { Clevertim: { Query: { [field: string]: (opts: object) => Promise<unknown> } } };

// The fields of a record that its links and the resolvers below read: a
// record read through the in-context SDK gets only what is asked for.
const keys: { [typeName: string]: string[] } = {
  Opportunity: ['id', 'status', 'value', 'cust', 'leadUser', 'notes'],
  Contact: ['companyId'],
  Note: ['id', 'ao', 'comments'],
  Comment: ['userId'],
};

// inContent asks the source for the caller's selection inside the envelope's
// content, keeping only what applies to typeName (a union's fragments), with
// the keys its links need.
function inContent(typeName: string) {
  return (subtree: SelectionSetNode | undefined): SelectionSetNode => ({
    kind: Kind.SELECTION_SET,
    selections: [
      {
        kind: Kind.FIELD,
        name: { kind: Kind.NAME, value: 'content' },
        selectionSet: {
          kind: Kind.SELECTION_SET,
          selections: [field('__typename'), ...(keys[typeName] ?? []).map(field), ...only(subtree, typeName)],
        },
      },
    ],
  });
}

function only(subtree: SelectionSetNode | undefined, typeName: string): readonly SelectionNode[] {
  return (subtree?.selections ?? []).flatMap(s => {
    if (s.kind !== Kind.INLINE_FRAGMENT) return [s];
    const on = s.typeCondition?.name.value;
    return on == null || on === typeName || on === 'Customer' ? only(s.selectionSet, typeName) : [];
  });
}

// byID reads one record through the source (GET /{resource}/{id}); a 404
// (deleted, or not visible to the caller) is null.
async function byID(context: Context, info: GraphQLResolveInfo, field: string, typeName: string, id: unknown) {
  if (id == null) return null;
  const result = await context.Clevertim.Query[field]({
    root: {},
    args: { id },
    context,
    info,
    selectionSet: inContent(typeName),
    valuesFromResults: (r: Envelope<Record>) => r?.content?.[0] ?? null,
  });
  if (result instanceof Error) {
    const status = (result as { extensions?: { response?: { status?: number } } }).extensions?.response?.status;
    if (status === 404) return null;
    throw result;
  }
  return result;
}

// link follows an id field to the record it names. (@resolveTo would say
// the same declaratively, but it sends a null id on: the gateway batches
// sibling delegations into one execution, and one null id fails them all.)
function link(idField: string, sourceField: string, typeName: string) {
  return {
    selectionSet: `{ ${idField} }`,
    resolve: (root: Record, _args: unknown, context: Context, info: GraphQLResolveInfo) =>
      byID(context, info, sourceField, typeName, root[idField]),
  };
}

const resolvers = {
  Customer: { __resolveType: (r: Record) => r.__typename },
  Query: {
    async pipelineBoard(root: unknown, args: { status: string; first: number }, context: Context, info: GraphQLResolveInfo) {
      const all = (await context.Clevertim.Query.opportunities({
        root,
        args: {},
        context,
        info,
        selectionSet: inContent('Opportunity'),
        valuesFromResults: (r: Envelope<Record>) => r?.content ?? [],
      })) as Record[];
      if (all instanceof Error) throw all;
      return all
        .filter(o => o.status === args.status)
        .sort((a, b) => Number(b.value ?? 0) - Number(a.value ?? 0) || Number(a.id) - Number(b.id))
        .slice(0, args.first);
    },
  },
  Opportunity: {
    customer: {
      selectionSet: '{ cust }',
      // As Clevertim's own client does: the id names a contact or, on 404, a company.
      async resolve(root: Record, _args: unknown, context: Context, info: GraphQLResolveInfo) {
        return (
          (await byID(context, info, 'contact', 'Contact', root.cust)) ??
          (await byID(context, info, 'company', 'Company', root.cust))
        );
      },
    },
    lead: link('leadUser', 'user', 'User'),
    latestNotes: {
      selectionSet: '{ notes }',
      async resolve(root: Record, args: { last: number }, context: Context, info: GraphQLResolveInfo) {
        // Which notes are the latest shows only once each is read.
        const notes = await Promise.all(
          ((root.notes as unknown[]) ?? []).map(id => byID(context, info, 'note', 'Note', id)),
        );
        return (notes.filter(Boolean) as Record[])
          .sort((a, b) => String(a.ao).localeCompare(String(b.ao)) || Number(a.id) - Number(b.id))
          .slice(-args.last);
      },
    },
  },
  Contact: { company: link('companyId', 'company', 'Company') },
  Comment: { author: link('userId', 'user', 'User') },
  Note: {
    commentList: {
      selectionSet: '{ comments }',
      async resolve(root: Record, _args: unknown, context: Context, info: GraphQLResolveInfo) {
        const comments = await Promise.all(
          ((root.comments as unknown[]) ?? []).map(id => byID(context, info, 'comment', 'Comment', id)),
        );
        return comments.filter(Boolean);
      },
    },
  },
};

function field(name: string): SelectionNode {
  return { kind: Kind.FIELD, name: { kind: Kind.NAME, value: name } };
}

const ttl = Number(process.env.MESH_CACHE_TTL ?? 0);

export const gatewayConfig: GatewayConfig = defineConfig({
  supergraph: process.env.MESH_SUPERGRAPH ?? './supergraph.graphql',
  additionalTypeDefs: typeDefs,
  additionalResolvers: resolvers,
  plugins: () => [useDeduplicateRequest()],
  ...(ttl > 0
    ? {
        responseCaching: {
          ttl: ttl * 1000,
          // One cache per API key: Clevertim shows each user a different account.
          session: (request: Request) => request.headers.get('authorization'),
        },
      }
    : {}),
});
