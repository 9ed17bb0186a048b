import { describe, expect, it } from 'vitest';
import { parseTemplate, renderTemplate } from '../src/features/campaigns/template.js';
import { badPlaceholders, renderPreview } from '../web/app/pages/campaigns/template.js';

// The campaign composer's live preview mirrors the server's template rules: the same text for the
// same user, and the same templates refused.

const users: Array<{ name: string | null; attributes: Record<string, string | number | boolean> }> = [
  { name: 'Ana', attributes: { city: 'Lisbon', vip: true } },
  { name: null, attributes: {} },
  { name: null, attributes: { name: 'From attrs', code: 42 } },
];
const templates = ['Hi {{name}}!', 'Hi {{name|friend}}, see you in {{city|your town}}.', 'Your code is {{code}}.', '{{ city }} VIP: {{vip}}', 'No placeholders'];

describe('campaign preview', () => {
  it('renders what the server would send', () => {
    for (const t of templates) for (const u of users) expect(renderPreview(t, u), `${t} for ${JSON.stringify(u)}`).toBe(renderTemplate(parseTemplate(t), u));
  });

  it('flags the templates the server refuses', () => {
    for (const t of ['Hi {{}}', 'Hi {{first name}}', 'Hi {{name', 'Hi name}}', 'Hi {{name|a|b}}']) {
      expect(() => parseTemplate(t)).toThrow();
      expect(badPlaceholders(t).length, t).toBeGreaterThan(0);
    }
    for (const t of templates) expect(badPlaceholders(t)).toEqual([]);
  });
});
