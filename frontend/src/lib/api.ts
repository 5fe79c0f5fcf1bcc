// The only place the app calls fetch. Every request is JSON, carries the
// session cookie (same origin), and unsafe methods carry the CSRF token the
// server gave at login or GET /me. Every failure becomes an ApiError whose
// message is French and fit to show as is.

import { fr } from './i18n/fr';

const base = '/api/v1';

/** A failed API call: the server's error object, or a network failure (status 0). */
export class ApiError extends Error {
  readonly code: string;
  readonly field: string | undefined;
  readonly status: number;
  /** Seconds to wait, from Retry-After on 429 answers. */
  readonly retryAfter: number | undefined;

  constructor(status: number, code: string, message: string, field?: string, retryAfter?: number) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
    this.retryAfter = retryAfter;
  }
}

/** Turns anything thrown into an ApiError, so views have one error path. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError(0, 'unexpected', fr.errors.unexpected);
}

/** The field error message for `field`, if err is a validation error on it. */
export function fieldError(err: ApiError | null | undefined, field: string): string | undefined {
  return err && err.field === field ? err.message : undefined;
}

/** The message of err unless it belongs under one of `fields`. */
export function formError(err: ApiError | null | undefined, fields: readonly string[]): string | undefined {
  if (!err) return undefined;
  if (err.field && fields.includes(err.field)) return undefined;
  return err.message;
}

let csrfToken = '';
let unauthenticatedHandler: (() => void) | null = null;

/** Keeps the CSRF token of the current session in memory (never in storage). */
export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/**
 * Called when an authenticated call answers 401: the session ended
 * elsewhere (logout, password change, expiry).
 */
export function onUnauthenticated(handler: () => void): void {
  unauthenticatedHandler = handler;
}

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

interface RequestOptions {
  /** Do not report a 401 to the unauthenticated handler (login, GET /me). */
  quiet401?: boolean;
}

async function request<T>(method: Method, path: string, body?: unknown, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (!safeMethods.has(method) && csrfToken) headers['X-CSRF-Token'] = csrfToken;

  let res: Response;
  try {
    res = await fetch(base + path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network', fr.errors.network);
  }

  if (res.status === 204) return undefined as T;

  let data: unknown = undefined;
  const text = await res.text().catch(() => '');
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
  }

  if (!res.ok) {
    const err = errorFrom(res, data);
    if (res.status === 401 && !opts.quiet401 && unauthenticatedHandler) unauthenticatedHandler();
    throw err;
  }
  if (data === undefined) throw new ApiError(res.status, 'invalid_response', fr.errors.invalidResponse);
  return data as T;
}

function errorFrom(res: Response, data: unknown): ApiError {
  const retry = Number(res.headers.get('Retry-After'));
  const retryAfter = Number.isFinite(retry) && retry > 0 ? retry : undefined;
  if (data && typeof data === 'object' && 'error' in data) {
    const e = (data as { error: unknown }).error;
    if (e && typeof e === 'object') {
      const { code, message, field } = e as { code?: unknown; message?: unknown; field?: unknown };
      return new ApiError(
        res.status,
        typeof code === 'string' ? code : 'unexpected',
        typeof message === 'string' && message ? message : fr.errors.unexpected,
        typeof field === 'string' && field ? field : undefined,
        retryAfter,
      );
    }
  }
  // A proxy or a crash answered with something else than our error shape.
  return new ApiError(res.status, res.status === 404 ? 'not_found' : 'unexpected', fr.errors.unexpected, undefined, retryAfter);
}

export const api = {
  get: <T>(path: string, opts?: RequestOptions) => request<T>('GET', path, undefined, opts),
  post: <T>(path: string, body: unknown = {}, opts?: RequestOptions) => request<T>('POST', path, body, opts),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, body),
  delete: <T = void>(path: string) => request<T>('DELETE', path),
};

/** Builds a query string from the non-empty values of params ("" when none). */
export function query(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== '') q.set(k, v);
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Encodes one path segment (ids are hex, tokens opaque). */
export function seg(s: string): string {
  return encodeURIComponent(s);
}

/** Where a file is uploaded: exactly one of them (a conversation is a channel). */
export type UploadPlace = { channel_id: string } | { cpts_id: string } | { group_id: string };

export interface UploadOptions {
  /** Called as bytes go out: loaded and total, in bytes. */
  onProgress?: (loaded: number, total: number) => void;
  /** Aborting cancels the upload (the promise rejects with code "aborted"). */
  signal?: AbortSignal;
}

/**
 * Uploads one file (POST /files, multipart) with XMLHttpRequest, whose
 * upload events give the progress fetch does not. Resolves with the
 * server's view of the stored file; rejects with an ApiError in French.
 */
export function uploadFile<T>(file: Blob, name: string, place: UploadPlace, opts: UploadOptions = {}): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const form = new FormData();
    for (const [k, v] of Object.entries(place)) form.append(k, v);
    form.append('file', file, name);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', base + '/files');
    xhr.withCredentials = true;
    xhr.setRequestHeader('Accept', 'application/json');
    if (csrfToken) xhr.setRequestHeader('X-CSRF-Token', csrfToken);
    xhr.upload.onprogress = (e) => opts.onProgress?.(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onerror = () => reject(new ApiError(0, 'network', fr.errors.network));
    xhr.onabort = () => reject(new ApiError(0, 'aborted', fr.files.cancelled));
    xhr.onload = () => {
      let data: unknown = undefined;
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : undefined;
      } catch {
        data = undefined;
      }
      if (xhr.status >= 200 && xhr.status < 300 && data && typeof data === 'object' && 'file' in data) {
        resolve((data as { file: T }).file);
        return;
      }
      const res = new Response(null, { status: xhr.status < 200 ? 500 : xhr.status, headers: { 'Retry-After': xhr.getResponseHeader('Retry-After') ?? '' } });
      const err = errorFrom(res, data);
      if (xhr.status === 401 && unauthenticatedHandler) unauthenticatedHandler();
      reject(err);
    };
    if (opts.signal) {
      if (opts.signal.aborted) {
        reject(new ApiError(0, 'aborted', fr.files.cancelled));
        return;
      }
      opts.signal.addEventListener('abort', () => xhr.abort(), { once: true });
    }
    xhr.send(form);
  });
}

/** The address of a file (or of its thumbnail), for <img> and links. */
export function fileURL(id: string, thumb = false): string {
  return `${base}/files/${seg(id)}${thumb ? '?thumb=1' : ''}`;
}
