import type { Route } from '../routes/route';
import type { Version } from '../routes/version';

/** /docs: a human-readable index of both versions, built once at start. */
export function docsPage(routes: Record<Version, Route[]>): string {
  const rows = (v: Version) => routes[v].map((r) => `<li><code>${r.method.toUpperCase()} /api/${v}${r.path}</code> — ${r.summary}</li>`).join('');
  return `<!doctype html><html><head><meta charset="utf-8"><title>Tessera API</title></head><body><h1>Tessera API</h1>
      <p>OpenAPI 3.1: <a href="/api/v2/openapi.json">v2</a> (current), <a href="/api/v1/openapi.json">v1</a> (deprecated). Errors are RFC 9457 problem+json.</p>
      <h2>v2</h2><ul>${rows('v2')}</ul><h2>v1 (deprecated)</h2><ul>${rows('v1')}</ul></body></html>`;
}
