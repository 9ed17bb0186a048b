import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STATUS_BY_TYPE } from '../src/core/http/error-handler.js';
import {
  CorruptFileError,
  UnsupportedFileError,
  csvRows,
  detectType,
  extractText,
  htmlToMarkdown,
  jsonRows,
  parseFile,
  type KnowledgeType,
} from '../src/features/knowledge/parsers/index.js';
import { pdfRunsToMarkdown } from '../src/features/knowledge/parsers/pdf-layout.js';
import type { PdfRun } from '../src/features/knowledge/parsers/pdf-worker.js';

const fixture = (name: string) => new Uint8Array(readFileSync(join(import.meta.dirname, 'fixtures', 'knowledge', name)));
const text = (value: string) => new TextEncoder().encode(value);

/** The error a promise rejects with, for assertions on its class and reason. */
async function failure(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

const SAMPLES: Array<{ file: string; type: KnowledgeType; fact: string; headings: string[]; title: string | null }> = [
  { file: 'sample.pdf', type: 'pdf', fact: 'The secret harbour of Lunaria opens at dawn.', headings: ['# Lunaria Harbour Guide', '## Opening Hours'], title: 'Lunaria Harbour Guide' },
  { file: 'sample.docx', type: 'docx', fact: 'The copper lighthouse of Vennmark is painted green every April.', headings: ['# Vennmark Lighthouse Notes', '## Keepers'], title: 'Vennmark Lighthouse Notes' },
  { file: 'sample.html', type: 'html', fact: 'The glass bridge of Orvale carries exactly 212 lanterns.', headings: ['# The Glass Bridge of Orvale', '## Visiting the bridge'], title: 'The Glass Bridge of Orvale' },
  { file: 'sample.md', type: 'md', fact: 'The orchard keepers of Tessaly harvest plums by moonlight.', headings: ['# Tessaly Orchard Almanac', '## Storage'], title: 'Tessaly Orchard Almanac' },
  { file: 'sample.txt', type: 'txt', fact: 'The river ferry at Brannock crosses seven times each Sunday.', headings: [], title: null },
  { file: 'sample.csv', type: 'csv', fact: 'fact: The bakery on Quill Street sells saffron buns on Thursdays.', headings: [], title: null },
  { file: 'sample.json', type: 'json', fact: 'fact: The observatory at Mount Kerrow opens to visitors at 9 pm.', headings: [], title: null },
];

describe('detectType: the type comes from the bytes', () => {
  it.each(SAMPLES)('$file is $type by its name and without one', async ({ file, type }) => {
    expect(await detectType(fixture(file), file)).toBe(type);
    expect(await detectType(fixture(file))).toBe(type);
  });

  it.each([
    ['sample.pdf', 'notes.txt', 'pdf'],
    ['sample.docx', 'report.pdf', 'docx'],
    ['sample.html', 'page.txt', 'html'],
    ['sample.json', 'table.csv', 'json'],
    ['sample.csv', 'data.json', 'csv'],
    ['sample.pdf', 'photo.png', 'pdf'],
  ] as const)('%s named %s is still %s', async (file, lie, type) => {
    expect(await detectType(fixture(file), lie)).toBe(type);
  });

  it('lets the name decide only between text formats the content allows', async () => {
    expect(await detectType(fixture('sample.md'), 'notes.txt')).toBe('txt');
    expect(await detectType(fixture('sample.txt'), 'notes.md')).toBe('md');
    expect(await detectType(text('a;b;c\n1;2;3\n4;5;6\n'))).toBe('csv');
    expect(await detectType(text('Hello, world.\nSee you, later.\n'))).toBe('txt');
    // text/plain is what clients send for any text, so CSV content is still found.
    expect(await detectType(fixture('sample.csv'), 'upload', 'text/plain')).toBe('csv');
    // A Markdown file may open with an HTML block; a bare fragment without a name is HTML.
    const readme = '<div align="center"><img src="logo.png"></div>\n\n# Project\n\nSome **bold** text and a [link](https://x.example).\n';
    expect(await detectType(text(readme), 'README.md')).toBe('md');
    expect(await detectType(text('<p>One</p><p>Two <b>three</b></p>'))).toBe('html');
  });

  it('refuses an image, naming what it is', async () => {
    const err = await failure(detectType(fixture('image.png'), 'image.png'));
    expect(err).toBeInstanceOf(UnsupportedFileError);
    expect(err.reason).toBe('the file is a PNG image, not one of: pdf, docx, txt, md, html, csv, json');
    expect(STATUS_BY_TYPE[err.type as keyof typeof STATUS_BY_TYPE]).toBe(415);
  });

  it('refuses a file whose name claims a PDF it is not', async () => {
    const fake = await failure(detectType(fixture('fake.pdf'), 'fake.pdf'));
    expect(fake).toBeInstanceOf(UnsupportedFileError);
    expect(fake.reason).toBe('the file is named .pdf but contains text, not a PDF document');
    const png = await failure(detectType(fixture('image.png'), 'scan.pdf', 'application/pdf'));
    expect(png).toBeInstanceOf(UnsupportedFileError);
    expect(png.reason).toContain('a PNG image (although named .pdf)');
    const declared = await failure(detectType(fixture('sample.txt'), undefined, 'application/pdf'));
    expect(declared.reason).toContain('declared as application/pdf but contains text');
  });

  it('refuses a ZIP that is not a Word document, and unknown binary data', async () => {
    const zip = await failure(detectType(fixture('archive.zip'), 'notes.docx'));
    expect(zip).toBeInstanceOf(UnsupportedFileError);
    expect(zip.reason).toContain('a ZIP archive (although named .docx)');
    const binary = await failure(detectType(new Uint8Array([0x13, 0x37, 0, 0, 0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3])));
    expect(binary.reason).toContain('binary data of an unknown kind');
  });

  it('refuses text that is not UTF-8 and reports empty and broken JSON files', async () => {
    const latin1 = await failure(detectType(new Uint8Array([0x43, 0x61, 0x66, 0xe9, 0x20, 0x6e, 0x6f, 0x69, 0x72, 0x0a]), 'menu.txt'));
    expect(latin1).toBeInstanceOf(UnsupportedFileError);
    expect(latin1.reason).toContain('not UTF-8');
    const empty = await failure(detectType(new Uint8Array(0), 'empty.txt'));
    expect(empty).toBeInstanceOf(CorruptFileError);
    expect(empty.code).toBe('file_empty');
    const broken = await failure(detectType(text('{"a": 1,}'), 'broken.json'));
    expect(broken).toBeInstanceOf(CorruptFileError);
    expect(broken.reason).toMatch(/^the file is named \.json but is not valid JSON: /);
    expect(STATUS_BY_TYPE[broken.type as keyof typeof STATUS_BY_TYPE]).toBe(422);
  });

  it('reads UTF-8 with a byte-order mark and UTF-16 with one', async () => {
    const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...text('# Heading\n\nA [link](https://x.example) and **bold**.\n')]);
    expect(await detectType(bom)).toBe('md');
    const utf16 = new Uint8Array([0xff, 0xfe, ...new Uint8Array(Buffer.from('{"a": "b"}', 'utf16le'))]);
    expect(await detectType(utf16)).toBe('json');
    expect((await extractText('json', utf16)).markdown).toBe('a: b');
  });
});

describe('extractText: structure-keeping Markdown from every type', () => {
  it.each(SAMPLES)('$file yields its fact, headings and title', async ({ file, type, fact, headings, title }) => {
    const result = await extractText(type, fixture(file), { filename: file });
    expect(result.markdown).toContain(fact);
    for (const heading of headings) expect(result.markdown.split('\n')).toContain(heading);
    expect(result.title).toBe(title);
    expect(result.markdown).not.toMatch(/\n{3,}/);
  });

  it('PDF: joins runs on one line, rejoins hyphenated words and separates paragraphs', async () => {
    const { markdown } = await extractText('pdf', fixture('sample.pdf'));
    expect(markdown).toContain('the island of Lunaria and the customs of the people');
    expect(markdown).toContain('keeps a ledger of every vessel that arrives after sunset.');
    expect(markdown.split('\n\n')).toContain('The secret harbour of Lunaria opens at dawn.');
  });

  it('PDF: a corrupt file fails with a reason', async () => {
    const err = await failure(extractText('pdf', fixture('corrupt.pdf')));
    expect(err).toBeInstanceOf(CorruptFileError);
    expect(err.reason).toMatch(/^the PDF is damaged and could not be read \(.+\)$/);
  });

  it('PDF: a file without a text layer says so', async () => {
    expect(await detectType(fixture('no-text.pdf'))).toBe('pdf');
    const err = await failure(extractText('pdf', fixture('no-text.pdf')));
    expect(err).toBeInstanceOf(CorruptFileError);
    expect(err.code).toBe('pdf_no_text');
    expect(err.reason).toContain('the PDF has no text layer (scanned?)');
  });

  it('PDF: page, text and time limits are enforced and named', async () => {
    const pages = await failure(extractText('pdf', fixture('sample.pdf'), { limits: { maxPdfPages: 1 } }));
    expect(pages.reason).toBe('the PDF has 2 pages; the limit is 1');
    const chars = await failure(extractText('pdf', fixture('sample.pdf'), { limits: { maxTextChars: 100 } }));
    expect(chars.reason).toBe('the PDF holds more than the limit of 100 characters of text');
    const slow = await failure(extractText('pdf', fixture('sample.pdf'), { limits: { timeoutMs: 1 } }));
    expect(slow).toBeInstanceOf(CorruptFileError);
    expect(slow.reason).toContain('took longer than');
  });

  it('PDF: a parse that needs more memory than its worker may have fails alone', async () => {
    const err = await failure(extractText('pdf', fixture('sample.pdf'), { limits: { workerMemoryMb: 4 } }));
    expect(err).toBeInstanceOf(CorruptFileError);
    expect(err.reason).toBe('reading the PDF needed more than 4 MB of memory');
  });

  it('PDF layout: drops running headers, page numbers and leaders; bullets start list items', () => {
    const run = (text: string, y: number, size = 10): PdfRun => [text, 72, y, text.length * size * 0.5, size, 1];
    const page = (n: number, body: PdfRun[]): PdfRun[] => [run('Lunaria Almanac', 760, 9), ...body, run(String(n), 40, 9)];
    const { markdown, firstHeading } = pdfRunsToMarkdown([
      page(1, [run('Contents', 700, 18), run('Tides . . . . . . . 2', 680), run('Ferries . . . . . . 3', 668), run('Tides and ferries of the island.', 640), run('Every page here has a header.', 628)]),
      page(2, [
        run('Tides', 700, 18),
        // Separately placed runs on one baseline: a visible gap is a space, touching runs are one word.
        ['High tide comes', 72, 680, 75, 10, 0],
        ['twice a day and the', 150, 680, 95, 10, 1],
        ['harb', 72, 668, 20, 10, 0],
        ['our floods at the spring tide.', 92, 668, 150, 10, 1],
      ]),
      page(3, [run('Ferries', 700, 18), run('• The morning ferry leaves at six.', 680), run('• The evening ferry waits for the post.', 668)]),
    ]);
    expect(firstHeading).toBe('Contents');
    expect(markdown).toBe(
      [
        'Lunaria Almanac',
        '# Contents',
        'Tides Ferries',
        'Tides and ferries of the island. Every page here has a header.',
        '# Tides',
        'High tide comes twice a day and the harbour floods at the spring tide.',
        '# Ferries',
        '- The morning ferry leaves at six.',
        '- The evening ferry waits for the post.',
      ].join('\n\n'),
    );
  });

  it('DOCX: keeps a sentence split over runs and a table row together', async () => {
    const { markdown } = await extractText('docx', fixture('sample.docx'));
    expect(markdown).toContain('Season | Colour\nSpring | Green');
    expect(markdown.split('\n\n')).toContain('Two keepers share the night watch and log the weather every hour.');
  });

  it('DOCX: refuses to unpack past the size limit, and a damaged file', async () => {
    const bomb = await failure(extractText('docx', fixture('sample.docx'), { limits: { maxUnzippedBytes: 1000 } }));
    expect(bomb).toBeInstanceOf(CorruptFileError);
    expect(bomb.reason).toMatch(/^the DOCX unpacks to .+; the limit is 0 MB$/);
    const damaged = await failure(extractText('docx', fixture('archive.zip')));
    expect(damaged).toBeInstanceOf(CorruptFileError);
    expect(damaged.reason).toContain('word/document.xml');
  });

  it('caps the extracted text and says so', async () => {
    const err = await failure(extractText('txt', text('word '.repeat(100)), { limits: { maxTextChars: 50 } }));
    expect(err).toBeInstanceOf(CorruptFileError);
    expect(err.reason).toBe('the file holds 499 characters of text; the limit is 50');
  });

  it('TXT/MD: normalises newlines and drops control characters', async () => {
    const { markdown, title } = await extractText('md', text('\ufeffTitle\r\n=====\r\n\r\n\r\n\r\nBody\u0007 text  \r\nmore'));
    expect(markdown).toBe('Title\n=====\n\nBody text\nmore');
    expect(title).toBe('Title');
  });
});

describe('HTML: main text, title and canonical link', () => {
  const html = new TextDecoder().decode(fixture('sample.html'));

  it('drops scripts, styles, navigation, asides and page chrome', () => {
    const { markdown } = htmlToMarkdown(html);
    for (const noise of ['SCRIPTTEXT', 'STYLETEXT', 'NAVTEXT', 'ASIDETEXT', 'FOOTERTEXT', 'trackingSecret', 'Gift shop']) {
      expect(markdown).not.toContain(noise);
    }
    expect(markdown).toContain('The glass bridge of Orvale carries exactly 212 lanterns.');
  });

  it('finds the title and resolves the canonical link against the page URL', () => {
    const page = htmlToMarkdown(html, 'https://orvale.example/visit/bridge?ref=home');
    expect(page.title).toBe('The Glass Bridge of Orvale');
    expect(page.canonical).toBe('https://orvale.example/guides/orvale-bridge');
    expect(htmlToMarkdown(html).canonical).toBeNull(); // relative, and nothing to resolve it against
    const based = htmlToMarkdown(
      '<html><head><base href="https://b.example/docs/"><link rel="alternate CANONICAL" href="page"></head><body><p>x</p></body></html>',
      'https://a.example/',
    );
    expect(based.canonical).toBe('https://b.example/docs/page');
    expect(htmlToMarkdown('<link rel="canonical" href="javascript:alert(1)"><p>x</p>', 'https://a.example/').canonical).toBeNull();
  });

  it('reads fragments and short pages that Readability gives up on', () => {
    const short = htmlToMarkdown('<title>Menu</title><h1>Menu</h1><p>Soup of the day.</p><nav>NAVTEXT</nav><script>SCRIPTTEXT</script>');
    expect(short.title).toBe('Menu');
    expect(short.markdown).toContain('Soup of the day.');
    expect(short.markdown).not.toMatch(/NAVTEXT|SCRIPTTEXT/);
    const table = htmlToMarkdown('<table><tr><th>Day</th><th>Hours</th></tr><tr><td>Monday</td><td>9–5</td></tr></table>');
    expect(table.markdown).toContain('Day | Hours\nMonday | 9–5');
  });

  it('keeps hidden elements out, also from pages too large for Readability', () => {
    const hidden = '<div hidden>HIDDEN1</div><p style="display: none">HIDDEN2</p><p aria-hidden="true">HIDDEN3</p><nav>NAVTEXT</nav>';
    const small = htmlToMarkdown(`<body><p>Shown text.</p>${hidden}</body>`);
    expect(small.markdown).toContain('Shown text.');
    expect(small.markdown).not.toMatch(/HIDDEN|NAVTEXT/);
    const huge = htmlToMarkdown(`<body><h1>Price list</h1>${hidden}<ul>${'<li>Item <b>x</b></li>'.repeat(16_000)}</ul></body>`);
    expect(huge.title).toBe('Price list');
    // The <h1> stays # here: Readability, which would demote it to ##, was not run.
    expect(huge.markdown).toMatch(/^# Price list\n\n- +Item x\n- +Item x\n/);
    expect(huge.markdown).not.toMatch(/HIDDEN|NAVTEXT/);
  });
});

describe('rows for CSV and JSON feeds keep their labels', () => {
  it('csvRows: header names label each value, quoted commas stay in their field', () => {
    const rows = csvRows(new TextDecoder().decode(fixture('sample.csv')));
    expect(rows).toHaveLength(3);
    expect(rows[0]).toEqual({
      name: 'Quill Street Bakery',
      city: 'Harrowgate',
      opening_day: 'Thursday',
      fact: 'The bakery on Quill Street sells saffron buns on Thursdays.',
    });
    expect(rows[1]?.fact).toBe('Serves rose tea, with honey, in blue cups.');
  });

  it('csvRows: detects the delimiter and names blank, repeated and extra columns', () => {
    expect(csvRows('a;b\n1;2\n3;4\n')).toEqual([{ a: '1', b: '2' }, { a: '3', b: '4' }]);
    expect(csvRows('name,,name\nAda,x,Lovelace,extra\n\n')).toEqual([{ name: 'Ada', 'column 2': 'x', 'name (2)': 'Lovelace', 'column 4': 'extra' }]);
  });

  it('CSV passages are one row each, labelled, without empty values', async () => {
    const { markdown } = await extractText('csv', text('product\tprice\tnote\nTea\t3\t\nCake\t4\tlemon\n'), { filename: 'prices.tsv' });
    expect(markdown).toBe('product: Tea\nprice: 3\n\nproduct: Cake\nprice: 4\nnote: lemon');
  });

  it('jsonRows: objects keep their keys, nested values become JSON', () => {
    const rows = jsonRows(JSON.parse(new TextDecoder().decode(fixture('sample.json'))));
    expect(rows[0]).toEqual({
      place: 'Mount Kerrow Observatory',
      fact: 'The observatory at Mount Kerrow opens to visitors at 9 pm.',
      telescopes: '3',
      open: 'true',
      address: '{"road":"Kerrow Summit Road","town":"Kerrow"}',
    });
    expect(rows[1]?.address).toBe('');
  });

  it('jsonRows: a wrapped record list gives its rows; any other object its key paths', () => {
    expect(jsonRows({ generated: '2024-01-01', items: [{ sku: 'A1' }, { sku: 'B2' }] })).toEqual([{ sku: 'A1' }, { sku: 'B2' }]);
    expect(jsonRows({ hours: { monday: '9-5', sunday: null }, tags: ['tea', 'cake'], ports: [{ name: 'North' }, 4] })).toEqual([
      { 'hours.monday': '9-5', 'hours.sunday': '', tags: 'tea, cake', 'ports[0].name': 'North', 'ports[1]': '4' },
    ]);
    expect(jsonRows(['a', 1, null])).toEqual([{ value: 'a' }, { value: '1' }]);
  });

  it('JSON objects become a passage of fields plus one section per nested key', async () => {
    const json = { name: 'Kerrow', open: true, hours: { weekday: '18-23', weekend: '16-01' }, staff: [{ role: 'guide', count: 2 }] };
    const { markdown } = await extractText('json', text(JSON.stringify(json)));
    expect(markdown).toBe('name: Kerrow\nopen: true\n\n## hours\n\nhours.weekday: 18-23\nhours.weekend: 16-01\n\n## staff\n\nrole: guide\ncount: 2');
  });
});

describe('parseFile', () => {
  it('detects and extracts in one call', async () => {
    const parsed = await parseFile(fixture('sample.docx'), { filename: 'upload.bin', mime: 'application/octet-stream' });
    expect(parsed.type).toBe('docx');
    expect(parsed.title).toBe('Vennmark Lighthouse Notes');
    expect(parsed.markdown).toContain('The copper lighthouse of Vennmark is painted green every April.');
  });

  it('passes refusals through unchanged', async () => {
    await expect(parseFile(fixture('image.png'), { filename: 'image.png', mime: 'image/png' })).rejects.toBeInstanceOf(UnsupportedFileError);
    await expect(parseFile(fixture('corrupt.pdf'), { filename: 'corrupt.pdf' })).rejects.toBeInstanceOf(CorruptFileError);
  });
});
