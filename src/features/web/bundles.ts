import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type BuildOptions } from 'esbuild';

/** One built file, ready to serve. */
export interface Asset {
  body: Buffer;
  gzip: Buffer;
  type: string;
  etag: string;
}

export interface WebBundles {
  widget: Asset;
  /** The dashboard's files by their path under /app/assets/ (hashed names: cached for good). */
  app: Map<string, Asset>;
  /** The entry script and stylesheet paths the dashboard's page loads. */
  appEntry: { script: string; styles: string[] };
}

export const WEB_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../../web');

const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.map': 'application/json' };

function asset(body: Uint8Array, path: string): Asset {
  const buf = Buffer.from(body);
  const ext = path.slice(path.lastIndexOf('.'));
  return { body: buf, gzip: gzipSync(buf, { level: 9 }), type: TYPES[ext] ?? 'application/octet-stream', etag: `"${createHash('sha256').update(buf).digest('base64url').slice(0, 22)}"` };
}

const COMMON: BuildOptions = {
  bundle: true,
  minify: true,
  write: false,
  target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
  legalComments: 'none',
  logLevel: 'silent',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  define: { 'process.env.NODE_ENV': '"production"' },
};

/**
 * Builds the chat widget and the dashboard from `web/` in memory with esbuild (about a second), so
 * `npm start` serves them with no build step. The dashboard is split per page: each route loads only
 * its own chunk.
 */
export async function buildWebBundles(): Promise<WebBundles> {
  const [widget, app] = await Promise.all([
    build({ ...COMMON, entryPoints: [join(WEB_ROOT, 'widget/widget.ts')], format: 'iife', outfile: '/widget.js' }),
    build({
      ...COMMON,
      entryPoints: { main: join(WEB_ROOT, 'app/main.tsx') },
      format: 'esm',
      splitting: true,
      outdir: '/assets',
      entryNames: '[name]-[hash]',
      chunkNames: '[name]-[hash]',
      assetNames: '[name]-[hash]',
      loader: { '.svg': 'dataurl' },
    }),
  ]);
  const files = new Map<string, Asset>();
  let script = '';
  const styles: string[] = [];
  for (const file of app.outputFiles ?? []) {
    const name = file.path.slice(file.path.lastIndexOf('/') + 1);
    files.set(name, asset(file.contents, name));
    if (/^main-.*\.js$/.test(name)) script = name;
    if (/^main-.*\.css$/.test(name)) styles.push(name);
  }
  return { widget: asset(widget.outputFiles![0]!.contents, 'widget.js'), app: files, appEntry: { script, styles } };
}

let cached: Promise<WebBundles> | null = null;

/** The process's bundles, built on first use; a failed build is tried again on the next request. */
export function webBundles(): Promise<WebBundles> {
  return (cached ??= buildWebBundles().catch((err: unknown) => {
    cached = null;
    throw err;
  }));
}
