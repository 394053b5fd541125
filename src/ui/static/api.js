// Talking to the dashboard server. The token (when the page was opened with ?token=) is kept for
// this tab only and sent as a header, which deletes require.

const params = new URLSearchParams(location.search);
if (params.has('token')) {
  sessionStorage.setItem('kiln-token', params.get('token'));
  params.delete('token');
  const rest = params.toString();
  history.replaceState(null, '', `${location.pathname}${rest ? `?${rest}` : ''}${location.hash}`);
}

function headers() {
  const token = sessionStorage.getItem('kiln-token');
  return token ? { 'X-Kiln-Token': token } : {};
}

/** GETs a JSON API path; throws an Error with the server's message on failure. */
export async function get(path) {
  const res = await fetch(path, { headers: headers() });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error ?? `${res.status} ${res.statusText}`);
  return body;
}

/** DELETEs a run (needs a dashboard started with --allow-delete and its token). */
export async function deleteRun(id) {
  const res = await fetch(`/api/runs/${encodeURIComponent(id)}`, {
    method: 'DELETE',
    headers: headers(),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error ?? `${res.status}`);
  return body;
}

/** The URL of a run-folder file (download, or inline for images). */
export function fileUrl(runId, path, inline = false) {
  const parts = path.split('/').map(encodeURIComponent).join('/');
  return `/api/runs/${encodeURIComponent(runId)}/files/${parts}${inline ? '?inline=1' : ''}`;
}

/** One curve, thinned by the server to `points` over [min, max]. */
export function curve(runId, key, { x = 'step', min, max, points = 1000, smooth = 0 } = {}) {
  const q = new URLSearchParams({ x, points: String(points), smooth: String(smooth) });
  if (min !== undefined && min !== null) q.set('min', String(min));
  if (max !== undefined && max !== null) q.set('max', String(max));
  return get(`/api/runs/${encodeURIComponent(runId)}/metrics/${encodeURIComponent(key)}?${q}`);
}
