/**
 * A small typed fetch client for Iris, its types generated from the OpenAPI
 * document (lib/client/openapi.ts, `npm run openapi:types`). Paths, path
 * parameters, query parameters and bodies are checked at compile time, so a
 * tool that builds requests with it (lib/loadgen, scripts/) stops compiling
 * when the API changes under it. Web-standard fetch only.
 * @example
 * const iris = createIrisClient({ baseUrl: 'http://localhost:3000', token: process.env.IRIS_KEY });
 * const { status, data } = await iris.get('/api/iris/stats/breakdown', { query: { by: 'agent', limit: 5 } });
 */
import type { paths } from './openapi.js';

export type { paths as IrisPaths } from './openapi.js';

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** The paths that answer `M`. */
export type PathsWith<M extends HttpMethod> = { [P in keyof paths]: paths[P][M] extends { responses: unknown } ? P : never }[keyof paths];

type Operation<P extends keyof paths, M extends HttpMethod> = paths[P][M] & { parameters: { path?: unknown; query?: unknown }; responses: unknown };

export type PathParams<P extends keyof paths, M extends HttpMethod> = NonNullable<Operation<P, M>['parameters']['path']>;
export type QueryParams<P extends keyof paths, M extends HttpMethod> = NonNullable<Operation<P, M>['parameters']['query']>;
export type RequestBody<P extends keyof paths, M extends HttpMethod> =
  Operation<P, M> extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;

type Responses<P extends keyof paths, M extends HttpMethod> = Operation<P, M>['responses'];
/** The JSON body of response `S` of `M P`. */
export type ResponseBody<P extends keyof paths, M extends HttpMethod, S extends keyof Responses<P, M>> = Responses<P, M>[S] extends {
  content: { 'application/json': infer B };
}
  ? B
  : never;
/** The body of the operation's success answers (2xx). */
export type SuccessBody<P extends keyof paths, M extends HttpMethod> = ResponseBody<P, M, Extract<keyof Responses<P, M>, 200 | 201 | 202>>;

/** What a request needs besides its method and path: required parts required, by the document. */
export type RequestOptions<P extends keyof paths, M extends HttpMethod> = ([PathParams<P, M>] extends [never]
  ? { params?: never }
  : { params: PathParams<P, M> }) & {
  query?: QueryParams<P, M>;
  body?: RequestBody<P, M>;
  headers?: Record<string, string>;
};

type Rest<P extends keyof paths, M extends HttpMethod> = [PathParams<P, M>] extends [never]
  ? [options?: RequestOptions<P, M>]
  : [options: RequestOptions<P, M>];

/**
 * The concrete path and query of `template` (`/api/iris/experts/{expertId}/usage`),
 * with each path parameter encoded and the query in a stable order.
 * @example
 * irisPath('/api/iris/experts/{expertId}/usage', 'post', { params: { expertId: 'planner' } }) // '/api/iris/experts/planner/usage'
 */
export function irisPath<P extends PathsWith<M>, M extends HttpMethod>(template: P, _method: M, ...[options]: Rest<P, M>): string {
  const params = (options?.params ?? {}) as Record<string, string | number>;
  const path = (template as string).replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new TypeError(`${template}: the path parameter ${name} is missing`);
    return encodeURIComponent(String(value));
  });
  const query = Object.entries((options?.query ?? {}) as Record<string, unknown>).filter(([, v]) => v !== undefined);
  return query.length === 0 ? path : `${path}?${new URLSearchParams(query.map(([k, v]) => [k, String(v)])).toString()}`;
}

/** Options of {@link createIrisClient}. */
export interface IrisClientOptions {
  /** Where Iris is, e.g. `http://localhost:3000`. */
  baseUrl: string;
  /** Bearer token: an API key, or the admin, metrics or cron token. @default none */
  token?: string;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
}

/** An answer: the status, the headers and the JSON body (typed as the success body; `undefined` when there is none). */
export interface IrisResponse<T> {
  status: number;
  headers: Headers;
  data: T;
}

export interface IrisClient {
  get<P extends PathsWith<'get'>>(path: P, ...options: Rest<P, 'get'>): Promise<IrisResponse<SuccessBody<P, 'get'>>>;
  post<P extends PathsWith<'post'>>(path: P, ...options: Rest<P, 'post'>): Promise<IrisResponse<SuccessBody<P, 'post'>>>;
  put<P extends PathsWith<'put'>>(path: P, ...options: Rest<P, 'put'>): Promise<IrisResponse<SuccessBody<P, 'put'>>>;
  patch<P extends PathsWith<'patch'>>(path: P, ...options: Rest<P, 'patch'>): Promise<IrisResponse<SuccessBody<P, 'patch'>>>;
  delete<P extends PathsWith<'delete'>>(path: P, ...options: Rest<P, 'delete'>): Promise<IrisResponse<SuccessBody<P, 'delete'>>>;
}

/** A typed client for one Iris deployment and credential. */
export function createIrisClient(options: IrisClientOptions): IrisClient {
  const doFetch = options.fetch ?? globalThis.fetch;
  const base = options.baseUrl.replace(/\/+$/, '');
  const send = async (
    method: HttpMethod,
    template: string,
    request: { params?: unknown; query?: unknown; body?: unknown; headers?: Record<string, string> } = {},
  ) => {
    const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    const path = irisPath(template as never, method as never, request as never);
    const response = await doFetch(`${base}${path}`, {
      method: method.toUpperCase(),
      headers,
      ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
    });
    const text = await response.text();
    const isJson = (response.headers.get('content-type') ?? '').startsWith('application/json');
    return { status: response.status, headers: response.headers, data: text.length > 0 && isJson ? (JSON.parse(text) as unknown) : undefined };
  };
  const method =
    (m: HttpMethod) =>
    (path: string, ...rest: unknown[]) =>
      send(m, path, rest[0] as never);
  return { get: method('get'), post: method('post'), put: method('put'), patch: method('patch'), delete: method('delete') } as IrisClient;
}
