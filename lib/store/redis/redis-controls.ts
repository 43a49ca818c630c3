import type Redis from "ioredis";
import { z } from "zod";
import type { Logger } from "../../log";
import type { ControlAction } from "../types";
import type { RedisErrors } from "./redis-errors";
import type { RedisKeys } from "./redis-keys";
import { parseReply } from "./redis-replies";
import { takeControlsScript } from "./redis-scripts";

const controlSchema = z.enum(["cancel", "pause", "finish", "delete"]);

export interface RedisControlsOptions {
  redis: Redis;
  keys: RedisKeys;
  errors: RedisErrors;
  /** How long controls nobody takes are kept after the last one was sent, in ms. */
  controlTtlMs: number;
  logger?: Logger;
}

/** Controls for a task's owner: a list any process pushes to, taken whole by one script. */
export class RedisControls {
  readonly #redis: Redis;
  readonly #keys: RedisKeys;
  readonly #errors: RedisErrors;
  readonly #controlTtlMs: number;
  readonly #logger?: Logger;

  constructor(options: RedisControlsOptions) {
    this.#redis = options.redis;
    this.#keys = options.keys;
    this.#errors = options.errors;
    this.#controlTtlMs = options.controlTtlMs;
    this.#logger = options.logger;
  }

  async send(taskId: string, action: ControlAction): Promise<void> {
    const key = this.#keys.task("controls", taskId);
    await this.#errors.call("send a control", [[key, "list"]], async () => {
      const results = await this.#redis.multi().rpush(key, action).pexpire(key, this.#controlTtlMs).exec();
      for (const [error] of results ?? []) if (error) throw error;
    });
  }

  async take(taskId: string): Promise<ControlAction[]> {
    const key = this.#keys.task("controls", taskId);
    const reply = await this.#errors.call("take controls", [[key, "list"]], () =>
      takeControlsScript.run(this.#redis, [key], []),
    );
    const actions: ControlAction[] = [];
    for (const item of parseReply(reply, z.array(z.string()), "take controls")) {
      const parsed = controlSchema.safeParse(item);
      if (parsed.success) actions.push(parsed.data);
      else this.#logger?.warn("store.control_unknown", { taskId, control: item.slice(0, 40) });
    }
    return actions;
  }
}
