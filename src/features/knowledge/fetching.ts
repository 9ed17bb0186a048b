import type { AppDeps } from '../../core/context.js';
import { FetchError, safeFetch } from '../../core/net/safe-fetch.js';
import { SourceError } from './source-error.js';

/**
 * Fetches a knowledge source's URL (a file, a feed) with the server's limits: private addresses
 * refused unless ALLOW_PRIVATE_URLS, the file size limit, the fetch timeout. Failures become the
 * source's readable error.
 */
export async function fetchForKnowledge(deps: Pick<AppDeps, 'config'>, url: string) {
  try {
    const res = await safeFetch(url, {
      allowPrivate: deps.config.ALLOW_PRIVATE_URLS,
      maxBytes: deps.config.KNOWLEDGE_MAX_FILE_MB * 1024 * 1024,
      timeoutMs: deps.config.FETCH_TIMEOUT_MS,
    });
    if (res.status >= 400) throw new SourceError(`${res.url} answered HTTP ${res.status}.`);
    return { body: res.body, contentType: res.contentType, url: res.url };
  } catch (err) {
    if (err instanceof FetchError) throw new SourceError(err.message);
    throw err;
  }
}
