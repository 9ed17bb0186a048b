import { parseTemplate, renderTemplate, type TemplateUser } from '../../../../src/features/campaigns/template';

// The server's own template module (pure code), bundled into the page: the preview is exactly what
// the send will text, and a template is refused in the server's words.

export type SampleUser = TemplateUser;

/** The text `user` would get, or why the server would refuse the template. */
export function previewTemplate(text: string, user: SampleUser): { text: string; error: string | null } {
  try {
    return { text: renderTemplate(parseTemplate(text), user), error: null };
  } catch (err) {
    return { text: '', error: err instanceof Error ? err.message : String(err) };
  }
}
