// The words of every notification, as plain text and HTML (SECURITY §11, SPEC §5).
// What a message may say is decided here: never a backup code, password, session token or
// TOTP seed. Only `email_confirmation` and `sms_code` carry their one secret — the reason they
// are sent. Every email ends with a "Wasn't you?" line naming how to reach the bank (NIST SP
// 800-63B-4 §4.6: a notice must say how to repudiate the event).
import type { NotificationMessage } from './enqueue-notification.js';

export interface RenderContext {
  /** LATCHKEY_SUPPORT_CONTACT, e.g. "call the number on the back of your card". */
  supportContact: string;
  firstName: string | null;
  /** When the event happened (the outbox row's created_at). */
  at: Date;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

interface Body {
  subject: string;
  paragraphs: string[];
  /** The one secret of a confirmation or SMS-code message, shown on a line of its own. */
  secret?: { intro: string; value: string; after: string };
}

export function renderEmail(message: NotificationMessage, context: RenderContext): RenderedEmail {
  const body = bodyOf(message, context);
  const greeting = context.firstName === null || context.firstName === '' ? 'Hello,' : `Hello ${context.firstName},`;
  const closing = wasntYouLine(context.supportContact);
  const automatic = 'This is an automatic message; replies are not read.';

  const text = [
    greeting,
    ...body.paragraphs,
    ...(body.secret === undefined ? [] : [body.secret.intro, `    ${body.secret.value}`, body.secret.after]),
    closing,
    automatic,
  ].join('\n\n');

  const paragraph = (content: string) => `<p style="margin:0 0 16px">${escapeHtml(content)}</p>`;
  const html = [
    '<!doctype html>',
    `<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(body.subject)}</title></head>`,
    '<body style="margin:0;padding:24px;background:#ffffff;color:#1b1f24;font-family:Arial,Helvetica,sans-serif;font-size:16px;line-height:1.5">',
    '<div style="max-width:560px">',
    paragraph(greeting),
    ...body.paragraphs.map(paragraph),
    ...(body.secret === undefined
      ? []
      : [
          paragraph(body.secret.intro),
          `<p style="margin:0 0 16px;font-family:'Courier New',monospace;font-size:28px;font-weight:bold;letter-spacing:4px">${escapeHtml(body.secret.value)}</p>`,
          paragraph(body.secret.after),
        ]),
    `<p style="margin:24px 0 16px;padding-top:16px;border-top:1px solid #d0d7de;font-weight:bold">${escapeHtml(closing)}</p>`,
    `<p style="margin:0;color:#57606a;font-size:14px">${escapeHtml(automatic)}</p>`,
    '</div></body></html>',
  ].join('\n');

  return { subject: body.subject, text, html };
}

/** A text message: short, and for a code nothing but the code and the warning not to share it. */
export function renderSms(message: NotificationMessage, context: RenderContext): string {
  if (message.kind === 'sms_code' || message.kind === 'email_confirmation') {
    return `${message.secret} is your verification code. Never share it: we will never ask you for it.`;
  }
  return `${bodyOf(message, context).subject}. ${wasntYouLine(context.supportContact)}`;
}

export function wasntYouLine(supportContact: string): string {
  return `Wasn't you? Contact us right away: ${supportContact.replace(/[.\s]+$/, '')}.`;
}

const SETTINGS_TWO_FACTOR = 'Settings, Two-Factor Authentication';
// The warning threshold of the recovery-codes screen (issue 4): at 3 or fewer, create new ones.
const FEW_BACKUP_CODES = 3;

function bodyOf(message: NotificationMessage, context: RenderContext): Body {
  const when = formatInstant(context.at);
  switch (message.kind) {
    case 'backup_codes_issued_by_staff':
      return {
        subject: 'Backup codes were issued for your account',
        paragraphs: [
          `Our staff generated emergency backup codes for your account on ${when}. They replace any backup codes you had before and expire on ${formatIsoInstant(message.expiresAt)}.`,
          'The codes are handed to you by our staff only. We never send them by email or text message, and we will never ask you to tell us one.',
          `Once you are signed in, add a new two-factor device and create your own recovery codes in ${SETTINGS_TWO_FACTOR}.`,
        ],
      };
    case 'backup_code_used': {
      const left = message.remaining;
      const remaining =
        left === 0
          ? `You have no backup codes left. Create new recovery codes in ${SETTINGS_TWO_FACTOR}.`
          : `You have ${left} backup ${left === 1 ? 'code' : 'codes'} left.${left <= FEW_BACKUP_CODES ? ` Create new recovery codes soon in ${SETTINGS_TWO_FACTOR}.` : ''}`;
      return {
        subject: 'A backup code was used on your account',
        paragraphs: [`One of your backup codes was used to confirm a sign-in to your account on ${when}. Each code works only once.`, remaining],
      };
    }
    case 'recovery_codes_created':
      return {
        subject: 'New recovery codes were created for your account',
        paragraphs: [
          `${message.count} new recovery codes were created for your account on ${when}. Any codes you had before no longer work.`,
        ],
      };
    case 'password_changed':
      return {
        subject: 'Your password was changed',
        paragraphs: [`The password of your account was changed on ${when}. Every device that was signed in has been signed out.`],
      };
    case 'factor_added':
      return {
        subject: 'A two-factor device was added to your account',
        paragraphs: [`"${message.factorLabel}" was added to your two-factor devices on ${when}. It can now be used to confirm sign-ins to your account.`],
      };
    case 'factor_removed':
      return {
        subject: 'A two-factor device was removed from your account',
        paragraphs: [`"${message.factorLabel}" was removed from your two-factor devices on ${when}. It can no longer be used to sign in to your account.`],
      };
    case 'email_change_requested':
      return {
        subject: 'A change of your email address was requested',
        paragraphs: [
          `On ${when} a change of your account's email address to ${message.newEmail} was requested.`,
          'The change takes effect only once it is confirmed from the new address; until then we keep writing to this one.',
        ],
      };
    case 'email_confirmation':
      return {
        subject: 'Confirm your new email address',
        paragraphs: ['You asked to use this address for your account.'],
        secret: {
          intro: 'To confirm it, enter this code where you made the change:',
          value: message.secret,
          after: 'Never share this code: we will never ask you for it. If you did not ask for this change, ignore this email and your address stays as it was.',
        },
      };
    case 'second_factor_failed':
      return {
        subject: 'Someone entered your password but failed the second step',
        paragraphs: [
          `On ${when} your password was entered correctly to sign in to your account, but the two-factor step that follows failed.`,
          'If this was you, there is nothing to do. If it was not, someone knows your password: change it now in Settings, Password.',
        ],
      };
    case 'sms_code':
      return {
        subject: 'Your verification code',
        paragraphs: [],
        secret: {
          intro: 'Your verification code is:',
          value: message.secret,
          after: 'It is valid for a few minutes. Never share it: we will never ask you for it.',
        },
      };
  }
}

const instantFormat = new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeStyle: 'short', timeZone: 'UTC' });

/** "28 November 2026 at 09:00 UTC": one unambiguous zone for every reader. */
export function formatInstant(at: Date): string {
  return `${instantFormat.format(at)} UTC`;
}

function formatIsoInstant(value: string): string {
  const at = new Date(value);
  return Number.isNaN(at.getTime()) ? value : formatInstant(at);
}

export function escapeHtml(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}
