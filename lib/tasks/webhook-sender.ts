import { errorMessage } from "../errors";
import type { Logger } from "../log";
import { type DeliveryOutcome, originOf, type WebhookDeliveryJson } from "../model/webhook";
import { createRedactor, type Redact } from "../redact";
import type { DeliveryClaim, ScheduleStore } from "../store/schedules/types";
import { type PostWebhook, postWebhook } from "./webhook-post";
import { nextWebhookAttempt, webhookHeaders } from "./webhook-signature";

/** Options of `WebhookSender` (the manager fills them from the configuration). */
export interface WebhookSenderOptions {
  store: ScheduleStore;
  logger: Logger;
  /** This process's owner id (what its attempt claims carry). */
  ownerId: string;
  /** WEBHOOK_SECRET: the key of `Fathom-Signature`. Unset: webhooks are sent unsigned. */
  secret?: string;
  /** WEBHOOK_RETRY_BASE_S. */
  retryBaseS: number;
  /** WEBHOOK_MAX_AGE_HOURS. */
  maxAgeHours: number;
  /** FETCH_ALLOW_PRIVATE: let webhooks reach private, loopback and link-local addresses. */
  allowPrivate: boolean;
  /** Time limit of one POST, in ms (FETCH_TIMEOUT_MS). */
  timeoutMs: number;
  /** How often due deliveries are looked for, in ms. Default 1,000. */
  pollMs?: number;
  /** Deliveries attempted per pass, at once. Default 10. */
  batch?: number;
  /** Sends one POST. Default `postWebhook` (the SSRF guard, `webhook-post.ts`). */
  post?: PostWebhook;
  /** Wall clock: when attempts are due, their times, the signature's timestamp. Default `new Date()`. */
  now?: () => Date;
  /** Uniform random numbers in [0, 1) (retry jitter). Default `Math.random`. */
  random?: () => number;
  /** Removes secrets from error text before it is stored. Default: credential shapes only. */
  redact?: Redact;
}

/**
 * Sends webhook deliveries (docs/ARCHITECTURE.md, "Schedules and
 * webhooks"). Every pass lists the deliveries that are due, claims the next
 * attempt of each (`claimDeliveryAttempt`: one process per attempt, under
 * a lease), POSTs the delivery's payload with the signature headers, and
 * records the outcome: a 2xx is delivered; anything else (another status,
 * a refused target, no answer in time) is retried after
 * `WEBHOOK_RETRY_BASE_S`·2ⁿ until WEBHOOK_MAX_AGE_HOURS after the delivery
 * was created, then the delivery is failed.
 *
 * Nothing lives only in this process: the records are durable, and the
 * claim of a sender that died expires, so another process (or this one
 * after a restart) sends that attempt again, with the same
 * `Fathom-Delivery` id for the receiver to deduplicate.
 */
export class WebhookSender {
  readonly #options: WebhookSenderOptions;
  readonly #now: () => Date;
  readonly #post: PostWebhook;
  readonly #redact: Redact;
  #timer: NodeJS.Timeout | null = null;
  #pass: Promise<number> | null = null;
  #closed = false;
  readonly #abort = new AbortController();

  constructor(options: WebhookSenderOptions) {
    if (!(options.retryBaseS > 0)) throw new TypeError(`Expected retryBaseS > 0, got ${options.retryBaseS}.`);
    if (!(options.maxAgeHours > 0)) {
      throw new TypeError(`Expected maxAgeHours > 0, got ${options.maxAgeHours}.`);
    }
    if (!(options.timeoutMs > 0)) throw new TypeError(`Expected timeoutMs > 0, got ${options.timeoutMs}.`);
    this.#options = options;
    this.#now = options.now ?? (() => new Date());
    this.#post = options.post ?? postWebhook;
    this.#redact = options.redact ?? createRedactor();
  }

  /**
   * How long an attempt's claim holds: longer than a POST can take (its
   * time limit) with room for recording the outcome. Past it, another
   * process may send the attempt again.
   */
  get leaseMs(): number {
    return this.#options.timeoutMs * 2 + 10_000;
  }

  /** Starts the periodic passes. */
  start(): void {
    if (this.#timer || this.#closed) return;
    this.#timer = setInterval(() => void this.pass(), this.#options.pollMs ?? 1000);
    this.#timer.unref();
    void this.pass();
  }

  /** Stops the passes and cuts POSTs in flight short (their claims expire; another process sends them). */
  async stop(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#abort.abort(new Error("The server is stopping."));
    await this.#pass?.catch(() => undefined);
  }

  /**
   * One pass: attempts every due delivery this process can claim, up to
   * `batch`. Resolves with the number of attempts recorded. Passes never
   * overlap: one asked for during another joins it.
   */
  pass(): Promise<number> {
    if (this.#closed) return Promise.resolve(0);
    this.#pass ??= this.#passOnce()
      .catch((error: unknown) => {
        this.#options.logger.error("webhook.pass_failed", { error: errorMessage(error) });
        return 0;
      })
      .finally(() => {
        this.#pass = null;
      });
    return this.#pass;
  }

  async #passOnce(): Promise<number> {
    const due = await this.#options.store.listDueDeliveries(this.#now(), this.#options.batch ?? 10);
    const results = await Promise.all(due.map((delivery) => this.#attempt(delivery)));
    return results.filter(Boolean).length;
  }

  /** Claims, sends and records the next attempt of `delivery`; false when another process has it. */
  async #attempt(delivery: WebhookDeliveryJson): Promise<boolean> {
    const { store, logger, ownerId } = this.#options;
    let claim: DeliveryClaim | null;
    try {
      claim = await store.claimDeliveryAttempt(delivery.id, ownerId, {
        now: this.#now(),
        leaseMs: this.leaseMs,
      });
    } catch (error) {
      logger.warn("webhook.claim_failed", { deliveryId: delivery.id, error: errorMessage(error) });
      return false;
    }
    if (!claim) return false;
    const outcome = await this.#send(claim);
    if (this.#closed && outcome.attempt.status === undefined) {
      // Cut short by the shutdown, not by the receiver: nothing is recorded,
      // and the attempt is sent again once its claim expires.
      return false;
    }
    const recorded = await store.recordDeliveryAttempt(claim, outcome).catch((error: unknown) => {
      logger.warn("webhook.record_failed", { deliveryId: claim.deliveryId, error: errorMessage(error) });
      return null;
    });
    const fields = {
      deliveryId: claim.deliveryId,
      taskId: claim.delivery.taskId,
      run: claim.delivery.run,
      target: originOf(claim.delivery.url),
      attempt: claim.attempt,
      ...(outcome.attempt.status !== undefined && { status: outcome.attempt.status }),
      ...(outcome.attempt.error !== undefined && { error: outcome.attempt.error }),
    };
    if (!recorded) {
      // The claim expired and another process took the attempt (or recorded it).
      logger.warn("webhook.attempt_superseded", fields);
      return false;
    }
    if (recorded.status === "delivered") logger.info("webhook.delivered", fields);
    else if (recorded.status === "failed") logger.warn("webhook.gave_up", fields);
    else logger.info("webhook.retry", { ...fields, nextAttemptAt: recorded.nextAttemptAt });
    return true;
  }

  /** One POST of the claimed attempt, and its outcome. */
  async #send(claim: DeliveryClaim): Promise<DeliveryOutcome> {
    const { delivery } = claim;
    const body = JSON.stringify(delivery.payload);
    const sentAt = this.#now();
    const headers = webhookHeaders(body, delivery.id, this.#options.secret, sentAt.getTime());
    let status: number | undefined;
    let error: string | undefined;
    try {
      ({ status } = await this.#post(delivery.url, body, headers, {
        allowPrivate: this.#options.allowPrivate,
        timeoutMs: this.#options.timeoutMs,
        signal: this.#abort.signal,
      }));
      if (status < 200 || status > 299) error = `The receiver answered HTTP ${status}.`;
    } catch (caught) {
      error = this.#redact(errorMessage(caught));
    }
    const attempt = {
      at: sentAt.toISOString(),
      ...(status !== undefined && status >= 100 && status <= 599 && { status }),
      ...(error !== undefined && { error: this.#redact(error) }),
    };
    if (error === undefined) return { attempt, delivered: true, nextAttemptAt: null };
    const next = nextWebhookAttempt(claim.attempt, Date.parse(delivery.createdAt), this.#now().getTime(), {
      baseS: this.#options.retryBaseS,
      maxAgeHours: this.#options.maxAgeHours,
      random: this.#options.random,
    });
    return { attempt, delivered: false, nextAttemptAt: next?.toISOString() ?? null };
  }
}
