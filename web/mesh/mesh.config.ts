// Composes the Clevertim REST API into a supergraph that Hive Gateway serves
// (gateway.config.ts adds the links between records). The upstream is read
// from CLEVERTIM_URL at compose time: BenchmarkMesh composes against the
// emulator it starts.
import { defineConfig } from '@graphql-mesh/compose-cli';
import { loadJSONSchemaSubgraph } from '@omnigraph/json-schema';

const endpoint = process.env.CLEVERTIM_URL ?? 'http://127.0.0.1:8080/api';
const schema = './clevertim.schema.json#/definitions/';

// Clevertim has no batch read, filter, sort or paging: a resource is either
// read whole (GET /r) or one record at a time (GET /r/{id}).
const resources = [
  ['contact', 'contacts', 'Contacts'],
  ['company', 'companies', 'Companies'],
  ['opportunity', 'opportunities', 'Opportunities'],
  ['note', 'notes', 'Notes'],
  ['comment', 'comments', 'Comments'],
  ['user', 'users', 'Users'],
] as const;

export const composeConfig = defineConfig({
  subgraphs: [
    {
      sourceHandler: loadJSONSchemaSubgraph('Clevertim', {
        endpoint,
        // The caller's own key travels on, as Clevertim takes it (Basic key:X).
        operationHeaders: { Authorization: '{context.headers.authorization}' },
        operations: resources.flatMap(([path, plural, envelope]) => [
          {
            type: 'Query' as const,
            field: plural,
            path: `/${path}`,
            method: 'GET' as const,
            responseSchema: schema + envelope,
          },
          {
            type: 'Query' as const,
            field: path,
            path: `/${path}/{args.id}`,
            method: 'GET' as const,
            argTypeMap: { id: { type: 'integer' } },
            requiredArgs: ['id'],
            responseSchema: schema + envelope,
          },
        ]),
      }),
    },
  ],
});
