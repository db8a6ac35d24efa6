// What each notification says, in text and HTML: the right words, the "Wasn't you?" line,
// HTML escaped, and a secret only in the two messages whose purpose is to carry one.
import { describe, expect, it } from 'vitest';
import type { NotificationMessage } from './enqueue-notification.js';
import { escapeHtml, formatInstant, renderEmail, renderSms } from './render-notification.js';

const context = { supportContact: 'call 0800 123 456', firstName: 'Anna', at: new Date('2026-11-28T09:00:00Z') };
const SECRET = '493817';

const everyKind: { message: NotificationMessage; subject: RegExp; words: string[] }[] = [
  { message: { kind: 'backup_codes_issued_by_staff', expiresAt: '2026-12-05T09:00:00.000Z' }, subject: /backup codes were issued/i, words: ['Our staff generated emergency backup codes', '5 December 2026 at 09:00 UTC', 'never send them by email'] },
  { message: { kind: 'backup_code_used', remaining: 9 }, subject: /backup code was used/i, words: ['You have 9 backup codes left.'] },
  { message: { kind: 'password_changed' }, subject: /password was changed/i, words: ['has been signed out'] },
  { message: { kind: 'factor_added', factorLabel: 'Authenticator app' }, subject: /device was added/i, words: ['"Authenticator app" was added'] },
  { message: { kind: 'factor_removed', factorLabel: 'Work phone' }, subject: /device was removed/i, words: ['"Work phone" was removed'] },
  { message: { kind: 'email_change_requested', newEmail: 'new@example.test' }, subject: /change of your email address/i, words: ['to new@example.test', 'only once it is confirmed'] },
  { message: { kind: 'email_confirmation', secret: SECRET }, subject: /confirm your new email/i, words: [SECRET] },
  { message: { kind: 'second_factor_failed' }, subject: /failed the second step/i, words: ['password was entered correctly', 'change it now'] },
  { message: { kind: 'sms_code', secret: SECRET }, subject: /verification code/i, words: [SECRET, 'Never share it'] },
];

describe('renderEmail', () => {
  for (const { message, subject, words } of everyKind) {
    it(`${message.kind}: subject, words, the time, a greeting and the "Wasn't you?" line in text and HTML`, () => {
      const email = renderEmail(message, context);
      expect(email.subject).toMatch(subject);
      expect(email.text.startsWith('Hello Anna,')).toBe(true);
      for (const word of words) {
        expect(email.text).toContain(word);
        expect(email.html).toContain(escapeHtml(word));
      }
      if (!('secret' in message)) expect(email.text).toContain(formatInstant(context.at));
      expect(email.text).toContain("Wasn't you? Contact us right away: call 0800 123 456.");
      expect(email.html).toContain('Wasn&#39;t you? Contact us right away: call 0800 123 456.');
      expect(email.html).toContain(`<title>${escapeHtml(email.subject)}</title>`);
    });
  }

  it('only email_confirmation and sms_code carry a secret', () => {
    for (const { message } of everyKind) {
      const email = renderEmail(message, context);
      const carries = email.text.includes(SECRET) || email.html.includes(SECRET);
      expect({ kind: message.kind, carries }).toEqual({ kind: message.kind, carries: 'secret' in message });
    }
  });

  it('escapes what users and staff typed: a factor label, an address, a name', () => {
    const hostile = '<img src=x onerror=alert(1)>"&\'';
    const added = renderEmail({ kind: 'factor_added', factorLabel: hostile }, { ...context, firstName: '<b>Eve</b>' });
    expect(added.html).not.toContain('<img');
    expect(added.html).not.toContain('<b>Eve');
    expect(added.html).toContain('&lt;img src=x onerror=alert(1)&gt;&quot;&amp;&#39;');
    expect(added.html).toContain('Hello &lt;b&gt;Eve&lt;/b&gt;,');
    // The plain text part is not HTML: it says exactly what was typed.
    expect(added.text).toContain(hostile);
    const changed = renderEmail({ kind: 'email_change_requested', newEmail: 'a<script>@x.test' }, context);
    expect(changed.html).not.toContain('<script>');
  });

  it('counts what is left of a backup code set, and warns at 3 or fewer', () => {
    const text = (remaining: number) => renderEmail({ kind: 'backup_code_used', remaining }, context).text;
    expect(text(4)).toContain('You have 4 backup codes left.');
    expect(text(4)).not.toContain('Create new recovery codes');
    expect(text(3)).toContain('You have 3 backup codes left. Create new recovery codes soon');
    expect(text(1)).toContain('You have 1 backup code left.');
    expect(text(0)).toContain('You have no backup codes left. Create new recovery codes');
  });

  it('greets without a name when there is none, and takes the support contact as configured', () => {
    const email = renderEmail({ kind: 'password_changed' }, { ...context, firstName: null, supportContact: 'call the number on the back of your card.' });
    expect(email.text.startsWith('Hello,')).toBe(true);
    expect(email.text).toContain("Wasn't you? Contact us right away: call the number on the back of your card.");
    expect(email.text).not.toContain('card..');
  });
});

describe('renderSms', () => {
  it('a code message is the code and the warning, nothing else', () => {
    expect(renderSms({ kind: 'sms_code', secret: SECRET }, context)).toBe(`${SECRET} is your verification code. Never share it: we will never ask you for it.`);
  });

  it('any other notice is its subject and the "Wasn\'t you?" line, without a secret', () => {
    const text = renderSms({ kind: 'factor_removed', factorLabel: 'Phone' }, context);
    expect(text).toBe("A two-factor device was removed from your account. Wasn't you? Contact us right away: call 0800 123 456.");
  });
});
