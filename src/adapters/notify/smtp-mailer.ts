// Email through an SMTP relay (nodemailer), configured by SMTP_URL and MAIL_FROM.
import nodemailer from 'nodemailer';
import type { NotificationTransport } from '../../modules/notifications/notification-transport.js';

export type EmailSender = Pick<NotificationTransport, 'sendEmail' | 'close'>;

// Well under the worker's claim lease (deliver-notifications.ts), so that a hung server makes
// a send fail and be retried rather than overlap with another instance's attempt.
const CONNECTION_TIMEOUT_IN_MS = 10_000;
const GREETING_TIMEOUT_IN_MS = 10_000;
const SOCKET_TIMEOUT_IN_MS = 30_000;

export function createSmtpMailer(config: { url: string; from: string }): EmailSender {
  const transporter = nodemailer.createTransport({
    url: config.url,
    connectionTimeout: CONNECTION_TIMEOUT_IN_MS,
    greetingTimeout: GREETING_TIMEOUT_IN_MS,
    socketTimeout: SOCKET_TIMEOUT_IN_MS,
    // Nothing we send refers to files or URLs to inline; refuse them outright.
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  return {
    async sendEmail(email) {
      await transporter.sendMail({ from: config.from, to: email.to, subject: email.subject, text: email.text, html: email.html });
    },
    async close() {
      transporter.close();
    },
  };
}
