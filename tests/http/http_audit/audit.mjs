// Runs the graphql-http server audit (the reference audit of the GraphQL-over-HTTP spec)
// against the gateway whose /graphql URL is the one argument, and prints the results as
// one JSON array on stdout: {id, name, status, reason?, httpStatus?} per audit, where
// status is "ok", "notice" (a MAY not met), "warn" (a SHOULD) or "error" (a MUST).
// Requests go through Node's own fetch exactly as the audit builds them: no header is
// added, so the gateway's CSRF rule meets them as it would meet any other client.
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs http://127.0.0.1:PORT/graphql');
  process.exit(2);
}

const results = await auditServer({ url, fetchFn: fetch });
const report = results.map((result) => {
  const entry = { id: result.id, name: result.name, status: result.status };
  if (result.status !== 'ok') {
    entry.reason = result.reason;
    entry.httpStatus = result.response ? result.response.status : null;
  }
  return entry;
});
process.stdout.write(JSON.stringify(report, null, 2) + '\n');
