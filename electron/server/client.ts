/**
 * A Node-side client of the local server (the CLI and tests use it). It authenticates with a bearer header, and
 * rebuilds ApiError from error bodies so callers handle both transports alike.
 *
 * Give it the server's origin and the bearer secret (`SIGHTLINE_TOKEN`), or a launch URL
 * (`http://127.0.0.1:PORT/#code=…`, as `sightline serve` prints): it then spends the one-time code on its first call,
 * as a browser tab would, and uses the session secret it gets back.
 */
import { WebSocket } from 'ws';
import {
  ApiError,
  ErrorBody,
  eventSchemas,
  type CallName,
  type CallRequest,
  type CallResponse,
  type EventName,
  type EventPayload,
} from '../../common/api/contract.js';

export type EventListener = <E extends EventName>(event: E, payload: EventPayload<E>) => void;

export interface EventSubscription {
  close(): Promise<void>;
  /** Settles when the connection ends, by close() or because the server went away. */
  readonly closed: Promise<void>;
}

export interface HttpClient {
  readonly origin: string;
  call<K extends CallName>(name: K, args?: CallRequest<K>): Promise<CallResponse<K>>;
  /**
   * Resolves once subscribed, so no event emitted afterwards is missed. Messages that are not a known event with a
   * valid payload are skipped: a newer server may send events this client does not know.
   */
  events(listener: EventListener): Promise<EventSubscription>;
}

export function createHttpClient(url: string, opts: { token?: string } = {}): HttpClient {
  const parsed = new URL(url);
  const { origin } = parsed;
  const code = new URLSearchParams(parsed.hash.slice(1)).get('code');
  if (!opts.token && !code) {
    throw new Error(`No credential for ${url}: pass { token } (the server's SIGHTLINE_TOKEN) or the launch URL printed by \`sightline serve\` (…/#code=…).`);
  }
  let secret: Promise<string> | null = opts.token ? Promise.resolve(opts.token) : null;

  async function exchange(): Promise<string> {
    let res: Response;
    try {
      res = await fetch(`${origin}/auth/exchange`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ code }) });
    } catch (err) {
      throw new ApiError('io', `Could not reach the Sightline server at ${origin} (${causeOf(err)}). Is \`sightline serve\` still running?`);
    }
    const text = await res.text();
    if (!res.ok) throw errorFromBody(text, `The server at ${origin} refused the sign-in code with HTTP ${res.status}.`);
    return (JSON.parse(text) as { result: { session: string } }).result.session;
  }

  /** The bearer secret; a failed exchange is retried by the next call (a code refused stays refused). */
  function auth(): Promise<{ Authorization: string }> {
    secret ??= exchange().catch((err: unknown) => {
      secret = null;
      throw err;
    });
    return secret.then((s) => ({ Authorization: `Bearer ${s}` }));
  }

  async function call<K extends CallName>(name: K, args?: CallRequest<K>): Promise<CallResponse<K>> {
    const headers = await auth();
    let res: Response;
    try {
      res = await fetch(`${origin}/api/${name}`, {
        method: 'POST',
        headers: { ...headers, 'Content-Type': 'application/json' },
        body: JSON.stringify(args ?? {}),
      });
    } catch (err) {
      throw new ApiError('io', `Could not reach the Sightline server at ${origin} (${causeOf(err)}). Is \`sightline serve\` still running?`);
    }
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new ApiError('internal', `The server at ${origin} answered ${name} with HTTP ${res.status} and a body that is not JSON.`);
    }
    const envelope = body as { ok?: unknown; result?: unknown; error?: unknown };
    if (envelope.ok === true) return envelope.result as CallResponse<K>;
    const error = ErrorBody.safeParse(envelope.error);
    if (!error.success) throw new ApiError('internal', `The server at ${origin} answered ${name} with HTTP ${res.status} and no readable error.`);
    throw new ApiError(error.data.code, error.data.message, error.data.details);
  }

  async function events(listener: EventListener): Promise<EventSubscription> {
    const ws = new WebSocket(`${origin.replace(/^http/, 'ws')}/events`, { headers: await auth() });
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    ws.on('message', (data) => {
      let message: { event?: unknown; payload?: unknown };
      try {
        message = JSON.parse(data.toString());
      } catch {
        return;
      }
      const event = message.event;
      if (typeof event !== 'string' || !Object.prototype.hasOwnProperty.call(eventSchemas, event)) return;
      const payload = eventSchemas[event as EventName].safeParse(message.payload);
      if (payload.success) listener(event as EventName, payload.data as EventPayload<EventName>);
    });
    return new Promise((resolve, reject) => {
      ws.once('open', () => {
        resolve({
          close: () => {
            ws.close();
            return closed;
          },
          closed,
        });
      });
      ws.once('unexpected-response', (_req, res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          ws.terminate();
          reject(errorFromBody(text, `The server at ${origin} refused the event stream with HTTP ${res.statusCode}.`));
        });
      });
      // After open, a rejection is a no-op and terminate() settles `closed`.
      ws.on('error', (err) => {
        reject(new ApiError('io', `Could not open the event stream of ${origin} (${causeOf(err)}). Is \`sightline serve\` still running?`));
        ws.terminate();
      });
    });
  }

  return { origin, call, events };
}

function errorFromBody(text: string, fallback: string): ApiError {
  try {
    const error = ErrorBody.safeParse(JSON.parse(text).error);
    if (error.success) return new ApiError(error.data.code, error.data.message, error.data.details);
  } catch {
    // not JSON: fall through
  }
  return new ApiError('internal', fallback);
}

/** fetch() hides the useful part (ECONNREFUSED) in `cause`. */
function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}
