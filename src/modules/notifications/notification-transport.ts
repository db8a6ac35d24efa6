// What the notification worker needs from the outside world: somewhere to hand a rendered
// message. The adapters in src/adapters/notify/ implement it (SMTP, SMS gateway, log).

export interface OutgoingEmail {
  /** For logs: what kind of notice this is, never its content. */
  kind: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface OutgoingSms {
  kind: string;
  to: string;
  text: string;
}

export interface NotificationTransport {
  /** Resolves once the message was accepted by the next hop; rejects otherwise. */
  sendEmail(email: OutgoingEmail): Promise<void>;
  sendSms(sms: OutgoingSms): Promise<void>;
  close(): Promise<void>;
}

/** Wakes the worker right after a commit that queued a notification; the poll is the fallback. */
export interface Notifier {
  wake(): void;
}

export const idleNotifier: Notifier = { wake: () => {} };
