import { describe, expect, it } from 'vitest';
import { decodeBody } from '../src/core/net/read-body.js';
import { csvRows } from '../src/features/knowledge/parsers/csv.js';
import { jsonRows } from '../src/features/knowledge/parsers/json.js';
import { parseSitemap } from '../src/features/knowledge/crawl/sitemap.js';
import { describeFileType } from '../src/features/knowledge/parsers/describe-file-type.js';
import { smsKeyword } from '../src/features/sms/keywords.js';
import { fromSinchStatus, fromTwilioStatus, rankOf } from '../src/features/sms/statuses.js';
import { twilioSmsStatus } from '../src/providers/sms/twilio-sms.js';

// Words from outside looked up in tables: Object.prototype's member names ("constructor",
// "toString", "__proto__") are not entries. The signed-callback fuzz found three 500s this way
// (hostile-callbacks.test.ts); these are the other lookups of outside words.

const PROTOTYPE_WORDS = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'];

describe('lookups of outside words', () => {
  it.each(PROTOTYPE_WORDS)('"%s" is no provider status', (word) => {
    expect(fromTwilioStatus(word)).toBeNull();
    expect(fromSinchStatus(word)).toBeNull();
    expect(twilioSmsStatus(word)).toBe('sending');
    expect(rankOf(word)).toBe(3);
  });

  it.each(PROTOTYPE_WORDS)('a text saying "%s" is a message, not a keyword', (word) => {
    expect(smsKeyword(word)).toBeNull();
    expect(smsKeyword(word.toUpperCase())).toBeNull();
  });

  it('a file of type "constructor" is described by its extension, not a function', () => {
    expect(describeFileType('constructor', 'application/x-odd')).toBe('of type CONSTRUCTOR (application/x-odd)');
  });

  it('a response in Content-Encoding "constructor" is refused as unsupported', async () => {
    await expect(decodeBody(Buffer.from('x'), 'constructor', 1024, 'https://example.com/')).rejects.toThrow(/unsupported content encoding \(constructor\)/);
  });

  it('a sitemap entity named like a prototype member stays as written', () => {
    expect(parseSitemap('<urlset><url><loc>https://a.example/?q=&constructor;</loc></url></urlset>').locations).toEqual(['https://a.example/?q=&constructor;']);
  });
});

describe('knowledge rows from files', () => {
  it('keep a CSV column named __proto__ or constructor', () => {
    expect(Object.entries(csvRows('constructor,name\nb,c\n')[0]!)).toEqual([['constructor', 'b'], ['name', 'c']]);
    expect(Object.keys(csvRows('__proto__,name\na,c\n')[0]!)).toEqual(['__proto__', 'name']);
  });

  it('keep a JSON key named __proto__', () => {
    const rows = jsonRows(JSON.parse('[{"__proto__": "kept", "name": "n"}]'));
    expect(Object.keys(rows[0]!)).toEqual(['__proto__', 'name']);
  });
});
