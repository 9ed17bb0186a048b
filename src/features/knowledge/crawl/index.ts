export { crawlSite } from './crawl-site.js';
export type { CrawlOptions, CrawledPage, CrawlStop, CrawlSummary, OnPage } from './crawl-types.js';
export { compileUrlFilter } from './url-patterns.js';
