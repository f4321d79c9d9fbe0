// A small HTTP client over fetch for the emulator's tests: token handling and the operations table.
import {
  expandPath,
  operations,
  type OperationName,
  type OperationPathParams,
} from '../../src/api/operations.js';
import type { Application, CreateApplicationRequest } from '../../src/api/schemas.js';
import type { LogtoEmulator } from './emulator.js';

// Tests read arbitrary JSON answers (successes and errors alike).
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Loose = any;

export interface ApiResponse<T = Loose> {
  status: number;
  headers: Headers;
  /** Parsed JSON when the answer is JSON, the text otherwise. */
  body: T;
}

export type Query = Record<string, string | number | boolean | Array<string | number>>;

export interface RequestInit {
  body?: unknown;
  /** Sent as is with `Content-Type: application/json` instead of `body` (for bodies that are not JSON). */
  rawBody?: string;
  query?: Query;
  /** A bearer token; `null` sends none. Default: a token of the operator app with scope `all`. */
  token?: string | null;
  headers?: Record<string, string>;
}

export interface TokenRequest {
  clientId?: string;
  clientSecret?: string;
  /** `null` omits the parameter. Default `all`. */
  scope?: string | null;
  /** Default: the emulator's indicator; `null` omits it. */
  resource?: string | null;
  /** HTTP Basic (default) or `client_secret_post`. */
  auth?: 'basic' | 'post';
}

const toSearchParams = (query: Query = {}) => {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    for (const item of Array.isArray(value) ? value : [value]) params.append(key, String(item));
  }
  return params;
};

const readResponse = async (response: Response): Promise<ApiResponse> => {
  const text = await response.text();
  const isJson = response.headers.get('content-type')?.includes('application/json') ?? false;
  return {
    status: response.status,
    headers: response.headers,
    body: isJson ? (JSON.parse(text) as unknown) : text,
  };
};

export class EmulatorApi {
  private cachedToken: string | undefined;

  constructor(private readonly emulator: LogtoEmulator) {}

  /** `POST /oidc/token`; the raw answer. */
  async requestToken(request: TokenRequest = {}): Promise<ApiResponse> {
    const {
      clientId = this.emulator.credentials.clientId,
      clientSecret = this.emulator.credentials.clientSecret,
      scope = 'all',
      resource = this.emulator.resourceIndicator,
      auth = 'basic',
    } = request;
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (resource !== null) form.set('resource', resource);
    if (scope !== null) form.set('scope', scope);
    const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded' };
    if (auth === 'basic') {
      const user = `${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`;
      headers.Authorization = `Basic ${Buffer.from(user).toString('base64')}`;
    } else {
      form.set('client_id', clientId);
      form.set('client_secret', clientSecret);
    }
    return readResponse(
      await fetch(`${this.emulator.endpoint}/oidc/token`, { method: 'POST', headers, body: form.toString() }),
    );
  }

  /** An access token (asserting the token request succeeded). */
  async token(request: TokenRequest = {}): Promise<string> {
    const response = await this.requestToken(request);
    if (response.status !== 200) throw new Error(`Token request failed: ${JSON.stringify(response.body)}`);
    return (response.body as { access_token: string }).access_token;
  }

  /** The operator's token with scope `all`, fetched once. */
  async operatorToken(): Promise<string> {
    this.cachedToken ??= await this.token();
    return this.cachedToken;
  }

  async request(method: string, path: string, init: RequestInit = {}): Promise<ApiResponse> {
    const token = init.token === undefined ? await this.operatorToken() : init.token;
    const headers: Record<string, string> = { ...init.headers };
    if (token !== null) headers.Authorization = `Bearer ${token}`;
    if (init.body !== undefined || init.rawBody !== undefined) headers['Content-Type'] ??= 'application/json';
    const query = toSearchParams(init.query).toString();
    const response = await fetch(`${this.emulator.endpoint}${path}${query ? `?${query}` : ''}`, {
      method,
      headers,
      body: init.rawBody ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
    });
    return readResponse(response);
  }

  /** Calls an operation of the table by name. */
  op<N extends OperationName>(
    name: N,
    params: OperationPathParams<N>,
    init: RequestInit = {},
  ): Promise<ApiResponse> {
    const spec = operations[name];
    return this.request(spec.method, expandPath(spec.path, params as never), init);
  }

  /** Creates an application, asserting a 200. */
  async createApp(body: CreateApplicationRequest): Promise<Application> {
    const response = await this.op('create_application', {}, { body });
    if (response.status !== 200)
      throw new Error(`create_application: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body as Application;
  }
}

/** Redirect URIs for app bodies. */
export const webClient = (uri = 'https://app.example.com/callback') => ({
  redirectUris: [uri],
  postLogoutRedirectUris: ['https://app.example.com'],
});
