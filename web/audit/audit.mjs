// Runs every GraphQL-over-HTTP audit of graphql-http (MUST, SHOULD and MAY)
// against the GraphQL endpoint given as the first argument, prints one line
// per audit and exits non-zero unless every audit is ok.
//
//   npm ci && node audit.mjs http://127.0.0.1:8080/query
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <GraphQL endpoint URL>');
  process.exit(2);
}

let failed = 0;
for (const audit of serverAudits({ url })) {
  const result = await audit.fn();
  if (result.status === 'ok') {
    console.log(`ok    ${result.id} ${result.name}`);
    continue;
  }
  failed++;
  let body = '';
  try {
    body = await result.response.text();
  } catch {
    // the audit already read the body
  }
  console.log(`${result.status.padEnd(5)} ${result.id} ${result.name}: ${result.reason} ` +
    `(status ${result.response.status}, content-type ${result.response.headers.get('content-type')}) ${body.slice(0, 300)}`);
}
const total = serverAudits({ url }).length;
console.log(`${total - failed} of ${total} audits ok`);
process.exit(failed === 0 ? 0 : 1);
