import { parseHTML } from 'linkedom';
import { Readability } from '@mozilla/readability';
import { CorruptFileError } from './errors.js';
import { htmlFragmentToMarkdown } from './markdown-from-html.js';

export interface HtmlMarkdown {
  title: string | null;
  markdown: string;
  /** The page's rel=canonical URL, absolute (http/https only), or null. */
  canonical: string | null;
}

/** Site chrome removed before extraction, so it can never reach the knowledge base. */
const NOISE =
  'script, style, noscript, template, iframe, object, embed, svg, canvas, nav, aside, dialog, ' +
  '[role="navigation"], [role="banner"], [role="contentinfo"], [role="search"], [role="dialog"], [aria-hidden="true"], [hidden]';
const INVISIBLE_STYLE = /display\s*:\s*none|visibility\s*:\s*hidden/i;
/** Readability giving back less than this share of the cleaned page probably kept the wrong part. */
const MIN_ARTICLE_SHARE = 0.3;
// Articles have a few thousand elements; a page with more is a data dump, where Readability's
// scoring is slow and pointless, so the cleaned page is used as is. (Readability's own
// maxElemsToParse cannot do this: linkedom's getElementsByTagName('*') is always empty.)
const MAX_ELEMENTS = 30_000;

const collapse = (text: string | null | undefined) => text?.replace(/\s+/g, ' ').trim() || null;
const escapeText = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const HEAD_ELEMENTS = new Set(['TITLE', 'META', 'LINK', 'BASE', 'STYLE']);

/**
 * linkedom is not a full HTML5 parser: it does not create the implied <head> and <body> of a
 * fragment or of a page that omits them, and Readability needs both. Rebuild such input.
 */
function parseDocument(html: string): any {
  const { document } = parseHTML(html);
  const root = document.documentElement;
  if (root?.nodeName === 'HTML' && document.body?.parentNode === root && document.body.childNodes.length > 0) return document;
  const head: string[] = [];
  const body: string[] = [];
  const place = (node: any) => {
    if (node.nodeType === 3) body.push(escapeText(node.textContent ?? ''));
    if (node.nodeType !== 1) return;
    if (node.nodeName === 'HTML' || node.nodeName === 'HEAD' || node.nodeName === 'BODY') [...node.childNodes].forEach(place);
    else (HEAD_ELEMENTS.has(node.nodeName) ? head : body).push(node.outerHTML);
  };
  [...(root?.nodeName === 'HTML' ? root.childNodes : document.childNodes)].forEach(place);
  return parseHTML(`<!doctype html><html><head>${head.join('')}</head><body>${body.join('')}</body></html>`).document;
}

function absoluteHttpUrl(href: string | null | undefined, base: string | undefined): string | null {
  if (!href) return null;
  try {
    const url = new URL(href.trim(), base);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

function canonicalOf(document: any, url: string | undefined): string | null {
  const base = absoluteHttpUrl(document.querySelector('base[href]')?.getAttribute('href'), url) ?? url;
  for (const link of document.querySelectorAll('link[href]')) {
    const rel = String(link.getAttribute('rel') ?? '').toLowerCase().split(/\s+/);
    if (rel.includes('canonical')) return absoluteHttpUrl(link.getAttribute('href'), base);
  }
  return null;
}

function removeNoise(document: any): void {
  for (const element of document.querySelectorAll(NOISE)) element.remove();
  // A page header or footer is chrome; one inside the article (its byline, its notes) is content.
  for (const element of document.querySelectorAll('header, footer')) if (!element.closest('article, main')) element.remove();
  for (const element of document.querySelectorAll('[style]')) if (INVISIBLE_STYLE.test(element.getAttribute('style') ?? '')) element.remove();
}

/**
 * A web page or HTML file → its main text as Markdown, its title and its canonical URL. Input is
 * treated as hostile: linkedom runs no scripts and loads nothing, and nothing here fetches.
 * `url` is where the page came from; it resolves a relative canonical link.
 */
export function htmlToMarkdown(html: string, url?: string): HtmlMarkdown {
  try {
    return convert(html, url);
  } catch (err) {
    if (err instanceof RangeError) throw new CorruptFileError('the HTML is nested too deeply to read', 'file_too_complex');
    throw err;
  }
}

function convert(html: string, url: string | undefined): HtmlMarkdown {
  const document = parseDocument(html);
  const canonical = canonicalOf(document, url);
  const pageTitle =
    collapse(document.querySelector('title')?.textContent) ??
    collapse(document.querySelector('meta[property="og:title"]')?.getAttribute('content')) ??
    collapse(document.querySelector('h1')?.textContent);
  removeNoise(document);
  const cleanedBody: string = document.body?.innerHTML ?? '';
  const cleanedLength = collapse(document.body?.textContent)?.length ?? 0;

  let article: ReturnType<Readability['parse']> = null;
  if (document.querySelectorAll('*').length <= MAX_ELEMENTS) {
    try {
      article = new Readability(document).parse();
    } catch {
      article = null; // a page Readability cannot score: keep the cleaned page
    }
  }
  const articleLength = collapse(article?.textContent)?.length ?? 0;
  const useArticle = article?.content && articleLength > 0 && articleLength >= cleanedLength * MIN_ARTICLE_SHARE;
  const title = collapse(article?.title) ?? pageTitle;
  let markdown = htmlFragmentToMarkdown(useArticle ? String(article?.content) : cleanedBody);

  // Readability demotes the page's <h1> to ##; the title as # gives every passage its page as context.
  const firstHeading = markdown.match(/^#{1,6} (.+)$/m)?.[1]?.trim().toLowerCase();
  if (title && markdown && firstHeading !== title.toLowerCase()) markdown = `# ${title}\n\n${markdown}`;
  return { title, markdown, canonical };
}
